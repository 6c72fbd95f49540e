"""What runs where, kept from monitoring's reports: the installed software and the licences of every site. A report
replaces the one kept only when it is newer, so a redelivered or late report never undoes a later one."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Repository


class LatestReports(Repository):
    """One document per thing reported (its `_id`), as of its latest `reported_at`."""

    async def keep_latest(self, doc: Document, session: AsyncClientSession) -> bool:
        """Store `doc` unless what is kept was reported at the same time or later: whether it was stored."""
        kept = await self.collection.find_one({"_id": doc["_id"]}, {"reported_at": 1}, session=session)
        if kept is not None and kept["reported_at"] >= doc["reported_at"]:
            return False
        await self.collection.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=session)
        return True

    async def at_sites(self, site_ids: list[str]) -> list[Document]:
        return await self.collection.find({"site_id": {"$in": site_ids}}).to_list()


class InstalledSoftware(LatestReports):
    """A component on a host of a site (`site|host|component`) and the version it runs."""

    collection_name = "installed_software"
    indexes = [IndexModel([("component", ASCENDING), ("site_id", ASCENDING)]), IndexModel([("site_id", ASCENDING)])]

    async def of_component(self, component: str) -> list[Document]:
        return await self.collection.find({"component": component}).to_list()


class Licences(LatestReports):
    """A site's licence (`site|licence`): a feature, or a capacity with how much is used, and when it expires."""

    collection_name = "licences"
    indexes = [IndexModel([("site_id", ASCENDING)])]
