"""Rosters name only registered engineers, with a real shift and a real time zone; `/oncall` always answers; a
ladder step whose rostered engineer has since retired goes to the tier's others, then the supervisor, and the
timeline says why."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pacs_contracts import Envelope
from pacs_contracts.events import IncidentEscalated
from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from pacs_scheduler.main import create_app as scheduler_app
from pacs_scheduler.settings import SchedulerSettings
from tests.factories import make_fault_event
from tests.integration.conftest import running
from tests.support import bearer, eventually, publish

YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).isoformat()


async def _engineer(client: httpx.AsyncClient, engineer_id: str, tier: str, *roles: str) -> None:
    body = {"engineer_id": engineer_id, "name": engineer_id, "region": "east", "tier": tier,
            "roles": list(roles or ["engineer"])}  # fmt: skip
    assert (await client.post("/api/v1/engineers", json=body)).status_code == 201


async def first_climb(events: Any, what: str) -> dict[str, Any]:
    """The first `incident.escalated` the tap receives, waited for."""

    async def climbed() -> dict[str, Any] | None:
        received = [m["payload"] for m in await events.drain() if m["type"] == IncidentEscalated.type]
        return received[0] if received else None

    found: dict[str, Any] = await eventually(climbed, timeout=20, what=what)
    return found


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    return problem


@pytest.fixture
async def escalation(settings_for: Callable[..., Any]) -> Any:
    app = escalation_app(settings_for(EscalationSettings))
    async with running(app, bearer(app.state.kit, "ops", "admin")) as client:
        await _engineer(client, "ENG-R1", "L2")
        yield client


@pytest.mark.parametrize("shift", ["P0D", "PT0S", "PT0.001S", "PT59M", "P400D", "P99999999999D", "-P1D"])
async def test_a_roster_with_no_real_shift_is_refused_and_on_call_still_answers(
    escalation: httpx.AsyncClient, shift: str
) -> None:
    roster = {"engineers": ["ENG-R1"], "rotation_start": YESTERDAY, "shift": shift}
    problem = _problem(await escalation.put("/api/v1/rosters/east/L2", json=roster), 422)
    assert "shift" in str(problem).lower()
    now = await escalation.get("/api/v1/oncall", params={"region": "east", "tier": "L2"})
    assert now.status_code == 200 and now.json()["engineer_id"] == "ENG-R1", "the tier's engineer, from no roster"
    good = await escalation.put("/api/v1/rosters/east/L2", json={**roster, "shift": "PT1H"})
    assert good.status_code == 200, good.text
    on_call = (await escalation.get("/api/v1/oncall", params={"region": "east", "tier": "L2"})).json()
    assert (on_call["engineer_id"], on_call["source"]) == ("ENG-R1", "rotation")


@pytest.mark.parametrize("length", [65, 256, 300, 1_000_000])
async def test_a_time_zone_name_of_any_length_is_a_problem_not_a_crash(
    escalation: httpx.AsyncClient, length: int
) -> None:
    zone = "A" * length
    roster = {"engineers": ["ENG-R1"], "rotation_start": YESTERDAY, "time_zone": zone}
    assert "time_zone" in _problem(await escalation.put("/api/v1/rosters/east/L2", json=roster), 422)["detail"]
    site = {"site_id": "SITE-TZ", "name": "Zone Hospital", "region": "east", "account_engineer_id": "ENG-R1",
            "time_zone": zone}  # fmt: skip
    _problem(await escalation.post("/api/v1/sites", json=site), 422)
    calendar = {"calendar": {"time_zone": zone, "hours": [{"weekday": 0, "start": "08:00", "end": "17:00"}]}}
    _problem(await escalation.post("/api/v1/sites", json={**site, "time_zone": "UTC", "contract": calendar}), 422)
    for fine in ("America/Argentina/Buenos_Aires", "Etc/GMT+8", "UTC"):
        response = await escalation.put("/api/v1/rosters/east/L2", json={**roster, "time_zone": fine})
        assert response.status_code == 200, f"{fine}: {response.text}"


async def test_a_roster_may_name_only_registered_engineers_who_have_not_retired(escalation: httpx.AsyncClient) -> None:
    await _engineer(escalation, "ENG-R2", "L2")
    path = "/api/v1/rosters/east/L2"
    roster: dict[str, Any] = {"engineers": ["ENG-R1", "ENG-GHOST"], "rotation_start": YESTERDAY}
    assert "ENG-GHOST" in _problem(await escalation.put(path, json=roster), 422)["detail"]
    start = datetime.now(UTC)
    override = {
        "engineer_id": "ENG-NOBODY",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
    }
    roster = {"engineers": ["ENG-R1"], "rotation_start": YESTERDAY, "overrides": [override]}
    assert "ENG-NOBODY" in _problem(await escalation.put(path, json=roster), 422)["detail"]
    backwards = {**override, "engineer_id": "ENG-R2", "end": (start - timedelta(hours=1)).isoformat()}
    _problem(await escalation.put(path, json={**roster, "overrides": [backwards]}), 422)
    assert (await escalation.get(path)).status_code == 404, "nothing refused was stored"

    assert (await escalation.delete("/api/v1/engineers/ENG-R2")).status_code == 204
    _problem(await escalation.delete("/api/v1/engineers/ENG-R2"), 404)
    assert "ENG-R2" in _problem(await escalation.put(path, json={**roster, "engineers": ["ENG-R2"]}), 422)["detail"]
    site = {"site_id": "SITE-RET", "name": "Retired Hospital", "region": "east", "account_engineer_id": "ENG-R2"}
    _problem(await escalation.post("/api/v1/sites", json=site), 422)
    listed = {e["engineer_id"]: e for e in (await escalation.get("/api/v1/engineers")).json()["items"]}
    assert listed["ENG-R2"]["retired_at"] is not None and listed["ENG-R1"]["retired_at"] is None


async def _first_climb_at(
    stack: contextlib.AsyncExitStack, client: httpx.AsyncClient, bus: tuple[str, str],
    settings_for: Callable[..., Any], events: Any, site_id: str, what: str,
) -> dict[str, Any]:  # fmt: skip
    """A site of ENG-L1's whose ladder climbs to L2 after 2 s, a fault there, the scheduler ticking: the first
    climb announced."""
    contract = {"response": "PT1M", "on_site": "PT5M", "ladder": [{"after": "PT2S", "tier": "L2"}]}
    site = {"site_id": site_id, "name": f"{site_id} Hospital", "region": "east", "account_engineer_id": "ENG-L1",
            "contract": contract}  # fmt: skip
    assert (await client.post("/api/v1/sites", json=site)).status_code == 201
    await stack.enter_async_context(running(scheduler_app(settings_for(SchedulerSettings))))
    fault = make_fault_event(fault_id=f"F-{site_id}", site_id=site_id)
    await publish(*bus, Envelope.wrap(fault, producer="intake"))
    climb: dict[str, Any] = await first_climb(events, what)
    return climb


async def test_a_step_to_a_retired_engineer_goes_to_the_supervisor_and_the_timeline_says_why(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    events = await tap(IncidentEscalated.type)
    app = escalation_app(settings_for(EscalationSettings))
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(running(app, bearer(app.state.kit, "ops", "admin")))
        await _engineer(client, "ENG-L1", "L1")
        await _engineer(client, "ENG-GONE", "L2")
        await _engineer(client, "ENG-SUP", "L1", "engineer", "supervisor")
        roster = {"engineers": ["ENG-GONE"], "rotation_start": YESTERDAY}
        assert (await client.put("/api/v1/rosters/east/L2", json=roster)).status_code == 200
        assert (await client.delete("/api/v1/engineers/ENG-GONE")).status_code == 204
        bus = (amqp_url, namespace)
        climb = await _first_climb_at(stack, client, bus, settings_for, events, "SITE-Y", "the L2 step")
        incident = (await client.get(f"/api/v1/incidents/{climb['incident_id']}")).json()
        timeline = (await client.get(f"/api/v1/incidents/{climb['incident_id']}/timeline")).json()
    assert climb["assignee_id"] == "ENG-SUP", "nobody else is L2 in the region: the supervisor takes it"
    assert "ENG-GONE" in climb["reason"] and "no longer registered" in climb["reason"]
    step = next(t for t in timeline if t["what"] == "escalated")
    assert step["assignee_id"] == "ENG-SUP" and "ENG-GONE" in step["reason"]
    assert (incident["tier"], incident["assignee_id"]) == ("L2", "ENG-SUP")


async def test_escalation_refuses_a_body_over_a_mebibyte_except_where_an_import_takes_more(
    escalation: httpx.AsyncClient,
) -> None:
    big = {"engineer_id": "ENG-BIG", "name": "x" * 1_200_000, "region": "east"}
    problem = _problem(await escalation.post("/api/v1/engineers", json=big), 413)
    assert "1048576 bytes" in problem["detail"]
    roster = {"engineers": ["ENG-R1"], "rotation_start": YESTERDAY, "time_zone": "x" * 1_200_000}
    _problem(await escalation.put("/api/v1/rosters/east/L2", json=roster), 413)
    cases = [{"external_id": f"K-{i}", "title": "x" * 1_000} for i in range(1_100)]  # 1.1 MB, read and validated
    assert _problem(await escalation.post("/api/v1/knowledge/cases", json=cases), 422)["status"] == 422


async def test_a_roster_stored_before_the_checks_with_a_zero_shift_never_stalls_the_clocks(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    events = await tap(IncidentEscalated.type)
    app = escalation_app(settings_for(EscalationSettings))
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(running(app, bearer(app.state.kit, "ops", "admin")))
        await _engineer(client, "ENG-L1", "L1")
        await _engineer(client, "ENG-L2", "L2")
        # as an earlier version stored it, past today's validation
        await app.state.deps.rosters.put("east", "L2", {"time_zone": "UTC", "engineers": ["ENG-L2"],
                                                        "rotation_start": YESTERDAY, "shift": "P0D"})  # fmt: skip
        climb = await _first_climb_at(stack, client, (amqp_url, namespace), settings_for, events, "SITE-Z",
                                      "the L2 step, past the unreadable roster")  # fmt: skip
        on_call = await client.get("/api/v1/oncall", params={"region": "east", "tier": "L2"})
    assert (climb["to_tier"], climb["assignee_id"]) == ("L2", "ENG-L2"), "the tier's engineer takes the step"
    assert "cannot be read" in climb["reason"]
    assert on_call.status_code == 200 and on_call.json()["engineer_id"] == "ENG-L2"
