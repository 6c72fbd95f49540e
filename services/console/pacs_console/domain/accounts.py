"""Sign-in rules, pure: when repeated failures lock an account, and who a signed-in account acts as."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

LOCK_AFTER = 5  # failed sign-ins within LOCK_WINDOW lock the account
LOCK_WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)


@dataclass(frozen=True)
class Lockout:
    failures: tuple[datetime, ...]  # the recent ones, oldest first
    locked_until: datetime | None


def after_failure(failures: list[datetime], now: datetime) -> Lockout:
    """The failures still counted once this one is added, and the lock they earn."""
    recent = tuple(t for t in [*failures, now] if now - t < LOCK_WINDOW)[-LOCK_AFTER:]
    return Lockout(recent, now + LOCK_FOR if len(recent) >= LOCK_AFTER else None)


def locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def subject_of(username: str, engineer_id: str | None) -> str:
    """Whom the platform's tokens name: an engineer's record, so the incidents they own are theirs; else the user."""
    return engineer_id or username


def state_of(disabled: bool, locked_until: datetime | None, now: datetime) -> str:
    """What an admin reads of an account: disabled, locked (until the lock runs out or is lifted) or active."""
    return "disabled" if disabled else "locked" if locked(locked_until, now) else "active"
