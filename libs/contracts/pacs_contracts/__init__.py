"""Event and API contracts shared by every PACS Service Ops service."""

from pacs_contracts.envelope import Envelope, Event, UnknownEvent, event_class, parse_event

__all__ = ["Envelope", "Event", "UnknownEvent", "event_class", "parse_event"]
