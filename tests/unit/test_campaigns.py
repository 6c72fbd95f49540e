"""Upgrade campaigns, pure: the site state table, what pre- and post-checks decide, and when a wave pauses the
campaign or lets the next one start after its soak."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from pacs_contracts.api import CampaignCreate, MaintenanceAgreement, ReleasePublic, SiteChecks, Wave
from pacs_scheduler.domain.agreements import consents_to, next_window
from pacs_scheduler.domain.campaigns import (
    IllegalMove,
    NoSites,
    at_version,
    choose_waves,
    consentable,
    dropped,
    judge_wave,
    new_campaign,
    next_state,
    precheck_reasons,
    soak_reasons,
)  # fmt: skip
from tests.factories import make_release

NOW = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
COUNTS = {"studies": 10, "series": 80, "instances": 4000}


def _release() -> ReleasePublic:
    return ReleasePublic.model_validate({**make_release(), "release_id": "REL-1", "created_by": "SUP",
                                         "created_at": NOW})  # fmt: skip


def _checks(**overrides: Any) -> SiteChecks:
    body = {"phase": "pre", "backup_age_hours": 2, "archive_free_percent": 30, "tablespace_free_percent": 30,
            "ha_ok": True, "dicom_echo_ok": True, "counts": COUNTS}  # fmt: skip
    return SiteChecks.model_validate({**body, **overrides})


def _campaign(**overrides: Any) -> dict[str, Any]:
    return {"advance_share": 1.0, "pause_share": 0.34, "soak": "PT2S", "current_wave": 0, **overrides}


def test_a_site_goes_from_notified_to_verified_and_nowhere_it_should_not() -> None:
    path = ["window_agreed", "prechecks_passed", "window_began", "postchecks_passed", "hospital_verified"]
    state = "notified"
    for happening in path:
        state = next_state(state, happening)
    assert state == "verified"
    assert next_state("in_progress", "data_lost") == "failed"
    with pytest.raises(IllegalMove, match="a site that is notified cannot take 'window began'"):
        next_state("notified", "window_began")  # never agreed: never started
    with pytest.raises(IllegalMove):
        next_state("window_agreed", "window_began")  # agreed but not pre-checked: not started either
    with pytest.raises(IllegalMove):
        next_state("failed", "hospital_verified")


def test_only_the_pilot_wave_is_notified_when_the_campaign_is_created() -> None:
    body = CampaignCreate(release_id="REL-1", waves=[["S1"], {"name": "east", "site_ids": ["S2", "S3"]}])
    campaign, rows = new_campaign(body, _release(), "SUP", NOW)
    assert campaign["window"] == "PT2H", "a window lasts the release's expected downtime unless said"
    assert [(r["site_id"], r["wave"], r["state"]) for r in rows] == [
        ("S1", 0, "notified"), ("S2", 1, "proposed"), ("S3", 1, "proposed")]  # fmt: skip
    assert [w["name"] for w in campaign["waves"]] == ["wave-0", "east"]


def test_a_site_in_two_waves_is_refused() -> None:
    with pytest.raises(ValidationError, match="a site is in one wave only: S2"):
        CampaignCreate(release_id="REL-1", waves=[["S1", "S2"], ["S2"]])


def test_pre_checks_name_everything_that_blocks_the_start() -> None:
    assert precheck_reasons(_checks(), [], []) == []
    bad = _checks(backup_age_hours=30, archive_free_percent=5, ha_ok=False, dicom_echo_ok=None)
    assert precheck_reasons(bad, ["INC-9"], ["feature:hl7"]) == [
        "no successful backup in the last 26 h", "archive free space below 10 %", "HA not healthy",
        "DICOM echo failing", "critical incident INC-9 open at the site",
        "licence feature:hl7 missing or expired"]  # fmt: skip


def test_post_checks_catch_any_count_that_dropped_and_want_the_exact_target_version() -> None:
    assert dropped(COUNTS, COUNTS) == [] and dropped(COUNTS, {**COUNTS, "studies": 11}) == []
    assert dropped(COUNTS, {**COUNTS, "series": 79, "instances": 3990}) == ["series 80 -> 79",
                                                                           "instances 4000 -> 3990"]  # fmt: skip
    assert at_version(["7.2.3"], "7.2.3") and at_version(["7.2.3.0", "7.2.3"], "7.2.3")
    assert not at_version(["7.2.3", "7.1.4"], "7.2.3") and not at_version([], "7.2.3")
    assert not at_version(["7.2.3-hf1"], "7.2.3")


def test_failures_reaching_the_pause_share_pause_at_once() -> None:
    decision = judge_wave(_campaign(pause_share=0.3), ["failed", "in_progress", "notified"], NOW)
    assert decision.pause == "1 of 3 sites of wave 0 failed"
    assert judge_wave(_campaign(pause_share=0.3), ["failed", "in_progress", "notified", "verified"], NOW).pause is None
    assert judge_wave(_campaign(), ["failed", "in_progress", "notified"], NOW).pause is None  # 1/3 under 0.34


def test_a_finished_wave_advances_after_the_soak_or_pauses_short_of_the_advance_share() -> None:
    assert judge_wave(_campaign(), ["verified", "postchecked"], NOW).advance_at is None
    done = judge_wave(_campaign(), ["verified", "verified"], NOW)
    assert done.finished and done.advance_at == NOW + timedelta(seconds=2)
    short = judge_wave(_campaign(advance_share=1.0, pause_share=0.6), ["verified", "failed"], NOW)
    assert short.pause == "only 1 of 2 sites of wave 0 verified"
    enough = judge_wave(_campaign(advance_share=0.5, pause_share=0.6), ["verified", "failed"], NOW)
    assert enough.pause is None and enough.advance_at is not None


SUNDAY_2AM = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)  # Sunday 02:00 in Shanghai


def _standing(**window: Any) -> dict[str, Any]:
    terms = {"window": {"first_starts_at": SUNDAY_2AM.isoformat(), "every": "P7D", "length": "PT4H", **window},
             "pre_approved": ["patch"]}  # fmt: skip
    return MaintenanceAgreement.model_validate(terms).model_dump(mode="python")


def test_a_pre_approved_release_takes_the_next_standing_window_long_enough_for_it() -> None:
    agreement = _standing()
    assert next_window(agreement, NOW, timedelta(hours=1)) == (SUNDAY_2AM, SUNDAY_2AM + timedelta(hours=1))
    during = SUNDAY_2AM + timedelta(minutes=5)  # a window under way is not taken: the next one is
    assert next_window(agreement, during, timedelta(hours=1))[0] == SUNDAY_2AM + timedelta(days=7)
    weeks_later = SUNDAY_2AM + timedelta(days=30)
    assert next_window(agreement, weeks_later, timedelta(hours=4))[0] == SUNDAY_2AM + timedelta(days=35)
    assert next_window(agreement, NOW, timedelta(hours=5)) is None, "no standing window is long enough"
    assert consents_to(agreement, "patch") and not consents_to(agreement, "hotfix") and not consents_to(None, "patch")


def test_only_patches_hotfixes_and_os_patches_may_be_pre_approved() -> None:
    body = CampaignCreate(release_id="REL-1", waves=[["S-1"], ["S-2"]])
    kinds = {kind: new_campaign(body, _release().model_copy(update={"kind": kind}), "SUP", NOW)[0]
             for kind in ("patch", "hotfix", "os_patch", "upgrade")}  # fmt: skip
    assert {kind: consentable(campaign) for kind, campaign in kinds.items()} == {
        "patch": True, "hotfix": True, "os_patch": True, "upgrade": False}  # fmt: skip


@pytest.mark.parametrize(
    ("window", "pre_approved", "words"),
    [
        ({"first_starts_at": "2026-12-06T02:00:00"}, ["patch"], "UTC offset"),
        ({"every": "PT1H", "length": "PT2H"}, ["patch"], "longer than the time between"),
        ({"length": "PT0S"}, ["patch"], "at least 1 seconds"),
        ({}, ["upgrade"], "patch"),
    ],
)
def test_a_standing_agreement_that_makes_no_sense_is_refused(window: dict[str, Any], pre_approved: list[str],
                                                              words: str) -> None:  # fmt: skip
    terms = {"window": {"first_starts_at": SUNDAY_2AM.isoformat(), "every": "P7D", "length": "PT4H", **window},
             "pre_approved": pre_approved}  # fmt: skip
    with pytest.raises(ValidationError, match=words):
        MaintenanceAgreement.model_validate(terms)


def test_waves_choose_their_sites_by_region_and_count_each_site_once() -> None:
    pool = [("S-1", "east"), ("S-2", "west"), ("S-3", "east"), ("S-4", "north"), ("S-5", "east")]
    waves = [Wave(name="pilot", regions=["east"], count=1), Wave(name="named", site_ids=["S-5"]),
             Wave(name="west", regions=["west", "north"]), Wave(name="rest")]  # fmt: skip
    chosen = choose_waves(waves, pool)
    assert [(w.name, w.site_ids) for w in chosen] == [
        ("pilot", ["S-1"]), ("named", ["S-5"]), ("west", ["S-2", "S-4"]), ("rest", ["S-3"])]  # fmt: skip
    with pytest.raises(NoSites, match="wave south chooses no site"):
        choose_waves([Wave(name="south", regions=["south"])], pool)
    with pytest.raises(ValidationError, match="not both"):
        Wave(name="both", site_ids=["S-1"], count=1)


def test_a_post_checked_site_is_signed_off_only_once_it_stayed_green_through_its_soak() -> None:
    row = {"soak_until": NOW + timedelta(hours=1)}
    assert soak_reasons(row, [], NOW) == ["the site stays green until 2026-12-01 23:00:00 UTC before it is signed off"]
    assert soak_reasons(row, [], NOW + timedelta(hours=1)) == []
    breach = {"rule": "dicom-echo", "host": "ARCH-1", "breached_at": NOW + timedelta(minutes=20)}
    assert soak_reasons(row, [breach], NOW + timedelta(hours=2)) == [
        "monitoring breach dicom-echo on ARCH-1 since 22:20:00 UTC"]  # fmt: skip
