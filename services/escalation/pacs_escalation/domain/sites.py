"""How a caller finds their hospital (the keys a site is found by, from its names, city, id and phone numbers), and
what a registered site tells the other services."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pacs_contracts.common import parse_duration
from pacs_contracts.events import SiteRegistered
from pacs_escalation.domain.availability import budget_minutes
from pacs_kit.documents import model_of

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[\w-]+")


def phone_keys(number: str) -> set[str]:
    """A number's digits as a caller ID shows it, nationally, without a trunk zero, and as the local number
    alone (its last 7 or 8 digits): +86 21 6427 0000, 02164270000, 2164270000 and 64270000 find the same
    hospital."""
    digits = re.sub(r"\D", "", number)
    keys = {digits, digits[-8:], digits[-7:]}
    if digits.startswith("86") and len(digits) > 10:
        keys.add(digits[2:])
    keys |= {k[1:] for k in list(keys) if k.startswith("0")}
    return {k for k in keys if len(k) >= 5}


def text_keys(text: str) -> set[str]:
    """A name found from its start, from the start of any word (so "first people" finds "Shanghai First
    People's Hospital"), and (Chinese having no spaces) from any
    character of a run of Chinese: 人民医院 finds 上海市第一人民医院."""
    lowered = text.strip().lower()
    keys = {lowered, *(lowered[m.start() :] for m in _WORD.finditer(lowered))}  # from each word on
    if _CJK.search(lowered):
        keys |= {lowered[i:] for i in range(1, len(lowered)) if _CJK.match(lowered[i])}
    return {k for k in keys if k}


def search_keys(site: dict[str, Any]) -> list[str]:
    names: Iterable[str] = [site["name"], *(site.get("aliases") or []), site.get("city") or "", site["_id"]]
    keys = set().union(*(text_keys(n) for n in names if n))
    for number in site.get("phones") or []:
        keys |= phone_keys(number)
    return sorted(keys)


def query_key(typed: str) -> str:
    """What a typed query is matched against (as the start of a key): digits alone for a number."""
    stripped = typed.strip().lower()
    if re.fullmatch(r"[+\d\s()-]+", stripped) and sum(c.isdigit() for c in stripped) >= 5:
        digits = re.sub(r"\D", "", stripped)
        return digits[2:] if digits.startswith("86") and len(digits) > 10 else digits.lstrip("0")
    return stripped


def registered(site: dict[str, Any]) -> SiteRegistered:
    """The announcement of a stored site, with what its contract commits to for the service review and who at
    the hospital authorises remote access, for how long at most, what its standing rules grant at once and in
    which working hours."""
    contract = site["contract"]
    cap = parse_duration(contract.get("remote_access_max", "PT4H")).total_seconds() / 60
    return model_of(SiteRegistered, site, id_as="site_id", software_downtime_budget_minutes=budget_minutes(contract),
                    availability_commitment_percent=contract.get("availability_percent"),
                    access_approvers=tuple(contract.get("remote_access_approvers", [])),
                    access_max_minutes=cap, contacts=tuple(contract.get("contacts", [])),
                    access_standing_rules=tuple(contract.get("remote_access_standing_rules", [])),
                    working_hours=contract.get("calendar"))  # fmt: skip
