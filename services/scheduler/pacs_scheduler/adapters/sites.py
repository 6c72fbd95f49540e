"""The scheduler's copy of the sites, kept from escalation's `site.registered`."""

from __future__ import annotations

from pacs_kit.mongo import Document, ReadModel


class Sites(ReadModel):
    """The scheduler's read model of sites (from `site.registered`): who the account engineer is, the name."""

    collection_name = "sites"

    async def many(self, site_ids: list[str]) -> dict[str, Document]:
        """The registered sites among `site_ids`, by id."""
        return {doc["_id"]: doc async for doc in self.collection.find({"_id": {"$in": site_ids}})}
