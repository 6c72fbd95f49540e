"""Keyset pages of a growing collection, newest first by time, each read as a few bounded time windows.

A page after a cursor (the time and id of the last item seen) never skips or repeats an item, however many arrive
meanwhile, and costs the same on the first page as on the thousandth. It is read window by window away from
the cursor, starting with the span that last held a page of the same listing (WindowMemory): a window that held
few items makes the next one wider (twice as wide after an empty one), so a sparse stretch takes a handful of
reads, a busy listing reads about a page, and a read that ends a quiet spell examines at most what the spell's
length holds of the busier time beyond it; never the collection. The same queries are what a MongoDB index serves
directly; on a server that reads every match of a query before its limit, the windows keep each read bounded.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from starlette.requests import Request

from pacs_kit.mongo import Document
from pacs_kit.problems import Problem

FIRST_WINDOW = timedelta(seconds=5)  # until a listing has learnt its own (WindowMemory)
NARROWEST = timedelta(milliseconds=100)
MAX_GROWTH = 4  # a window at most this many times wider than the one before
HORIZON = timedelta(days=3660)  # nothing is looked for further back than this before the cursor
COUNT_LIMIT = 10_000  # a total asked for is counted up to this


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last item's time and id."""

    at: datetime
    id: str

    def encode(self) -> str:
        raw = json.dumps({"at": self.at.isoformat(), "id": self.id}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The cursor a `next` link carries; a 400 problem for anything else."""
        try:
            raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            at = datetime.fromisoformat(raw["at"])
            if at.tzinfo is None or not isinstance(raw["id"], str):
                raise ValueError("cursor without a zone or an id")
            return cls(at.astimezone(UTC), raw["id"])
        except (ValueError, TypeError, KeyError, binascii.Error) as exc:
            raise Problem(400, "Bad cursor", "the cursor is not one this listing gave out", slug="bad-cursor") from exc


class WindowMemory:
    """The span of time that last held a full page, per kind of listing (its filters' names and order): the next
    page starts with a window that wide, so a busy listing reads about a page and a quiet one few empty windows."""

    def __init__(self) -> None:
        self._spans: dict[tuple[Any, ...], timedelta] = {}

    def first(self, key: tuple[Any, ...]) -> timedelta:
        return self._spans.get(key, FIRST_WINDOW)

    def learn(self, key: tuple[Any, ...], span: timedelta) -> None:
        self._spans[key] = min(max(span, NARROWEST), HORIZON)


def cursor_of(text: str | None) -> Cursor | None:
    return Cursor.decode(text) if text else None


def next_link(request: Request, cursor: Cursor | None) -> str | None:
    """The same listing's link with the next page's cursor, or None on the last page."""
    if cursor is None:
        return None
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "total")]
    return f"{request.url.path}?{urlencode([*query, ('cursor', cursor.encode())])}"


async def newest_first(
    collection: AsyncCollection[Document],
    filters: dict[str, Any],
    field: str,
    limit: int,
    after: Cursor | None,
    *,
    projection: dict[str, Any] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    memory: WindowMemory | None = None,
) -> tuple[list[Document], Cursor | None]:
    """Up to `limit` documents matching `filters`, newest first by `field` (a time) then id, after `after`, with
    `field` in [since, until) when given; with the cursor of the next page, or None when nothing is left."""
    since, until = _aware(since), _aware(until)
    now = datetime.now(UTC)
    ahead = now + timedelta(minutes=1)  # instances' clocks differ
    edge = after.at if after else min(ahead, until or ahead)  # windows are [lower, edge)
    stop = max(edge - HORIZON, since or now - HORIZON)
    order = [(field, DESCENDING), ("_id", DESCENDING)]
    items: list[Document] = []
    if after is not None:  # the rest of the items that share the cursor's time: a few at most, compared here
        # (with the id in the query one server's planner chose a collection scan over the time index)
        ties = collection.find({**filters, field: {"$gte": after.at, "$lte": after.at}}, projection)
        items = [d for d in await ties.sort(order).to_list() if d["_id"] < after.id]
    shape = (field, *sorted(filters))
    window = memory.first(shape) if memory else FIRST_WINDOW
    # the first window of a listing also covers the minute ahead, where little or nothing is
    head = max(edge - now, timedelta(0)) if after is None else timedelta(0)
    while len(items) <= limit and edge > stop:
        lower = max(edge - head - window, stop)
        wanted = limit + 1 - len(items)
        found = collection.find({**filters, field: {"$gte": lower, "$lt": edge}}, projection).sort(order)
        batch = await found.limit(wanted).to_list()
        items += batch
        edge, head = lower, timedelta(0)
        # widen in proportion to what was missing, so the next window is expected to hold about the rest
        # (doubling only past an empty one: the window that ends a quiet spell may reach into a busy one)
        window *= 2 if not batch else min(MAX_GROWTH, max(1, wanted // len(batch)))
    if len(items) > limit:
        if memory is not None:  # the span its items took (not the gaps before them), for the next of its kind
            memory.learn(shape, (items[0][field] - items[limit][field]) * 1.25)
        last = items[limit - 1]
        return items[:limit], Cursor(last[field], last["_id"])
    return items, None


def _aware(at: datetime | None) -> datetime | None:
    """A time given without a zone is UTC, as the database reads it."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


async def bounded_count(collection: AsyncCollection[Document], filters: dict[str, Any]) -> int:
    """How many documents match, counted up to COUNT_LIMIT (a total of that size means "at least")."""
    return await collection.count_documents(filters, limit=COUNT_LIMIT)
