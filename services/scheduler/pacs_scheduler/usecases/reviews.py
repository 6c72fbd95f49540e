"""Building a service review from the facts, and the signed link the hospital acknowledges it with: shared by
the routes and the job that drafts every site's review after a period closes."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pacs_contracts.api import ServiceReviewPublic
from pacs_kit.documents import model_of
from pacs_kit.links import SignedLinks
from pacs_kit.mongo import Document
from pacs_scheduler.deps import SchedulerDeps
from pacs_scheduler.domain import review
from pacs_scheduler.domain.review_rules import RULES_VERSION

LINK_AUDIENCE = "pacs-service-review-ack"  # a review link is no bearer token, and no bearer token is a link


class UnknownSites(LookupError):
    pass


def key_of(site_ids: list[str], label: str) -> str:
    return f"{','.join(sorted(site_ids))}|{label}"


async def _facts(deps: SchedulerDeps, site_ids: list[str], sites: list[Document], span: review.Span) -> review.Facts:
    # the budget's year starts on 1 January in the hospital's zone: a day early covers every zone
    year_start = datetime((span.end - timedelta(microseconds=1)).year, 1, 1, tzinfo=UTC) - timedelta(days=1)
    visits = await deps.visits.due_between(site_ids, span.start, span.end)
    follow_ups = [f"PMF-{v['_id']}-{n}" for v in visits
                  for n, _ in enumerate((v.get("completion") or {}).get("follow_ups", []), start=1)]  # fmt: skip
    return review.Facts(
        incidents=await deps.facts.opened_in(site_ids, span.start, span.end),
        outages=await deps.facts.down_between(site_ids, min(year_start, span.start), span.end),
        windows=await deps.windows.touching(site_ids, min(year_start, span.start), span.end),
        visits=visits,
        follow_ups=await deps.facts.resolved_faults(follow_ups),
        metrics=await deps.metrics.between(site_ids, span.start, span.end),
        sites=sites,
        dicom_down=await deps.metrics.down_during(site_ids, review.DICOM_DOWN_RULE, span.start, span.end),
    )


async def snapshot(deps: SchedulerDeps, site_ids: list[str], period: str, now: datetime) -> dict[str, Any]:
    """The figures of the period, the period before and the year before, with the rows behind the first.
    Raises UnknownSites, or review.BadPeriod for a period that does not parse."""
    sites = [s for s in [await deps.sites.get(site_id) for site_id in site_ids] if s is not None]
    if len(sites) != len(site_ids):
        missing = sorted(set(site_ids) - {s["_id"] for s in sites})
        raise UnknownSites(f"sites not known to the scheduler: {', '.join(missing)}")
    zone = sites[0].get("time_zone", "UTC")
    span = review.parse_period(period, zone)
    counted: dict[str, Any] = {}
    rows: dict[str, list[dict[str, Any]]] = {}
    for name, each in (("figures", span), ("previous", review.previous(span, zone)),
                       ("year_before", review.year_before(span, zone))):  # fmt: skip
        counted[name], period_rows = review.figures(each, await _facts(deps, site_ids, sites, each), now)
        rows = rows or period_rows
    upgrades = await deps.campaign_sites.of_sites(site_ids)
    for row in upgrades:
        row["version"] = ((await deps.campaigns.get(row["campaign_id"])) or {}).get("version")
    releases, _ = await deps.releases.search({}, 10_000, 0)
    summary, software_rows = review.software(await deps.installed.at_sites(site_ids), releases, upgrades, span)
    return {"span": span, **counted, "rows": {**rows, **software_rows},
            "recurring": review.recurring(rows["incidents"]), "software": summary}  # fmt: skip


def _frozen(data: dict[str, Any]) -> str:
    """The snapshot as the JSON it is served as: frozen, and free of the database's rules for field names."""
    return json.dumps(data, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v),
                      ensure_ascii=False)  # fmt: skip


async def draft(deps: SchedulerDeps, site_ids: list[str], period: str, now: datetime, by: str) -> Document:
    """A new draft (not saved): the snapshot, its holes, and the previous review's actions to follow up."""
    shot = await snapshot(deps, site_ids, period, now)
    span: review.Span = shot.pop("span")
    before = await deps.reviews.latest_before(sorted(site_ids), span.start)
    return {
        "_id": f"REV-{uuid.uuid4().hex[:12].upper()}", "key": key_of(site_ids, span.label),
        "site_ids": sorted(site_ids), "period": span.label, "starts_at": span.start, "ends_at": span.end,
        "rules_version": RULES_VERSION, "state": "draft", "built_at": now, "built_by": by,
        "snapshot": _frozen(shot), "holes": review.holes(shot["rows"]["incidents"], {}), "waivers": [],
        "recommendations": [], "actions": [],
        "previous_actions": [a for a in (before or {}).get("actions", []) if a.get("status") == "open"],
    }  # fmt: skip


async def rebuilt(deps: SchedulerDeps, doc: Document, now: datetime) -> dict[str, Any]:
    """The fields a rebuild of a draft replaces: its figures and holes, waivers kept."""
    shot = await snapshot(deps, doc["site_ids"], doc["period"], now)
    shot.pop("span")
    waivers = {(w["incident_id"], w["kind"]): w["reason"] for w in doc.get("waivers", [])}
    return {"snapshot": _frozen(shot), "holes": review.holes(shot["rows"]["incidents"], waivers), "built_at": now,
            "rules_version": RULES_VERSION}  # fmt: skip


def public(doc: Document) -> ServiceReviewPublic:
    return model_of(ServiceReviewPublic, doc, id_as="review_id", **json.loads(doc["snapshot"]))


def links(deps: SchedulerDeps) -> SignedLinks:
    return SignedLinks(deps.settings, LINK_AUDIENCE, "/api/v1/service-reviews/acknowledgements")


def link_for(deps: SchedulerDeps, doc: Document, now: datetime) -> tuple[str, str, datetime]:
    """A signed, expiring link for the hospital's contact: (url, the token's id kept on the review, expiry)."""
    expires = now + timedelta(days=deps.settings.review_link_days)
    token_id = secrets.token_urlsafe(12)
    return links(deps).url(doc["_id"], now, expires, jti=token_id), token_id, expires


def read_link(deps: SchedulerDeps, token: str) -> tuple[str, str]:
    """(review id, token id) of a link this service signed and that has not expired; jwt.PyJWTError otherwise."""
    claims = links(deps).read(token, "jti")
    return str(claims["sub"]), str(claims["jti"])
