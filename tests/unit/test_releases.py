"""Which sites need a release and which can take it now: versions and ranges, the prerequisites each site misses
in words, and the catalogue refusing versions that do not parse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from pacs_contracts.api import Applicability, ReleaseCreate, ReleasePublic
from pacs_contracts.common import parse_version
from pacs_scheduler.domain.releases import applicability, catalogue_key, within
from tests.factories import make_release

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SITES = {site: {"_id": site, "name": f"Hospital {site}"} for site in ("SITE-A", "SITE-B", "SITE-C")}


def release(**overrides: Any) -> ReleasePublic:
    return ReleasePublic.model_validate({**make_release(**overrides), "release_id": "REL-1", "created_by": "SUP-1",
                                         "created_at": NOW})  # fmt: skip


def installed(site: str, version: str, component: str = "pacs-archive", host: str = "ARCH-1",
              kind: str = "archive") -> dict[str, Any]:  # fmt: skip
    return {"_id": f"{site}|{host}|{component}", "site_id": site, "host": host, "component": component, "kind": kind,
            "installed_version": version, "reported_at": NOW - timedelta(hours=1)}  # fmt: skip


def licence(site: str, name: str, expires_at: datetime | None = None) -> dict[str, Any]:
    return {"_id": f"{site}|{name}", "site_id": site, "licence": name, "expires_at": expires_at}


def judge(rel: ReleasePublic, installs: list[dict[str, Any]], licences: tuple[dict[str, Any], ...] = ()
          ) -> Applicability:  # fmt: skip
    return applicability(rel, SITES, installs, licences, NOW)


def sites_in(result: Applicability) -> dict[str, list[str]]:
    groups = ("needs", "ready", "blocked", "up_to_date", "not_applicable", "unknown")
    return {group: [row.site_id for row in getattr(result, group)] for group in groups}


def test_a_site_at_7_1_4_needs_the_7_2_3_patch_and_can_take_it_now() -> None:
    result = judge(release(), [installed("SITE-A", "7.1.4")])
    assert sites_in(result)["needs"] == ["SITE-A"] and sites_in(result)["ready"] == ["SITE-A"]
    assert result.ready[0].installed_version == "7.1.4" and result.ready[0].site_name == "Hospital SITE-A"


def test_a_site_already_at_the_release_or_above_is_up_to_date() -> None:
    result = judge(release(), [installed("SITE-A", "7.2.3"), installed("SITE-B", "7.2.3.0"),
                               installed("SITE-C", "8.0")])  # fmt: skip
    assert sites_in(result)["up_to_date"] == ["SITE-A", "SITE-B", "SITE-C"] and not result.needs


def test_a_site_below_the_release_but_outside_its_range_is_not_applicable_with_the_reason() -> None:
    (row,) = judge(release(), [installed("SITE-A", "6.5.2")]).not_applicable
    assert row.reasons == ["6.5.2 is outside the versions it applies to (>=7.1,<7.2.3)"]


def test_a_site_with_its_database_below_the_minimum_is_blocked_and_told_why() -> None:
    rel = release(prerequisites={"database_version": "19.0"})
    installs = [installed("SITE-A", "7.1.4"), installed("SITE-A", "11.2.0.4", "oracle", "DB-1", "database"),
                installed("SITE-B", "7.1.4"), installed("SITE-B", "19.3", "oracle", "DB-1", "database")]  # fmt: skip
    result = judge(rel, installs)
    assert sites_in(result)["blocked"] == ["SITE-A"] and sites_in(result)["ready"] == ["SITE-B"]
    assert result.blocked[0].reasons == ["database 11.2.0.4 below the required 19.0 (oracle on DB-1)"]
    assert sites_in(result)["needs"] == ["SITE-B", "SITE-A"], "a blocked site still needs it"


def test_an_expired_or_missing_licence_blocks_and_a_valid_one_does_not() -> None:
    rel = release(prerequisites={"licences": ["capacity:archive-tb", "feature:3d-viewer"]})
    installs = [installed(site, "7.2.1") for site in ("SITE-A", "SITE-B", "SITE-C")]
    licences = (licence("SITE-A", "capacity:archive-tb", NOW - timedelta(days=3)),
                licence("SITE-A", "feature:3d-viewer"),
                licence("SITE-B", "feature:3d-viewer", NOW + timedelta(days=90)),
                licence("SITE-C", "capacity:archive-tb"), licence("SITE-C", "feature:3d-viewer"))  # fmt: skip
    result = judge(rel, installs, licences)
    assert sites_in(result)["ready"] == ["SITE-C"]
    reasons = {row.site_id: row.reasons for row in result.blocked}
    assert reasons == {"SITE-A": ["licence capacity:archive-tb expired on 2026-05-29"],
                       "SITE-B": ["licence capacity:archive-tb missing"]}  # fmt: skip


def test_other_components_must_run_at_their_minimum_somewhere_on_the_site() -> None:
    rel = release(prerequisites={"min_versions": {"ris": "5.2", "pacs-archive": "7.1.2"}})
    installs = [installed("SITE-A", "7.1.1"), installed("SITE-A", "5.1.9", "ris", "RIS-1", "ris"),
                installed("SITE-B", "7.1.4")]  # fmt: skip
    reasons = {row.site_id: row.reasons for row in judge(rel, installs).blocked}
    assert reasons == {"SITE-A": ["pacs-archive 7.1.1 below the required 7.1.2 (pacs-archive on ARCH-1)",
                                  "ris 5.1.9 below the required 5.2 (ris on RIS-1)"],
                       "SITE-B": ["ris not reported at the site (needs 5.2 or later)"]}  # fmt: skip


def test_free_space_is_said_unchecked_and_never_blocks() -> None:
    (row,) = judge(release(prerequisites={"free_space_gb": 20}), [installed("SITE-A", "7.1.4")]).ready
    assert row.unchecked == ["free space not reported (needs 20 GB): check it before the window"]


def test_each_host_is_judged_and_unregistered_sites_and_other_products_are_left_out() -> None:
    installs = [installed("SITE-A", "7.1.4", host="ARCH-1"), installed("SITE-A", "7.2.3", host="ARCH-2"),
                installed("SITE-A", "7.1.4", "viewer", "VIEW-1", "viewer"), installed("SITE-X", "7.1.4")]  # fmt: skip
    result = judge(release(), installs)
    assert [(r.site_id, r.host) for r in result.needs] == [("SITE-A", "ARCH-1")]
    assert [(r.site_id, r.host) for r in result.up_to_date] == [("SITE-A", "ARCH-2")]


def test_a_vendor_suffix_orders_by_its_numbers_and_is_unknown_only_when_they_tie() -> None:
    installs = [installed("SITE-A", "7.1.4-hf2"), installed("SITE-B", "7.2.3-hf1"), installed("SITE-C", "seven")]
    result = judge(release(), installs)
    assert sites_in(result)["ready"] == ["SITE-A"]
    assert sites_in(result)["unknown"] == ["SITE-B", "SITE-C"]
    assert result.unknown[0].reasons == ["7.2.3-hf1 and 7.2.3 do not order: check by hand"]


@pytest.mark.parametrize(
    ("version", "ranges", "expected"),
    [("7.1.4", [">=7.1,<7.2.3"], True), ("7.1", [">=7.1,<7.2.3"], True), ("7.2.3", [">=7.1,<7.2.3"], False),
     ("7.0.9", [">=7.1,<7.2.3"], False), ("6.5.2", [">=7.1", "6.5.2"], True), ("7.1.4", [">=7.1,!=7.1.4"], False),
     ("7.1.0", ["==7.1"], True), ("v7.2", ["> 7.1.9 , <= 7.2"], True)],
)  # fmt: skip
def test_a_version_is_within_any_of_the_ranges_when_all_its_comparisons_hold(
    version: str, ranges: list[str], expected: bool
) -> None:
    assert within(parse_version(version), ranges) is expected


def test_one_release_per_product_and_version_whatever_its_trailing_zeros() -> None:
    assert catalogue_key("pacs-archive", "7.2.3") == catalogue_key("pacs-archive", "7.2.3.0")
    assert catalogue_key("pacs-archive", "7.2.3") != catalogue_key("ris", "7.2.3")


@pytest.mark.parametrize(
    ("field", "change"),
    [("version", {"version": "7.2.x"}), ("version", {"version": "7.2.3-hf1"}),
     ("applies_to.0", {"applies_to": [">=7.1,<seven"]}), ("applies_to.0", {"applies_to": ["=>7.1"]}),
     ("applies_to", {"applies_to": []}),
     ("prerequisites.database_version", {"prerequisites": {"database_version": "19c"}}),
     ("prerequisites.min_versions.ris", {"prerequisites": {"min_versions": {"ris": "latest"}}}),
     ("kind", {"kind": "service-pack"}), ("expected_downtime", {"expected_downtime": "2 hours"})],
)  # fmt: skip
def test_the_catalogue_refuses_versions_and_ranges_that_do_not_parse_naming_the_field(
    field: str, change: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as refused:
        ReleaseCreate.model_validate(make_release(**change))
    assert field in {".".join(map(str, e["loc"])) for e in refused.value.errors()}


@pytest.mark.parametrize(("text", "readable"), [
    ("7.2.1", True), ("11.2.0.4", True), ("2019-CU18", True), ("3.6.0-beta2", True), ("1.2.3rc1", True),
    ("4.18.0-477.el8", True), ("v7", True), ("7.2.", False), ("7..2", False), ("seven", False), ("-7.2", False),
    ("7.2 hf", False), ("1.2.3.4.5.6.7.8.9", False),
])  # fmt: skip
def test_a_version_reads_only_in_the_one_grammar_agents_report_in(text: str, readable: bool) -> None:
    try:
        parse_version(text)
        parsed = True
    except ValueError:
        parsed = False
    assert parsed is readable


@pytest.mark.parametrize(
    ("a", "b", "order"),
    [("7.2", "7.2.0", 0), ("7.1.4", "7.2.3", -1), ("11.2.0.4", "19.0", -1), ("2019-CU18", "2019-CU20", -1),
     ("4.18.0-513.el8", "4.18.0-477.el8", 1), ("2019", "2019-CU18", None), ("3.6.0-beta2", "3.6.0-rc1", None),
     ("7.2.3-hf1", "7.2.3", None), ("7.2.3-HF1", "7.2.3-hf1", 0), ("7.2.4-hf1", "7.2.3", 1)],
)  # fmt: skip
def test_versions_order_number_by_number_and_a_vendor_scheme_is_not_guessed(a: str, b: str, order: int | None) -> None:
    assert parse_version(a).compare(parse_version(b)) == order
