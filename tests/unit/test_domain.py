from datetime import UTC, datetime, timedelta

import pytest

from pacs_contracts.api import FaultCreate
from pacs_escalation.domain.incident import open_from_fault
from pacs_escalation.domain.knowledge import from_incident, recall_at, texts
from pacs_intake.domain.fault import INCIDENT_OPENED, RECEIVED, fingerprint, next_status
from pacs_monitoring.domain.rules import SYSTEM_DISK, Change, State, evaluate
from pacs_notify.domain.messages import incident_opened_text, notification_id
from pacs_scheduler.domain.clock import next_tick
from tests.factories import make_fault_event, make_incident_opened, make_site

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_a_fault_opens_an_l1_incident_owned_by_the_account_engineer_on_the_contract_clock() -> None:
    site = make_site(contract={"response": "PT30S", "on_site": "PT6H", "warranty_end": None})
    incident = open_from_fault(make_fault_event(), site, NOW)
    assert incident["tier"] == "L1" and incident["assignee_id"] == "ENG-1"
    assert incident["response_due"] == NOW + timedelta(seconds=30)


def test_the_incident_keeps_the_terms_in_force_when_it_opened() -> None:
    site = make_site()
    incident = open_from_fault(make_fault_event(), site, NOW)
    site["contract"]["response"] = "PT10M"
    assert incident["terms"]["response"] == "PT2H"


def test_free_text_stays_out_of_the_incident_summary() -> None:
    incident = open_from_fault(make_fault_event(description="Bed 12, Mr X"), make_site(), NOW)
    assert "Mr X" not in incident["summary"]


def test_a_retry_is_recognised_by_its_content() -> None:
    body = FaultCreate(site_id="S", external_ref="R1", code="C", description="d")
    assert fingerprint(body) == fingerprint(FaultCreate(site_id="S", external_ref="R1", code="C", description="d"))
    assert fingerprint(body) != fingerprint(body.model_copy(update={"description": "other"}))


def test_fault_status_follows_the_incident() -> None:
    assert next_status(RECEIVED, "incident.opened") == INCIDENT_OPENED
    assert next_status(INCIDENT_OPENED, "incident.opened") == INCIDENT_OPENED


@pytest.mark.parametrize(
    ("state", "value", "expected"),
    [
        (State.ok, 95.0, (State.firing, Change.breached)),
        (State.ok, 87.0, (State.ok, Change.none)),
        (State.firing, 87.0, (State.firing, Change.none)),  # hysteresis: between clear and threshold
        (State.firing, 80.0, (State.ok, Change.recovered)),
        (State.firing, 97.0, (State.firing, Change.none)),  # already firing: no second breach
    ],
)
def test_disk_rule_breaches_once_and_recovers_below_its_clear_threshold(
    state: State, value: float, expected: tuple[State, Change]
) -> None:
    assert evaluate(SYSTEM_DISK, state, value) == expected


def test_one_event_gives_one_notification_id_per_engineer() -> None:
    assert notification_id("INC-1:opened", "ENG-1", "incident.opened") == notification_id(
        "INC-1:opened", "ENG-1", "incident.opened"
    )
    assert notification_id("INC-1:opened", "ENG-1", "incident.opened") != notification_id(
        "INC-1:opened", "ENG-2", "incident.opened"
    )


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_messages_name_the_incident_in_the_engineers_language(locale: str) -> None:
    text = incident_opened_text(make_incident_opened(), locale)
    assert "INC-1" in text and "SITE-1" in text and "L1" in text
    assert ("由您负责" in text) == (locale == "zh-CN")


def test_ticks_align_to_the_interval() -> None:
    assert next_tick(10.2, 1.0) == 11.0
    assert next_tick(10.0, 1.0) == 11.0
    assert next_tick(10.2, 0.5) == 10.5


def test_an_incident_files_its_escalations_and_resolution_as_a_case() -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    incident = {
        "_id": "INC-1", "site_id": "SITE-1", "state": "resolved", "summary": "ARCHIVE-DOWN on PACS-1",
        "description": "Archive rejects new studies",
        "timeline": [
            {"at": at, "what": "opened"},
            {"at": at, "what": "escalated", "from": "L1", "to": "L2", "reason": "unsolved after 2:00:00"},
            {"at": at, "what": "reassigned", "from": "L2", "to": "L2", "reason": "shift change"},
        ],
        "resolution": {"root_cause": "disk full", "resolution": "freed space", "caused_by": "software",
                       "module": "storage", "tags": ["capacity"]},
    }  # fmt: skip
    case = from_incident(incident, at)
    assert case["external_id"] == "INC-1" and case["status"] == "resolved" and case["source"] == "incident"
    assert case["symptom"] == "Archive rejects new studies" and case["caused_by"] == "software"
    assert case["escalations"] == [{"at": at, "from_tier": "L1", "to_tier": "L2", "reason": "unsolved after 2:00:00"}]
    whole, short = texts(case)
    assert short == "ARCHIVE-DOWN on PACS-1. Archive rejects new studies"
    assert "freed space" in whole and "capacity" in whole and "freed space" not in short
    assert from_incident({**incident, "state": "on_site", "resolution": None}, at)["status"] == "open"

    assert recall_at(3, [["A", "B", "C"], ["D", "E", "F", "G"]], ["C", "G"]) == 0.5
    assert recall_at(1, [], []) == 0.0
