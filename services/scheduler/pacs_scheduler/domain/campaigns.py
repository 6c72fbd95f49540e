"""Upgrade campaigns: the site state machine, what a pre- or post-check report decides, and when a wave pauses the
campaign or lets the next one start. Pure: campaigns and sites are plain documents, time is passed in."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, get_args

from pacs_contracts.api import (
    CampaignCreate,
    CampaignState,
    PreApprovable,
    ReleasePublic,
    SiteChecks,
    SiteState,
    Wave,
)  # fmt: skip
from pacs_contracts.common import parse_duration, parse_version

Doc = dict[str, Any]
S = SiteState
# (state, happening) -> state: every move a site may make, and nothing else
MOVES: dict[tuple[SiteState, str], SiteState] = {
    (S.proposed, "wave_started"): S.notified,
    (S.notified, "window_agreed"): S.window_agreed,
    (S.window_agreed, "window_agreed"): S.window_agreed,  # agreed again before it starts: the new time stands
    (S.window_agreed, "prechecks_passed"): S.prechecked,
    (S.prechecked, "prechecks_passed"): S.prechecked,
    (S.prechecked, "window_began"): S.in_progress,
    (S.in_progress, "postchecks_passed"): S.postchecked,
    (S.in_progress, "data_lost"): S.failed,
    (S.in_progress, "rolled_back"): S.rolled_back,
    (S.postchecked, "hospital_verified"): S.verified,
}
FINISHED = frozenset({S.verified, S.failed, S.rolled_back})
MAX_BACKUP_HOURS = 26.0
MIN_FREE_PERCENT = 10.0
NOT_PRECHECKED = "pre-checks not passed by the window's start"
NO_STANDING_WINDOW = "the hospital's standing windows are shorter than this release needs"
CONSENTABLE = frozenset(get_args(PreApprovable))
PAUSED = "the campaign was paused by the window's start"


class IllegalMove(ValueError):
    pass


def next_state(state: str, happening: str) -> SiteState:
    """The state `happening` moves a site in `state` to; IllegalMove when the table has no such move."""
    try:
        return MOVES[(SiteState(state), happening)]
    except KeyError:
        raise IllegalMove(f"a site that is {state} cannot take '{happening.replace('_', ' ')}'") from None


class NoSites(ValueError):
    pass


def choose_waves(waves: Sequence[Wave], pool: Sequence[tuple[str, str]]) -> list[Wave]:
    """Each wave with its sites: named ones as named, choosing ones from `pool` ((site, region), in order) by
    region and count, a site named or chosen once only. NoSites for a wave that would be empty."""
    named = {s for w in waves for s in w.site_ids}
    left = [(site, region) for site, region in pool if site not in named]
    chosen = []
    for wave in waves:
        if not wave.site_ids:
            fits = [site for site, region in left if not wave.regions or region in wave.regions][: wave.count]
            left = [(site, region) for site, region in left if site not in fits]
            wave = Wave(name=wave.name, site_ids=fits)
        if not wave.site_ids:
            raise NoSites(f"wave {wave.name} chooses no site: none of the selection is left for it")
        chosen.append(wave)
    return chosen


def new_campaign(body: CampaignCreate, release: ReleasePublic, actor: str, now: datetime,
                 waves: list[Wave] | None = None) -> tuple[Doc, list[Doc]]:  # fmt: skip
    """The campaign and one row per site: the pilot wave's sites notified at once, later waves' proposed. `waves`:
    the body's, with the sites its choosing waves chose."""
    campaign_id = f"UPC-{uuid.uuid4().hex[:12].upper()}"
    waves = waves or body.named_waves()
    campaign = {
        "_id": campaign_id, "release_id": release.release_id, "product": release.product, "version": release.version,
        "kind": str(release.kind), "waves": [w.model_dump() for w in waves], "advance_share": body.advance_share,
        "pause_share": body.pause_share, "soak": body.soak, "post_soak": body.post_soak,
        "window": body.window or release.expected_downtime,
        "state": CampaignState.active.value, "current_wave": 0, "next_wave_at": None, "paused_reason": None,
        "created_by": actor, "created_at": now,
    }  # fmt: skip
    rows = []
    for n, wave in enumerate(waves):
        for site_id in wave.site_ids:
            state = S.notified if n == 0 else S.proposed
            rows.append({
                "_id": f"{campaign_id}|{site_id}", "campaign_id": campaign_id, "site_id": site_id, "wave": n,
                "state": state.value, "window_starts_at": None, "window_ends_at": None, "window_id": None,
                "checks": {}, "before": None, "reasons": [], "missed_start": False, "by_consent": False,
                "history": [move(None, state, "campaign created", now)],
            })  # fmt: skip
    return campaign, rows


def consentable(campaign: Mapping[str, Any]) -> bool:
    """Whether a hospital may have pre-approved the campaign's release (patches, hotfixes, OS patches)."""
    return campaign.get("kind") in CONSENTABLE


def move(from_state: str | None, to_state: str, reason: str, at: datetime) -> Doc:
    return {"from_state": from_state, "to_state": str(to_state), "reason": reason, "at": at}


def soak_reasons(row: Mapping[str, Any], breaches: Sequence[Mapping[str, Any]], now: datetime) -> list[str]:
    """What keeps a post-checked site from being signed off: its soak not over, or a monitoring breach of the site
    open now or begun since its post-checks passed. Empty when it may be signed off."""
    reasons = [f"monitoring breach {b['rule']} on {b['host']} since {b['breached_at']:%H:%M:%S} UTC" for b in breaches]
    if row.get("soak_until") is not None and now < row["soak_until"]:
        reasons.append(f"the site stays green until {row['soak_until']:%Y-%m-%d %H:%M:%S} UTC before it is signed off")
    return reasons


def post_soak(campaign: Mapping[str, Any]) -> timedelta:
    return parse_duration(campaign.get("post_soak", "PT0S"))


def window_length(campaign: Mapping[str, Any]) -> timedelta:
    return parse_duration(campaign["window"])


def precheck_reasons(report: SiteChecks, open_critical: Sequence[str], missing_licences: Sequence[str]) -> list[str]:
    """Everything that blocks the start, in words; empty when the site may be upgraded."""
    reasons = []
    if report.backup_age_hours is None or report.backup_age_hours > MAX_BACKUP_HOURS:
        reasons.append(f"no successful backup in the last {MAX_BACKUP_HOURS:g} h")
    for name, value in (("archive", report.archive_free_percent), ("tablespace", report.tablespace_free_percent)):
        if value is None or value < MIN_FREE_PERCENT:
            reasons.append(f"{name} free space below {MIN_FREE_PERCENT:g} %")
    if report.ha_ok is not True:
        reasons.append("HA not healthy")
    if report.dicom_echo_ok is not True:
        reasons.append("DICOM echo failing")
    reasons += [f"critical incident {i} open at the site" for i in open_critical]
    reasons += [f"licence {name} missing or expired" for name in missing_licences]
    return reasons


def dropped(before: Mapping[str, int] | None, after: Mapping[str, int]) -> list[str]:
    """The archive counts that fell during the upgrade, in words (never any patient data, only numbers)."""
    if before is None:
        return []
    return [f"{name} {before[name]} -> {after[name]}" for name in ("studies", "series", "instances")
            if after[name] < before[name]]  # fmt: skip


def at_version(installed: Sequence[str], version: str) -> bool:
    """Whether the product runs exactly the target version on every host that reported it (at least one)."""
    target = parse_version(version)
    try:
        return bool(installed) and all(parse_version(v).compare(target) == 0 for v in installed)
    except ValueError:
        return False


@dataclass(frozen=True)
class WaveDecision:
    """What a wave's sites decide for the campaign: pause it, or let the next wave start at `advance_at`."""

    pause: str | None = None
    advance_at: datetime | None = None
    finished: bool = False


def judge_wave(campaign: Mapping[str, Any], states: Sequence[str], now: datetime) -> WaveDecision:
    """Failures reaching pause_share pause at once; a finished wave with verified share ≥ advance_share lets the
    next one start after the soak, and one that finished short of it pauses the campaign."""
    total = len(states)
    failed = sum(s in (S.failed, S.rolled_back) for s in states)
    verified = sum(s == S.verified for s in states)
    if total and failed / total >= campaign["pause_share"] and failed:
        return WaveDecision(pause=f"{failed} of {total} sites of wave {campaign['current_wave']} failed")
    if not all(SiteState(s) in FINISHED for s in states):
        return WaveDecision()
    if verified / total < campaign["advance_share"]:
        return WaveDecision(pause=f"only {verified} of {total} sites of wave {campaign['current_wave']} verified",
                            finished=True)  # fmt: skip
    return WaveDecision(advance_at=now + parse_duration(campaign["soak"]), finished=True)
