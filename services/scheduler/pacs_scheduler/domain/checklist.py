"""The PM check list in its order (its words in both languages are in pacs_contracts.checklist). Pure."""

from __future__ import annotations

from pacs_contracts.api import ChecklistEntry, ChecklistItem

_ORDER = {item: position for position, item in enumerate(ChecklistItem)}


def in_order(entries: list[ChecklistEntry]) -> list[ChecklistEntry]:
    """The entries in the order of the check list, however the engineer sent them."""
    return sorted(entries, key=lambda entry: _ORDER[entry.item])
