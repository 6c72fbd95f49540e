"""What the estate dashboard shows of releases and upgrades: how many sites run a product older than its newest
release of each kind, and how many campaigns, and sites of the active ones, are in each state."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry

from pacs_contracts.api import CampaignState, SiteState
from pacs_scheduler.adapters.gauges import SchedulerGauges
from pacs_scheduler.domain.releases import behind_latest

REGISTERED = {"SITE-A", "SITE-B", "SITE-C", "SITE-D"}


def release(version: str, kind: str = "patch", product: str = "pacs-archive") -> dict[str, Any]:
    return {"product": product, "kind": kind, "version": version}


def installed(site: str, version: str, host: str = "ARCH-1", component: str = "pacs-archive") -> dict[str, Any]:
    return {"site_id": site, "host": host, "component": component, "installed_version": version}


def test_a_site_is_behind_the_newest_release_of_each_kind_and_counted_once_whatever_its_hosts() -> None:
    catalogue = [release("7.2.1"), release("7.2.3"), release("8.0", "upgrade"), release("19.21", "patch", "oracle")]
    running = [
        installed("SITE-A", "7.1.4"), installed("SITE-A", "7.2.0", host="ARCH-2"),  # two hosts behind: one site
        installed("SITE-B", "7.2.3.0"),  # the newest patch, trailing zero and all, but not the upgrade
        installed("SITE-C", "8.0.0"),
        installed("SITE-D", "19.3", component="oracle"),
    ]  # fmt: skip
    assert behind_latest(catalogue, running, REGISTERED) == {
        ("pacs-archive", "patch"): 1,
        ("pacs-archive", "upgrade"): 2,
        ("oracle", "patch"): 1,
    }


def test_versions_that_do_not_order_are_not_behind_and_unregistered_sites_are_left_out() -> None:
    running = [
        installed("SITE-A", "7.2.3-hf1"),  # the release with a vendor suffix: does not order against 7.2.3
        installed("SITE-B", "latest"),  # not a version
        installed("SITE-C", "7.2.3-hf1", host="ARCH-2"), installed("SITE-C", "7.1"),  # one host surely behind
        installed("SITE-X", "7.1"),  # not registered
    ]  # fmt: skip
    assert behind_latest([release("7.2.3")], running, REGISTERED) == {("pacs-archive", "patch"): 1}


def test_every_release_kind_of_the_catalogue_is_shown_even_with_no_site_behind_it() -> None:
    assert behind_latest([release("7.2.3"), release("3.1", "hotfix", "ris")], [], REGISTERED) == {
        ("pacs-archive", "patch"): 0,
        ("ris", "hotfix"): 0,
    }
    assert behind_latest([], [installed("SITE-A", "7.1")], REGISTERED) == {}


def value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_every_campaign_and_site_state_is_exported_from_the_start_and_counted_on_refresh() -> None:
    registry = CollectorRegistry()
    gauges = SchedulerGauges(registry)
    assert all(value(registry, "pacs_upgrade_campaigns", state=s.value) == 0 for s in CampaignState)
    assert all(value(registry, "pacs_upgrade_campaign_sites", state=s.value) == 0 for s in SiteState)

    gauges.upgrades(["active", "active", "completed"], ["notified", "notified", "in_progress"])
    assert value(registry, "pacs_upgrade_campaigns", state="active") == 2
    assert value(registry, "pacs_upgrade_campaigns", state="paused") == 0
    assert value(registry, "pacs_upgrade_campaign_sites", state="notified") == 2
    gauges.upgrades(["completed", "completed", "completed"], [])
    assert value(registry, "pacs_upgrade_campaigns", state="active") == 0, "a campaign that completed leaves active"
    assert value(registry, "pacs_upgrade_campaign_sites", state="notified") == 0


def test_a_product_dropped_from_the_counts_leaves_the_sites_behind_gauge() -> None:
    registry = CollectorRegistry()
    gauges = SchedulerGauges(registry)
    gauges.releases({("pacs-archive", "patch"): 3, ("ris", "hotfix"): 0})
    assert value(registry, "pacs_sites_behind_latest_release", product="pacs-archive", kind="patch") == 3
    assert value(registry, "pacs_sites_behind_latest_release", product="ris", kind="hotfix") == 0
    gauges.releases({("pacs-archive", "patch"): 1})
    assert value(registry, "pacs_sites_behind_latest_release", product="ris", kind="hotfix") is None
