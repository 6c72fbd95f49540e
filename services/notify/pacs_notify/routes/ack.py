"""`GET /ack/{token}`: the engineer acknowledges from the message itself; the link is the credential.

A genuine, unused, unexpired link publishes `notification.acknowledged` (escalation acknowledges
the incident) and marks the message acknowledged; a second click says so and publishes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from pacs_kit.deps import KitDep
from pacs_kit.problems import Problem, found
from pacs_notify.deps import DepsDep
from pacs_notify.domain.ack import genuine
from pacs_notify.usecases.acknowledge import spend

router = APIRouter(tags=["acknowledge"])


def _page(title: str, line: str) -> HTMLResponse:
    body = (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width"><title>{escape(title)}</title><body style="font-family:sans-serif">'
            f"<h1>{escape(title)}</h1><p>{escape(line)}</p></body></html>")  # fmt: skip
    return HTMLResponse(body)


@router.get("/ack/{token}", response_class=HTMLResponse, summary="Acknowledge the incident a message was about")
async def acknowledge(token: str, deps: DepsDep, kit: KitDep) -> HTMLResponse:
    if len(token) > 64 or not genuine(deps.ack_key, token):
        raise Problem(404, "Not found", "this acknowledge link is not valid", slug="not-found")
    done = await spend(kit, deps, [token], datetime.now(UTC))
    if done:
        return _page("已确认 Acknowledged", f"{done[0]}: 已确认，谢谢。Acknowledged, thank you.")
    known = found(await deps.acks.get(token), "this acknowledge link is not valid")
    if known.get("used_at") is not None:
        about = known.get("incident_id") or known.get("visit_id")
        return _page("已确认 Already acknowledged", f"{about}: 已确认过。Already acknowledged.")
    raise Problem(410, "Gone", "this acknowledge link has expired; acknowledge in the app instead", slug="expired")
