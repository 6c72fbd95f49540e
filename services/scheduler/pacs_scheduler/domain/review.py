"""A service review's figures, counted from the facts the scheduler keeps: pure, so the rules can be read and
tested in one place. `review_rules` says the same rules in words, for the hospital."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pacs_contracts.common import Tier, add_period, parse_duration, parse_version
from pacs_contracts.intervals import Interval, covered_minutes, union

DAYS_IN_MONTH = 30.44
DEFAULT_BUDGET_MINUTES = 240.0  # the service plan's four hours a year, when the contract says nothing
RECURRING_TOP = 5
DICOM_DOWN_RULE = "dicom-node-down"  # monitoring's rule for a node that does not answer a C-ECHO

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class BadPeriod(ValueError):
    pass


@dataclass(frozen=True)
class Span:
    """A period: its name and [start, end) in UTC."""

    label: str
    start: datetime
    end: datetime

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


def parse_period(text: str, zone: str = "UTC") -> Span:
    """`2026Q3` and `2026-07` by the calendar of the hospital's zone; `start/end` as given (ISO 8601)."""
    tz = ZoneInfo(zone)
    if match := _QUARTER.match(text):
        year, quarter = int(match[1]), int(match[2])
        start = datetime(year, 3 * quarter - 2, 1, tzinfo=tz)
        return Span(text, start.astimezone(UTC), add_period(start, "P3M").astimezone(UTC))
    if match := _MONTH.match(text):
        start = datetime(int(match[1]), int(match[2]), 1, tzinfo=tz)
        return Span(text, start.astimezone(UTC), add_period(start, "P1M").astimezone(UTC))
    if "/" in text:
        first, _, last = text.partition("/")
        try:
            start, end = datetime.fromisoformat(first), datetime.fromisoformat(last)
        except ValueError:
            raise BadPeriod(f"{text!r}: an interval is two ISO 8601 times joined by '/'") from None
        if start.tzinfo is None or end.tzinfo is None:
            raise BadPeriod(f"{text!r}: give both ends with their offset (Z or +08:00)")
        if end <= start:
            raise BadPeriod(f"{text!r}: the interval ends before it starts")
        return Span(text, start.astimezone(UTC), end.astimezone(UTC))
    raise BadPeriod(f"{text!r}: name a quarter (2026Q3), a month (2026-07) or an interval (start/end)")


def previous(span: Span, zone: str = "UTC") -> Span:
    """The period just before: the quarter or month before, or an interval of the same length."""
    if match := _QUARTER.match(span.label):
        year, quarter = int(match[1]), int(match[2])
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
        return parse_period(f"{year}Q{quarter}", zone)
    if match := _MONTH.match(span.label):
        year, month = int(match[1]), int(match[2])
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return parse_period(f"{year}-{month:02d}", zone)
    length = span.end - span.start
    return _interval(span.start - length, span.start)


def year_before(span: Span, zone: str = "UTC") -> Span:
    """The same period a year earlier."""
    if match := _QUARTER.match(span.label):
        return parse_period(f"{int(match[1]) - 1}Q{match[2]}", zone)
    if match := _MONTH.match(span.label):
        return parse_period(f"{int(match[1]) - 1}-{match[2]}", zone)
    return _interval(add_period(span.start, "P1Y", -1), add_period(span.end, "P1Y", -1))


def _interval(start: datetime, end: datetime) -> Span:
    return Span(f"{start.isoformat().replace('+00:00', 'Z')}/{end.isoformat().replace('+00:00', 'Z')}", start, end)


def closed_period(now: datetime, every: str, zone: str) -> Span:
    """The last period that has closed by `now`: the quarter before this one, or for a duration (a test's
    seconds-scale quarter) the last whole multiple of it since the epoch."""
    if every == "quarter":
        local = now.astimezone(ZoneInfo(zone))
        return previous(parse_period(f"{local.year}Q{(local.month - 1) // 3 + 1}", zone), zone)
    length = parse_duration(every)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    end = epoch + length * ((now - epoch) // length)
    return _interval(end - length, end)


# --- the figures ---------------------------------------------------------------------------------------------


def _minutes(a: datetime | None, b: datetime | None) -> float | None:
    return None if a is None or b is None else (b - a).total_seconds() / 60


def _distribution(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "mean": None, "median": None, "p90": None}
    ordered = sorted(values)
    p90 = ordered[max(0, -(-9 * len(ordered) // 10) - 1)]  # nearest rank: the value 90 % of them do not exceed
    return {"count": len(values), "mean": round(statistics.fmean(values), 2),
            "median": round(statistics.median(values), 2), "p90": round(p90, 2)}  # fmt: skip


def _compliance(outcomes: list[bool]) -> dict[str, Any]:
    met = sum(outcomes)
    return {"applicable": len(outcomes), "met": met, "breached": len(outcomes) - met,
            "percent": round(100 * met / len(outcomes), 2) if outcomes else None}  # fmt: skip


def _overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> float:
    return max(0.0, (min(a1, b1) - max(a0, b0)).total_seconds() / 60)


def _highest_tier(fact: dict[str, Any]) -> str:
    tiers = [fact.get("opened_tier") or Tier.L1.value, *(e["to_tier"] for e in fact.get("escalations", []))]
    return max(tiers, key=list(Tier).index)


def incident_row(fact: dict[str, Any], at: datetime) -> dict[str, Any]:
    """One incident as the review counts it, as of `at` (the period's end, or now for an open period)."""
    acked, resolved = fact.get("acknowledged_at"), fact.get("resolved_at")
    due, on_site_due, on_site_at = fact.get("response_due"), fact.get("on_site_due"), fact.get("on_site_at")
    response_met = None
    if due is not None and (acked is not None or due <= at):
        response_met = acked is not None and acked <= due
    on_site_met = None
    if on_site_due is not None and (on_site_at is not None or on_site_due <= at):
        on_site_met = on_site_at is not None and on_site_at <= on_site_due
    breached_clocks = {b["clock"] for b in fact.get("breaches", [])}
    if response_met is None and "response" in breached_clocks:
        response_met = False
    if on_site_met is None and "on_site" in breached_clocks:
        on_site_met = False
    mtta = fact.get("ack_minutes") if fact.get("ack_minutes") is not None else _minutes(fact["opened_at"], acked)
    mttr = fact.get("resolve_minutes") if fact.get("resolve_minutes") is not None else _minutes(fact["opened_at"],
                                                                                                 resolved)  # fmt: skip
    return {
        "incident_id": fact["_id"], "site_id": fact["site_id"], "severity": fact.get("severity"),
        "channel": fact.get("channel") or "unknown", "problem_class": fact.get("problem_class"),
        "opened_at": fact["opened_at"], "acknowledged_at": acked, "resolved_at": resolved,
        "mtta_minutes": None if acked is None or mtta is None else round(mtta, 2),
        "mttr_minutes": None if resolved is None or mttr is None else round(mttr, 2),
        "response_due": due, "response_met": response_met,
        "on_site_due": on_site_due, "on_site_at": on_site_at, "on_site_met": on_site_met,
        "tier": _highest_tier(fact), "reopened": len(fact.get("reopened", [])),
        "caused_by": fact.get("caused_by"), "product": fact.get("product"), "module": fact.get("module"),
    }  # fmt: skip


def planned_time(windows: list[dict[str, Any]], site_id: str) -> list[Interval]:
    """The site's agreed whole-system time: windows for the whole site (one host's window does not excuse the
    whole system being down), each up to when it really ended."""
    return union([(w["starts_at"], min(w["ends_at"], w.get("ended_at") or w["ends_at"])) for w in windows
                  if w["site_id"] == site_id and not w.get("host")])  # fmt: skip


def downtime_rows(facts: list[dict[str, Any]], windows: list[dict[str, Any]], start: datetime,
                  end: datetime) -> list[dict[str, Any]]:  # fmt: skip
    """Whole-system outages inside [start, end), each with its minutes inside an agreed window and the minutes it
    counts: neither planned nor already counted for an earlier outage of the same site (two incidents about one
    outage count it once)."""
    rows = []
    counted: dict[str, list[Interval]] = {}
    for fact in sorted(facts, key=lambda f: (f.get("down_from") or end, f["_id"])):
        down_from, up_at = fact.get("down_from"), fact.get("resolved_at")
        if down_from is None or up_at is None or up_at <= start or down_from >= end:
            continue
        a, b, site = max(down_from, start), min(up_at, end), fact["site_id"]
        planned = planned_time(windows, site)
        before = counted.get(site, [])
        minutes = (b - a).total_seconds() / 60
        rows.append({"incident_id": fact["_id"], "site_id": site, "cause": fact.get("caused_by"), "start": a, "end": b,
                     "minutes": round(minutes, 4), "planned_minutes": round(covered_minutes(a, b, planned), 4),
                     "counted_minutes": round(minutes - covered_minutes(a, b, [*planned, *before]), 4)})  # fmt: skip
        counted[site] = union([*before, (a, b)])
    return rows


@dataclass
class Facts:
    """What the figures of one period are counted from; every list is already narrowed to the review's sites."""

    incidents: list[dict[str, Any]]  # opened in the period
    outages: list[dict[str, Any]]  # incidents with a whole-system outage that touches the calendar year
    windows: list[dict[str, Any]]  # maintenance windows touching the period
    visits: list[dict[str, Any]]  # PM visits due in the period
    follow_ups: dict[str, bool]  # follow-up fault id -> whether its incident is resolved
    metrics: list[dict[str, Any]]  # monitoring breaches in the period
    sites: list[dict[str, Any]]
    dicom_down: list[dict[str, Any]] = field(default_factory=list)  # DICOM node outages touching the period


def figures(span: Span, facts: Facts, at: datetime) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The figures of one period, and the rows they are counted from."""
    as_of = min(at, span.end)
    incidents = [incident_row(f, as_of) for f in facts.incidents]
    breaches = [{"incident_id": f["_id"], "clock": b["clock"], "deadline": b["deadline"],
                 "breached_at": b["breached_at"], "reason": f.get("summary") or ""}
                for f in facts.incidents for b in f.get("breaches", [])]  # fmt: skip
    escalations = [{"incident_id": f["_id"], "from_tier": e["from_tier"], "to_tier": e["to_tier"],
                    "escalated_at": e["escalated_at"], "reason": e.get("reason", "")}
                   for f in facts.incidents for e in f.get("escalations", [])]  # fmt: skip
    windows = [{"window_id": w["_id"], "site_id": w["site_id"], "host": w.get("host"), "starts_at": w["starts_at"],
                "ends_at": w["ends_at"], "minutes": round(_overlap(w["starts_at"], w["ends_at"], span.start,
                                                                    span.end), 2)}
               for w in facts.windows]  # fmt: skip
    downtime = downtime_rows(facts.outages, facts.windows, span.start, span.end)
    visits = [{"visit_id": v["_id"], "site_id": v["site_id"], "due_at": v["due_at"], "status": v["status"],
               "completed_at": v.get("completed_at")} for v in facts.visits]  # fmt: skip
    findings = _findings(facts.visits, facts.follow_ups)
    metrics = [{"site_id": m["site_id"], "host": m["host"], "rule": m["rule"], "problem_class": m["problem_class"],
                "breached_at": m["breached_at"], "value": m["value"], "threshold": m["threshold"]}
               for m in facts.metrics]  # fmt: skip
    capacity = _capacity(facts.metrics, span.end)
    dicom = _dicom(facts.dicom_down, span, min(at, span.end))
    rows = {"incidents": incidents, "breaches": breaches, "escalations": escalations, "downtime": downtime,
            "windows": windows, "pm_visits": visits, "findings": findings, "monitoring": metrics,
            "capacity": capacity, "dicom": dicom}  # fmt: skip
    return _count(span, rows, facts, at), rows


def _findings(visits: list[dict[str, Any]], resolved: dict[str, bool]) -> list[dict[str, Any]]:
    rows = []
    for visit in visits:
        completion = visit.get("completion") or {}
        for n, follow_up in enumerate(completion.get("follow_ups", []), start=1):
            fault_id = f"PMF-{visit['_id']}-{n}"
            tracked = follow_up.get("open_incident", False)
            rows.append({"visit_id": visit["_id"], "text": follow_up["text"], "severity": follow_up["severity"],
                         "incident": tracked, "open": not (tracked and resolved.get(fault_id, False))})  # fmt: skip
    return rows


def _dicom(outages: list[dict[str, Any]], span: Span, as_of: datetime) -> list[dict[str, Any]]:
    """Each DICOM node that was down in the period: minutes down (an outage not over counts up to `as_of`) and
    its availability. A node that never failed its echo was up throughout and is not listed."""
    down: dict[tuple[str, str], float] = {}
    for outage in outages:
        until = outage.get("recovered_at") or as_of
        key = (outage["site_id"], outage["host"])
        down[key] = down.get(key, 0.0) + _overlap(outage["breached_at"], until, span.start, span.end)
    return [{"site_id": site, "host": host, "down_minutes": round(minutes, 4),
             "availability_percent": round(100 * (1 - minutes / span.minutes), 4)}
            for (site, host), minutes in sorted(down.items())]  # fmt: skip


def _capacity(metrics: list[dict[str, Any]], end: datetime) -> list[dict[str, Any]]:
    """The latest forecast for each host and rule: when it runs out, in months from the period's end."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for m in sorted(metrics, key=lambda m: m["breached_at"]):
        if m.get("exhausted_at") is not None:
            latest[(m["host"], m["rule"])] = m
    return [{"site_id": m["site_id"], "host": m["host"], "rule": m["rule"], "exhausted_at": m["exhausted_at"],
             "months_left": round(max(0.0, (m["exhausted_at"] - end).total_seconds() / 86400 / DAYS_IN_MONTH), 1)}
            for m in latest.values()]  # fmt: skip


def budget_year_start(span: Span, facts: Facts) -> datetime:
    """1 January of the year the period ends in, in the hospital's own zone: the software budget is yearly."""
    zone = ZoneInfo(facts.sites[0].get("time_zone", "UTC")) if facts.sites else ZoneInfo("UTC")
    last = (span.end - timedelta(microseconds=1)).astimezone(zone)
    return datetime(last.year, 1, 1, tzinfo=zone).astimezone(UTC)


def _count(span: Span, rows: dict[str, list[dict[str, Any]]], facts: Facts, at: datetime) -> dict[str, Any]:
    incidents = rows["incidents"]
    outage_total = sum(r["counted_minutes"] for r in rows["downtime"])
    by_cause: Counter[str] = Counter()
    for r in rows["downtime"]:
        by_cause[r["cause"] or "unknown"] += r["counted_minutes"]
    period_minutes = span.minutes * max(1, len(facts.sites))
    software_year = sum(r["counted_minutes"]
                        for r in downtime_rows(facts.outages, facts.windows, budget_year_start(span, facts), span.end)
                        if r["cause"] == "software")  # fmt: skip
    budget = sum(s.get("software_downtime_budget_minutes") or DEFAULT_BUDGET_MINUTES for s in facts.sites) or (
        DEFAULT_BUDGET_MINUTES
    )
    commitments = [s["availability_commitment_percent"] for s in facts.sites
                   if s.get("availability_commitment_percent") is not None]  # fmt: skip
    overdue = sum(1 for v in facts.visits if v["status"] == "overdue")
    return {
        "period": span.label, "starts_at": span.start, "ends_at": span.end,
        "incidents": len(incidents),
        "by_severity": dict(sorted(Counter(i["severity"] for i in incidents).items())),
        "by_channel": dict(sorted(Counter(i["channel"] for i in incidents).items())),
        "by_problem_class": dict(sorted(Counter(i["problem_class"] or "none" for i in incidents).items())),
        "mtta": _distribution([i["mtta_minutes"] for i in incidents if i["mtta_minutes"] is not None]),
        "mttr": _distribution([i["mttr_minutes"] for i in incidents if i["mttr_minutes"] is not None]),
        "response": _compliance([i["response_met"] for i in incidents if i["response_met"] is not None]),
        "on_site": _compliance([i["on_site_met"] for i in incidents if i["on_site_met"] is not None]),
        "escalations_by_tier": dict(sorted(Counter(e["to_tier"] for e in rows["escalations"]).items())),
        "reopened": sum(1 for i in incidents if i["reopened"]),
        "availability": {
            "commitment_percent": min(commitments) if commitments else None,
            "period_minutes": round(period_minutes, 4),
            "downtime_minutes": round(outage_total, 4),
            "downtime_by_cause": {k: round(v, 4) for k, v in sorted(by_cause.items())},
            "percent": round(100 * (1 - outage_total / period_minutes), 4) if period_minutes else 100.0,
            "planned_minutes": round(sum(r["planned_minutes"] for r in rows["downtime"]), 4),
            "software_budget_minutes": round(budget, 2),
            "software_used_minutes": round(software_year, 4),
            "software_left_minutes": round(budget - software_year, 4),
        },
        "pm": {"planned": len(facts.visits), "done": sum(1 for v in facts.visits if v["status"] == "completed"),
               "overdue": overdue, "findings_open": sum(1 for f in rows["findings"] if f["open"])},
        "monitoring": {"breaches": len(rows["monitoring"]),
                       "by_rule": dict(Counter(m["rule"] for m in rows["monitoring"]).most_common()),
                       "dicom_breaches": sum(1 for m in rows["monitoring"] if "dicom" in m["problem_class"]),
                       "dicom_nodes_down": len(rows["dicom"]),
                       "dicom_down_minutes": round(sum(d["down_minutes"] for d in rows["dicom"]), 4)},
    }  # fmt: skip


def recurring(incidents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Problems solved more than once in the period: by cause, product and module, the most frequent first."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for row in incidents:
        if row["caused_by"] is None:
            continue
        key = (row["caused_by"], row["product"] or "", row["module"] or "")
        groups.setdefault(key, []).append(row["incident_id"])
    ranked = sorted(((k, ids) for k, ids in groups.items() if len(ids) > 1), key=lambda item: -len(item[1]))
    return [{"caused_by": k[0], "product": k[1] or None, "module": k[2] or None, "count": len(ids),
             "incident_ids": sorted(ids)} for k, ids in ranked[:RECURRING_TOP]]  # fmt: skip


def holes(incidents: list[dict[str, Any]], waivers: dict[tuple[str, str], str]) -> list[dict[str, Any]]:
    """What the figures cannot stand on: incidents still unsolved (no root cause) or never answered."""
    found = []
    for row in incidents:
        if row["resolved_at"] is None:
            found.append({"incident_id": row["incident_id"], "kind": "no_root_cause",
                          "detail": "not resolved: no root cause, its time to resolve is not counted"})  # fmt: skip
        if row["acknowledged_at"] is None:
            found.append({"incident_id": row["incident_id"], "kind": "clock_never_stopped",
                          "detail": "never acknowledged: its response clock never stopped"})  # fmt: skip
    for hole in found:
        hole["waived"] = waivers.get((hole["incident_id"], hole["kind"]))
    return found


def unwaived(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [h for h in found if not h.get("waived")]


FINAL_UPGRADE_STATES = ("verified", "failed", "rolled_back")


def software(installed: list[dict[str, Any]], releases: list[dict[str, Any]], upgrades: list[dict[str, Any]],
             span: Span) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:  # fmt: skip
    """Versions against the latest release of their product, and the upgrades done in the period and planned
    after it: the summary, and its rows. No data until a site's agent has reported its software."""
    if not installed:
        return {"status": "no_data", "note": "no agent of these sites has reported its software yet"}, {}
    latest: dict[str, dict[str, Any]] = {}
    for release in releases:
        known = latest.get(release["product"])
        if known is None or parse_version(release["version"]).compare(parse_version(known["version"])) == 1:
            latest[release["product"]] = release
    versions = []
    for item in sorted(installed, key=lambda d: (d["site_id"], d["host"], d["component"])):
        newest = latest.get(item["component"])
        order = None if newest is None else parse_version(item["installed_version"]).compare(
            parse_version(newest["version"]))  # fmt: skip
        versions.append({"site_id": item["site_id"], "host": item["host"], "component": item["component"],
                         "installed_version": item["installed_version"],
                         "latest_release": newest["version"] if newest else None,
                         "behind": order == -1 if order is not None else None})  # fmt: skip
    done, planned = [], []
    for row in upgrades:
        verified = [h["at"] for h in row.get("history", []) if h["to_state"] == "verified"]
        entry = {"campaign_id": row["campaign_id"], "site_id": row["site_id"], "release": row.get("version"),
                 "state": row["state"], "window_starts_at": row.get("window_starts_at"),
                 "verified_at": verified[-1] if verified else None}  # fmt: skip
        if entry["verified_at"] is not None and span.start <= entry["verified_at"] < span.end:
            done.append(entry)
        elif row["state"] not in FINAL_UPGRADE_STATES:
            planned.append(entry)
    summary = {"status": "reported", "components": len(versions),
               "behind_latest_release": sum(1 for v in versions if v["behind"]),
               "upgrades_done": len(done), "upgrades_planned": len(planned)}  # fmt: skip
    return summary, {"software": versions, "upgrades": [*done, *planned]}
