"""A hospital's service review over a seconds-scale quarter, on the real bus: escalation opens, answers, climbs,
breaches and solves incidents; a PM visit leaves findings; monitoring forecasts a full tablespace. The review the
scheduler counts from those events matches what happened, its documents open and agree with it, a draft with a
hole is published only once the hole is waived, and the hospital acknowledges it by its signed link."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from openpyxl import load_workbook
from pypdf import PdfReader

from pacs_contracts import Envelope
from pacs_contracts.api import ChecklistItem
from pacs_contracts.events import (
    MetricBreached,
    MetricRecovered,
    ServiceReviewAcknowledged,
    ServiceReviewPublished,
    SiteRegistered,
    SlaBreached,
    SoftwareVersionChanged,
)
from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from pacs_scheduler.main import create_app as scheduler_app
from pacs_scheduler.settings import SchedulerSettings
from tests.factories import make_fault_event, make_release
from tests.integration.conftest import running
from tests.support import bearer, eventually, publish

SITE = "SITE-RV"
RESPONSE_SECONDS = 8
CONTRACT = {"response": f"PT{RESPONSE_SECONDS}S", "availability_percent": 99.9, "software_downtime_budget": "PT4H"}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _minutes(a: str, b: str) -> float:
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() / 60


def _completion() -> dict[str, Any]:
    checklist = [{"item": item.value, "result": "ok"} for item in ChecklistItem]
    follow_ups = [{"text": "replace the archive's failing fan", "open_incident": True, "severity": "minor"},
                  {"text": "extend the tablespace before next quarter", "open_incident": False}]  # fmt: skip
    return {"engineer_id": "ENG-RV", "checklist": checklist, "findings": "fan noise on the archive",
            "actions": "logs archived", "follow_ups": follow_ups, "hospital_signatory": "Dr. Wang"}  # fmt: skip


async def _incident_of(esc: httpx.AsyncClient, fault_id: str) -> dict[str, Any]:
    async def opened() -> dict[str, Any] | None:
        items = (await esc.get("/api/v1/incidents", params={"fault_id": fault_id})).json()["items"]
        return items[0] if items else None

    found: dict[str, Any] = await eventually(opened, timeout=15, what=f"the incident of {fault_id}")
    return found


async def test_a_quarter_of_service_is_counted_exactly_documented_and_acknowledged(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    escalation = escalation_app(settings_for(EscalationSettings))
    scheduler = scheduler_app(settings_for(SchedulerSettings))
    kit = escalation.state.kit
    admin, supervisor = bearer(kit, "ops", "admin"), bearer(kit, "SUP-RV", "supervisor")
    engineer, stranger = bearer(kit, "ENG-RV", "engineer"), bearer(kit, "ENG-ELSE", "engineer")
    breaches = await tap(SlaBreached.type)
    published = await tap(ServiceReviewPublished.type, ServiceReviewAcknowledged.type)
    began = datetime.now(UTC) - timedelta(seconds=1)
    async with contextlib.AsyncExitStack() as stack:
        esc = await stack.enter_async_context(running(escalation, admin))
        sch = await stack.enter_async_context(running(scheduler, admin))
        for engineer_id, tier in (("ENG-RV", "L1"), ("ENG-RV3", "L3")):
            body = {"engineer_id": engineer_id, "name": engineer_id, "region": "east", "tier": tier}
            assert (await esc.post("/api/v1/engineers", json=body)).status_code == 201
        site = {"site_id": SITE, "name": "Huashan Hospital 华山医院", "region": "east", "account_engineer_id": "ENG-RV",
                "time_zone": "Asia/Shanghai", "contract": CONTRACT}  # fmt: skip
        assert (await esc.post("/api/v1/sites", json=site)).status_code == 201

        # a PM visit due in two seconds, done at once: one follow-up opens an incident, one is only written down
        today = date.today()
        terms = {"warranty_start": today.isoformat(), "warranty_end": (today + timedelta(days=365)).isoformat(),
                 "during_warranty": "PT600S", "first_due_at": _iso(datetime.now(UTC) + timedelta(seconds=2)),
                 "lead": "PT1S", "grace": "PT300S", "ahead": 1}  # fmt: skip

        async def planned() -> dict[str, Any] | None:
            r = await sch.put(f"/api/v1/sites/{SITE}/pm-plan", json=terms)
            return r.json() if r.status_code == 200 else None

        plan = await eventually(planned, timeout=15, what="the site known to the scheduler")
        visit_id = plan["upcoming"][0]["visit_id"]
        done = await sch.post(f"/api/v1/pm-visits/{visit_id}/complete", json=_completion(), headers=engineer)
        assert done.status_code == 200, done.text

        # three faults (HIS, 800 line) and a monitoring forecast; the PM follow-up is the fourth incident
        for fault_id, source in (("F-RV1", "his"), ("F-RV2", "call")):
            fault = make_fault_event(fault_id=fault_id, site_id=SITE, source=source)
            await publish(amqp_url, namespace, Envelope.wrap(fault, producer="intake"))
        exhausted = datetime.now(UTC) + timedelta(days=91)
        forecast = MetricBreached(site_id=SITE, host="pacs-db-01", rule="tablespace_forecast", problem_class="capacity",
                                  severity="major", value=88.0, threshold=85.0, breached_at=datetime.now(UTC),
                                  exhausted_at=exhausted)  # fmt: skip
        await publish(amqp_url, namespace, Envelope.wrap(forecast, producer="monitoring"))
        late = await _incident_of(esc, "F-RV1")
        down = await _incident_of(esc, "F-RV2")
        follow_up = await _incident_of(esc, f"PMF-{visit_id}-1")

        async def monitored() -> dict[str, Any] | None:
            items = (await esc.get("/api/v1/incidents", params={"site_id": SITE})).json()["items"]
            return next((i for i in items if i["source"] == "monitoring"), None)

        capacity = await eventually(monitored, timeout=15, what="the forecast's incident")

        # answered in time, except F-RV1, answered only after its response clock breached
        for incident in (down, follow_up, capacity):
            acked = await esc.post(f"/api/v1/incidents/{incident['incident_id']}/acknowledge", headers=engineer)
            assert acked.status_code == 200, acked.text
        path = f"/api/v1/incidents/{down['incident_id']}"
        went_down = datetime.fromisoformat(down["opened_at"]) - timedelta(seconds=2)  # the call came after
        up = await esc.post(f"{path}/escalate", json={"to_tier": "L3", "reason": "archive index corrupt"},
                            headers=engineer)  # fmt: skip
        assert up.status_code == 200 and up.json()["tier"] == "L3", up.text
        solved = {
            "root_cause": "index rebuild after patch",
            "resolution": "index rebuilt",
            "caused_by": "software",
            "whole_system_down": True,
            "down_from": _iso(went_down),
            "product": "PACS",
            "module": "archive",
        }
        assert (await esc.post(f"{path}/resolve", json=solved, headers=engineer)).status_code == 200
        for incident, cause in ((follow_up, "hardware"), (capacity, "third_party")):
            fixed = {"root_cause": "worn part", "resolution": "replaced", "caused_by": cause}
            r = await esc.post(f"/api/v1/incidents/{incident['incident_id']}/resolve", json=fixed, headers=engineer)
            assert r.status_code == 200, r.text
        await breaches.at_least(1, timeout=RESPONSE_SECONDS + 10, what="F-RV1's response clock breached")
        late_ack = await esc.post(f"/api/v1/incidents/{late['incident_id']}/acknowledge", headers=engineer)
        assert late_ack.status_code == 200

        listed = (await esc.get("/api/v1/incidents", params={"site_id": SITE})).json()["items"]
        seen = {i["incident_id"]: i for i in listed}
        assert len(seen) == 4
        ended = datetime.now(UTC) + timedelta(seconds=1)
        period = f"{_iso(began)}/{_iso(ended)}"

        # the review, once the scheduler has heard every event
        created = await sch.post("/api/v1/service-reviews", json={"site_id": SITE, "period": period}, headers=engineer)
        assert created.status_code == 201, created.text
        review_id = created.json()["review_id"]

        async def counted() -> dict[str, Any] | None:
            r = (await sch.post(f"/api/v1/service-reviews/{review_id}/rebuild", headers=engineer)).json()
            f = r["figures"]
            settled = f["incidents"] == 4 and f["mttr"]["count"] == 3 and f["mtta"]["count"] == 4
            return r if settled and f["monitoring"]["breaches"] == 1 and f["escalations_by_tier"] else None

        review = await eventually(counted, timeout=20, what="every event counted")
        f = review["figures"]
        assert f["by_channel"] == {"call": 1, "his": 1, "monitoring": 1, "pm": 1}
        assert f["by_severity"] == {"critical": 2, "major": 1, "minor": 1}
        assert f["response"] == {"applicable": 4, "met": 3, "breached": 1, "percent": 75.0}
        breached = [(b["incident_id"], b["clock"]) for b in review["rows"]["breaches"]]
        assert breached == [(late["incident_id"], "response")]
        assert f["escalations_by_tier"] == {"L3": 1} and f["reopened"] == 0
        mtta = sorted(round(_minutes(i["opened_at"], i["acknowledged_at"]), 2) for i in seen.values())
        assert abs(f["mtta"]["mean"] - sum(mtta) / 4) < 0.01 and abs(f["mtta"]["p90"] - mtta[-1]) < 0.01
        outage = _minutes(_iso(went_down), seen[down["incident_id"]]["resolved_at"])
        availability = f["availability"]
        assert abs(availability["downtime_minutes"] - outage) < 0.01
        assert list(availability["downtime_by_cause"]) == ["software"]
        assert availability["commitment_percent"] == 99.9 and availability["software_budget_minutes"] == 240
        assert abs(availability["software_left_minutes"] - (240 - outage)) < 0.01
        down_share = availability["downtime_minutes"] / availability["period_minutes"]
        assert abs(availability["percent"] - 100 * (1 - down_share)) < 0.01  # four decimals of a few seconds
        assert availability["percent"] < 100
        assert f["pm"] == {"planned": 1, "done": 1, "overdue": 0, "findings_open": 1}
        assert f["monitoring"]["by_rule"] == {"tablespace_forecast": 1}
        assert [round(c["months_left"]) for c in review["rows"]["capacity"]] == [3]
        assert review["previous"]["incidents"] == 0 and review["year_before"]["incidents"] == 0
        assert review["software"]["status"] == "no_data"
        assert [(h["incident_id"], h["kind"]) for h in review["holes"]] == [(late["incident_id"], "no_root_cause")]

        # documents: the PDF in both languages with its charts; the spreadsheet's rows add up to the figures
        pdf = await sch.get(f"/api/v1/service-reviews/{review_id}", params={"format": "pdf"})
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(pdf.content))
        text = "".join(page.extract_text() for page in reader.pages)
        for heading in ("Incidents", "故障", "Availability", "可用性", "Counting rules", "统计规则"):
            assert heading in text, f"the PDF lacks {heading!r}"
        assert sum(len(page.images) for page in reader.pages) >= 3, "the PDF lacks its charts"
        xlsx = await sch.get(f"/api/v1/service-reviews/{review_id}", params={"format": "xlsx"})
        book = load_workbook(io.BytesIO(xlsx.content))
        incidents_sheet = book["incidents"]
        assert incidents_sheet.max_row - 1 == f["incidents"]
        header = [c.value for c in book["downtime"][1]]
        counted_column = header.index("counted_minutes")
        minutes = sum(row[counted_column] for row in book["downtime"].iter_rows(min_row=2, values_only=True))
        assert abs(minutes - availability["downtime_minutes"]) < 0.01
        csv = await sch.get(f"/api/v1/service-reviews/{review_id}", params={"format": "csv"})
        assert late["incident_id"] in csv.content.decode("utf-8-sig")

        # the workflow: a hole blocks approval until a supervisor waives it with a reason
        base = f"/api/v1/service-reviews/{review_id}"
        edit = {"recommendations": ["扩展表空间 / extend the tablespace"],
                "actions": [{"text": "replace archive fan", "owner": "vendor", "due_on": "2027-01-15"}]}  # fmt: skip
        assert (await sch.patch(base, json=edit, headers=engineer)).status_code == 200
        assert (await sch.get(base, headers=stranger)).status_code == 404, "another region's engineer sees nothing"
        assert (await sch.post(f"{base}/approve", headers=engineer)).status_code == 403
        blocked = await sch.post(f"{base}/approve", headers=supervisor)
        assert blocked.status_code == 409 and late["incident_id"] in blocked.json()["detail"]
        assert (await sch.post(f"{base}/publish", headers=supervisor)).status_code == 409
        waiver = {"incident_id": late["incident_id"], "kind": "no_root_cause", "reason": "vendor analysis pending"}
        assert (await sch.post(f"{base}/waivers", json=waiver, headers=supervisor)).status_code == 200
        approved = await sch.post(f"{base}/approve", headers=supervisor)
        assert approved.status_code == 200 and approved.json()["state"] == "approved"
        assert (await sch.patch(base, json=edit, headers=engineer)).status_code == 409, "an approved review is frozen"
        out = await sch.post(f"{base}/publish", headers=supervisor)
        assert out.status_code == 200 and out.json()["review"]["state"] == "published"

        # the hospital: its key reads its own published review; its contact acknowledges through the link, once
        his = {"X-API-Key": await scheduler.state.kit.auth.api_keys.create(SITE, name="HIS")}
        other = {"X-API-Key": await scheduler.state.kit.auth.api_keys.create("SITE-OTHER", name="HIS")}
        assert (await sch.get(base, headers=his)).status_code == 200
        assert (await sch.get(base, headers=other)).status_code == 404
        link = httpx.URL(out.json()["acknowledge_url"]).path
        forged = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
        assert (await sch.post(forged, json={"name": "Dr. Li"}, headers={"Authorization": ""})).status_code == 403
        acked = await sch.post(link, json={"name": "Dr. Li 李医生"}, headers={"Authorization": ""})
        assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "Dr. Li 李医生"
        assert (await sch.post(link, json={"name": "Dr. Li"}, headers={"Authorization": ""})).status_code == 409
        told = await published.at_least(2, timeout=10, what="published and acknowledged on the bus")
        assert [m["type"] for m in told] == ["service_review.published", "service_review.acknowledged"]
        assert all(m["payload"]["review_id"] == review_id for m in told)


async def test_a_draft_is_built_for_every_site_when_its_period_closes(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any]
) -> None:
    """On the scheduler's clock: a seconds-scale quarter closes, and the site's draft appears by itself."""
    escalation = escalation_app(settings_for(EscalationSettings))
    scheduler = scheduler_app(settings_for(SchedulerSettings, review_every="PT4S", review_settle_seconds=0.5,
                                           review_check_seconds=0.5))  # fmt: skip
    admin = bearer(escalation.state.kit, "ops", "admin")
    async with contextlib.AsyncExitStack() as stack:
        esc = await stack.enter_async_context(running(escalation, admin))
        sch = await stack.enter_async_context(running(scheduler, admin))
        body = {"engineer_id": "ENG-AD", "name": "ENG-AD", "region": "east", "tier": "L1"}
        assert (await esc.post("/api/v1/engineers", json=body)).status_code == 201
        site = {"site_id": "SITE-AD", "name": "Drafted Hospital", "region": "east", "account_engineer_id": "ENG-AD"}
        assert (await esc.post("/api/v1/sites", json=site)).status_code == 201

        async def drafts() -> list[dict[str, Any]] | None:
            items = (await sch.get("/api/v1/service-reviews", params={"site_id": "SITE-AD"})).json()["items"]
            return items if len(items) >= 2 else None

        built = await eventually(drafts, timeout=20, what="drafts for two closed periods")
        assert {r["state"] for r in built} == {"draft"} and len({r["period"] for r in built}) == len(built)
        for review in built:
            starts, ends = (datetime.fromisoformat(t) for t in review["period"].split("/"))
            assert ends - starts == timedelta(seconds=4) and ends <= datetime.now(UTC)


async def test_a_dicom_node_down_for_part_of_the_period_is_counted_down_for_that_part(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any]
) -> None:
    """Monitoring's breach and recovery of a node's echo, as monitoring publishes them: the review counts the
    minutes between, within the period, and the node's availability from them."""
    scheduler = scheduler_app(settings_for(SchedulerSettings))
    admin = bearer(scheduler.state.kit, "ops", "admin")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    node = {"site_id": "SITE-DN", "host": "CT2-STORE", "rule": "dicom-node-down"}
    events = [
        SiteRegistered(site_id="SITE-DN", name="Node Hospital", region="east", account_engineer_id="ENG-DN"),
        MetricBreached(**node, problem_class="dicom_node", severity="major", value=0, threshold=0,
                       breached_at=start + timedelta(minutes=30)),
        MetricRecovered(**node, value=1, recovered_at=start + timedelta(minutes=42)),
        SoftwareVersionChanged(site_id="SITE-DN", host="PACS-01", component="pacs-archive", kind="archive",
                               installed_version="7.2.1", reported_at=start),
    ]  # fmt: skip
    async with running(scheduler, admin) as sch:
        for event in events:
            await publish(amqp_url, namespace, Envelope.wrap(event, producer="monitoring"))
        period = {"site_id": "SITE-DN", "period": f"{_iso(start)}/{_iso(start + timedelta(hours=1))}"}

        async def built() -> str | None:
            r = await sch.post("/api/v1/service-reviews", json=period)
            return str(r.json()["review_id"]) if r.status_code == 201 else None  # 422 until the site is known

        review_id = await eventually(built, timeout=15, what="the site known to the scheduler")

        assert (await sch.post("/api/v1/releases", json=make_release())).status_code == 201

        async def counted() -> dict[str, Any] | None:
            r = (await sch.post(f"/api/v1/service-reviews/{review_id}/rebuild")).json()
            dicom = r["rows"]["dicom"] and r["rows"]["dicom"][0]["down_minutes"] < 30
            return r if dicom and r["software"]["status"] == "reported" else None

        review = await eventually(counted, timeout=15, what="the outage and its recovery counted")
        (row,) = review["rows"]["dicom"]
        assert (row["host"], row["down_minutes"], row["availability_percent"]) == ("CT2-STORE", 12.0, 80.0)
        assert review["figures"]["monitoring"]["dicom_nodes_down"] == 1
        assert review["figures"]["monitoring"]["dicom_breaches"] == 1
        # the software the site's agent reported, against the latest release of its product
        assert review["software"]["behind_latest_release"] == 1
        (installed,) = review["rows"]["software"]
        assert (installed["installed_version"], installed["latest_release"], installed["behind"]) == ("7.2.1", "7.2.3",
                                                                                                     True)  # fmt: skip
