"""Installed software and licences, pure: which versions parse, how two are ordered, drift from a baseline, what a
report changes, and the samples a licence becomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from pacs_contracts.api import Drift, LicenceReport, SoftwareBaselinePut, SoftwareReport
from pacs_monitoring.domain.licences import MAX_PERCENT, changed, samples, used_percent
from pacs_monitoring.domain.pack import default_pack
from pacs_monitoring.domain.software import changes, site_view
from pacs_monitoring.domain.versions import compare, drift, expected_of, parse_version

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def make_report(*components: tuple[str, str, str], host: str = "pacs-01", **extra: Any) -> SoftwareReport:
    """A report of one host: (component, kind, version) each."""
    listed = [{"component": c, "kind": k, "version": v, **extra} for c, k, v in components]
    return SoftwareReport.model_validate({"site_id": "SITE-1", "hosts": [{"host": host, "components": listed}]})


def make_installed(component: str, version: str, host: str = "pacs-01", **overrides: Any) -> dict[str, Any]:
    doc = {"_id": f"SITE-1|{host}|{component}", "site_id": "SITE-1", "host": host, "component": component,
           "kind": "archive", "version": version, "product": None, "previous_version": None, "reported_at": NOW,
           "changed_at": NOW}  # fmt: skip
    return doc | overrides


@pytest.mark.parametrize(
    "text", ["7.2.1", "11.2.0.4", "2019", "v7.2", "2019-CU18", "3.6.0-beta2", "1.2.3rc1", "4.18.0-477.el8_8.x86_64"]
)
def test_dotted_versions_with_a_vendor_suffix_parse(text: str) -> None:
    parse_version(text)
    make_report(("x", "package", text))


@pytest.mark.parametrize("text", ["", "latest", "7.*", "x7", "1.2.3.", ".1", "7..2", "RHEL 8.8", "1.2.3.4.5.6.7.8.9"])
def test_anything_else_is_refused_naming_the_rule(text: str) -> None:
    with pytest.raises(ValueError, match="is not a version"):
        parse_version(text)
    with pytest.raises(ValidationError, match=r"not a version|at least 1 character"):
        make_report(("x", "package", text))


@pytest.mark.parametrize(
    ("a", "b", "order"),
    [("7.2.1", "7.2.3", -1), ("7.10", "7.9", 1), ("7.2", "7.2.0", 0), ("v7.2.1", "7.2.1", 0),
     ("11.2.0.4", "19.3", -1), ("2019-CU18", "2019-CU20", -1), ("2019-CU18", "2022", -1),
     ("4.18.0-477.el8", "4.18.0-513.el8", -1), ("1.2.3rc1", "1.2.3-RC1", 0),
     ("2019", "2019-CU18", None), ("3.6.0-beta2", "3.6.0-rc1", None)],
)  # fmt: skip
def test_releases_order_number_by_number_and_suffixes_only_when_alike(a: str, b: str, order: int | None) -> None:
    assert compare(parse_version(a), parse_version(b)) == order
    assert compare(parse_version(b), parse_version(a)) == (None if order is None else -order)


@pytest.mark.parametrize(
    ("version", "product", "expected", "word"),
    [("7.2.0", None, "7.2.1", Drift.behind), ("7.3", None, "7.2.1", Drift.ahead),
     ("7.2.1", None, "7.2.1", Drift.as_baseline), ("8.8", "RHEL", "RHEL 8.8", Drift.as_baseline),
     ("8.8", "rhel", "RHEL 8.6", Drift.ahead), ("8.8", "Rocky", "RHEL 8.8", Drift.different),
     ("8.8", None, "RHEL 8.8", Drift.different), ("2019", None, "2019-CU18", Drift.different),
     ("7.2.1", None, None, Drift.not_in_baseline)],
)  # fmt: skip
def test_drift_from_the_baseline(version: str, product: str | None, expected: str | None, word: Drift) -> None:
    assert drift(version, product, expected) is word


def test_a_baseline_entry_names_a_version_or_a_product_and_a_version() -> None:
    assert expected_of("Red Hat Enterprise Linux 8.8") == ("Red Hat Enterprise Linux", parse_version("8.8"))
    assert SoftwareBaselinePut(components={"os": "RHEL 8.8", "pacs-archive": "7.2.1"}).components["os"] == "RHEL 8.8"
    with pytest.raises(ValidationError, match=r"components\.os"):
        SoftwareBaselinePut.model_validate({"components": {"os": "RHEL eight"}})


def test_a_report_changes_only_what_is_new_or_at_another_version() -> None:
    report = make_report(("pacs-archive", "archive", "7.2.1"), ("os", "os", "8.8"), ("dcmtk", "package", "3.6.7"))
    stored = {("pacs-01", "pacs-archive"): "7.2.1", ("pacs-01", "os"): "8.6"}
    found = {(c.component.component, c.previous) for c in changes(stored, report)}
    assert found == {("os", "8.6"), ("dcmtk", None)}
    again = {("pacs-01", "pacs-archive"): "7.2.1", ("pacs-01", "os"): "8.8", ("pacs-01", "dcmtk"): "3.6.7"}
    assert changes(again, report) == [], "an agent repeating itself changes nothing"


def test_the_site_view_counts_drift_and_names_what_no_host_runs() -> None:
    installed = [make_installed("pacs-archive", "7.2.0"), make_installed("os", "8.8", kind="os", product="RHEL"),
                 make_installed("pacs-archive", "7.2.1", host="pacs-02"), make_installed("dcmtk", "3.6.7")]  # fmt: skip
    baseline = {"pacs-archive": "7.2.1", "os": "RHEL 8.8", "viewer": "5.1"}
    view = site_view("SITE-1", installed, baseline)
    words = {(h.host, c.component): c.drift for h in view.hosts for c in h.components}
    assert words == {
        ("pacs-01", "dcmtk"): Drift.not_in_baseline, ("pacs-01", "os"): Drift.as_baseline,
        ("pacs-01", "pacs-archive"): Drift.behind, ("pacs-02", "pacs-archive"): Drift.as_baseline,
    }  # fmt: skip
    assert [(m.component, m.expected, m.drift) for m in view.missing] == [("viewer", "5.1", Drift.missing)]
    assert view.drifted == 1


def test_a_licence_becomes_the_samples_its_rules_watch() -> None:
    archive = LicenceReport(licence="capacity:archive-tb", capacity=200, used=190, expires_at=NOW + timedelta(days=10))
    seen = {s.name: (s.host, s.labels, s.value) for s in samples(archive.model_dump(), NOW)}
    assert seen == {"licence_used_percent": ("capacity:archive-tb", {"licence": "capacity:archive-tb"}, 95.0),
                    "licence_days_left": ("capacity:archive-tb", {"licence": "capacity:archive-tb"}, 10.0)}  # fmt: skip
    assert samples({"licence": "feature:3d-viewer"}, NOW) == [], "a feature without an expiry has nothing to watch"
    rules = {r.name: r for r in default_pack()[1].rules}
    assert rules["licence-capacity"].observe(95.0) is True and rules["licence-expiry"].observe(10.0) is True
    assert rules["licence-capacity"].problem_class == rules["licence-expiry"].problem_class == "licence"


def test_a_licence_changes_when_what_it_states_does() -> None:
    stated = LicenceReport(licence="capacity:archive-tb", capacity=200, used=150, expires_at=NOW)
    stored = stated.model_dump() | {"reported_at": NOW}
    assert not changed(stored, stated.model_copy(update={"expires_at": NOW + timedelta(microseconds=900)})), (
        "the database keeps milliseconds"
    )
    assert changed(stored, stated.model_copy(update={"used": 151}))
    assert changed(None, stated)
    with pytest.raises(ValidationError, match="used needs the capacity"):
        LicenceReport(licence="capacity:x", used=3)


def test_a_licence_used_far_beyond_a_tiny_capacity_is_a_large_number_not_infinity() -> None:
    assert used_percent(5e-324, 1.0) == MAX_PERCENT
    assert used_percent(200.0, 150.0) == 75.0
