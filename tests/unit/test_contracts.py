import importlib
import pkgutil
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from pacs_contracts import Envelope, UnknownEvent, api, event_class, parse_event
from pacs_contracts.common import parse_duration
from pacs_contracts.events import SlaTick
from pacs_intake.domain.fault import from_his, reported_event
from tests.factories import make_fault_event

ARCHITECTURE_EVENTS = [
    "site.registered", "engineer.registered", "fault.reported", "incident.opened", "incident.escalated",
    "incident.acknowledged", "incident.on_site", "incident.resolved", "incident.reopened", "sla.breached", "sla.tick",
    "metric.breached", "metric.recovered", "pm.due", "pm.overdue", "maintenance.started", "maintenance.ended",
    "notification.sent", "notification.failed", "notification.acknowledged",
]  # fmt: skip


@pytest.mark.parametrize("event_type", ARCHITECTURE_EVENTS)
def test_every_event_of_the_architecture_has_a_v1_contract(event_type: str) -> None:
    assert event_class(event_type, 1).type == event_type


def test_an_event_survives_the_envelope_round_trip() -> None:
    fault = make_fault_event()
    envelope = Envelope.wrap(fault, producer="intake", correlation_id=fault.fault_id)
    received = Envelope.model_validate_json(envelope.model_dump_json())
    assert received.event_id == envelope.event_id
    assert received.type == "fault.reported" and received.correlation_id == "F-1"
    assert parse_event(received) == fault


def test_an_unknown_type_or_version_is_refused() -> None:
    envelope = Envelope.wrap(SlaTick(at="2026-01-01T00:00:00Z", sequence=1), producer="scheduler")
    with pytest.raises(UnknownEvent):
        parse_event(envelope.model_copy(update={"version": 2}))


@pytest.mark.parametrize("tier", [0, 5])
def test_a_fault_opens_its_incident_at_l1_to_l4_only(tier: int) -> None:
    assert make_fault_event().start_tier is None and make_fault_event(start_tier=3).start_tier == 3
    with pytest.raises(ValidationError, match="start_tier"):
        make_fault_event(start_tier=tier)


def test_a_hospital_cannot_ask_for_a_higher_tier_through_intake() -> None:
    body = {"site_id": "SITE-1", "external_ref": "HIS-1", "code": "ARCHIVE-DOWN", "description": "archive down"}
    with pytest.raises(ValidationError, match="start_tier"):
        api.FaultCreate.model_validate({**body, "start_tier": 4})
    fault = from_his(api.FaultCreate.model_validate(body), datetime.now(UTC))
    assert reported_event(fault).start_tier is None


def test_contracts_refuse_unknown_fields_and_are_immutable() -> None:
    payload = make_fault_event().model_dump(mode="json")
    with pytest.raises(ValidationError):
        event_class("fault.reported").model_validate({**payload, "patient_name": "x"})
    with pytest.raises(ValidationError):
        make_fault_event().site_id = "other"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("PT2H", timedelta(hours=2)), ("PT6H", timedelta(hours=6)), ("PT5S", timedelta(seconds=5)),
     ("P1DT30M", timedelta(days=1, minutes=30)), ("PT0.5S", timedelta(seconds=0.5))],
)  # fmt: skip
def test_contract_durations_are_iso_8601(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["2h", "P", "PT", "PT2", "7200", "P1Y"])
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_duration(text)


def test_the_api_package_exports_every_model_of_its_modules() -> None:
    modules = [importlib.import_module(f"{api.__name__}.{info.name}") for info in pkgutil.iter_modules(api.__path__)]
    defined = {
        name
        for module in modules
        for name, value in vars(module).items()
        if isinstance(value, type) and value.__module__ == module.__name__ and not name.startswith("_")
    }
    assert {"Page", "IncidentPublic", "PmVisitPublic"} <= defined <= set(api.__all__)
