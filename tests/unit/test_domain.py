from datetime import UTC, datetime, timedelta

import pytest

from pacs_contracts.api import FaultCreate
from pacs_escalation.domain.incident import open_from_fault
from pacs_escalation.domain.knowledge import from_incident, recall_at, texts
from pacs_intake.domain.fault import INCIDENT_OPENED, RECEIVED, fingerprint, next_status
from pacs_monitoring.domain.pack import PackError, default_pack, parse_pack
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


def test_the_longest_code_and_equipment_still_give_a_summary_an_event_can_carry() -> None:
    fault = make_fault_event(code="C" * 200, equipment_id="E" * 64)
    incident = open_from_fault(fault, make_site(), NOW)
    assert len(incident["summary"]) == 200 and incident["summary"].endswith("…")
    make_incident_opened(summary=incident["summary"])  # the event's contract accepts it


def test_a_retry_is_recognised_by_its_content() -> None:
    body = FaultCreate(site_id="S", external_ref="R1", code="C", description="d")
    assert fingerprint(body) == fingerprint(FaultCreate(site_id="S", external_ref="R1", code="C", description="d"))
    assert fingerprint(body) != fingerprint(body.model_copy(update={"description": "other"}))


def test_fault_status_follows_the_incident() -> None:
    assert next_status(RECEIVED, "incident.opened") == INCIDENT_OPENED
    assert next_status(INCIDENT_OPENED, "incident.opened") == INCIDENT_OPENED


@pytest.mark.parametrize(
    ("rule", "value", "seen"),
    [
        ("system-disk-full", 95.0, True),
        ("system-disk-full", 87.0, None),  # hysteresis: between clear and threshold, no news
        ("system-disk-full", 80.0, False),
        ("admin-password-expiry", 3.0, True),  # a "<=" rule fires at or below its threshold
        ("admin-password-expiry", 10.0, None),
        ("admin-password-expiry", 30.0, False),
        ("server-fan-failed", 0.0, True),  # an up/ok metric: 0 fires, 1 clears
        ("server-fan-failed", 1.0, False),
    ],
)
def test_rules_of_the_pack_fire_and_clear_with_hysteresis_both_ways(rule: str, value: float, seen: bool | None) -> None:
    rules = {r.name: r for r in default_pack()[1].rules}
    assert rules[rule].observe(value) is seen


def test_the_shipped_pack_covers_the_check_list_and_matches_on_labels() -> None:
    rules = {r.name: r for r in default_pack()[1].rules}
    for needed in ("server-cpu-load", "server-memory", "system-disk-full", "server-fan-failed", "ha-resource-down",
                   "storage-device-fault", "san-port-down", "database-backup-age", "database-lock-waits",
                   "tablespace-use", "top-wait-events", "pacs-process-down", "admin-password-expiry",
                   "remote-access-link", "log-volume"):  # fmt: skip
        assert needed in rules
    disk = rules["system-disk-full"]
    assert disk.matches("disk_used_percent", {"mount": "/"}) and not disk.matches(
        "disk_used_percent", {"mount": "/data"}
    )
    assert rules["top-wait-events"].record_only and rules["server-cpu-load"].for_seconds == 600


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [", "line 1: not valid YAML"),
        ("- a\n- b\n", "line 1: a rule pack is a mapping"),
        (
            "rules:\n  - {name: a, metric: m, op: '>=', threshold: 1, clear: 2, severity: minor, problem_class: x}\n",
            "line 2: rule: Value error, clear 2 must be on the calm side",
        ),
        (
            "rules:\n  - {name: a, metric: m, op: '>=', threshold: 1, clear: 0, severity: minor, problem_class: x}\n"
            "  - name: b\n    metric: m\n    op: '>'\n",
            "line 3: op:",
        ),
        (
            "rules:\n  - {name: a, metric: m, op: '>=', threshold: 1, clear: 0, severity: minor, problem_class: x}\n"
            "  - {name: a, metric: m, op: '>=', threshold: 1, clear: 0, severity: minor, problem_class: x}\n",
            "line 3: rule 'a' is defined again (first on line 2)",
        ),
    ],
)
def test_a_pack_that_does_not_validate_names_the_line(text: str, message: str) -> None:
    with pytest.raises(PackError) as caught:
        parse_pack(text)
    assert str(caught.value).startswith(message), str(caught.value)


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
