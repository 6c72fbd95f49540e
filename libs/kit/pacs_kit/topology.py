"""Names on the broker, derived from the namespace, the service and the contract classes."""

from __future__ import annotations

from dataclasses import dataclass

from pacs_contracts import Event


@dataclass(frozen=True)
class Topology:
    namespace: str
    service: str

    @property
    def exchange(self) -> str:
        return f"{self.namespace}.events"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.namespace}.dead-letter"

    @property
    def queue(self) -> str:
        return f"{self.namespace}.{self.service}"

    @property
    def dlq(self) -> str:
        return f"{self.queue}.dlq"

    @staticmethod
    def routing_key(event: type[Event]) -> str:
        return event.type
