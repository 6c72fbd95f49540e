"""What operations scrape: RED metrics per route and handler, outbox lag, DLQ depth, consumers."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import Platform
from tests.support import eventually, make_fault


async def _samples(platform: Platform, service: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    async with httpx.AsyncClient() as client:
        text = (await client.get(platform.stack.service_url(service) + "/metrics")).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


async def test_each_service_exposes_red_outbox_dlq_and_consumer_metrics(
    platform: Platform, his: httpx.AsyncClient
) -> None:
    assert (await his.post("/api/v1/faults", json=make_fault(platform.site_id))).status_code == 202

    intake = await _samples(platform, "intake")
    assert _value(intake, "pacs_http_requests_total", route="/api/v1/faults", method="POST", status="202") >= 1
    assert _value(intake, "pacs_http_request_duration_seconds_count", route="/api/v1/faults") >= 1

    async def handled() -> bool:
        escalation = await _samples(platform, "escalation")
        return _value(escalation, "pacs_handler_messages_total", event_type="fault.reported", outcome="handled") >= 1

    await eventually(handled, timeout=10, what="escalation counting handled faults")

    async def gauges_refreshed() -> bool:
        samples = await _samples(platform, "notify")
        return _value(samples, "pacs_queue_consumers") >= 1

    await eventually(gauges_refreshed, timeout=15, what="notify reporting its attached consumer")
    for service in ("intake", "escalation", "notify"):
        samples = await _samples(platform, service)
        names = {name for name, _ in samples}
        assert {"pacs_outbox_lag_seconds", "pacs_outbox_pending", "pacs_dlq_depth", "pacs_queue_consumers"} <= names
