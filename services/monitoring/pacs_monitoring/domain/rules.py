"""The state of one rule on one host: ok → pending (while its `for` runs) → firing → ok."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    ok = "ok"
    pending = "pending"
    firing = "firing"
