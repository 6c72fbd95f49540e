"""The escalation database: import historical records, search past cases in Chinese or English."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from pacs_contracts.api import (
    KnowledgeCaseCreate,
    KnowledgeCasePublic,
    KnowledgeHit,
    KnowledgeImported,
    KnowledgeResults,
)
from pacs_escalation.deps import DepsDep
from pacs_escalation.domain import knowledge
from pacs_escalation.domain.ranking import facet_value
from pacs_kit.deps import Admin, Staff
from pacs_kit.middleware import bulk_body
from pacs_kit.problems import Problem, found

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])
MAX_IMPORT = 1000
VERSION = r"^[0-9A-Za-z][0-9A-Za-z._-]*$"
RELEASE = "lifts its cases; 7.2 takes in 7.2.1 and 7.2.0"


def _public(case: dict[str, Any]) -> dict[str, Any]:
    shown = {name: case.get(name) for name in KnowledgeCasePublic.model_fields}
    return {**shown, "tags": case.get("tags") or [], "escalations": case.get("escalations") or []}


@router.post(
    "/cases",
    response_model=KnowledgeImported,
    summary="Import historical escalation records",
    openapi_extra=bulk_body(),
)  # up to 1,000 records
async def import_cases(
    _: Admin,
    deps: DepsDep,
    records: Annotated[list[KnowledgeCaseCreate], Body(min_length=1, max_length=MAX_IMPORT)],
) -> KnowledgeImported:
    """A JSON list of records; importing a record again (same `external_id`) updates it."""
    ids = [record.external_id for record in records]
    if len(set(ids)) != len(ids):
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        raise Problem(422, "Invalid request", f"external_id repeated in one import: {', '.join(repeated[:10])}",
                      slug="invalid-request")  # fmt: skip
    now = datetime.now(UTC)
    cases = [knowledge.from_import(record.model_dump(), now) for record in records]
    await deps.encoder.embed_cases(cases)
    created, updated = await deps.cases.put_many(cases)
    return KnowledgeImported(received=len(cases), created=created, updated=updated)


@router.get("/search", response_model=KnowledgeResults, summary="Past cases most like a fault description")
async def search(
    _: Staff,
    deps: DepsDep,
    q: Annotated[str, Query(min_length=1, max_length=2000, description="the fault, in Chinese or English")],
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
    product: Annotated[str | None, Query(min_length=1, max_length=200, description="lifts its cases")] = None,
    module: Annotated[str | None, Query(min_length=1, max_length=200, description="lifts its cases")] = None,
    version: Annotated[str | None, Query(min_length=1, max_length=50, pattern=VERSION, description=RELEASE)] = None,
    strict: Annotated[bool, Query(description="only cases with every product, module and version given")] = False,
) -> KnowledgeResults:
    """Ranked by meaning, then reordered by shared words (through a Chinese-English glossary of PACS/RIS terms) and
    by the product, module and version the query names or asks for."""
    text = q.strip()
    if not text:
        raise Problem(422, "Invalid request", "q must contain some text", slug="invalid-request")
    asked = {"product": product, "module": module, "version": version}
    wanted = {facet: frozenset({value}) for facet, raw in asked.items() if (value := facet_value(raw))}
    if strict and not wanted:
        raise Problem(422, "Invalid request", "strict needs a product, a module or a version to keep to",
                      slug="invalid-request")  # fmt: skip
    query = (await deps.encoder.encode([text]))[0]
    await deps.index.refresh(deps.cases)
    best = deps.index.search(query, text, limit, wanted, strict)
    found = await deps.cases.by_ids([case_id for case_id, _ in best])
    items = [
        KnowledgeHit.model_validate({**_public(found[case_id]), "score": score})
        for case_id, score in best
        if case_id in found
    ]
    return KnowledgeResults(query=text, items=items)


@router.get("/cases/{external_id}", response_model=KnowledgeCasePublic, summary="One case with its escalations")
async def get_case(external_id: str, _: Staff, deps: DepsDep) -> KnowledgeCasePublic:
    case = found(await deps.cases.get(external_id), f"no case {external_id!r}")
    return KnowledgeCasePublic.model_validate(_public(case))
