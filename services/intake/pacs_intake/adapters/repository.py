"""Intake's collections: faults, calls and the site read model."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from pacs_kit.mongo import Document, Mongo, ReadModel, Repository
from pacs_kit.uow import Tx


class Faults(Repository):
    collection_name = "faults"
    indexes = [
        IndexModel([("site_id", ASCENDING), ("external_ref", ASCENDING)], unique=True),
        IndexModel([("incident_id", ASCENDING)]),
    ]

    async def get(self, fault_id: str) -> Document | None:
        return await self.collection.find_one({"_id": fault_id})

    async def by_external_ref(self, site_id: str, external_ref: str) -> Document | None:
        return await self.collection.find_one({"site_id": site_id, "external_ref": external_ref})

    def link_incident_on_commit(self, tx: Tx, fault_id: str, incident_id: str, from_status: str,
                                to_status: str) -> None:  # fmt: skip
        """Move the fault from `from_status` to `to_status` as the transaction commits, if it is still there."""
        tx.update(self.collection, {"_id": fault_id, "status": from_status},
                  {"$set": {"incident_id": incident_id, "status": to_status}})  # fmt: skip


class Calls(Repository):
    collection_name = "calls"
    indexes = [IndexModel([("site_id", ASCENDING), ("received_at", ASCENDING)])]


class Sites(ReadModel):
    """Sites as announced by escalation's `site.registered`."""

    collection_name = "sites"

    def __init__(self, mongo: Mongo) -> None:
        super().__init__(mongo)
        # Sites are never withdrawn, so a site once seen is remembered: one read less per fault.
        self._known: set[str] = set()

    async def exists(self, site_id: str) -> bool:
        """Whether the site was registered."""
        if site_id not in self._known and await self.get(site_id) is not None:
            self._known.add(site_id)
        return site_id in self._known
