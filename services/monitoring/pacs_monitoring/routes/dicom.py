"""DICOM nodes to C-ECHO on a schedule: register, list, look at one and its probes, remove.

A node is registered only when every address its host resolves to lies in a network monitoring
may probe (`MONITORING_DICOM_ALLOWED_NETWORKS`): the platform never probes arbitrary hosts. The
address is checked again at every probe, as DNS may change.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pymongo.errors import DuplicateKeyError

from pacs_contracts.api import DicomNodeCreate, DicomNodePublic, DicomProbePublic, DicomProbeSummary, Page
from pacs_contracts.common import Identifier, Role
from pacs_kit.auth import Principal, require
from pacs_kit.deps import KitDep, Offset, StaffOrSite
from pacs_kit.documents import model_of
from pacs_kit.problems import Problem, found
from pacs_kit.uow import Tx
from pacs_monitoring.adapters.dicom import resolve
from pacs_monitoring.deps import DepsDep, MonitoringDeps
from pacs_monitoring.domain.probes import default_name
from pacs_monitoring.usecases.breaches import retire

router = APIRouter(prefix="/api/v1/dicom-nodes", tags=["dicom"])
Registrar = Annotated[Principal, require(Role.his, Role.engineer, Role.supervisor, Role.admin)]


@router.post("", status_code=201, response_model=DicomNodePublic, summary="Register a DICOM node to C-ECHO")
async def register(body: DicomNodeCreate, principal: Registrar, deps: DepsDep) -> DicomNodePublic:
    """Engineers, supervisors, admins, or the site's own key; probed at once, then every `interval_seconds`."""
    principal.act_for_site(body.site_id)
    await _check_addresses(body.host, body.port, deps)
    node_id = f"DN-{uuid.uuid4().hex[:16].upper()}"
    now = datetime.now(UTC)
    node = {"_id": node_id, **body.model_dump(), "name": body.name or default_name(body.host, body.port) or node_id,
            "created_by": principal.subject, "created_at": now, "next_probe_at": now, "last_probe": None}  # fmt: skip
    try:
        await deps.dicom_nodes.add(node)
    except DuplicateKeyError:
        raise await _conflict(body, node["name"], deps) from None
    return public(node, deps)


@router.get("", response_model=Page[DicomNodePublic], summary="DICOM nodes, by site and name")
async def list_nodes(
    principal: StaffOrSite,
    deps: DepsDep,
    site_id: Identifier | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> Page[DicomNodePublic]:
    """A site's key sees its own site's nodes only."""
    site_id = site_id or principal.site_id
    if site_id is not None:
        principal.act_for_site(site_id)
    nodes, total = await deps.dicom_nodes.search(site_id, limit, offset)
    return Page[DicomNodePublic](items=[public(n, deps) for n in nodes], total=total)


@router.get("/{node_id}", response_model=DicomNodePublic, summary="One DICOM node and its last probe")
async def get_node(node_id: str, principal: StaffOrSite, deps: DepsDep) -> DicomNodePublic:
    return public(await _node(node_id, principal, deps), deps)


@router.get("/{node_id}/probes", response_model=list[DicomProbePublic], summary="A node's latest probes, newest first")
async def probes(
    node_id: str, principal: StaffOrSite, deps: DepsDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[DicomProbePublic]:
    node = await _node(node_id, principal, deps)
    interval = timedelta(seconds=deps.dicom.interval_of(node))
    latest = await deps.dicom_probes.latest(node_id, limit, interval, deps.dicom.retention)
    return [model_of(DicomProbePublic, p) for p in latest]


@router.delete("/{node_id}", status_code=204, summary="Stop probing a DICOM node and drop its probes")
async def remove(node_id: str, principal: Registrar, deps: DepsDep, kit: KitDep) -> Response:
    """Its rule states go with it: a breach that was told is closed with a recovery, not left firing."""
    node = await _node(node_id, principal, deps)

    async def work(tx: Tx) -> bool:
        if not await deps.dicom_nodes.remove(node_id, tx.session):
            return False
        await retire(node["site_id"], node["name"], datetime.now(UTC), tx, deps)
        return True

    if await kit.uow.run(work):
        await deps.dicom_probes.forget(node_id)
    return Response(status_code=204)


def public(node: dict[str, Any], deps: MonitoringDeps) -> DicomNodePublic:
    last = node.get("last_probe")
    return model_of(DicomNodePublic, node, id_as="node_id", interval_seconds=deps.dicom.interval_of(node),
                    last_probe=DicomProbeSummary(**last) if last else None)  # fmt: skip


async def _node(node_id: str, principal: Principal, deps: MonitoringDeps) -> dict[str, Any]:
    node = found(await deps.dicom_nodes.get(node_id), f"no DICOM node {node_id!r}")
    principal.act_for_site(node["site_id"])
    return node


async def _check_addresses(host: str, port: int, deps: MonitoringDeps) -> None:
    """Every address of the host must lie in an allowed network; refused with what was found and what is allowed."""
    try:
        addresses = await asyncio.to_thread(resolve, host, port)
    except OSError:
        raise Problem(422, "Invalid request", f"host {host!r} does not resolve", slug="invalid-request") from None
    if refused := deps.dicom.outside(addresses):
        allowed = [str(n) for n in deps.dicom.networks]
        detail = f"{', '.join(refused)} is outside the networks monitoring may probe ({', '.join(allowed) or 'none'})"
        raise Problem(422, "Address not allowed", detail, slug="address-not-allowed", addresses=refused,
                      allowed_networks=allowed)  # fmt: skip


async def _conflict(body: DicomNodeCreate, name: str, deps: MonitoringDeps) -> Problem:
    same = await deps.dicom_nodes.same(body.site_id, body.ae_title, body.host, body.port)
    if same is not None:
        detail = f"{body.ae_title} at {body.host}:{body.port} is registered for {body.site_id} already"
        return Problem(409, "Already registered", detail, slug="conflict", node_id=same["_id"])
    detail = f"site {body.site_id} has a DICOM node named {name!r} already; give this one another name"
    return Problem(409, "Name in use", detail, slug="conflict")
