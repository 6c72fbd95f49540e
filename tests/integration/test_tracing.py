"""One trace from the HIS's HTTP request, through intake's outbox and the bus, into escalation's handler."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from pacs_intake.main import create_app as intake_app
from pacs_intake.settings import IntakeSettings
from pacs_kit.service import Kit
from tests.integration.conftest import running
from tests.support import bearer, eventually, make_fault


async def test_the_trace_context_crosses_the_bus(settings_for: Callable[..., Any]) -> None:
    intake = intake_app(settings_for(IntakeSettings))
    escalation = escalation_app(settings_for(EscalationSettings))
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "the kit installs the SDK tracer provider"
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    kit: Kit = escalation.state.kit
    admin = bearer(kit, "ops", "admin")
    async with contextlib.AsyncExitStack() as stack:
        esc = await stack.enter_async_context(running(escalation, admin))
        intake_client = await stack.enter_async_context(running(intake))
        engineer = {"engineer_id": "ENG-T", "name": "Test Engineer", "region": "east"}
        assert (await esc.post("/api/v1/engineers", json=engineer)).status_code == 201
        site = {"site_id": "SITE-T", "name": "Trace Hospital", "region": "east", "account_engineer_id": "ENG-T"}
        assert (await esc.post("/api/v1/sites", json=site)).status_code == 201
        key = await intake.state.kit.auth.api_keys.create("SITE-T", name="his")

        async def accepted() -> bool:
            response = await intake_client.post("/api/v1/faults", json=make_fault("SITE-T"), headers={"X-API-Key": key})
            return response.status_code == 202  # 422 until intake has learnt the site from the bus

        await eventually(accepted, timeout=10, what="fault accepted once the site is known")

        def handled() -> list[Any]:
            return [s for s in exporter.get_finished_spans() if s.name == "fault.reported process"]

        consumer_span = (await eventually(handled, timeout=10, what="escalation's handler span"))[0]
        posts = [
            s for s in exporter.get_finished_spans()
            if s.kind == trace.SpanKind.SERVER and "/api/v1/faults" in s.name
        ]  # fmt: skip
        assert consumer_span.context.trace_id in {s.context.trace_id for s in posts}
