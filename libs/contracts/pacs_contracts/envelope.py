"""The envelope every event travels in, and the registry of event types."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class Contract(BaseModel):
    """Base of every contract model: immutable, and unknown fields are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


_REGISTRY: dict[tuple[str, int], type[Event]] = {}


class Event(Contract):
    """An event payload; subclasses name their routing key and version."""

    type: ClassVar[str]
    version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type" in cls.__dict__:
            _REGISTRY[(cls.type, cls.version)] = cls


class UnknownEvent(ValueError):
    """No contract is registered for an envelope's type and version."""


def event_class(type_: str, version: int = 1) -> type[Event]:
    """The contract class for one event type and version."""
    try:
        return _REGISTRY[(type_, version)]
    except KeyError:
        raise UnknownEvent(f"no contract for event {type_!r} version {version}") from None


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(Contract):
    """What travels on the bus: metadata plus one event payload."""

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=utcnow)
    producer: str
    correlation_id: str | None = None
    payload: dict[str, Any]

    @classmethod
    def wrap(cls, event: Event, *, producer: str, correlation_id: str | None = None) -> Envelope:
        """Put an event into a fresh envelope."""
        return cls(
            type=event.type,
            version=event.version,
            producer=producer,
            correlation_id=correlation_id,
            payload=event.model_dump(mode="json"),
        )


def parse_event(envelope: Envelope) -> Event:
    """Validate an envelope's payload against its registered contract."""
    return event_class(envelope.type, envelope.version).model_validate(envelope.payload)
