"""The call centre's two needs from escalation: find the hospital however the caller is identified (caller ID,
part of its Chinese name, its pinyin, its city), and a second call about an open incident added to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pacs_contracts import Envelope
from pacs_contracts.events import IncidentOpened
from pacs_escalation.main import create_app
from pacs_escalation.settings import EscalationSettings
from tests.factories import make_fault_event
from tests.integration.conftest import running
from tests.support import bearer, eventually, publish

HOSPITAL = {"site_id": "SITE-SH-01", "name": "上海市第一人民医院", "region": "east", "account_engineer_id": "ENG-SH",
            "phones": ["+86 21 6324 0090"], "city": "Shanghai", "aliases": ["Shanghai First People's Hospital",
                                                                            "shdyrmyy"]}  # fmt: skip


async def test_a_hospital_is_found_by_caller_id_part_of_its_name_pinyin_city_or_id(
    settings_for: Callable[..., Any],
) -> None:
    app = create_app(settings_for(EscalationSettings))
    async with running(app, bearer(app.state.kit, "ops", "admin")) as client:
        body = {"engineer_id": "ENG-SH", "name": "E", "region": "east"}
        assert (await client.post("/api/v1/engineers", json=body)).status_code == 201
        assert (await client.post("/api/v1/sites", json=HOSPITAL)).status_code == 201
        other = {**HOSPITAL, "site_id": "SITE-BJ-01", "name": "北京协和医院", "phones": ["010-6915 6114"],
                 "city": "Beijing", "aliases": ["Peking Union Medical College Hospital"]}  # fmt: skip
        assert (await client.post("/api/v1/sites", json=other)).status_code == 201
        for typed in ("+862163240090", "021 6324 0090", "2163240090", "6324 0090", "人民医院", "上海市第一", "shdy",
                      "shanghai",
                      "first people", "site-sh"):  # fmt: skip
            found = (await client.get("/api/v1/sites", params={"q": typed})).json()["items"]
            assert [s["site_id"] for s in found] == ["SITE-SH-01"], typed
        assert [s["site_id"] for s in (await client.get("/api/v1/sites", params={"q": "01069156114"})).json()[
            "items"]] == ["SITE-BJ-01"]  # fmt: skip
        assert (await client.get("/api/v1/sites", params={"q": "广州"})).json()["items"] == []
        site = (await client.get("/api/v1/sites/SITE-SH-01")).json()
        assert site["phones"] == ["+86 21 6324 0090"] and "search_keys" not in site


async def test_a_second_call_about_an_open_incident_is_added_to_it(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    opened = await tap(IncidentOpened.type)
    app = create_app(settings_for(EscalationSettings))
    async with running(app, bearer(app.state.kit, "ops", "admin")) as client:
        body = {"engineer_id": "ENG-SH", "name": "E", "region": "east"}
        assert (await client.post("/api/v1/engineers", json=body)).status_code == 201
        assert (await client.post("/api/v1/sites", json=HOSPITAL)).status_code == 201
        first = make_fault_event(fault_id="F-CALL-1", site_id="SITE-SH-01", source="call")
        await publish(amqp_url, namespace, Envelope.wrap(first, producer="intake"))
        [incident] = [m["payload"] for m in await opened.at_least(1, timeout=15, what="the first call's incident")]
        again = make_fault_event(fault_id="F-CALL-2", site_id="SITE-SH-01", source="call",
                                 incident_id=incident["incident_id"])  # fmt: skip
        await publish(amqp_url, namespace, Envelope.wrap(again, producer="intake"))

        async def counted() -> dict[str, Any] | None:
            doc = (await client.get(f"/api/v1/incidents/{incident['incident_id']}")).json()
            return doc if doc["occurrences"] == 2 else None

        await eventually(counted, timeout=15, what="the second call counted on the open incident")
        timeline = (await client.get(f"/api/v1/incidents/{incident['incident_id']}/timeline")).json()
        listed = (await client.get("/api/v1/incidents", params={"site_id": "SITE-SH-01"})).json()["items"]
    assert [e["fault_id"] for e in timeline if e["what"] == "call_logged"] == ["F-CALL-2"]
    assert len(listed) == 1, "no second incident"
    assert len(await opened.drain()) == 1, "the second call opened no incident of its own"
