"""The rule pack as data: read it, or replace it with YAML that is checked rule by rule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from pacs_kit.deps import Admin, Staff
from pacs_kit.problems import Problem
from pacs_monitoring.deps import DepsDep
from pacs_monitoring.domain.pack import PackError, parse_pack

router = APIRouter(prefix="/api/v1/rules", tags=["rules"])


@router.get("", summary="The rule pack in force")
async def get_rules(_: Staff, deps: DepsDep) -> dict[str, Any]:
    source, text, rules = await deps.rules()
    return {"source": source, "rules": [r.model_dump(by_alias=True) for r in rules], "yaml": text}


@router.put(
    "",
    summary="Replace the rule pack (YAML body)",
    openapi_extra={"requestBody": {"required": True, "content": {"application/yaml": {"schema": {"type": "string"}}}}},
)
async def put_rules(request: Request, actor: Admin, deps: DepsDep) -> dict[str, Any]:
    """A pack that does not validate is refused with a 422 that names the line of each mistake."""
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(400, "Bad request", "the rule pack must be UTF-8 text", slug="malformed") from None
    try:
        rules = parse_pack(text)
    except PackError as exc:
        raise Problem(422, "Invalid rule pack", str(exc), slug="invalid-rule-pack") from None
    await deps.packs.replace(text, actor.subject, datetime.now(UTC))
    return {"source": "custom", "rules": [r.model_dump(by_alias=True) for r in rules], "yaml": text}
