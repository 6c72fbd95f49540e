"""The escalation database: what a case says, how an incident becomes one, how matches are scored. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pacs_escalation.domain.lifecycle import State

# A query is compared with the whole case and with its title and symptom alone, and the two
# similarities are averaged: a fault report reads like a symptom, but the root cause and the fix
# often carry the words that tell two similar symptoms apart (measured in bench/knowledge.py).
WHOLE_WEIGHT = 0.5
CASE_FIELDS = ("title", "symptom", "root_cause", "resolution", "product", "version", "module", "tags")


def texts(case: dict[str, Any]) -> tuple[str, str]:
    """(the whole case, its title and symptom): the two texts a case is embedded as."""
    short = f"{case['title']}. {case['symptom']}"
    extra = [case.get(name) for name in ("root_cause", "resolution", "module")]
    whole = " ".join([short, *(str(part) for part in extra if part), *case.get("tags", [])])
    return whole, short


def escalations(timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every escalation on an incident's timeline, by the ladder or by hand, with its reason."""
    return [
        {"at": e["at"], "from_tier": e["from"], "to_tier": e["to"], "reason": e.get("reason", "")}
        for e in timeline
        if e.get("what") == "escalated"
    ]


def from_incident(incident: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The case an incident files once it has been escalated or resolved (its id is the incident's)."""
    resolution = incident.get("resolution") or {}
    resolved = incident["state"] in (State.resolved.value, State.closed.value)
    return {
        "external_id": incident["_id"],
        "source": "incident",
        "status": "resolved" if resolved else "open",
        "title": incident["summary"],
        "symptom": incident.get("description") or incident["summary"],
        "root_cause": resolution.get("root_cause"),
        "resolution": resolution.get("resolution"),
        "caused_by": resolution.get("caused_by"),
        "product": resolution.get("product"),
        "version": resolution.get("version"),
        "module": resolution.get("module"),
        "tags": resolution.get("tags", []),
        "site_id": incident["site_id"],
        "escalations": escalations(incident.get("timeline", [])),
        "updated_at": now,
        "revision": len(incident.get("timeline", [])),  # a later filing of the same incident has a longer timeline
    }


def from_import(record: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        **{name: record.get(name) for name in CASE_FIELDS},
        "tags": record.get("tags", []),
        "external_id": record["external_id"],
        "source": "import",
        "status": "resolved" if record.get("resolution") else "open",
        "escalations": [],
        "updated_at": now,
    }


def recall_at(k: int, ranked: list[list[str]], expected: list[str]) -> float:
    """The share of queries whose expected case is among the first k results."""
    hits = sum(1 for found, want in zip(ranked, expected, strict=True) if want in found[:k])
    return hits / len(expected) if expected else 0.0
