"""The pages' words in Chinese and English, from message catalogues; which language a request gets."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

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
