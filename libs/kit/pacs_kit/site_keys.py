"""Hospital keys are issued by intake (`POST /api/v1/site-keys`); every other service where a hospital acts keeps
their digests from `site_key.issued` and stops taking a key at `site_key.revoked`, so one key serves everywhere."""

from __future__ import annotations

import functools
from typing import Any

from pacs_contracts.events import SiteKeyIssued, SiteKeyRevoked
from pacs_kit.auth import SITE_KEY_ISSUER, SITE_KEY_SERVICES, ApiKeys
from pacs_kit.consumer import HandlerTable
from pacs_kit.uow import Tx


async def issued(event: SiteKeyIssued, *, tx: Tx, deps: Any, keys: ApiKeys) -> None:
    await keys.keep({"_id": event.key_id, "hash": event.digest, "site_id": event.site_id, "name": event.name,
                     "created_at": event.created_at, "expires_at": event.expires_at, "revoked_at": None},
                    tx.session)  # fmt: skip


async def revoked(event: SiteKeyRevoked, *, tx: Tx, deps: Any, keys: ApiKeys) -> None:
    await keys.revoke(event.key_id, tx.session, event.revoked_at)


def handlers(service: str, keys: ApiKeys) -> HandlerTable:
    """What `service` consumes to keep the hospitals' keys: nothing for the issuer or a service no key reaches."""
    if service not in SITE_KEY_SERVICES or service == SITE_KEY_ISSUER:
        return {}
    return {SiteKeyIssued: functools.partial(issued, keys=keys), SiteKeyRevoked: functools.partial(revoked, keys=keys)}
