"""Maintenance windows start and end on time, each once, with two schedulers on one database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pacs_contracts.events import MaintenanceEnded, MaintenanceStarted
from pacs_scheduler.main import create_app
from pacs_scheduler.settings import SchedulerSettings
from tests.integration.conftest import running
from tests.support import bearer, eventually

PATH = "/api/v1/maintenance-windows"


def _window(start_in: float, end_in: float, **extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"site_id": "SITE-M", "host": "PACS-1", "kind": "upgrade", "reason": "archive software upgrade to 7.3",
            "starts_at": (now + timedelta(seconds=start_in)).isoformat(),
            "ends_at": (now + timedelta(seconds=end_in)).isoformat(), **extra}  # fmt: skip


async def test_a_window_starts_and_ends_on_time_once_with_two_schedulers(
    settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    events = await tap(MaintenanceStarted.type, MaintenanceEnded.type)
    apps = [create_app(settings_for(SchedulerSettings, instance_id=name)) for name in ("mw-a", "mw-b")]
    engineer = bearer(apps[0].state.kit, "ENG-M", "engineer")
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(running(app, engineer)) for app in apps]
        created = await clients[0].post(PATH, json=_window(2, 4))
        assert created.status_code == 201 and created.json()["state"] == "scheduled", created.text
        window = created.json()

        # delivery is at least once (two relays may both publish an event; consumers drop the repeat by
        # its id): each transition is one event, however often it arrives
        def mine() -> list[dict[str, Any]]:
            by_id = {m["event_id"]: m for m in events.received if m["payload"]["window_id"] == window["window_id"]}
            return list(by_id.values())

        async def both() -> bool:
            await events.drain()
            return len(mine()) >= 2

        await eventually(both, timeout=20, what="the window started and ended")
        await _settle(events)  # both instances kept checking: nothing more may come
        transitions = mine()
        assert [m["type"] for m in transitions] == ["maintenance.started", "maintenance.ended"]
        assert transitions[0]["payload"]["host"] == "PACS-1"
        for message, due, at in zip(transitions, (window["starts_at"], window["ends_at"]), ("started_at", "ended_at"),
                                    strict=True):  # fmt: skip
            late = (datetime.fromisoformat(message["occurred_at"]) - datetime.fromisoformat(due)).total_seconds()
            assert 0 <= late < 5, f"{message['type']} {late:.2f}s after its time"
            when = (datetime.fromisoformat(message["payload"][at]) - datetime.fromisoformat(due)).total_seconds()
            # the database keeps the due time to the millisecond, the answer to the POST to the microsecond
            assert -0.001 <= when < 5, f"{message['type']} says when it really happened ({at})"

        done = (await clients[1].get(f"{PATH}/{window['window_id']}")).json()
        assert done["state"] == "ended" and done["started_at"] and done["ended_at"]
        listed = (await clients[0].get(PATH, params={"site_id": "SITE-M", "state": "ended"})).json()
        assert [w["window_id"] for w in listed["items"]] == [window["window_id"]]


async def _settle(events: Any) -> None:
    """Proving that nothing more comes needs a quiet spell: a second (two checks of both instances)."""
    count = len(await events.drain())

    async def quiet() -> bool:
        nonlocal count
        await asyncio.sleep(1.0)
        now = len(await events.drain())
        calm, count = now == count, now
        return calm

    await eventually(quiet, timeout=10, what="no further maintenance events")


async def test_cancelling_ending_early_and_refusing_bad_windows(
    settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    events = await tap(MaintenanceStarted.type, MaintenanceEnded.type)
    app = create_app(settings_for(SchedulerSettings, instance_id="mw-c"))
    kit = app.state.kit
    async with running(app, bearer(kit, "ENG-M", "engineer")) as client:
        later = (await client.post(PATH, json=_window(300, 900))).json()
        cancelled = await client.delete(f"{PATH}/{later['window_id']}")
        assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
        again = await client.delete(f"{PATH}/{later['window_id']}")
        assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"

        running_now = (await client.post(PATH, json=_window(-1, 600))).json()

        async def active() -> bool:
            return (await client.get(f"{PATH}/{running_now['window_id']}")).json()["state"] == "active"

        await eventually(active, timeout=10, what="a window whose start has passed starts at once")
        ended = await client.delete(f"{PATH}/{running_now['window_id']}")
        assert ended.status_code == 200 and ended.json()["state"] == "ended"
        received = await events.at_least(2, timeout=10, what="started and ended early")
        assert {m["payload"]["window_id"] for m in received} == {running_now["window_id"]}, "a cancelled one is silent"
        assert [m["type"] for m in received] == ["maintenance.started", "maintenance.ended"]

        await _refusals(client, bearer(kit, "bob", "call-agent"))


async def _refusals(client: httpx.AsyncClient, agent: dict[str, str]) -> None:
    backwards = await client.post(PATH, json=_window(600, 60))
    assert backwards.status_code == 422 and "after starts_at" in backwards.text
    naive = _window(60, 120, starts_at="2030-01-01T08:00:00")
    assert (await client.post(PATH, json=naive)).status_code == 422
    assert (await client.post(PATH, json=_window(-120, -60))).status_code == 422
    assert (await client.post(PATH, json=_window(60, 60 * 60 * 24 * 30))).status_code == 422
    assert (await client.post(PATH, json=_window(60, 120), headers=agent)).status_code == 403
    assert (await client.get(f"{PATH}/MW-NONE")).status_code == 404
    assert (await client.get(PATH, params={"state": "lost"})).status_code == 422
