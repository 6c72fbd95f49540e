"""Monitoring's collections: breach state per (site, host, rule), and the maintenance windows running now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo import ASCENDING, IndexModel, ReplaceOne
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Repository
from pacs_monitoring.domain.rules import Observation, RuleState, State

NEVER = datetime(9999, 12, 31, tzinfo=UTC)


def state_id(site_id: str, host: str, rule: str) -> str:
    return f"{site_id}|{host}|{rule}"


class RuleStates(Repository):
    """One document per (site, host, rule) that ever moved.

    `hot_until` is when the state becomes a calm ok that an observation may ignore: never for a
    pending or firing rule, the end of its flap window for one that recently recovered. Reading
    only the hot states keeps a batch's cost independent of how many calm rules a site has.
    """

    collection_name = "rule_states"
    indexes = [IndexModel([("site_id", ASCENDING), ("hot_until", ASCENDING)]), IndexModel([("state", ASCENDING)])]

    async def hot(self, site_id: str, now: datetime, session: AsyncClientSession) -> dict[str, RuleState]:
        docs = await self.collection.find({"site_id": site_id, "hot_until": {"$gt": now}}, session=session).to_list()
        return {d["_id"]: _rule_state(d) for d in docs}

    async def not_ok(self) -> list[Document]:
        """Every pending or firing rule of the estate, for the dashboards."""
        wanted = {"site_id": 1, "rule": 1, "state": 1, "problem_class": 1}
        return await self.collection.find({"state": {"$in": [State.pending.value, State.firing.value]}},
                                          wanted).to_list()  # fmt: skip

    async def save_all(self, site_id: str, moved: list[tuple[str, Observation, RuleState]], now: datetime,
                       session: AsyncClientSession) -> None:  # fmt: skip
        if not moved:
            return
        writes = [ReplaceOne({"_id": sid}, _state_doc(site_id, sid, seen, state, now), upsert=True)
                  for sid, seen, state in moved]  # fmt: skip
        await self.collection.bulk_write(writes, ordered=False, session=session)


def _state_doc(site_id: str, sid: str, seen: Observation, state: RuleState, now: datetime) -> Document:
    if state.state is not State.ok:
        hot_until = NEVER
    elif state.flips:
        hot_until = state.flips[-1] + timedelta(seconds=seen.flap_window)
    else:
        hot_until = now
    return {
        "_id": sid, "site_id": site_id, "host": seen.host, "rule": seen.rule, "state": state.state.value,
        "problem_class": seen.problem_class,
        "announced": state.announced, "value": seen.value, "changed_at": now, "pending_since": state.pending_since,
        "calm_since": state.calm_since, "flips": list(state.flips), "hot_until": hot_until,
    }  # fmt: skip


def _rule_state(doc: Document) -> RuleState:
    return RuleState(State(doc["state"]), announced=doc.get("announced", True), pending_since=doc.get("pending_since"),
                     calm_since=doc.get("calm_since"), flips=tuple(doc.get("flips", ())))  # fmt: skip


class Maintenance(Repository):
    """Windows between their `maintenance.started` and `maintenance.ended` (host None: the whole site)."""

    collection_name = "maintenance"
    indexes = [IndexModel([("site_id", ASCENDING)])]

    async def start(self, window: Document, session: AsyncClientSession) -> None:
        await self.collection.replace_one({"_id": window["_id"]}, window, upsert=True, session=session)

    async def end(self, window_id: str, session: AsyncClientSession) -> None:
        await self.collection.delete_one({"_id": window_id}, session=session)

    async def hosts_held(self, site_id: str, session: AsyncClientSession | None = None) -> set[str | None]:
        """The hosts of a site under maintenance now; None in the set means every host."""
        docs = await self.collection.find({"site_id": site_id}, {"host": 1}, session=session).to_list()
        return {d.get("host") for d in docs}


class Links(Repository):
    """The last sign of life per (site, link), and whether the link has been declared silent."""

    collection_name = "links"
    indexes = [IndexModel([("silent", ASCENDING), ("silent_after", ASCENDING)])]

    async def beat(self, site_id: str, link: str, now: datetime, allowance: timedelta,
                   session: AsyncClientSession) -> bool:  # fmt: skip
        """Record a heartbeat; True when the link had been declared silent (it is back)."""
        before = await self.collection.find_one_and_update(
            {"_id": f"{site_id}|{link}"},
            {"$set": {"site_id": site_id, "link": link, "last_seen": now, "silent_after": now + allowance,
                      "silent": False}},
            upsert=True, session=session,
        )  # fmt: skip
        return bool(before and before.get("silent"))

    async def fallen_silent(self, now: datetime, limit: int, session: AsyncClientSession) -> list[Document]:
        """Links not yet declared silent whose allowance has run out (a bounded index range)."""
        query = {"silent": False, "silent_after": {"$lte": now}}
        return await self.collection.find(query, session=session).sort("silent_after", ASCENDING).limit(limit).to_list()

    async def declare_silent(self, link_ids: list[str], session: AsyncClientSession) -> None:
        await self.collection.update_many({"_id": {"$in": link_ids}, "silent": False}, {"$set": {"silent": True}},
                                          session=session)  # fmt: skip


async def site_health(states: RuleStates, links: Links, maintenance: Maintenance, site_id: str) -> Document:
    """What monitoring knows of a site now: every rule state, every link, the maintenance running."""
    rules = await states.collection.find({"site_id": site_id}).sort("_id", ASCENDING).to_list()
    seen = await links.collection.find({"site_id": site_id}).sort("_id", ASCENDING).to_list()
    windows = await maintenance.collection.find({"site_id": site_id}).to_list()
    return {"rules": rules, "links": seen, "maintenance": windows}


class RulePacks(Repository):
    """Rule packs that replace or override the one shipped: the global pack, a site's, a host's within a site."""

    collection_name = "rule_packs"
    indexes = [IndexModel([("site_id", ASCENDING)])]

    async def get(self, scope: str) -> Document | None:
        return await self.collection.find_one({"_id": scope})

    async def of_site(self, site_id: str) -> list[Document]:
        """The global pack and every override of the site and its hosts, in one read."""
        return await self.collection.find({"$or": [{"_id": "global"}, {"site_id": site_id}]}).to_list()

    async def replace(self, scope: str, site_id: str | None, host: str | None, text: str, by: str,
                      now: datetime) -> None:  # fmt: skip
        doc = {"_id": scope, "site_id": site_id, "host": host, "text": text, "updated_by": by, "updated_at": now}
        await self.collection.replace_one({"_id": scope}, doc, upsert=True)

    async def remove(self, scope: str) -> bool:
        return (await self.collection.delete_one({"_id": scope})).deleted_count == 1


def scope_of(site_id: str | None, host: str | None) -> str:
    if site_id is None:
        return "global"
    return f"site|{site_id}" if host is None else f"host|{site_id}|{host}"
