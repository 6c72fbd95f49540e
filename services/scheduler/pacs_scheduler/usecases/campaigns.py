"""Moving an upgrade campaign's sites, shared by the routes (the hospital and its agent) and the job (the clock):
each move is a guarded write with its `upgrade.site_moved` event in one transaction."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pacs_contracts.api import MaintenanceKind, MaintenanceWindowCreate, SiteChecks
from pacs_contracts.common import Severity
from pacs_contracts.events import FaultReported, HospitalNotice, UpgradeSiteMoved
from pacs_kit.links import SignedLinks
from pacs_kit.mongo import Document
from pacs_kit.uow import Tx
from pacs_scheduler.domain import agreements, campaigns, maintenance

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
    """The hospital's window, in one transaction (IllegalMove when the site cannot agree now; False when another
    moved it first)."""
    campaigns.next_state(row["state"], "window_agreed")
    return await kit.uow.run(lambda tx: agree_in(tx, deps, campaign, row, starts_at, by, now))


async def agree_in(tx: Tx, deps: SchedulerDeps, campaign: Document, row: Document, starts_at: datetime, by: str,
                   now: datetime, *, by_consent: bool = False) -> bool:  # fmt: skip
    """The site moves to window_agreed and the scheduler's maintenance window is planned with it, in the caller's
    transaction. `by_consent`: taken from the hospital's standing agreement, so its contacts are told (and may move
    it with their link) and passing the post-checks is its sign-off."""
    ends_at = starts_at + campaigns.window_length(campaign)
    window = maintenance.new_window(MaintenanceWindowCreate(
        site_id=row["site_id"], starts_at=starts_at, ends_at=ends_at,
        kind=MaintenanceKind.upgrade if campaign.get("kind") == "upgrade" else MaintenanceKind.patch,
        reason=f"upgrade to {campaign['product']} {campaign['version']} ({campaign['_id']})"), by, now)  # fmt: skip
    fields = {"window_starts_at": starts_at, "window_ends_at": ends_at, "window_id": window["_id"],
              "missed_start": False, "reasons": [], "by_consent": by_consent}  # fmt: skip
    if not await move_site(tx, deps, row, "window_agreed", f"window agreed by {by}", now, fields):
        return False
    if row.get("window_id"):  # agreed again: the earlier window gives way to the new one
        await deps.windows.move(row["window_id"], maintenance.SCHEDULED,
                                {"state": maintenance.CANCELLED, "ended_at": now}, tx.session)  # fmt: skip
    await deps.windows.add(window, tx.session)
    if by_consent:
        await tell_hospital(tx, deps, campaign, row, now, "upgrade.window_scheduled",
                            window=f"{starts_at:%Y-%m-%d %H:%M:%S} UTC")  # fmt: skip
    return True


async def tell_hospital(tx: Tx, deps: SchedulerDeps, campaign: Document, row: Document, now: datetime, topic: str,
                        **facts: str) -> None:  # fmt: skip
    """The site's upgrade contacts get an e-mail (notify sends it) with the signed link to agree or move the
    window and, afterwards, to sign the site off."""
    url, expires = link_for(deps, row, now)
    minutes = f"{campaigns.window_length(campaign).total_seconds() / 60:g}"
    facts = {"product": campaign["product"], "version": campaign["version"], "window_minutes": minutes, **facts}
    await tx.emit(HospitalNotice(notice_id=f"HN-{uuid.uuid4().hex}", site_id=row["site_id"], role="upgrade",
                                 topic=topic, reference=campaign["_id"], link=url, expires_at=expires, facts=facts),
                  correlation_id=campaign["_id"])  # fmt: skip


async def notified(tx: Tx, deps: SchedulerDeps, campaign: Document, rows: list[Document], now: datetime, *,
                   standing: dict[str, Document] | None = None, ask: bool = True) -> None:  # fmt: skip
    """Sites just notified (in the caller's transaction): one whose hospital pre-approved the release's kind takes
    the next standing window long enough for it; the others' contacts are asked to agree one (unless `ask` is
    false), and a site whose standing windows are all too short says so. `standing`: the sites' agreements, if the
    caller holds them."""
    if standing is None and campaigns.consentable(campaign):
        standing = await deps.agreements.of_sites([r["site_id"] for r in rows])
    standing = standing or {}
    for row in rows:
        agreement = standing.get(row["site_id"])
        if agreements.consents_to(agreement, campaign["kind"]):
            assert agreement is not None
            slot = agreements.next_window(agreement, now, campaigns.window_length(campaign))
            if slot is not None:
                by = f"standing consent ({agreement['agreed_by']}, {agreement['agreed_at']:%Y-%m-%d})"
                await agree_in(tx, deps, campaign, row, slot[0], by, now, by_consent=True)
                continue
            await deps.campaign_sites.move(row, {"reasons": [campaigns.NO_STANDING_WINDOW]}, tx.session)
        if ask:
            await tell_hospital(tx, deps, campaign, row, now, "upgrade.window_requested")


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
    if not lost and report.dicom_echo_ok is not True:
        reasons.append("DICOM echo failing after the upgrade")
    if not lost:
        reasons += campaigns.soak_reasons({}, await deps.metrics.troubling(row["site_id"], now), now)
    soak_until = now + campaigns.post_soak(campaign)
    fields = {"checks.post": report.model_dump(mode="json"), "reasons": reasons}

    async def work(tx: Tx) -> bool:
        if lost:
            if not await move_site(tx, deps, row, "data_lost", reasons[0], now, fields):
                return False
            await tx.emit(FaultReported(
                fault_id=f"UPG-{campaign['_id']}-{row['site_id']}", site_id=row["site_id"], source="pm",
                code=DATA_LOSS, severity=Severity.critical, reported_at=now, start_tier=3,  # the plan: at L3
                description=f"Archive counts dropped during the upgrade to {campaign['product']} "
                            f"{campaign['version']} (campaign {campaign['_id']}): {', '.join(lost)}",
            ), correlation_id=campaign["_id"])  # fmt: skip
            return True
        if reasons:
            return await deps.campaign_sites.move(row, fields, tx.session)
        # the hospital consented in advance: its sign-off is the site staying green through the soak
        passed = {**fields, "soak_until": soak_until, "consent_sign_off": bool(row.get("by_consent"))}
        return await move_site(tx, deps, row, "postchecks_passed", "post-checks passed", now, passed)

    await kit.uow.run(work)
    return reasons


async def sign_off(kit: Kit, deps: SchedulerDeps, row: Document, by: str, now: datetime) -> list[str]:
    """The hospital signs a post-checked site off (IllegalMove in any other state): refused, with the reasons,
    while its soak runs or after a breach of the site since its post-checks; empty when it was signed off."""
    campaigns.next_state(row["state"], "hospital_verified")
    since = row.get("soak_until") or now
    reasons = campaigns.soak_reasons(row, await deps.metrics.troubling(row["site_id"], since), now)

    async def work(tx: Tx) -> bool:
        if reasons:
            return await deps.campaign_sites.move(row, {"reasons": reasons, "consent_sign_off": False}, tx.session)
        return await move_site(tx, deps, row, "hospital_verified", f"signed off by {by}", now,
                               {"reasons": [], "consent_sign_off": False})  # fmt: skip

    if not await kit.uow.run(work):
        raise Moved
    return reasons


class Moved(Exception):
    """Another instance or request moved the site first."""


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
