"""The escalation board, pure: the open incidents counted by region and tier, with those at risk and breached."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pacs_escalation.domain.sla import at_risk

LISTED = 50  # incidents at risk (and breached) a board lists by name, most urgent first


def board(open_incidents: Iterable[dict[str, Any]], now: datetime) -> dict[str, Any]:
    counts: Counter[tuple[str, str, str]] = Counter()
    risky: list[dict[str, Any]] = []
    breached: list[dict[str, Any]] = []
    for incident in open_incidents:
        cell = (incident["region"], incident["tier"])
        counts[(*cell, "open")] += 1
        if incident.get("breached_clocks"):
            counts[(*cell, "breached")] += 1
            breached.append(incident)
        elif at_risk(incident, now):
            counts[(*cell, "at_risk")] += 1
            risky.append(incident)
    cells = sorted({(region, tier) for region, tier, _ in counts})
    return {
        "cells": [{"region": region, "tier": tier, "open": counts[(region, tier, "open")],
                   "at_risk": counts[(region, tier, "at_risk")], "breached": counts[(region, tier, "breached")]}
                  for region, tier in cells],
        "at_risk": sorted(risky, key=lambda i: i["response_due"])[:LISTED],
        "breached": sorted(breached, key=lambda i: i["opened_at"])[:LISTED],
    }  # fmt: skip
