"""The rule pack as data: the global pack, and overrides per site and per host within a site.

`GET /api/v1/rules?site_id=&host=` shows the rules in force there and the override of that scope;
`PUT` with a YAML body replaces the global pack (admin) or a site's or host's override (supervisor
or admin), checked against the pack it overrides; `DELETE` drops an override.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from pacs_contracts.common import Identifier, Role
from pacs_kit.auth import Principal, require
from pacs_kit.deps import Staff
from pacs_kit.problems import Problem
from pacs_monitoring.adapters.repository import scope_of
from pacs_monitoring.deps import DepsDep
from pacs_monitoring.domain.pack import Pack, PackError, parse_override, parse_pack

router = APIRouter(prefix="/api/v1/rules", tags=["rules"])
Tuner = Annotated[Principal, require(Role.supervisor, Role.admin)]
SiteParam = Annotated[Identifier | None, Query(description="a site's override; absent: the global pack")]
HostParam = Annotated[Identifier | None, Query(description="a host's override within the site")]
YAML_BODY = {"requestBody": {"required": True, "content": {"application/yaml": {"schema": {"type": "string"}}}}}


def _scope(site_id: str | None, host: str | None) -> str:
    if host is not None and site_id is None:
        raise Problem(422, "Invalid request", "a host override needs its site_id", slug="invalid-request")
    return scope_of(site_id, host)


def _view(scope: str, source: str, text: str | None, pack: Pack) -> dict[str, Any]:
    return {
        "scope": scope, "source": source, "yaml": text,
        "rules": [r.model_dump(by_alias=True) for r in pack.rules],
        "forecasts": [f.model_dump() for f in pack.forecasts],
    }  # fmt: skip


async def _in_force(deps: DepsDep, site_id: str | None, host: str | None) -> tuple[str, str | None, Pack]:
    """(source, the scope's own text, the pack in force) for a scope."""
    source, base = await deps.base_pack()
    if site_id is None:
        return source, base, parse_pack(base)
    packs = await deps.packs_for(site_id)
    own = packs.site_text if host is None else packs.host_texts.get(host)
    pack = packs.for_site() if host is None else packs.for_host(host)
    return ("override" if own is not None else "inherited"), own, pack


@router.get("", summary="The rules in force (globally, at a site, or on a host)")
async def get_rules(_: Staff, deps: DepsDep, site_id: SiteParam = None, host: HostParam = None) -> dict[str, Any]:
    scope = _scope(site_id, host)
    source, text, pack = await _in_force(deps, site_id, host)
    return _view(scope, source, text, pack)


@router.put("", summary="Replace the global pack or a site's or host's override (YAML body)", openapi_extra=YAML_BODY)
async def put_rules(request: Request, actor: Tuner, deps: DepsDep, site_id: SiteParam = None,
                    host: HostParam = None) -> dict[str, Any]:  # fmt: skip
    """A pack that does not validate is refused with a 422 that names the line of each mistake."""
    scope = _scope(site_id, host)
    if site_id is None and Role.admin not in actor.roles:
        raise Problem(403, "Forbidden", "only an admin replaces the global rule pack", slug="forbidden")
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(400, "Bad request", "the rule pack must be UTF-8 text", slug="malformed") from None
    try:
        if site_id is None:
            pack = parse_pack(text)
        else:  # checked against what it overrides: the global pack, plus the site's override for a host
            packs = await deps.packs_for(site_id)
            pack = parse_override(text, packs.for_site() if host is not None else packs.base())
    except PackError as exc:
        raise Problem(422, "Invalid rule pack", str(exc), slug="invalid-rule-pack") from None
    await deps.packs.replace(scope, site_id, host, text, actor.subject, datetime.now(UTC))
    return _view(scope, "custom" if site_id is None else "override", text, pack)


@router.delete("", status_code=204, summary="Drop a site's or host's override")
async def delete_override(_: Tuner, deps: DepsDep, site_id: Identifier, host: HostParam = None) -> None:
    if not await deps.packs.remove(_scope(site_id, host)):
        raise Problem(404, "Not found", f"no override for {_scope(site_id, host)}", slug="not-found")
