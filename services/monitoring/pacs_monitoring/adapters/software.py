"""What each host of a site runs, one document per (site, host, component), and each site's baseline."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_kit.mongo import Document, Repository


def component_id(site_id: str, host: str, component: str) -> str:
    return f"{site_id}|{host}|{component}"


class InstalledSoftware(Repository):
    """A component is kept until a report says otherwise: agents may report part of a host at a time."""

    collection_name = "installed_software"
    indexes = [IndexModel([("site_id", ASCENDING), ("host", ASCENDING)])]

    async def versions(self, site_id: str, hosts: list[str], session: AsyncClientSession) -> dict[tuple[str, str], str]:
        """The stored version per (host, component) of the given hosts."""
        query = {"site_id": site_id, "host": {"$in": hosts}}
        docs = await self.collection.find(query, {"host": 1, "component": 1, "version": 1}, session=session).to_list()
        return {(d["host"], d["component"]): d["version"] for d in docs}

    async def record(self, writes: list[UpdateOne], session: AsyncClientSession) -> None:
        if writes:
            await self.collection.bulk_write(writes, ordered=False, session=session)

    async def of_site(self, site_id: str) -> list[Document]:
        return await self.collection.find({"site_id": site_id}).to_list()


class SoftwareBaselines(Repository):
    """The version each component of a site should be at, one document per site."""

    collection_name = "software_baselines"

    async def get(self, site_id: str) -> Document | None:
        return await self.collection.find_one({"_id": site_id})

    async def replace(self, site_id: str, components: dict[str, str], by: str, now: datetime) -> Document:
        doc = {"_id": site_id, "site_id": site_id, "components": components, "updated_by": by, "updated_at": now}
        await self.collection.replace_one({"_id": site_id}, doc, upsert=True)
        return doc
