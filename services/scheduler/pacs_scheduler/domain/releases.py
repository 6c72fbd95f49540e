"""Releases: which installed versions a release applies to, and whether each site that runs its product can take it
now, with every reason it cannot, in words. Pure: installations, licences and sites are plain documents."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pacs_contracts.api import Applicability, ApplicabilityRow, Prerequisites, ReleaseCreate, ReleasePublic
from pacs_contracts.api.releases import parse_range
from pacs_contracts.common import Version, parse_version

Doc = dict[str, Any]
# a comparison, as the orders it admits: -1 (older than the bound), 0 (the same), 1 (newer)
COMPARE: dict[str, frozenset[int]] = {
    ">=": frozenset({0, 1}), ">": frozenset({1}), "<=": frozenset({-1, 0}), "<": frozenset({-1}),
    "==": frozenset({0}), "!=": frozenset({-1, 1}),
}  # fmt: skip


class Unordered(ValueError):
    """A reported version that does not order against a bound: the same release with a vendor suffix."""


def older(version: Version, than: Version) -> bool:
    """Whether `version` is older than `than`; Unordered when that cannot be said."""
    order = version.compare(than)
    if order is None:
        raise Unordered(f"{version} and {than} do not order")
    return order < 0


def within(version: Version, ranges: Iterable[str]) -> bool:
    """Whether `version` is in any of the ranges (each, comparisons that must all hold); Unordered when only a
    comparison that cannot be made would decide it."""
    undecided = None
    for text in ranges:
        orders = [(op, version.compare(bound), bound) for op, bound in parse_range(text)]
        if any(order is not None and order not in COMPARE[op] for op, order, _ in orders):
            continue  # this range rules it out, whatever the undecided comparisons say
        unordered = [bound for _, order, bound in orders if order is None]
        if not unordered:
            return True
        undecided = Unordered(f"{version} and {unordered[0]} do not order")
    if undecided is not None:
        raise undecided
    return False


def catalogue_key(product: str, version: str) -> str:
    """One release per product and version: 7.2.3 and 7.2.3.0 are the same release."""
    return f"{product}|{'.'.join(map(str, parse_version(version).release))}"


def new_release(body: ReleaseCreate, actor: str, now: datetime) -> Doc:
    return {"_id": f"REL-{uuid.uuid4().hex[:16].upper()}", **body.model_dump(mode="json"),
            "key": catalogue_key(body.product, body.version), "created_by": actor, "created_at": now}  # fmt: skip


def _at_least(what: str, installs: Sequence[Doc], minimum: str) -> list[str]:
    """A reason for every installation of `what` below `minimum` (or not comparable), or one if there is none."""
    if not installs:
        return [f"{what} not reported at the site (needs {minimum} or later)"]
    reasons = []
    for found in installs:
        text, where = found["installed_version"], f"{found['component']} on {found['host']}"
        try:
            if older(parse_version(text), parse_version(minimum)):
                reasons.append(f"{what} {text} below the required {minimum} ({where})")
        except ValueError:  # not a version, or Unordered
            reasons.append(f"{what} {text} cannot be compared with the required {minimum} ({where}): check by hand")
    return reasons


def _min_versions(need: Prerequisites, row: Doc, site: Sequence[Doc], licences: Mapping[str, Doc],
                  now: datetime) -> list[str]:  # fmt: skip
    reasons = []
    for component, minimum in sorted(need.min_versions.items()):
        # the product itself is judged on the host being updated; any other component wherever the site runs it
        same = [row] if component == row["component"] else [d for d in site if d["component"] == component]
        reasons += _at_least(component, same, minimum)
    return reasons


def _database(need: Prerequisites, row: Doc, site: Sequence[Doc], licences: Mapping[str, Doc],
              now: datetime) -> list[str]:  # fmt: skip
    if need.database_version is None:
        return []
    return _at_least("database", [d for d in site if d.get("kind") == "database"], need.database_version)


def _licences(need: Prerequisites, row: Doc, site: Sequence[Doc], licences: Mapping[str, Doc],
              now: datetime) -> list[str]:  # fmt: skip
    reasons = []
    for name in need.licences:
        held = licences.get(name)
        if held is None:
            reasons.append(f"licence {name} missing")
        elif held.get("expires_at") is not None and held["expires_at"] <= now:
            reasons.append(f"licence {name} expired on {held['expires_at'].date().isoformat()}")
    return reasons


CHECKS = (_min_versions, _database, _licences)


def _unchecked(need: Prerequisites) -> list[str]:
    """What no event reports yet: said, never counted against the site."""
    if need.free_space_gb is None:
        return []
    return [f"free space not reported (needs {need.free_space_gb:g} GB): check it before the window"]


def _judge(release: ReleasePublic, row: Doc, site: Sequence[Doc], licences: Mapping[str, Doc],
           now: datetime) -> tuple[str, list[str], list[str]]:  # fmt: skip
    """The group one installation of the product falls in, with its reasons and what could not be checked."""
    text = row["installed_version"]
    try:
        installed = parse_version(text)
        if not older(installed, parse_version(release.version)):
            return "up_to_date", [], []
        if not within(installed, release.applies_to):
            ranges = "; ".join(release.applies_to)
            return "not_applicable", [f"{text} is outside the versions it applies to ({ranges})"], []
    except Unordered as exc:
        return "unknown", [f"{exc}: check by hand"], []
    except ValueError:
        return "unknown", [f"installed version {text!r} is not a version"], []
    need = release.prerequisites
    reasons = [reason for check in CHECKS for reason in check(need, row, site, licences, now)]
    return ("blocked" if reasons else "ready"), reasons, _unchecked(need)


def applicability(release: ReleasePublic, sites: Mapping[str, Doc], installed: Iterable[Doc],
                  licences: Iterable[Doc], now: datetime) -> Applicability:  # fmt: skip
    """Every host of a registered site that runs the release's product: up to date, not applicable, unknown (its
    version does not order against the release), or needing it, and then ready or blocked with the reasons."""
    by_site: dict[str, list[Doc]] = defaultdict(list)
    for doc in installed:
        by_site[doc["site_id"]].append(doc)
    held: dict[str, dict[str, Doc]] = defaultdict(dict)
    for doc in licences:
        held[doc["site_id"]][doc["licence"]] = doc
    groups: dict[str, list[ApplicabilityRow]] = defaultdict(list)
    for site_id in sorted(set(by_site) & set(sites)):
        for row in sorted(by_site[site_id], key=lambda d: d["host"]):
            if row["component"] != release.product:
                continue
            group, reasons, unchecked = _judge(release, row, by_site[site_id], held[site_id], now)
            groups[group].append(ApplicabilityRow(site_id=site_id, site_name=sites[site_id].get("name"),
                                                  host=row["host"], installed_version=row["installed_version"],
                                                  reported_at=row["reported_at"], reasons=reasons,
                                                  unchecked=unchecked))  # fmt: skip
    return Applicability(release_id=release.release_id, product=release.product, version=release.version,
                         checked_at=now, needs=groups["ready"] + groups["blocked"], ready=groups["ready"],
                         blocked=groups["blocked"], up_to_date=groups["up_to_date"],
                         not_applicable=groups["not_applicable"], unknown=groups["unknown"])  # fmt: skip


def behind_latest(catalogue: Iterable[Doc], installed: Iterable[Doc],
                  registered: Collection[str]) -> dict[tuple[str, str], int]:  # fmt: skip
    """(product, kind) -> how many registered sites run the product, on some host, at a version older than the
    catalogue's newest release of that kind: every pair the catalogue holds, 0 included. A version that does not
    parse or order against the release is not counted as behind."""
    newest: dict[tuple[str, str], Version] = {}
    for release in catalogue:
        key, version = (release["product"], release["kind"]), parse_version(release["version"])
        if key not in newest or older(newest[key], version):
            newest[key] = version
    behind: dict[tuple[str, str], set[str]] = {key: set() for key in newest}
    for doc in installed:
        if doc["site_id"] not in registered:
            continue
        for (product, kind), latest in newest.items():
            if product == doc["component"] and _surely_older(doc["installed_version"], latest):
                behind[(product, kind)].add(doc["site_id"])
    return {key: len(sites) for key, sites in behind.items()}


def _surely_older(text: str, than: Version) -> bool:
    try:
        return older(parse_version(text), than)
    except ValueError:  # not a version, or Unordered
        return False
