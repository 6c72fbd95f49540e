"""One trace from the HIS's HTTP request, through intake's outbox and the bus, escalation's handler and its
outbox, notify's handler and its dispatcher, to the push provider's HTTP call."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from pacs_intake.main import create_app as intake_app
from pacs_intake.settings import IntakeSettings
from pacs_kit.service import Kit
from pacs_notify.adapters.providers import ProviderSettings
from pacs_notify.main import create_app as notify_app
from pacs_notify.settings import NotifySettings
from tests.integration.conftest import running
from tests.integration.test_notify_providers import FakeApi, Seen, serving
from tests.support import bearer, eventually, make_fault


def check_ntfy(seen: Seen) -> None:
    assert (seen.method, seen.path) == ("POST", "/pso-eng-t")


def spans_named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name == name]


async def test_one_trace_from_the_his_request_to_the_provider_call(
    settings_for: Callable[..., Any], tmp_path: Path
) -> None:
    ntfy = FakeApi(check_ntfy, [(200, {"id": "nt1", "event": "message"}, {})])
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(serving(ntfy))
        providers = ProviderSettings(push_providers=["ntfy"], ntfy_base_url=ntfy.base_url, ntfy_token="tk_trace")
        intake = intake_app(settings_for(IntakeSettings))
        escalation = escalation_app(settings_for(EscalationSettings))
        notify = notify_app(settings_for(NotifySettings, log_path=str(tmp_path / "log"), providers=providers))
        exporter = InMemorySpanExporter()
        provider = trace.get_tracer_provider()
        assert isinstance(provider, TracerProvider), "the kit installs the SDK tracer provider"
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        kit: Kit = escalation.state.kit
        admin = bearer(kit, "ops", "admin")
        esc = await stack.enter_async_context(running(escalation, admin))
        ntf = await stack.enter_async_context(running(notify, admin))
        intake_client = await stack.enter_async_context(running(intake))
        engineer = {"engineer_id": "ENG-T", "name": "Test Engineer", "region": "east"}
        assert (await esc.post("/api/v1/engineers", json=engineer)).status_code == 201
        site = {"site_id": "SITE-T", "name": "Trace Hospital", "region": "east", "account_engineer_id": "ENG-T"}
        assert (await esc.post("/api/v1/sites", json=site)).status_code == 201
        contacts = {"push": [{"provider": "ntfy", "address": "pso-eng-t"}], "rules": [{"channel": "push"}]}

        async def saved() -> bool:
            return (await ntf.put("/api/v1/engineers/ENG-T/contacts", json=contacts)).status_code == 200

        await eventually(saved, timeout=10, what="the engineer known to notify, contacts saved")
        key = await intake.state.kit.auth.api_keys.create("SITE-T", name="his")

        async def accepted() -> bool:
            response = await intake_client.post("/api/v1/faults", json=make_fault("SITE-T"), headers={"X-API-Key": key})
            return response.status_code == 202  # 422 until intake has learnt the site from the bus

        await eventually(accepted, timeout=10, what="fault accepted once the site is known")
        await eventually(lambda: ntfy.requests or None, timeout=15, what="the push at the provider")
        [post] = [s for s in exporter.get_finished_spans()
                  if s.kind == trace.SpanKind.SERVER and "/api/v1/faults" in s.name and s.name.startswith("POST")
                  and s.attributes and s.attributes.get("http.status_code") == 202]  # fmt: skip
        wanted = ["fault.reported process", "incident.opened process", "notify send push", "ntfy send"]

        def every_span() -> list[list[ReadableSpan]] | None:
            found = [spans_named(exporter, n) for n in wanted]
            return found if all(found) else None

        found = await eventually(every_span, timeout=10, what="every service's span finished")
    trace_id = post.context.trace_id
    for name, spans in zip(wanted, found, strict=True):
        assert trace_id in {s.context.trace_id for s in spans}, f"{name} is not in the fault's trace"
    [call] = [s for s in found[3] if s.context.trace_id == trace_id]
    [send] = [s for s in found[2] if s.context.trace_id == trace_id]
    assert call.parent is not None and call.parent.span_id == send.context.span_id, "the provider call is in the send"
    assert call.kind == trace.SpanKind.CLIENT
