"""The bilingual PM report of a completed visit: HTML from a Jinja2 template, PDF by WeasyPrint."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from weasyprint import HTML

from pacs_contracts.api import PmVisitCompletion, PmVisitPublic
from pacs_contracts.checklist import LABELS, RESULT_LABELS, SEVERITY_LABELS
from pacs_scheduler.domain.checklist import in_order


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("pacs_scheduler", "templates"),
        autoescape=True,  # every field of a report is text someone typed
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def template(name: str) -> Template:
    """One of the scheduler's document templates (the PM report, the service review), from one environment."""
    return _environment().get_template(name)


def render_html(visit: PmVisitPublic, site: dict[str, Any]) -> str:
    """The report of a completed visit as one HTML page, its dates in the site's local time."""
    completion = visit.completion
    if completion is None:
        raise ValueError(f"visit {visit.visit_id} is {visit.status.value}, not completed: it has no report yet")
    zone = ZoneInfo(site["time_zone"])
    return template("pm_report.html").render(
        site={"site_id": site["site_id"], "name": site["name"], "time_zone": site["time_zone"]},
        visit_id=visit.visit_id,
        system=completion.system,
        engineer=completion.engineer_id,
        visited_at=_local(visit.completed_at or completion.completed_at, zone),
        due_on=_local(visit.due_at, zone)[:10],
        checks=_checks(completion),
        findings=completion.findings,
        actions=completion.actions,
        follow_ups=[
            {"text": f.text, "severity": SEVERITY_LABELS[f.severity], "incident": f.open_incident}
            for f in completion.follow_ups
        ],
        signatory=completion.hospital_signatory,
    )


async def render_pdf(html: str) -> bytes:
    """The report as an A4 PDF; layout is CPU-bound, so it runs in a worker thread."""
    return await asyncio.to_thread(_write_pdf, html)


def _write_pdf(html: str) -> bytes:
    return HTML(string=html).write_pdf()


def _checks(completion: PmVisitCompletion) -> list[dict[str, Any]]:
    return [
        {
            "label": LABELS[entry.item],
            "result": entry.result.value,
            "result_label": RESULT_LABELS[entry.result],
            "value": entry.value,
            "note": entry.note,
        }
        for entry in in_order(completion.checklist)
    ]


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "—"
    # The contract types allow a naive datetime; the database stores UTC.
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{aware.astimezone(zone):%Y-%m-%d %H:%M}"
