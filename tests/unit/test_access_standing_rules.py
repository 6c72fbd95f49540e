"""A contract's standing rules grant remote access at once only when everything they say holds: the level (or a
lower one), the duration, an open incident of the site with one of their severities, and out of working hours
when they say so. Anything else goes to the hospital's approvers; a change always does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pacs_access.domain.grants import new_request
from pacs_access.domain.standing import rule_for
from pydantic import ValidationError

from pacs_contracts.api import AccessRequestCreate, ContractTerms

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK" + "x" * 43 + " eng@laptop"
# Monday to Friday 08:00-18:00 in Shanghai (UTC+8); 2026-12-09 is a Wednesday, 2026-12-12 a Saturday
HOURS = {"time_zone": "Asia/Shanghai", "holidays": ["2026-12-10"],
         "hours": [{"weekday": d, "start": "08:00:00", "end": "18:00:00"} for d in range(5)]}  # fmt: skip
WEDNESDAY_NIGHT = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
WEDNESDAY_MORNING = datetime(2026, 12, 9, 2, 0, tzinfo=UTC)  # 10:00
SATURDAY_MORNING = datetime(2026, 12, 12, 2, 0, tzinfo=UTC)
HOLIDAY_MORNING = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
VIEW_CRITICAL_AT_NIGHT = {"level": "view", "max_minutes": 120, "severities": ["critical"], "out_of_hours_only": True}


def _site(*rules: dict[str, Any], hours: dict[str, Any] | None = HOURS, approvers: tuple[str, ...] = ("Dr. A",)
          ) -> dict[str, Any]:  # fmt: skip
    return {"_id": "SITE-1", "access_approvers": list(approvers), "access_max_minutes": 240,
            "access_standing_rules": list(rules or [VIEW_CRITICAL_AT_NIGHT]), "working_hours": hours}  # fmt: skip


def _ask(**overrides: Any) -> AccessRequestCreate:
    values = {"site_id": "SITE-1", "incident_id": "INC-1", "hosts": ["pacs-db-01"], "purpose": "read the logs",
              "level": "view", "duration": "PT2H", "public_key": KEY}  # fmt: skip
    return AccessRequestCreate.model_validate({**values, **overrides})


def _incident(**overrides: Any) -> dict[str, Any]:
    return {"_id": "INC-1", "site_id": "SITE-1", "severity": "critical", **overrides}


@pytest.mark.parametrize("at", [WEDNESDAY_NIGHT, SATURDAY_MORNING, HOLIDAY_MORNING])
def test_view_on_a_critical_incident_out_of_hours_is_granted_by_the_rule(at: datetime) -> None:
    assert rule_for(_ask(), _site(), _incident(), at) == 1


def test_in_working_hours_an_out_of_hours_rule_does_not_apply() -> None:
    assert rule_for(_ask(), _site(), _incident(), WEDNESDAY_MORNING) is None
    any_time = {**VIEW_CRITICAL_AT_NIGHT, "out_of_hours_only": False}
    assert rule_for(_ask(), _site(any_time), _incident(), WEDNESDAY_MORNING) == 1


def test_without_working_hours_nothing_is_out_of_hours() -> None:
    assert rule_for(_ask(), _site(hours=None), _incident(), WEDNESDAY_NIGHT) is None


@pytest.mark.parametrize(("ask", "incident", "why"), [
    ({"duration": "PT2H1M"}, _incident(), "longer than the rule"),
    ({"level": "diagnose"}, _incident(), "above the rule's level"),
    ({"level": "change", "duration": "PT30M"}, _incident(), "a change"),
    ({}, _incident(severity="major"), "a severity the rule leaves out"),
    ({}, _incident(site_id="SITE-2"), "another site's incident"),
    ({}, _incident(resolved_at=WEDNESDAY_NIGHT - timedelta(hours=1)), "a resolved incident"),
    ({}, None, "an incident not known here"),
    ({"incident_id": None, "visit_id": "PM-1"}, None, "a PM visit"),
    ({"starts_at": WEDNESDAY_NIGHT + timedelta(hours=1)}, _incident(), "an agreed later start"),
])  # fmt: skip
def test_what_the_rule_does_not_say_goes_to_the_approvers(ask: dict[str, Any], incident: Any, why: str) -> None:
    assert rule_for(_ask(**ask), _site(), incident, WEDNESDAY_NIGHT) is None, why


def test_a_reopened_incident_is_covered_again_and_a_diagnose_rule_covers_view() -> None:
    reopened = _incident(resolved_at=WEDNESDAY_NIGHT - timedelta(hours=2), reopened_at=WEDNESDAY_NIGHT)
    assert rule_for(_ask(), _site(), reopened, WEDNESDAY_NIGHT) == 1
    diagnose_major = {"level": "diagnose", "max_minutes": 60, "severities": ["major", "critical"],
                      "out_of_hours_only": False}  # fmt: skip
    site = _site(VIEW_CRITICAL_AT_NIGHT, diagnose_major)
    assert rule_for(_ask(duration="PT1H"), site, _incident(severity="major"), WEDNESDAY_MORNING) == 2
    assert rule_for(_ask(level="diagnose", duration="PT1H"), site, _incident(), WEDNESDAY_NIGHT) == 2


def test_a_request_a_rule_covers_is_born_granted_with_the_clock_starting_now() -> None:
    request = new_request(_ask(), _site(approvers=()), "ENG-1", WEDNESDAY_NIGHT, standing_rule=1)

    assert request["state"] == "granted" and request["standing_rule"] == 1
    assert (request["valid_from"], request["valid_until"]) == (WEDNESDAY_NIGHT, WEDNESDAY_NIGHT + timedelta(hours=2))
    assert [a["name"] for a in request["approvals"]] == ["standing rule 1 of the contract"]
    waiting = new_request(_ask(), _site(), "ENG-1", WEDNESDAY_NIGHT)
    assert waiting["state"] == "requested" and waiting["approvals"] == [] and "standing_rule" not in waiting


@pytest.mark.parametrize(("rule", "terms", "message"), [
    ({"level": "change"}, {}, "a change always needs two approvers"),
    ({"max_minutes": 300}, {}, "exceeds remote_access_max"),
    ({"max_minutes": 2**63}, {}, "less than or equal to 1440"),
    ({}, {"calendar": None}, "needs the contract's calendar"),
    ({"severities": ["critical", "critical"]}, {}, "each severity once"),
    ({"severities": ["urgent"]}, {}, "severities"),
    ({"severities": []}, {}, "severities"),
])  # fmt: skip
def test_the_contract_refuses_a_rule_that_would_overreach(rule: dict[str, Any], terms: dict[str, Any],
                                                          message: str) -> None:  # fmt: skip
    with pytest.raises(ValidationError, match=message):
        rules = [{**VIEW_CRITICAL_AT_NIGHT, **rule}]
        ContractTerms.model_validate({"calendar": HOURS, **terms, "remote_access_standing_rules": rules})


def test_the_contract_keeps_rules_that_fit() -> None:
    terms = ContractTerms.model_validate({"calendar": HOURS, "remote_access_standing_rules": [VIEW_CRITICAL_AT_NIGHT]})
    assert terms.remote_access_standing_rules[0].max_minutes == 120
