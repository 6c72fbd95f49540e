"""How a message reaches an engineer: which channels, when, and how often. Pure.

An on-call message follows the engineer's rules at any hour ("push at once, SMS if not
acknowledged after 5 minutes, again every 15 minutes"); an information-only message waits for
the engineer's office hours in their time zone and goes once, on the first channel. Several
messages due for one engineer on one channel together go as one (bundling); one address gets at
most `RATE_LIMIT` messages per `RATE_WINDOW` (in the spirit of GoAlert's 5 per 15 minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pacs_contracts.api import Contacts
from pacs_contracts.common import parse_duration

ONCALL, INFO = "oncall", "info"
RATE_LIMIT = 5
RATE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Step:
    index: int
    channel: str  # push, sms or log
    due_at: datetime
    repeat: timedelta | None


def steps(contacts: Contacts | None, kind: str, raised_at: datetime) -> list[Step]:
    """The sends a new message starts with; without contacts, one line on the deployment's log channel,
    information at the default office hours (those `GET .../contacts` shows an engineer who set none)."""
    if contacts is None:
        return [Step(0, "log", office_time(Contacts(), raised_at) if kind == INFO else raised_at, None)]
    if kind == INFO:
        return [Step(0, contacts.rules[0].channel, office_time(contacts, raised_at), None)]
    return [Step(i, rule.channel, raised_at + parse_duration(rule.after),
                 parse_duration(rule.repeat) if rule.repeat else None)
            for i, rule in enumerate(contacts.rules)]  # fmt: skip


def channel_of(contacts: Contacts | None) -> str:
    """The channel a message starts on: the first rule's, or the log without contacts."""
    return "log" if contacts is None else contacts.rules[0].channel


def address_of(contacts: Contacts | None, channel: str) -> str | None:
    """The engineer's first number for SMS, first push target for push; None for the log channel."""
    if contacts is None:
        return None
    if channel == "sms" and contacts.phones:
        return contacts.phones[0]
    if channel == "push" and contacts.push:
        return contacts.push[0].address
    return None


def targets_of(contacts: Contacts | None, engineer_id: str) -> dict[str, str]:
    """Every address the providers may use for this engineer: per push provider, the number for SMS."""
    targets = {"log": engineer_id}
    if contacts is not None:
        targets |= {t.provider: t.address for t in reversed(contacts.push)}  # the first target of a provider wins
        if contacts.phones:
            targets["sms"] = contacts.phones[0]
    return targets


def office_time(contacts: Contacts, at: datetime) -> datetime:
    """`at` if it falls in the engineer's office hours, else when they next begin."""
    zone = ZoneInfo(contacts.time_zone)
    hours = contacts.working_hours
    local = at.astimezone(zone)
    for day in range(8):
        date = (local + timedelta(days=day)).date()
        if date.isoweekday() not in hours.days:
            continue
        start = datetime.combine(date, hours.start, tzinfo=zone)
        end = datetime.combine(date, hours.end, tzinfo=zone)
        if local < end:
            return max(start, local).astimezone(at.tzinfo)
    return at  # no office hours at all: do not hold the message back


def rate_free_at(sent: list[datetime], now: datetime, limit: int = RATE_LIMIT,
                 window: timedelta = RATE_WINDOW) -> datetime:  # fmt: skip
    """When the address may get its next message: now, or when the oldest of the window's messages ages out."""
    recent = sorted(t for t in sent if now - t < window)
    if len(recent) < limit:
        return now
    return recent[-limit] + window


def bundle(texts: list[str], locale: str) -> str:
    """One message for several: a count, then each on its own line."""
    if len(texts) == 1:
        return texts[0]
    head = f"[PACS] {len(texts)} 条消息：" if locale == "zh-CN" else f"[PACS] {len(texts)} messages:"
    return "\n".join([head, *texts])


def mask(address: str | None) -> str | None:
    """Numbers and tokens in the delivery log show only their last four characters."""
    if address is None or len(address) <= 4:
        return address
    return "…" + address[-4:]
