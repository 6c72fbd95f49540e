"""The scheduler's gauges: sites behind the newest releases of their products, and upgrade campaigns and the sites of
the active ones by state. Refreshed from the database in the background by jobs/refresh_gauges.py (a scrape never
waits on a query); every instance shows the same values, so dashboards take `max`."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, Gauge

from pacs_contracts.api import CampaignState, SiteState


class SchedulerGauges:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.behind = Gauge("pacs_sites_behind_latest_release",
                            "Sites running a product older than its newest release of the kind in the catalogue",
                            ["product", "kind"], registry=registry)  # fmt: skip
        self.campaigns = Gauge("pacs_upgrade_campaigns", "Upgrade campaigns by state", ["state"], registry=registry)
        self.campaign_sites = Gauge("pacs_upgrade_campaign_sites", "Sites of active upgrade campaigns by their state",
                                    ["state"], registry=registry)  # fmt: skip
        # every state from the start at 0, so that a quiet estate shows zeros rather than nothing
        self.upgrades((), ())

    def releases(self, behind: Mapping[tuple[str, str], int]) -> None:
        """Sites behind, per product and release kind, as `domain.releases.behind_latest` counts them."""
        self.behind.clear()  # a product no longer in the catalogue leaves the dashboard
        for (product, kind), n in behind.items():
            self.behind.labels(product, kind).set(n)

    def upgrades(self, campaign_states: Iterable[str], active_site_states: Iterable[str]) -> None:
        """The state of every campaign, and of every site of the active ones."""
        for gauge, known, states in ((self.campaigns, CampaignState, campaign_states),
                                     (self.campaign_sites, SiteState, active_site_states)):  # fmt: skip
            counts = Tally(states)
            for state in {state.value for state in known} | set(counts):
                gauge.labels(state).set(counts[state])  # 0 for a state nobody is in
