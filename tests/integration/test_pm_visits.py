"""Preventive maintenance on a seconds-scale contract, with two schedulers on one database: pm.due then
pm.overdue, once each; a visit completed in time is never overdue; its follow-up opens a fault; the
hospital's PDF report carries every check list item and the site's name."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from pypdf import PdfReader

from pacs_contracts import Envelope
from pacs_contracts.api import ChecklistItem
from pacs_contracts.checklist import LABELS
from pacs_contracts.events import FaultReported, PmDue, PmOverdue, SiteRegistered
from pacs_scheduler.main import create_app
from pacs_scheduler.settings import SchedulerSettings
from tests.integration.conftest import running
from tests.support import bearer, eventually, publish

LEAD, GRACE = 2.0, 3.0


def terms(first_in: float) -> dict[str, Any]:
    today = date.today()
    first = datetime.now(UTC) + timedelta(seconds=first_in)
    return {"warranty_start": today.isoformat(), "warranty_end": (today + timedelta(days=365)).isoformat(),
            "during_warranty": "PT60S", "first_due_at": first.isoformat(), "lead": f"PT{LEAD:g}S",
            "grace": f"PT{GRACE:g}S", "ahead": 2, "system": "PACS 7.2 with RIS"}  # fmt: skip


def completion(engineer_id: str, follow_up: bool = False) -> dict[str, Any]:
    tablespace = ChecklistItem.tablespace_use
    checklist = [{"item": item.value, "result": "attention" if item is tablespace else "ok",
                  "value": "82 %" if item is tablespace else None} for item in ChecklistItem]  # fmt: skip
    follow_ups = [{"text": "extend the PACS tablespace before next quarter", "open_incident": True,
                   "severity": "minor"}] if follow_up else []  # fmt: skip
    return {"engineer_id": engineer_id, "checklist": checklist, "findings": "tablespace at 82 %",
            "actions": "old logs archived", "follow_ups": follow_ups, "hospital_signatory": "Dr. Wang"}  # fmt: skip


async def test_pm_due_then_overdue_once_and_a_completed_visit_is_never_overdue(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    events = await tap(PmDue.type, PmOverdue.type, FaultReported.type)
    apps = [create_app(settings_for(SchedulerSettings, instance_id=name)) for name in ("pm-a", "pm-b")]
    supervisor = bearer(apps[0].state.kit, "SUP-1", "supervisor", "engineer")
    async with contextlib.AsyncExitStack() as stack:
        a, b = [await stack.enter_async_context(running(app, supervisor)) for app in apps]
        for site in ("SITE-PA", "SITE-PB"):
            registered = SiteRegistered(site_id=site, name="Ruijin Hospital 瑞金医院", region="east",
                                        account_engineer_id="ENG-P", time_zone="Asia/Shanghai")  # fmt: skip
            await publish(amqp_url, namespace, Envelope.wrap(registered, producer="escalation"))

        async def plan(site: str) -> dict[str, Any] | None:
            r = await a.put(f"/api/v1/sites/{site}/pm-plan", json=terms(first_in=5))
            return r.json() if r.status_code == 200 else None

        planned: dict[str, dict[str, Any]] = {}
        for site in ("SITE-PA", "SITE-PB"):
            planned[site] = await eventually(partial(plan, site), timeout=10, what=f"{site} known to the scheduler")
        first = {s: p["upcoming"][0] for s, p in planned.items()}
        assert [v["status"] for v in planned["SITE-PA"]["upcoming"]] == ["planned", "planned"]
        assert first["SITE-PA"]["engineer_id"] == "ENG-P", "the account engineer from site.registered"

        def of(visit_id: str) -> list[dict[str, Any]]:
            by_id = {m["event_id"]: m for m in events.received if m["payload"].get("visit_id") == visit_id}
            return sorted(by_id.values(), key=lambda m: m["occurred_at"])

        async def told(visit_id: str, kinds: int) -> bool:
            await events.drain()
            return len(of(visit_id)) >= kinds

        await eventually(lambda: told(first["SITE-PB"]["visit_id"], 1), timeout=15, what="SITE-PB's pm.due")
        done = await b.post(f"/api/v1/pm-visits/{first['SITE-PB']['visit_id']}/complete",
                            json=completion("ENG-P", follow_up=True))  # fmt: skip
        assert done.status_code == 200 and done.json()["status"] == "completed", done.text

        await eventually(lambda: told(first["SITE-PA"]["visit_id"], 2), timeout=20, what="SITE-PA due, then overdue")
        overdue_at = datetime.fromisoformat(first["SITE-PB"]["overdue_at"])
        await eventually(lambda: datetime.now(UTC) > overdue_at + timedelta(seconds=1.5) or None, timeout=15,
                         what="SITE-PB's window closed, with both schedulers checking")  # fmt: skip
        await events.drain()

        late = of(first["SITE-PA"]["visit_id"])
        assert [m["type"] for m in late] == ["pm.due", "pm.overdue"], "each once, in order, across two instances"
        assert late[0]["payload"]["engineer_id"] == "ENG-P"
        due_at = datetime.fromisoformat(first["SITE-PA"]["due_at"])
        for message, when in zip(late, (due_at - timedelta(seconds=LEAD), due_at + timedelta(seconds=GRACE)),
                                 strict=True):  # fmt: skip
            lateness = (datetime.fromisoformat(message["occurred_at"]) - when).total_seconds()
            assert 0 <= lateness < 5, f"{message['type']} {lateness:.2f}s after its time"
        assert [m["type"] for m in of(first["SITE-PB"]["visit_id"])] == ["pm.due"], "completed in time: no overdue"

        follow = [m for m in events.received if m["type"] == "fault.reported"]
        assert {m["payload"]["fault_id"] for m in follow} == {f"PMF-{first['SITE-PB']['visit_id']}-1"}
        assert follow[0]["payload"]["site_id"] == "SITE-PB" and follow[0]["payload"]["source"] == "pm"

        listed = (await a.get("/api/v1/pm-visits", params={"site_id": "SITE-PA", "status": "overdue"})).json()
        assert [v["visit_id"] for v in listed["items"]] == [first["SITE-PA"]["visit_id"]]
        topped = (await a.get("/api/v1/sites/SITE-PA/pm-plan")).json()["upcoming"]
        assert len([v for v in topped if v["status"] == "planned"]) == 2, "the plan keeps two visits ahead"

        moved = await a.post(f"/api/v1/pm-visits/{first['SITE-PA']['visit_id']}/reschedule",
                             json={"due_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
                                   "reason": "hospital asked for the weekend"})  # fmt: skip
        assert moved.status_code == 200 and moved.json()["status"] == "planned", moved.text
        assert moved.json()["rescheduled"][0]["reason"] == "hospital asked for the weekend"
        again = await a.post(f"/api/v1/pm-visits/{first['SITE-PB']['visit_id']}/complete", json=completion("ENG-P"))
        assert again.status_code == 409
        incomplete = completion("ENG-P")
        incomplete["checklist"] = incomplete["checklist"][:-1]
        refused = await a.post(f"/api/v1/pm-visits/{first['SITE-PA']['visit_id']}/complete", json=incomplete)
        assert refused.status_code == 422 and "log_review" in refused.text

        pdf = await a.get(f"/api/v1/pm-visits/{first['SITE-PB']['visit_id']}/report", params={"format": "pdf"})
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "Ruijin Hospital" in text
        missing = [LABELS[item][1] for item in ChecklistItem if LABELS[item][1] not in " ".join(text.split())]
        assert not missing, f"check list items missing from the PDF: {missing}"
        not_done = await a.get(f"/api/v1/pm-visits/{first['SITE-PA']['visit_id']}/report")
        assert not_done.status_code == 409
