"""The escalation database: imported records and resolved incidents are found again, in Chinese and English."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from pacs_contracts import Envelope
from pacs_escalation.deps import EscalationDeps
from pacs_escalation.domain.knowledge import from_incident, recall_at
from pacs_escalation.main import create_app
from pacs_escalation.settings import EscalationSettings
from pacs_kit.service import Kit
from tests.factories import make_fault_event
from tests.integration.conftest import running
from tests.support import bearer, eventually, publish

DATA = Path(__file__).parents[1] / "data"
CASES = json.loads((DATA / "knowledge_cases.json").read_text(encoding="utf-8"))
QUERIES = json.loads((DATA / "knowledge_queries.json").read_text(encoding="utf-8"))


async def _search(client: httpx.AsyncClient, q: str, limit: int = 3) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/knowledge/search", params={"q": q, "limit": limit})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_the_labelled_cases_are_found_within_and_across_languages(settings_for: Callable[..., Any]) -> None:
    app = create_app(settings_for(EscalationSettings))
    kit: Kit = app.state.kit
    async with running(app, bearer(kit, "ops", "admin")) as client:
        imported = await client.post("/api/v1/knowledge/cases", json=CASES)
        assert imported.json() == {"received": len(CASES), "created": len(CASES), "updated": 0}

        engineer = bearer(kit, "ENG-1", "engineer")
        ranked = []
        for query in QUERIES:
            response = await client.get("/api/v1/knowledge/search", params={"q": query["query"]}, headers=engineer)
            items = response.json()["items"]
            scores = [item["score"] for item in items]
            assert len(items) == 5 and scores == sorted(scores, reverse=True)
            ranked.append([item["external_id"] for item in items])

        expected = [query["expected"] for query in QUERIES]
        crossing = [i for i, query in enumerate(QUERIES) if query["cross_lingual"]]
        overall = recall_at(3, ranked, expected)
        across = recall_at(3, [ranked[i] for i in crossing], [expected[i] for i in crossing])
        # measured 24/24 and 12/12 (bench/knowledge.py; 23/24 and 11/12 by meaning alone); a monolingual model: half
        assert overall >= 0.85, f"recall@3 {overall:.2f}"
        assert across >= 0.8, f"cross-lingual recall@3 {across:.2f}"

        top = (await _search(client, "CT机往PACS发图时报错，对方拒绝连接，提示AE名称不对", limit=1))[0]
        assert top["external_id"] == "RD-1001" and "peer table" in top["resolution"]


async def test_imports_are_checked_and_a_second_import_updates(settings_for: Callable[..., Any]) -> None:
    app = create_app(settings_for(EscalationSettings))
    kit: Kit = app.state.kit
    async with running(app, bearer(kit, "ops", "admin")) as client:
        engineer = bearer(kit, "ENG-1", "engineer")
        refused = await client.post("/api/v1/knowledge/cases", json=CASES[:2], headers=engineer)
        assert refused.status_code == 403

        missing = await client.post("/api/v1/knowledge/cases", json=[{"external_id": "X-1", "title": "no symptom"}])
        assert missing.status_code == 422 and "symptom" in missing.text
        assert (await client.post("/api/v1/knowledge/cases", json=[])).status_code == 422
        twice = await client.post("/api/v1/knowledge/cases", json=[CASES[0], CASES[0]])
        assert twice.status_code == 422 and "RD-1001" in twice.json()["detail"]
        assert (await client.post("/api/v1/knowledge/cases", json={"external_id": "X"})).status_code == 422

        assert (await client.post("/api/v1/knowledge/cases", json=CASES[:3])).json()["created"] == 3
        edited = {**CASES[0], "resolution": "Registered the scanner's new AE title on the archive."}
        again = await client.post("/api/v1/knowledge/cases", json=[edited])
        assert again.json() == {"received": 1, "created": 0, "updated": 1}
        case = (await client.get("/api/v1/knowledge/cases/RD-1001")).json()
        assert case["resolution"].startswith("Registered") and case["source"] == "import"
        assert (await client.get("/api/v1/knowledge/cases/RD-404")).status_code == 404

        blank = await client.get("/api/v1/knowledge/search", params={"q": "   "})
        assert blank.status_code == 422 and blank.headers["content-type"] == "application/problem+json"
        assert (await client.get("/api/v1/knowledge/search", params={"q": "x", "limit": 0})).status_code == 422
        assert len(await _search(client, "archive", limit=2)) == 2

        strict: dict[str, str | bool] = {"q": "archive", "module": "Database", "strict": True}
        kept = await client.get("/api/v1/knowledge/search", params=strict)
        assert [item["external_id"] for item in kept.json()["items"]] == ["RD-1003"]
        lifted = await client.get("/api/v1/knowledge/search", params={"q": "studies fail", "module": "storage"})
        assert lifted.json()["items"][0]["external_id"] == "RD-1002"
        for wrong in ({"product": ""}, {"version": "7.2 beta"}, {"strict": True}, {"strict": "maybe"}):
            refused = await client.get("/api/v1/knowledge/search", params={"q": "archive", **wrong})
            assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json", wrong


async def test_an_escalated_and_resolved_incident_is_filed_and_found_from_chinese(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any]
) -> None:
    app = create_app(settings_for(EscalationSettings))
    kit: Kit = app.state.kit
    async with running(app, bearer(kit, "ops", "admin")) as client:
        for engineer_id, tier in (("ENG-K1", "L1"), ("ENG-K2", "L2")):
            body = {"engineer_id": engineer_id, "name": engineer_id, "region": "east", "tier": tier}
            assert (await client.post("/api/v1/engineers", json=body)).status_code == 201
        site = {"site_id": "SITE-K", "name": "Knowledge Hospital", "region": "east", "account_engineer_id": "ENG-K1"}
        assert (await client.post("/api/v1/sites", json=site)).status_code == 201
        await client.post("/api/v1/knowledge/cases", json=CASES)

        fault = make_fault_event(fault_id="F-K1", site_id="SITE-K", code="ARCHIVE-WRITE",
                                 description="Archive cannot write incoming studies: storage array reports a "
                                             "failed controller battery and write cache disabled")  # fmt: skip
        await publish(amqp_url, namespace, Envelope.wrap(fault, producer="t"))

        async def opened() -> dict[str, Any] | None:
            items = (await client.get("/api/v1/incidents", params={"fault_id": "F-K1"})).json()["items"]
            return items[0] if items else None

        incident = await eventually(opened, timeout=10, what="incident for F-K1")
        path = f"/api/v1/incidents/{incident['incident_id']}"
        reason = "write cache disabled on the array, needs a storage specialist"
        assert (await client.post(f"{path}/escalate", json={"reason": reason})).status_code == 200
        filed = (await client.get(f"/api/v1/knowledge/cases/{incident['incident_id']}")).json()
        assert filed["status"] == "open" and filed["escalations"][0]["reason"] == reason

        resolution = {"root_cause": "Cache battery of the storage controller failed; write cache switched off",
                      "resolution": "Replaced the controller cache battery and re-enabled write-back cache",
                      "caused_by": "hardware", "product": "PACS Archive", "version": "7.2.1",
                      "module": "storage", "tags": ["battery", "raid-controller"]}  # fmt: skip
        resolved = await client.post(f"{path}/resolve", json=resolution, headers=bearer(kit, "ENG-K2", "engineer"))
        assert resolved.status_code == 200

        found = await _search(client, "存储控制器电池坏了，缓存被关闭，影像写不进归档", limit=3)
        assert found[0]["external_id"] == incident["incident_id"], [f["external_id"] for f in found]
        assert found[0]["status"] == "resolved" and found[0]["caused_by"] == "hardware"
        assert found[0]["tags"] == ["battery", "raid-controller"]
        assert [(e["from_tier"], e["to_tier"]) for e in found[0]["escalations"]] == [("L1", "L2")]


async def test_a_late_filing_never_overwrites_a_later_one(settings_for: Callable[..., Any]) -> None:
    app = create_app(settings_for(EscalationSettings))
    deps: EscalationDeps = app.state.deps
    async with running(app, bearer(app.state.kit, "ops", "admin")) as client:
        at = datetime.now(UTC)
        base = {"_id": "INC-LATE", "site_id": "SITE-1", "summary": "ARCHIVE-DOWN", "description": "archive down"}
        climbed = [{"at": at, "what": "escalated", "from": "L1", "to": "L2", "reason": "unsolved"}]
        fix = {"root_cause": "disk", "resolution": "replaced", "caused_by": "hardware"}
        timeline = [*climbed, {"at": at, "what": "resolve"}]
        resolved = {**base, "state": "resolved", "timeline": timeline, "resolution": fix}
        stale = {**base, "state": "acknowledged", "timeline": climbed}
        for incident in (resolved, stale):  # the filer's older view arrives after the resolution
            case = from_incident(incident, at)
            await deps.encoder.embed_cases([case])
            await deps.cases.file_if_newer([case])
        kept = (await client.get("/api/v1/knowledge/cases/INC-LATE")).json()
        assert (kept["status"], kept["root_cause"]) == ("resolved", "disk")
