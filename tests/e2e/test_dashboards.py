"""The real Prometheus scrapes the running stack after a scripted scenario (faults, an SLA breach and an
escalation, an acknowledgement and a resolution with downtime, a monitoring breach, a DICOM node, a
heartbeat, push with a provider failover and an SMS refused for its number, a release the site runs an older
version of); then every panel and variable query of every dashboard returns at least one series, and the platform
rules load and evaluate."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from pacs_devstack.dashboards import DASHBOARDS, render
from pacs_devstack.processes import free_port
from pacs_devstack.stack import SERVICES
from pacs_kit.cli import create_api_key
from tests.e2e.conftest import Platform, notify_with
from tests.factories import make_release
from tests.integration.test_dicom_probes import storescp
from tests.integration.test_notify_providers import FakeApi, Seen, serving
from tests.support import eventually, make_fault

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
SITE, ENGINEER, PHONE = "SITE-DASH", "ENG-DASH", "+8613800138999"
PRODUCT = "dash-viewer"  # a product of its own, so that no other test's release is in its way
LADDER = [{"after": "PT3S", "tier": "L2"}, {"after": "PT1H", "tier": "L3"}, {"after": "PT2H", "tier": "L4"}]
# what Grafana puts in place of its variables: every region and site, a short rate window, the last hour
GRAFANA = {"$__rate_interval": "1m", "$__range": "1h", "$region": ".*", "$site": ".*"}

pytestmark = pytest.mark.skipif(shutil.which("prometheus") is None, reason="Prometheus is installed by make os-deps")


def queries() -> list[tuple[str, str]]:
    """(where, PromQL) for every panel target and query variable of every dashboard."""
    found = []
    for dashboard in DASHBOARDS:
        model = render(dashboard)
        for panel in model["panels"]:
            found += [(f"{dashboard.uid} / {panel['title']}", t["expr"]) for t in panel["targets"]]
        for variable in model["templating"]["list"]:
            if variable["type"] == "query":
                metric, label = re.fullmatch(r"label_values\((\w+), (\w+)\)", variable["query"]["query"]).groups()  # type: ignore[union-attr]
                found.append((f"{dashboard.uid} / ${variable['name']}", f'{metric}{{{label}!=""}}'))
    return found


def grafana(expr: str) -> str:
    for name, value in GRAFANA.items():
        expr = expr.replace(name, value)
    return expr


@contextlib.contextmanager
def prometheus(platform: Platform) -> Iterator[str]:
    """The OS package's Prometheus, scraping every service each second with the repository's rules."""
    url = platform.stack.start_prometheus(free_port(), scrape_interval="1s")
    try:
        yield url
    finally:
        platform.stack.processes.pop("prometheus").stop()


def check_ntfy(seen: Seen) -> None:
    assert (seen.method, seen.path) == ("POST", "/eng-dash")


def check_webhook(seen: Seen) -> None:
    assert seen.method == "POST" and seen.headers["x-pso-signature"].startswith("sha256=")


def check_twilio(seen: Seen) -> None:
    assert seen.form()["To"] == PHONE


@contextlib.asynccontextmanager
async def providers(platform: Platform) -> AsyncIterator[tuple[FakeApi, FakeApi, FakeApi]]:
    """ntfy refuses our account (the webhook takes over); Twilio refuses the number (the SMS fails)."""
    ntfy = FakeApi(check_ntfy, [(401, {"code": 40101, "http": 401, "error": "unauthorized"}, {})])
    webhook = FakeApi(check_webhook, [(200, {"ok": True}, {})])
    twilio = FakeApi(check_twilio, [(400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}, {})])
    async with contextlib.AsyncExitStack() as stack:
        for api in (ntfy, webhook, twilio):
            await stack.enter_async_context(serving(api))
        extra = {"NOTIFY_PUSH_PROVIDERS": '["ntfy"]', "NOTIFY_NTFY_BASE_URL": ntfy.base_url,
                 "NOTIFY_WEBHOOK_URL": webhook.base_url + "/hook", "NOTIFY_WEBHOOK_SECRET": "w" * 32,
                 "NOTIFY_SMS_PROVIDERS": '["twilio"]', "NOTIFY_TWILIO_BASE_URL": twilio.base_url,
                 "NOTIFY_TWILIO_ACCOUNT_SID": "AC0123456789", "NOTIFY_TWILIO_AUTH_TOKEN": "twilio-auth-token",
                 "NOTIFY_TWILIO_FROM": "+15005550006"}  # fmt: skip
        await stack.enter_async_context(notify_with(platform, extra))
        yield ntfy, webhook, twilio


async def scenario(platform: Platform, admin: httpx.AsyncClient, tmp: Path) -> None:
    engineer = {"engineer_id": ENGINEER, "name": "D", "region": "east", "tier": "L1"}
    assert (await admin.post("/api/v1/engineers", json=engineer)).status_code == 201
    site = {"site_id": SITE, "name": "Dash Hospital", "region": "east", "account_engineer_id": ENGINEER,
            "contract": {"response": "PT2S", "ladder": LADDER}}  # fmt: skip
    assert (await admin.post("/api/v1/sites", json=site)).status_code == 201
    contacts = {"phones": [PHONE], "push": [{"provider": "ntfy", "address": "eng-dash"}],
                "rules": [{"channel": "push"}, {"channel": "sms", "after": "PT1S"}]}  # fmt: skip

    async def saved() -> bool:
        return (await admin.put(f"/api/v1/engineers/{ENGINEER}/contacts", json=contacts)).status_code == 200

    await eventually(saved, timeout=15, what="the engineer known to notify, contacts saved")
    key = await create_api_key(SITE, ["intake", "monitoring"], "dash HIS", None,
                               databases=platform.stack.database_urls, namespace=platform.namespace)  # fmt: skip
    async with httpx.AsyncClient(base_url=platform.url, headers={"X-API-Key": key}, timeout=30) as his:

        async def fault(equipment: str) -> str | None:
            r = await his.post(
                "/api/v1/faults", json=make_fault(SITE, equipment_id=equipment, code=f"{equipment}-DOWN")
            )
            return str(r.json()["fault_id"]) if r.status_code == 202 else None  # 422 until intake knows the site

        await eventually(lambda: fault("ARCH-01"), timeout=15, what="a fault accepted (it breaches and climbs)")
        await eventually(lambda: fault("RIS-01"), timeout=15, what="a second fault (acknowledged, on site, resolved)")
        disk = {"host": "pacs-db-01", "name": "disk_used_percent", "labels": {"mount": "/"}, "value": 97.0}
        assert (await his.post("/api/v1/metrics", json={"site_id": SITE, "samples": [disk]})).status_code == 202
        beat = {"site_id": SITE, "link": "remote-monitoring", "allowance": "PT5M"}
        assert (await his.post("/api/v1/heartbeats", json=beat)).status_code == 202
        viewer = {"component": PRODUCT, "kind": "viewer", "version": "3.1.0"}
        software = {"site_id": SITE, "hosts": [{"host": "view-01", "components": [viewer]}]}
        assert (await his.post("/api/v1/software", json=software)).status_code == 202
    release = make_release(product=PRODUCT, version="3.2.0", applies_to=[">=3.0,<3.2"])
    assert (await admin.post("/api/v1/releases", json=release)).status_code == 201

    async def two_incidents() -> list[dict[str, Any]] | None:
        items = (await admin.get("/api/v1/incidents", params={"site_id": SITE})).json()["items"]
        from_faults = [i for i in items if i.get("fault_id")]  # the disk breach opens one more
        return from_faults if len(from_faults) == 2 else None

    incidents = await eventually(two_incidents, timeout=20, what="both faults' incidents open")
    worked = incidents[-1]["incident_id"]
    for action in ("acknowledge", "request-on-site", "check-in"):
        assert (await admin.post(f"/api/v1/incidents/{worked}/{action}")).status_code == 200, action
    resolution = {
        "root_cause": "archive volume full",
        "resolution": "expanded the volume",
        "caused_by": "software",
        "whole_system_down": True,
        "down_from": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    }
    assert (await admin.post(f"/api/v1/incidents/{worked}/resolve", json=resolution)).status_code == 200

    port = free_port()
    node = {"site_id": SITE, "ae_title": "STORESCP", "host": "127.0.0.1", "port": port, "calling_ae_title": "PSO"}
    with storescp(tmp, port):
        assert (await admin.post("/api/v1/dicom-nodes", json=node)).status_code == 201

        async def echoed() -> bool:
            nodes = (await admin.get("/api/v1/dicom-nodes", params={"site_id": SITE})).json()["items"]
            return bool(nodes) and (nodes[0].get("last_probe") or {}).get("up") is True

        await eventually(echoed, timeout=30, what="the DICOM node echoed")


async def series(client: httpx.AsyncClient, expr: str) -> int:
    response = await client.get("/api/v1/query", params={"query": grafana(expr)})
    assert response.status_code == 200, f"{expr}: {response.text}"
    return len(response.json()["data"]["result"])


async def test_every_panel_query_returns_data_and_the_rules_evaluate(
    platform: Platform, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    async with providers(platform) as (ntfy, webhook, twilio):
        with prometheus(platform) as url:
            async with httpx.AsyncClient(base_url=url, timeout=10) as prom:

                async def scraping_all() -> bool:
                    up = (await prom.get("/api/v1/query", params={"query": 'up{job="pacs"} == 1'})).json()
                    return len(up["data"]["result"]) == len(SERVICES)

                # counters start at 0 in the first scrape, so that what the scenario does is an increase
                await eventually(scraping_all, timeout=30, what="Prometheus scraping every service", interval=0.5)
            await scenario(platform, admin, tmp_path)
            await eventually(lambda: webhook.requests or None, timeout=20, what="the push failed over to the webhook")
            await eventually(lambda: twilio.requests or None, timeout=20, what="the SMS tried")
            assert ntfy.requests, "ntfy was tried first"
            async with httpx.AsyncClient(base_url=url, timeout=10) as prom:
                empty: list[str] = []

                async def every_panel_has_data() -> bool:
                    empty[:] = [f"{where}: {expr}" for where, expr in queries() if not await series(prom, expr)]
                    return not empty

                try:
                    await eventually(every_panel_has_data, timeout=90, what="every panel with data", interval=1)
                except AssertionError:
                    raise AssertionError("panels without data:\n" + "\n".join(empty)) from None
                behind = f'max by (product) (pacs_sites_behind_latest_release{{product="{PRODUCT}"}}) == 1'
                await eventually(lambda: series(prom, behind), timeout=30, what="the site behind the release")

                async def rules() -> dict[str, Any]:
                    groups = (await prom.get("/api/v1/rules")).json()["data"]["groups"]
                    return {rule["name"]: rule for group in groups for rule in group["rules"]}

                written = {r.get("alert") or r["record"] for path in RULES
                           for g in yaml.safe_load(path.read_text())["groups"] for r in g["rules"]}  # fmt: skip
                loaded = await rules()
                assert set(loaded) == written
                assert [n for n, r in loaded.items() if r["health"] != "ok"] == [], json.dumps(loaded, indent=1)

                async def failing_alert() -> dict[str, Any] | None:
                    alerts = await rules()
                    return alerts if alerts["PacsNotificationsFailing"].get("state") == "firing" else None

                alerts = await eventually(failing_alert, timeout=30, what="the refused SMS alerting", interval=1)
                assert alerts["PacsClockStopped"]["state"] == "inactive", "the scheduler's ticks are handled"


def test_the_platform_rules_and_scrape_config_pass_promtool() -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool comes with Prometheus (make os-deps)"
    for check in (["rules", *map(str, RULES)], ["config", str(ROOT / "deploy" / "prometheus" / "prometheus.yml")]):
        result = subprocess.run([promtool, "check", *check], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
