"""The audit trail of a service: every change through its API and every refused attempt is recorded with who,
from where, what, on which object, before and after; records are chained; an edited, removed or inserted
record is found by the verification (the API and `pacs-admin verify-audit`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from pacs_kit.cli import report_audit, verify_audit
from tests.integration.conftest import running
from tests.support import bearer, eventually, incident_for_fault

AUDIT = "/api/v1/audit/escalation"


@contextlib.asynccontextmanager
async def escalation(settings_for: Callable[..., Any]) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = escalation_app(settings_for(EscalationSettings))
    async with running(app, bearer(app.state.kit, "alice", "admin")) as client:
        yield client, app.state.kit


async def chained(client: httpx.AsyncClient, at_least: int) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        result: dict[str, Any] = (await client.get(f"{AUDIT}/verification")).json()
        return result if result["checked"] >= at_least and result["pending"] == 0 else None

    found: dict[str, Any] = await eventually(done, timeout=15, what=f"{at_least} audit records chained")
    return found


async def test_changes_and_refusals_are_recorded_with_who_what_and_before_after(
    settings_for: Callable[..., Any],
) -> None:
    async with escalation(settings_for) as (client, kit):
        engineer = {"engineer_id": "ENG-AU", "name": "Audit Engineer", "region": "east", "tier": "L1"}
        assert (
            await client.post("/api/v1/engineers", json=engineer, headers={"X-Request-ID": "req-42"})
        ).status_code == 201
        site = {"site_id": "SITE-AU", "name": "Audit Hospital", "region": "east", "account_engineer_id": "ENG-AU"}
        assert (await client.post("/api/v1/sites", json=site)).status_code == 201
        as_engineer = bearer(kit, "bob", "engineer")
        refused = await client.post("/api/v1/sites", json={**site, "site_id": "SITE-AU2"}, headers=as_engineer)
        assert refused.status_code == 403

        [record] = (await client.get(AUDIT, params={"action": "POST /api/v1/engineers"})).json()
        assert record["actor"] == {"subject": "alice", "roles": ["admin"], "site_id": None, "username": None}
        assert record["outcome"] == "committed" and record["correlation_id"] == "req-42"
        assert record["request"]["engineer_id"] == "ENG-AU" and record["address"]
        [denied] = (await client.get(AUDIT, params={"actor": "bob"})).json()
        assert (denied["action"], denied["outcome"]) == ("POST /api/v1/sites", 403)
        assert denied["actor"]["roles"] == ["engineer"]

        assert (await client.get(AUDIT, headers=as_engineer)).status_code == 403, "the trail is for admins"
        assert (await client.get(f"{AUDIT}/verification", headers=as_engineer)).status_code == 403


async def test_an_incident_action_keeps_the_state_before_and_after(
    settings_for: Callable[..., Any], amqp_url: str, namespace: str
) -> None:
    async with escalation(settings_for) as (client, _):
        engineer = {"engineer_id": "ENG-AB", "name": "A", "region": "east", "tier": "L1"}
        assert (await client.post("/api/v1/engineers", json=engineer)).status_code == 201
        site = {"site_id": "SITE-AB", "name": "B Hospital", "region": "east", "account_engineer_id": "ENG-AB"}
        assert (await client.post("/api/v1/sites", json=site)).status_code == 201
        incident_id = await incident_for_fault(client, amqp_url, namespace, "SITE-AB")
        assert (await client.post(f"/api/v1/incidents/{incident_id}/acknowledge")).status_code == 200
        wanted = {"object_id": incident_id, "action": "POST /api/v1/incidents/{incident_id}/acknowledge"}
        [record] = (await client.get(AUDIT, params=wanted)).json()
        assert record["object"] == {"incident_id": incident_id}
        assert record["before"]["state"] == "opened" and record["after"]["state"] == "acknowledged"
        assert record["before"]["assignee_id"] == "ENG-AB"


async def test_an_edited_a_removed_and_an_inserted_record_are_each_found(
    settings_for: Callable[..., Any], mongodb_urls: dict[str, str], namespace: str
) -> None:
    async with escalation(settings_for) as (client, kit):
        for n in range(6):
            body = {"engineer_id": f"ENG-CH{n}", "name": f"E{n}", "region": "east", "tier": "L1"}
            assert (await client.post("/api/v1/engineers", json=body)).status_code == 201
        result = await chained(client, 6)
        assert result["intact"] and result["first_seq"] == 1 and result["checked"] >= 6
        assert report_audit(await verify_audit(["escalation"], databases=mongodb_urls, namespace=namespace)) == 0

        records, blocks = kit.audit.collection, kit.audit.blocks

        async def verdict() -> tuple[bool, str]:
            r = (await client.get(f"{AUDIT}/verification")).json()
            return r["intact"], r["problem"] or ""

        one = await records.find_one({"action": "POST /api/v1/engineers", "request": {"$regex": "ENG-CH2"}})
        edited = one["request"].replace('"E2"', '"Someone Else"')
        assert edited != one["request"]
        await records.update_one({"_id": one["_id"]}, {"$set": {"request": edited}})
        assert await verdict() == (False, f"record {one['_id']} of block {(await block_of(blocks, one))} "
                                          "was changed after it was chained")  # fmt: skip
        assert report_audit(await verify_audit(["escalation"], databases=mongodb_urls, namespace=namespace)) == 1
        await records.replace_one({"_id": one["_id"]}, one)
        assert (await verdict())[0], "put back as it was, the chain holds again"

        await records.delete_one({"_id": one["_id"]})
        intact, problem = await verdict()
        assert not intact and problem.endswith("was removed")
        await records.insert_one(one)

        await records.insert_one({**one, "_id": "forged", "request": '{"engineer_id": "ENG-FAKE"}'})
        intact, problem = await verdict()
        assert not intact and "inserted outside the chain" in problem
        await records.delete_one({"_id": "forged"})

        block = await blocks.find_one({"_id": await block_of(blocks, one)})
        forged_links = [[i, "0" * 64 if i == one["_id"] else h] for i, h in block["links"]]
        await blocks.update_one({"_id": block["_id"]}, {"$set": {"links": forged_links}})
        intact, problem = await verdict()
        assert not intact and problem == f"block {block['_id']} was changed after it was written"
        await blocks.replace_one({"_id": block["_id"]}, block)
        assert (await verdict())[0]

        last = await blocks.find_one({}, sort=[("_id", -1)])
        await blocks.delete_one({"_id": last["_id"]})
        intact, problem = await verdict()
        assert not intact and "blocks were removed" in problem, "a cut tail is found by the chain's head"


async def block_of(blocks: Any, record: dict[str, Any]) -> int:
    """The block that chained a record."""
    async for block in blocks.find({}):
        if any(record_id == record["_id"] for record_id, _ in block["links"]):
            return int(block["_id"])
    raise AssertionError(f"record {record['_id']} is in no block")
