"""Licences in, breaches out. A report stores each licence as it stands now, tells `licence.updated` for each that
changed, and its samples (domain/licences.py) go through the rules as an agent's metrics do, all in one
transaction. The expiry of a licence nobody reports again is looked at on a timer (jobs/watch_licences.py)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING

from pymongo import UpdateOne

from pacs_contracts.api import LicenceReport
from pacs_kit.mongo import Document
from pacs_kit.uow import Tx
from pacs_monitoring.adapters.licences import licence_id
from pacs_monitoring.domain.licences import changed, samples, updated
from pacs_monitoring.usecases.breaches import settle
from pacs_monitoring.usecases.ingest import observe

if TYPE_CHECKING:
    from pacs_kit.service import Kit
    from pacs_monitoring.deps import MonitoringDeps


async def report(kit: Kit, deps: MonitoringDeps, site_id: str, licences: list[LicenceReport],
                 now: datetime) -> tuple[int, Counter[str]]:  # fmt: skip
    """How many licences changed, and what their rules did (breaches, recoveries, held...)."""
    seen = [s for x in licences for s in samples(x.model_dump(), now)]
    observations = await observe(deps, site_id, seen, now)

    async def work(tx: Tx) -> tuple[int, Counter[str]]:
        stored = await deps.licences.of_site(site_id, tx.session)
        fresh = {x.licence for x in licences if changed(stored.get(x.licence), x)}
        for x in licences:
            if x.licence in fresh:
                await tx.emit(updated(site_id, x, now), correlation_id=licence_id(site_id, x.licence))
        await deps.licences.record([_write(site_id, x, x.licence in fresh, now, deps) for x in licences], tx.session)
        return len(fresh), await settle(site_id, observations, now, tx, deps)

    fresh, counts = await kit.uow.run(work)
    deps.metrics.counted(site_id, len(seen), counts)
    return fresh, counts


async def recheck(kit: Kit, deps: MonitoringDeps, due: list[Document], now: datetime) -> Counter[str]:
    """Look again at licences whose expiry nobody has reported since: their days left go through the rules."""
    by_site: dict[str, list[Document]] = {}
    for doc in due:
        by_site.setdefault(doc["site_id"], []).append(doc)
    observed = {site: await observe(deps, site, [s for d in docs for s in samples(d, now)], now)
                for site, docs in by_site.items()}  # fmt: skip

    async def work(tx: Tx) -> dict[str, Counter[str]]:
        counts = {site_id: await settle(site_id, observations, now, tx, deps)
                  for site_id, observations in observed.items()}  # fmt: skip
        await deps.licences.checked(due, now + deps.licence_check, tx.session)
        return counts

    per_site: dict[str, Counter[str]] = await kit.uow.run(work)
    for site_id, counts in per_site.items():
        deps.metrics.counted(site_id, 0, counts)
    return sum(per_site.values(), Counter())


def _write(site_id: str, licence: LicenceReport, fresh: bool, now: datetime, deps: MonitoringDeps) -> UpdateOne:
    stated = licence.model_dump()
    check_at = now + deps.licence_check if licence.expires_at is not None else None
    fields = {"site_id": site_id, **stated, "reported_at": now, "check_at": check_at}
    if fresh:
        fields["changed_at"] = now
    return UpdateOne({"_id": licence_id(site_id, licence.licence)}, {"$set": fields}, upsert=True)
