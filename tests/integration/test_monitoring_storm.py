"""A storm over the estate: 500 sites breach the whole check list at once. Every breach is recorded,
each is told once, and escalation opens one incident per site and problem class that counts them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pacs_devstack.processes import secantus_servers
from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from pacs_kit.service import Kit
from pacs_monitoring.domain.pack import default_pack
from pacs_monitoring.main import create_app as monitoring_app
from pacs_monitoring.settings import MonitoringSettings
from tests.integration.conftest import running
from tests.support import bearer, eventually

SITES = 500


def storm_pack() -> tuple[str, list[dict[str, Any]]]:
    """The shipped check list without its `for` durations, so one batch breaches every rule at once (DICOM nodes
    and licences are not reported in agents' batches)."""
    elsewhere = ("dicom_", "licence_")
    rules = [r for r in yaml.safe_load(default_pack()[0])["rules"] if not r["metric"].startswith(elsewhere)]
    for rule in rules:
        rule.pop("for", None)
    return yaml.safe_dump({"rules": rules}), rules


def breaching(site_id: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    """One sample per rule, at its threshold (which fires in either direction)."""
    samples = [{"host": "pacs-srv-01", "name": r["metric"], "labels": r.get("labels", {}), "value": r["threshold"]}
               for r in rules]  # fmt: skip
    return {"site_id": site_id, "samples": samples}


@pytest.fixture
def storm_databases() -> Iterator[dict[str, str]]:
    """Escalation's and monitoring's database servers, new for the storm (unless MONGODB_URL names one for all):
    a server that has served the suite before holds every earlier test's databases, and the storm's writes then
    took two to three times as long as on a server of their own."""
    if os.environ.get("MONGODB_URL"):
        yield {}
        return
    with tempfile.TemporaryDirectory(prefix="pacs-storm-") as data, \
            secantus_servers(Path(data), ("escalation", "monitoring")) as urls:  # fmt: skip
        yield urls


@pytest.mark.slow
async def test_a_storm_of_500_sites_is_recorded_whole_and_opens_one_incident_per_site_and_problem(
    settings_for: Callable[..., Any], storm_databases: dict[str, str]
) -> None:
    text, rules = storm_pack()
    assert len(rules) == 20
    escalation = escalation_app(settings_for(EscalationSettings, mongodb_url=storm_databases.get("escalation")))
    monitoring = monitoring_app(settings_for(MonitoringSettings, mongodb_url=storm_databases.get("monitoring")))
    kit: Kit = escalation.state.kit
    admin = bearer(kit, "ops", "admin")
    sites = [f"SITE-S{i:03d}" for i in range(SITES)]
    async with contextlib.AsyncExitStack() as stack:
        esc = await stack.enter_async_context(running(escalation, admin))
        mon = await stack.enter_async_context(running(monitoring, admin))
        assert (await mon.put("/api/v1/rules", content=text, headers={"content-type": "application/yaml"})).is_success
        await esc.post("/api/v1/engineers", json={"engineer_id": "ENG-S", "name": "S", "region": "east"})
        gate = asyncio.Semaphore(16)

        async def register(site_id: str) -> str:
            async with gate:
                body = {"site_id": site_id, "name": f"Hospital {site_id}", "region": "east",
                        "account_engineer_id": "ENG-S"}  # fmt: skip
                assert (await esc.post("/api/v1/sites", json=body)).status_code == 201
                key: str = await monitoring.state.kit.auth.api_keys.create(site_id, name="agent")
                return key

        t0 = time.monotonic()
        keys = dict(zip(sites, await asyncio.gather(*(register(s) for s in sites)), strict=True))
        print(f"storm: {SITES} sites registered in {time.monotonic() - t0:.1f} s")

        retried: list[str] = []

        async def send(site_id: str) -> dict[str, int]:
            """As a site agent does: a 503 (nothing saved) is sent again after its Retry-After."""
            async with gate:
                while True:
                    r = await mon.post("/api/v1/metrics", json=breaching(site_id, rules),
                                       headers={"X-API-Key": keys[site_id]})  # fmt: skip
                    if r.status_code != 503:
                        break
                    retried.append(site_id)
                    await asyncio.sleep(float(r.headers.get("retry-after", "1")))
                assert r.status_code == 202, r.text
                counts: dict[str, int] = r.json()
                return counts

        started = time.monotonic()
        answers = await asyncio.gather(*(send(s) for s in sites))
        took = time.monotonic() - started
        print(f"storm: {SITES} batches of {len(rules)} breaching samples accepted in {took:.1f} s, "
              f"{len(retried)} sent again after a 503")  # fmt: skip
        told = [r for r in rules if not r.get("record_only")]
        if not retried:  # a batch sent again may have landed the first time: its second answer is "no news"
            assert sum(a["breaches"] for a in answers) == SITES * len(told)
        states = monitoring.state.deps.states.collection
        assert await states.count_documents({"state": "firing"}) == SITES * len(rules), "every breach recorded"

        classes = {r["problem_class"] for r in told}
        incidents = kit.mongo.db["incidents"]

        async def all_counted() -> list[dict[str, Any]] | None:
            found = await incidents.find({"source": "monitoring"}, {"site_id": 1, "problem_class": 1,
                                                                    "occurrences": 1}).to_list()  # fmt: skip
            return found if sum(d["occurrences"] for d in found) == SITES * len(told) else None

        found = await eventually(all_counted, timeout=600, interval=2.0, what="every breach counted by escalation")
        per_problem = Counter((d["site_id"], d["problem_class"]) for d in found)
        assert max(per_problem.values()) == 1, "at most one incident per site and problem class"
        assert len(per_problem) == SITES * len(classes)
        print(f"storm: {len(found)} incidents for {SITES * len(told)} breaches, "
              f"{time.monotonic() - started:.1f} s after the first batch")  # fmt: skip
