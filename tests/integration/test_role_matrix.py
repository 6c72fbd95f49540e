"""Who may call what: every operation of every service states the roles it admits (`x-roles` in its OpenAPI);
each other role is refused with a problem response, a call without credentials gets a 401, and each admitted
role gets past the gate. Operations without roles are the public ones listed below, each for a reason."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from pacs_access.main import create_app as access_app
from pacs_access.settings import AccessSettings
from pacs_console.main import create_app as console_app
from pacs_console.settings import ConsoleSettings

from pacs_contracts.common import Role
from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from pacs_intake.main import create_app as intake_app
from pacs_intake.settings import IntakeSettings
from pacs_kit.cli import SITE_KEY_SERVICES
from pacs_monitoring.main import create_app as monitoring_app
from pacs_monitoring.settings import MonitoringSettings
from pacs_notify.main import create_app as notify_app
from pacs_notify.settings import NotifySettings
from pacs_scheduler.main import create_app as scheduler_app
from pacs_scheduler.settings import SchedulerSettings
from tests.integration.conftest import running
from tests.support import bearer

SITE = "SITE-MATRIX"
ROLE_GATE = "this operation needs one of the roles"
LINK = "the hospital's signed, expiring link is the credential"
PUBLIC = {  # (method, path): why no credential is asked
    ("GET", "/healthz"): "liveness probe",
    ("GET", "/readyz"): "readiness probe",
    ("GET", "/metrics"): "Prometheus scrape, kept off the gateway",
    ("GET", "/ack/{token}"): "the signed single-use link is the credential",
    ("GET", "/api/v1/service-reviews/acknowledgements/{token}"): LINK,
    ("POST", "/api/v1/service-reviews/acknowledgements/{token}"): LINK,
    ("GET", "/api/v1/upgrade-campaigns/agreements/{token}"): LINK,
    ("POST", "/api/v1/upgrade-campaigns/agreements/{token}"): LINK,
    ("POST", "/api/v1/upgrade-campaigns/verifications/{token}"): LINK,
    ("GET", "/api/v1/remote-access/approvals/{token}"): LINK,
    ("POST", "/api/v1/remote-access/approvals/{token}"): LINK,
    ("GET", "/api/v1/remote-access/ca"): "a certificate authority's public key is for every host to trust",
    ("GET", "/api/v1/remote-access/krl"): "a revocation list is public, like a CRL: it names serial numbers only",
    ("POST", "/api/v1/sms/inbound/twilio"): "Twilio's request signature is verified",
    ("POST", "/api/v1/sms/status/twilio"): "Twilio's request signature is verified",
    ("POST", "/api/v1/sms/status/alibaba"): "a configured secret token in the URL",
    ("POST", "/api/v1/auth/token"): "the user name and password are the credential",
    ("POST", "/api/v1/auth/refresh"): "the HttpOnly session cookie is the credential",
    ("POST", "/api/v1/auth/sign-out"): "ends the cookie's own session, if any",
}
APPS: dict[str, tuple[Callable[..., FastAPI], type]] = {
    "intake": (intake_app, IntakeSettings), "escalation": (escalation_app, EscalationSettings),
    "monitoring": (monitoring_app, MonitoringSettings), "scheduler": (scheduler_app, SchedulerSettings),
    "notify": (notify_app, NotifySettings), "console": (console_app, ConsoleSettings),
    "access": (access_app, AccessSettings),
}  # fmt: skip


def operations(app: FastAPI) -> list[tuple[str, str, frozenset[str] | None]]:
    return [
        (method.upper(), path, frozenset(op["x-roles"]) if "x-roles" in op else None)
        for path, item in app.openapi()["paths"].items()
        for method, op in item.items()
    ]


def concrete(path: str) -> str:
    """The path with its parameters filled: the key's own site, any identifier elsewhere."""
    return re.sub(r"\{(\w+)\}", lambda m: SITE if m.group(1) == "site_id" else "X-1", path)


async def call(client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
    return await client.request(method, concrete(path), headers=headers, json=body)


async def test_every_operation_admits_its_roles_and_refuses_every_other(settings_for: Callable[..., Any]) -> None:
    async with contextlib.AsyncExitStack() as stack:
        clients: dict[str, httpx.AsyncClient] = {}
        apps = {}
        for name, (create, settings) in APPS.items():
            apps[name] = create(settings_for(settings))
            clients[name] = await stack.enter_async_context(running(apps[name]))
        kit = apps["intake"].state.kit
        key = await kit.auth.api_keys.create(SITE, name="matrix HIS")
        for name in SITE_KEY_SERVICES[1:]:
            await apps[name].state.kit.auth.api_keys.store_existing(key, SITE, name="matrix HIS")
        credentials = {role.value: bearer(kit, f"user-{role.value}", role.value) for role in Role if role != Role.his}
        credentials[Role.his.value] = {"X-API-Key": key}

        problems: list[str] = []
        checked = 0
        for name, app in apps.items():
            for method, path, roles in operations(app):
                if roles is None:
                    if (method, path) not in PUBLIC and not path.startswith(("/docs", "/redoc", "/openapi")):
                        problems.append(f"{name} {method} {path}: states no roles and is not listed as public")
                    continue
                if Role.his.value in roles and name not in SITE_KEY_SERVICES:
                    problems.append(f"{name} {method} {path}: admits site keys, which {name} does not hold")
                anonymous = await call(clients[name], method, path, {})
                if anonymous.status_code != 401:
                    problems.append(f"{name} {method} {path}: {anonymous.status_code} without credentials")
                for role, headers in credentials.items():
                    response = await call(clients[name], method, path, headers)
                    refused = response.status_code in (401, 403)
                    # an admitted role may still be refused this object (another engineer's contacts, the
                    # global rule pack): the gate's own refusal names the roles it needs
                    if role in roles and (response.status_code == 401 or ROLE_GATE in response.text):
                        problems.append(f"{name} {method} {path}: {role} refused ({response.status_code})")
                    if role not in roles and not refused:
                        problems.append(f"{name} {method} {path}: {role} got {response.status_code}")
                    if role not in roles and refused and "problem+json" not in response.headers["content-type"]:
                        problems.append(f"{name} {method} {path}: {role} refused without a problem body")
                    checked += 1
        assert not problems, "\n".join(problems)
        assert checked > 300, f"only {checked} (operation, role) pairs checked"
