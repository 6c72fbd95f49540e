"""Listings page by cursor: every item once and in order while new ones arrive, and every page costs a bounded
read whatever the collection's size (the database's own query plans say how many documents each read examined)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import monitoring

from pacs_contracts import Envelope
from pacs_escalation.adapters.repository import Incidents
from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from pacs_kit.audit import AuditLog
from pacs_kit.mongo import Mongo
from pacs_kit.paging import Cursor
from pacs_kit.service import Kit
from pacs_notify.adapters.repository import Notifications
from tests.factories import make_fault_event
from tests.integration.conftest import running
from tests.support import bearer, eventually, publish

HISTORY = 6_000  # documents over 60 days, a tenth of them in one storm hour
BURST = HISTORY // 10
PAGE = 25


class Finds(monitoring.CommandListener):
    """Every find a repository sends, to be explained afterwards on the same server."""

    def __init__(self) -> None:
        self.commands: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.commands.append({k: v for k, v in event.command.items() if k in ("find", "filter", "sort", "limit")})

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def history(field: str) -> list[dict[str, Any]]:
    """Documents spread over 60 days, a tenth of them in one storm hour, each with the fields the filters name."""
    start = datetime.now(UTC) - timedelta(days=60)
    docs = []
    for n in range(HISTORY):
        at = start + (timedelta(days=30, seconds=n) if n % 10 == 0 else timedelta(minutes=13 * n))
        docs.append({"_id": f"X{n:06d}", field: at.replace(microsecond=0), "state": "open" if n % 7 else "closed",
                     "site_id": f"SITE-{n % 5}", "engineer_id": f"ENG-{n % 3}",
                     "action": f"POST /a{n % 4}"})  # fmt: skip
    return docs


async def pages(search: Callable[..., Any], filters: dict[str, Any]) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    after: Cursor | None = None
    while True:
        items, after = await search(filters, PAGE, after)
        seen += items
        if after is None:
            return seen


async def examined(mongo: Mongo, finds: Finds) -> list[int]:
    """How many documents each find sent examined, by the server's own plan; each must have used an index."""
    assert finds.commands, "the reads were seen"
    counts = []
    for command in finds.commands:
        plan = await mongo.db.command({"explain": command, "verbosity": "executionStats"})
        assert "COLLSCAN" not in str(plan["queryPlanner"]["winningPlan"]), command
        counts.append(plan["executionStats"]["totalDocsExamined"])
    return counts


async def test_every_listing_read_examines_about_a_page_not_the_collection(
    mongodb_urls: dict[str, str], namespace: str
) -> None:
    finds = Finds()
    mongo = Mongo(mongodb_urls["escalation"], f"{namespace}_paging", [finds])
    try:
        incidents, notifications = Incidents(mongo), Notifications(mongo)
        for repo, field in ((incidents, "opened_at"), (notifications, "created_at")):
            await repo.ensure_indexes()
            await repo.collection.insert_many(history(field))
        cases: list[tuple[Any, str, dict[str, Any]]] = [
            (incidents, "opened_at", {}),
            (incidents, "opened_at", {"state": "open"}),
            (incidents, "opened_at", {"site_id": "SITE-3"}),
            (notifications, "created_at", {"engineer_id": "ENG-1"}),
            (notifications, "created_at", {}),
        ]
        for repo, field, filters in cases:
            finds.commands.clear()
            got = await pages(repo.search, filters)
            want = [d for d in history(field) if all(d[k] == v for k, v in filters.items())]
            want.sort(key=lambda d: (d[field], d["_id"]), reverse=True)
            assert [d["_id"] for d in got] == [d["_id"] for d in want], f"{filters}: every item once, newest first"
            # a read costs about a page, or once after a quiet spell what the spell's length holds of the busier
            # time beyond it: never the collection, and a walk through all of it reads each item about once
            counts = await examined(mongo, finds)
            assert max(counts) <= HISTORY // 5, f"{filters}: a read examined {max(counts)} of {HISTORY}"
            assert sum(counts) <= 2 * len(want) + 10 * PAGE, f"{filters}: the walk examined {sum(counts)}"
        audit = AuditLog(mongo)  # one page within a time span, as the audit listing reads it
        await audit.ensure_indexes()
        await audit.collection.insert_many(history("at"))
        finds.commands.clear()
        since, until = datetime.now(UTC) - timedelta(days=40), datetime.now(UTC) - timedelta(days=20)
        got = await audit.search({"action": "POST /a2"}, PAGE, since, until)
        want = sorted((d for d in history("at") if d["action"] == "POST /a2" and since <= d["at"] < until),
                      key=lambda d: (d["at"], d["_id"]), reverse=True)[:PAGE]  # fmt: skip
        assert [d["_id"] for d in got] == [d["_id"] for d in want], "the newest of the span, newest first"
        assert max(await examined(mongo, finds)) <= 4 * (PAGE + 1) + BURST
    finally:
        await mongo.client.drop_database(f"{namespace}_paging")
        await mongo.close()


async def test_paging_through_incidents_gives_each_once_newest_first_while_more_arrive(
    settings_for: Callable[..., Any], amqp_url: str, namespace: str
) -> None:
    app = escalation_app(settings_for(EscalationSettings))
    kit: Kit = app.state.kit
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(running(app, bearer(kit, "ops", "admin")))
        engineer = {"engineer_id": "ENG-PG", "name": "Pager", "region": "east", "tier": "L1"}
        assert (await client.post("/api/v1/engineers", json=engineer)).status_code == 201
        site = {"site_id": "SITE-PG", "name": "Paging Hospital", "region": "east", "account_engineer_id": "ENG-PG"}
        assert (await client.post("/api/v1/sites", json=site)).status_code == 201

        async def report(n: int) -> None:
            event = make_fault_event(fault_id=f"F-PG-{n:03d}", site_id="SITE-PG")
            await publish(amqp_url, namespace, Envelope.wrap(event, producer="intake"))

        await asyncio.gather(*(report(n) for n in range(60)))

        async def all_open() -> bool:
            page = (await client.get("/api/v1/incidents", params={"site_id": "SITE-PG", "total": "true"})).json()
            return bool(page["total"] == 60)

        await eventually(all_open, timeout=30, what="60 incidents opened")
        listed: list[dict[str, Any]] = []
        page = (await client.get("/api/v1/incidents", params={"site_id": "SITE-PG", "limit": 7})).json()
        assert page["total"] is None, "no count unless asked for"
        await asyncio.gather(*(report(n) for n in range(60, 70)))  # newer than the first page: never in this walk
        while True:
            listed += page["items"]
            if not page["next"]:
                break
            assert "cursor=" in page["next"] and "site_id=SITE-PG" in page["next"]
            page = (await client.get(page["next"])).json()
        ids = [i["incident_id"] for i in listed]
        assert len(ids) == len(set(ids)) >= 60, "each incident once"
        opened = [i["opened_at"] for i in listed]
        assert opened == sorted(opened, reverse=True), "newest first"
        bad = await client.get("/api/v1/incidents", params={"cursor": "not-a-cursor"})
        assert bad.status_code == 400 and bad.json()["type"].endswith("bad-cursor")
