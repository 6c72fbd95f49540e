from datetime import UTC, datetime, timedelta

from pacs_escalation.domain.reports import sla_report

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _incident(site: str, ack: float | None, fixed: float | None, breached: tuple[str, ...] = ()) -> dict:
    return {
        "site_id": site, "region": "east", "tier": "L1", "opened_at": T0,
        "acknowledged_at": T0 + timedelta(minutes=ack) if ack is not None else None,
        "resolved_at": T0 + timedelta(minutes=fixed) if fixed is not None else None,
        "breached_clocks": list(breached),
    }  # fmt: skip


def test_mtta_mttr_and_response_compliance_per_site() -> None:
    incidents = [
        _incident("SITE-A", 10, 60),
        _incident("SITE-A", 30, 120),
        _incident("SITE-A", None, None, breached=("response",)),
        _incident("SITE-B", 5, None),
    ]
    rows = {row["site"]: row for row in sla_report(incidents, "site")}
    assert rows["SITE-A"]["incidents"] == 3
    assert (rows["SITE-A"]["mtta_minutes"], rows["SITE-A"]["mttr_minutes"]) == (20.0, 90.0)
    assert rows["SITE-A"]["compliance"]["response"] == {"met": 2, "breached": 1, "percent": 66.7}
    assert rows["SITE-B"]["mttr_minutes"] is None
    assert rows["SITE-B"]["compliance"]["on_site"]["percent"] is None, "no on-site visit, no on-site figure"


def test_grouping_by_region_folds_sites_together() -> None:
    rows = sla_report([_incident("SITE-A", 10, 60), _incident("SITE-B", 20, 80)], "region")
    assert [(r["region"], r["incidents"], r["mtta_minutes"]) for r in rows] == [("east", 2, 15.0)]
