"""Moving an upgrade campaign's sites, shared by the routes (the hospital and its agent) and the job (the clock):
each move is a guarded write with its `upgrade.site_moved` event in one transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pacs_contracts.api import MaintenanceKind, MaintenanceWindowCreate, SiteChecks
from pacs_contracts.common import Severity
from pacs_contracts.events import FaultReported, UpgradeSiteMoved
from pacs_kit.links import SignedLinks
from pacs_kit.mongo import Document
from pacs_kit.uow import Tx
from pacs_scheduler.domain import campaigns, maintenance

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_scheduler.deps import SchedulerDeps

LINK_AUDIENCE = "pacs-upgrade-window"  # a campaign link is no bearer token, nor a review link
DATA_LOSS = "UPGRADE-DATA-LOSS"


async def move_site(tx: Tx, deps: SchedulerDeps, row: Document, happening: str, reason: str, now: datetime,
                    fields: dict[str, Any] | None = None) -> bool:  # fmt: skip
    """Move the site as the table says (IllegalMove otherwise) and tell it; False if someone moved it first."""
    to = campaigns.next_state(row["state"], happening)
    entry = campaigns.move(row["state"], to, reason, now)
    if not await deps.campaign_sites.move(row, {"state": to.value, **(fields or {})}, tx.session, entry):
        return False
    await tx.emit(UpgradeSiteMoved(campaign_id=row["campaign_id"], site_id=row["site_id"], from_state=row["state"],
                                   to_state=to.value, reason=reason[:200], at=now),
                  correlation_id=row["campaign_id"])  # fmt: skip
    return True


async def agree(kit: Kit, deps: SchedulerDeps, campaign: Document, row: Document, starts_at: datetime, by: str,
                now: datetime) -> bool:  # fmt: skip
    """The hospital's window: the site moves to window_agreed and the scheduler's maintenance window is planned
    with it, in one transaction (IllegalMove when the site cannot agree now)."""
    campaigns.next_state(row["state"], "window_agreed")
    ends_at = starts_at + campaigns.window_length(campaign)
    window = maintenance.new_window(MaintenanceWindowCreate(
        site_id=row["site_id"], starts_at=starts_at, ends_at=ends_at, kind=MaintenanceKind.upgrade,
        reason=f"upgrade to {campaign['product']} {campaign['version']} ({campaign['_id']})"), by, now)  # fmt: skip

    async def work(tx: Tx) -> bool:
        fields = {"window_starts_at": starts_at, "window_ends_at": ends_at, "window_id": window["_id"],
                  "missed_start": False, "reasons": []}  # fmt: skip
        if not await move_site(tx, deps, row, "window_agreed", f"window agreed by {by}", now, fields):
            return False
        if row.get("window_id"):  # agreed again: the earlier window gives way to the new one
            await deps.windows.move(row["window_id"], maintenance.SCHEDULED,
                                    {"state": maintenance.CANCELLED, "ended_at": now}, tx.session)  # fmt: skip
        await deps.windows.add(window, tx.session)
        return True

    return await kit.uow.run(work)


async def _missing_licences(deps: SchedulerDeps, campaign: Document, site_id: str, now: datetime) -> list[str]:
    release = await deps.releases.get(campaign["release_id"]) or {}
    held = {d["licence"]: d for d in await deps.licences.at_sites([site_id])}
    needed = (release.get("prerequisites") or {}).get("licences", [])
    expired = {name for name, doc in held.items() if doc.get("expires_at") is not None and doc["expires_at"] <= now}
    return [name for name in needed if name not in held or name in expired]


async def precheck(kit: Kit, deps: SchedulerDeps, campaign: Document, row: Document, report: SiteChecks,
                   now: datetime) -> list[str]:  # fmt: skip
    """Keep the report (its counts as the `before` of the upgrade); the site is prechecked only if nothing blocks
    it. The reasons that block it, empty when it passed."""
    campaigns.next_state(row["state"], "prechecks_passed")
    reasons = campaigns.precheck_reasons(report, await deps.facts.open_critical(row["site_id"]),
                                         await _missing_licences(deps, campaign, row["site_id"], now))  # fmt: skip
    fields = {"checks.pre": report.model_dump(mode="json"), "before": report.counts.model_dump(), "reasons": reasons}

    async def work(tx: Tx) -> bool:
        if reasons:
            return await deps.campaign_sites.move(row, fields, tx.session)
        return await move_site(tx, deps, row, "prechecks_passed", "pre-checks passed", now, fields)

    await kit.uow.run(work)
    return reasons


async def postcheck(kit: Kit, deps: SchedulerDeps, campaign: Document, row: Document, report: SiteChecks,
                    now: datetime) -> list[str]:  # fmt: skip
    """Counts that dropped fail the site and report a critical fault (escalation opens the incident); otherwise
    the site is postchecked once the version monitoring reports is the target. What holds it back, in words."""
    campaigns.next_state(row["state"], "postchecks_passed")
    after = report.counts.model_dump()
    lost = campaigns.dropped(row.get("before"), after)
    installed = [d["installed_version"] for d in await deps.installed.at_sites([row["site_id"]])
                 if d["component"] == campaign["product"]]  # fmt: skip
    reasons = [f"archive counts dropped: {', '.join(lost)}"] if lost else []
    if not lost and not campaigns.at_version(installed, campaign["version"]):
        reasons.append(f"{campaign['product']} reported at {', '.join(installed) or 'no version'}, "
                       f"not {campaign['version']}")  # fmt: skip
    fields = {"checks.post": report.model_dump(mode="json"), "reasons": reasons}

    async def work(tx: Tx) -> bool:
        if lost:
            if not await move_site(tx, deps, row, "data_lost", reasons[0], now, fields):
                return False
            await tx.emit(FaultReported(
                fault_id=f"UPG-{campaign['_id']}-{row['site_id']}", site_id=row["site_id"], source="pm",
                code=DATA_LOSS, severity=Severity.critical, reported_at=now,
                description=f"Archive counts dropped during the upgrade to {campaign['product']} "
                            f"{campaign['version']} (campaign {campaign['_id']}): {', '.join(lost)}",
            ), correlation_id=campaign["_id"])  # fmt: skip
            return True
        if reasons:
            return await deps.campaign_sites.move(row, fields, tx.session)
        return await move_site(tx, deps, row, "postchecks_passed", "post-checks passed", now, fields)

    await kit.uow.run(work)
    return reasons


def links(deps: SchedulerDeps) -> SignedLinks:
    return SignedLinks(deps.settings, LINK_AUDIENCE, "/api/v1/upgrade-campaigns/agreements")


def link_for(deps: SchedulerDeps, row: Document, now: datetime) -> tuple[str, datetime]:
    """A signed, expiring link for the site's named contact: (url, expiry). It agrees the window (`agreements/`)
    and, the same token, signs the site off (`verifications/`)."""
    expires = now + timedelta(days=deps.settings.upgrade_link_days)
    return links(deps).url(row["_id"], now, expires), expires


def read_link(deps: SchedulerDeps, token: str) -> tuple[str, str]:
    """(campaign id, site id) of a link this service signed that has not expired; jwt.PyJWTError otherwise."""
    campaign_id, _, site_id = str(links(deps).read(token)["sub"]).partition("|")
    return campaign_id, site_id
