"""Maintenance windows: plan, list, cancel (or end early)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from pacs_contracts.api import MaintenanceWindowCreate, MaintenanceWindowPublic, Page
from pacs_contracts.common import Identifier, Role
from pacs_kit.auth import Principal, require
from pacs_kit.deps import KitDep, Offset, Staff
from pacs_kit.documents import model_of
from pacs_kit.mongo import Document
from pacs_kit.problems import Problem, found
from pacs_kit.uow import Tx
from pacs_scheduler.deps import DepsDep
from pacs_scheduler.domain import maintenance
from pacs_scheduler.domain.maintenance import ACTIVE, CANCELLED, ENDED, SCHEDULED
from pacs_scheduler.usecases.maintenance_windows import move

router = APIRouter(prefix="/api/v1/maintenance-windows", tags=["maintenance"])
Planner = Annotated[Principal, require(Role.engineer, Role.supervisor, Role.admin)]
STATES = (SCHEDULED, ACTIVE, ENDED, CANCELLED)


def public(window: Document) -> MaintenanceWindowPublic:
    return model_of(MaintenanceWindowPublic, window, id_as="window_id")


@router.post("", status_code=201, response_model=MaintenanceWindowPublic, summary="Plan a maintenance window")
async def create(body: MaintenanceWindowCreate, actor: Planner, deps: DepsDep, kit: KitDep) -> MaintenanceWindowPublic:
    """A window whose start has passed starts at once; it is published as `maintenance.started`."""
    if body.ends_at <= datetime.now(UTC):
        raise Problem(422, "Invalid request", "the window has already ended", slug="invalid-request")
    window = maintenance.new_window(body, actor.subject, datetime.now(UTC))

    async def add(tx: Tx) -> None:
        await deps.windows.add(window, tx.session)

    await kit.uow.run(add)
    return public(window)


@router.get("", response_model=Page[MaintenanceWindowPublic], summary="Maintenance windows, latest start first")
async def list_windows(
    _: Staff,
    deps: DepsDep,
    site_id: Identifier | None = None,
    state: Annotated[str | None, Query(pattern=f"^({'|'.join(STATES)})$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> Page[MaintenanceWindowPublic]:
    filters: dict[str, Any] = {k: v for k, v in {"site_id": site_id, "state": state}.items() if v is not None}
    items, total = await deps.windows.search(filters, limit, offset)
    return Page[MaintenanceWindowPublic](items=[public(w) for w in items], total=total)


@router.get("/{window_id}", response_model=MaintenanceWindowPublic, summary="One maintenance window")
async def get_window(window_id: str, _: Staff, deps: DepsDep) -> MaintenanceWindowPublic:
    window = found(await deps.windows.get(window_id), f"no maintenance window {window_id!r}")
    return public(window)


@router.delete("/{window_id}", response_model=MaintenanceWindowPublic, summary="Cancel a window, or end it now")
async def cancel(window_id: str, _: Planner, deps: DepsDep, kit: KitDep) -> MaintenanceWindowPublic:
    """A scheduled window is cancelled (nothing is published); an active one ends now (`maintenance.ended`)."""
    window = found(await deps.windows.get(window_id), f"no maintenance window {window_id!r}")
    now = datetime.now(UTC)
    if window["state"] == SCHEDULED:
        fields = {"state": CANCELLED, "ended_at": now}

        async def drop(tx: Tx) -> bool:
            return await deps.windows.move(window_id, SCHEDULED, fields, tx.session)

        moved = await kit.uow.run(drop)
    elif window["state"] == ACTIVE:
        fields = {"state": ENDED, "ended_at": now}
        moved = await move(kit, deps, window, fields, maintenance.ended(window, now))
    else:
        raise Problem(409, "Not allowed now", f"the window is already {window['state']}", slug="illegal-transition",
                      state=window["state"])  # fmt: skip
    if not moved:
        raise Problem(409, "Changed meanwhile", "the window started or ended while this was applied; reload it",
                      slug="conflict")  # fmt: skip
    return public({**window, **fields})
