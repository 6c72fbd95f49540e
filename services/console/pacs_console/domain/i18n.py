"""The pages' words in Chinese and English, from message catalogues; which language a request gets."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pacs_contracts.common import parse_duration

LOCALES = ("zh-CN", "en")


@cache
def catalogue(locale: str) -> dict[str, str]:
    text = resources.files("pacs_console").joinpath("locales", f"{locale}.json").read_text(encoding="utf-8")
    messages: dict[str, str] = json.loads(text)
    return messages


def translate(locale: str, key: str, **values: object) -> str:
    """The message for `key`; a key missing from the catalogue shows as itself, which the tests look for."""
    message = catalogue(locale).get(key, key)
    return message.format(**values) if values else message


def choose(asked: str | None, chosen: str | None, profile: str | None, accept_language: str) -> str:
    """`?lang=`, then the language cookie, then the account's profile, then the browser's first preference."""
    for candidate in (asked, chosen, profile):
        if candidate in LOCALES:
            return candidate
    first = accept_language.split(",")[0].strip().lower()
    return "zh-CN" if first.startswith("zh") else "en"


def span(locale: str, duration: timedelta) -> str:
    """A duration as people say it: "2 h 30 min", "1 d 4 h", "45 min" (in the locale's units)."""
    minutes = int(abs(duration).total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [translate(locale, unit, n=n) for unit, n in (("unit.d", days), ("unit.h", hours), ("unit.min", minutes))
             if n]  # fmt: skip
    return " ".join(parts[:2]) or translate(locale, "unit.min", n=0)


def span_of(locale: str, iso: str) -> str:
    """A contract term ("PT2H") in words; a value that is not a duration shows as it is."""
    try:
        return span(locale, parse_duration(iso))
    except ValueError:
        return iso


def local_time(value: str | datetime | None, zone: str | None) -> str:
    """A moment in a zone, labelled with its offset: "2026-12-03 18:40 UTC+08:00"; '' for none."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    try:
        where = ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        where = ZoneInfo("UTC")
    here = moment.astimezone(where)
    offset = here.strftime("%z")
    label = "UTC" if offset == "+0000" else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{here:%Y-%m-%d %H:%M} {label}"
