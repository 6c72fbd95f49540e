"""Who is calling: HIS API keys (hashed, one site each) and bearer JWTs with roles."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from pymongo.asynchronous.client_session import AsyncClientSession

from pacs_contracts.common import Role
from pacs_kit import audit
from pacs_kit.mongo import Document, Mongo, Repository
from pacs_kit.problems import Problem
from pacs_kit.settings import ServiceSettings

KEY_PREFIX = "pso"
SITE_KEY_ISSUER = "intake"  # issues hospital keys over the API and tells the others
SITE_KEY_SERVICES = ("intake", "monitoring", "scheduler", "access")  # faults, metrics, PM reports, remote access
STAFF_ROLES = frozenset({Role.call_agent, Role.engineer, Role.supervisor, Role.admin})


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]
    site_id: str | None = None
    regions: tuple[str, ...] = field(default=())
    username: str | None = None  # the staff account a console-minted token acts for (an engineer's sub is their record)

    def has_any(self, roles: frozenset[str]) -> bool:
        return bool(self.roles & roles)

    def act_for_site(self, site_id: str) -> None:
        """Refuse, as a 403 problem, a site key used for another site."""
        if not self.may_see_site(site_id):
            raise Problem(403, "Forbidden", "this API key belongs to another site", slug="forbidden")

    def serves(self, site: Mapping[str, Any]) -> bool:
        """Whether an engineer looks after a site (a stored site, or a service's copy of one): of a region in
        their token, or its account engineer."""
        return site.get("region") in self.regions or site.get("account_engineer_id") == self.subject

    def may_see_site(self, site_id: str) -> bool:
        """A HIS key sees only its own site; staff see all sites (regions narrow this later)."""
        return Role.his not in self.roles or self.site_id == site_id


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeys(Repository):
    """Site-scoped keys; only a SHA-256 of the secret part is stored."""

    collection_name = "api_keys"
    _cache_seconds = 10.0

    def __init__(self, mongo: Mongo) -> None:
        super().__init__(mongo)
        # key id -> (valid until, stored hash, principal): spares a database read per request
        self._cache: dict[str, tuple[float, str, Principal]] = {}

    async def create(self, site_id: str, *, name: str, expires_in: timedelta | None = None) -> str:
        """Store a new key and return it in plain text (shown once)."""
        key, _ = await self.issue(site_id, name=name, expires_in=expires_in)
        return key

    async def issue(self, site_id: str, *, name: str, expires_in: timedelta | None = None,
                    session: AsyncClientSession | None = None) -> tuple[str, Document]:  # fmt: skip
        """Store a new key; the key in plain text (shown once) and what is kept of it."""
        key = f"{KEY_PREFIX}_{secrets.token_hex(6)}_{secrets.token_urlsafe(24)}"
        return key, await self.store_existing(key, site_id, name=name, expires_in=expires_in, session=session)

    async def store_existing(self, key: str, site_id: str, *, name: str, expires_in: timedelta | None = None,
                             session: AsyncClientSession | None = None) -> Document:  # fmt: skip
        """Store the digest of a key minted elsewhere, so one key works in every site-key service."""
        _, key_id, secret = key.split("_", 2)
        now = datetime.now(UTC)
        doc = {"_id": key_id, "hash": _hash(secret), "site_id": site_id, "name": name, "created_at": now,
               "expires_at": now + expires_in if expires_in else None, "revoked_at": None}  # fmt: skip
        await self.collection.insert_one(doc, session=session)
        return doc

    async def keep(self, doc: Document, session: AsyncClientSession | None = None) -> None:
        """A key issued by another service, as its event tells it (again is harmless)."""
        await self.collection.update_one({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True, session=session)

    async def revoke(self, key_id: str, session: AsyncClientSession | None = None,
                     at: datetime | None = None) -> bool:  # fmt: skip
        result = await self.collection.update_one({"_id": key_id, "revoked_at": None},
                                                  {"$set": {"revoked_at": at or datetime.now(UTC)}},
                                                  session=session)  # fmt: skip
        self._cache.pop(key_id, None)
        return result.modified_count == 1

    async def listed(self, site_id: str | None, limit: int) -> list[Document]:
        """Keys newest first, without their digests."""
        query = {"site_id": site_id} if site_id else {}
        cursor = self.collection.find(query, {"hash": 0}).sort("created_at", -1).limit(limit)
        return await cursor.to_list()

    async def get(self, key_id: str) -> Document | None:
        return await self.collection.find_one({"_id": key_id}, {"hash": 0})

    async def verify(self, presented: str) -> Principal | None:
        """The key's principal, or None for an unknown, revoked, expired or malformed key."""
        prefix, _, rest = presented.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != KEY_PREFIX or not key_id or not secret:
            return None
        cached = self._cache.get(key_id)
        if cached is None or cached[0] < time.monotonic():
            cached = await self._load(key_id)
            if cached is None:
                return None
        _, stored_hash, principal = cached
        return principal if hmac.compare_digest(stored_hash, _hash(secret)) else None

    async def _load(self, key_id: str) -> tuple[float, str, Principal] | None:
        doc = await self.collection.find_one({"_id": key_id})
        if doc is None or doc["revoked_at"] is not None:
            return None
        if doc["expires_at"] is not None and doc["expires_at"] < datetime.now(UTC):
            return None
        principal = Principal(subject=f"key:{key_id}", roles=frozenset({Role.his}), site_id=doc["site_id"])
        entry = (time.monotonic() + self._cache_seconds, doc["hash"], principal)
        self._cache[key_id] = entry
        return entry


def key_id(secret: str) -> str:
    """The `kid` a signing key goes by: a digest of it, so a token names its key without revealing it."""
    return hashlib.sha256(b"pacs-kid:" + secret.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TokenIssuer:
    """Signs with the current key; verifies with it or a previous one, so keys rotate without logging anyone out:
    add the new key as JWT_SECRET and the old one to JWT_PREVIOUS_SECRETS until its tokens have expired."""

    secret: str
    issuer: str
    audience: str
    previous: tuple[str, ...] = ()

    @classmethod
    def of(cls, settings: ServiceSettings) -> TokenIssuer:
        assert settings.jwt_secret is not None
        previous = tuple(s.get_secret_value() for s in settings.jwt_previous_secrets)
        return cls(settings.jwt_secret.get_secret_value(), settings.jwt_issuer, settings.jwt_audience, previous)

    def mint(self, subject: str, roles: list[str], ttl: timedelta, regions: list[str] | None = None,
             username: str | None = None) -> str:  # fmt: skip
        """A signed HS256 token; `username` (OpenID's `preferred_username`) names the staff account it acts for."""
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "sub": subject,
            "roles": roles,
            "regions": regions or [],
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + ttl,
        }
        if username:
            claims["preferred_username"] = username
        return jwt.encode(claims, self.secret, algorithm="HS256", headers={"kid": key_id(self.secret)})

    def _key_for(self, token: str) -> str:
        kid = jwt.get_unverified_header(token).get("kid")
        if kid is None:
            return self.secret  # tokens from before key ids
        for secret in (self.secret, *self.previous):
            if hmac.compare_digest(key_id(secret), str(kid)):
                return secret
        raise jwt.InvalidKeyError("signed with a key that is no longer accepted")

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key_for(token),
                algorithms=["HS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Problem(401, "Unauthorized", f"bearer token rejected: {exc}", slug="unauthorized") from exc
        roles = frozenset(r for r in claims.get("roles", []) if r in STAFF_ROLES)
        return Principal(subject=claims["sub"], roles=roles, regions=tuple(claims.get("regions", [])),
                         username=claims.get("preferred_username"))  # fmt: skip


async def authenticate(request: Request) -> Principal:
    """The caller, also named in the audit record of the request."""
    principal = await _authenticate(request)
    audit.name_actor(principal.subject, principal.roles, principal.site_id, principal.username)
    return principal


async def _authenticate(request: Request) -> Principal:
    """Accept `Authorization: Bearer <jwt>` or `X-API-Key: <key>`; anything else is a 401.

    A site key may also come as a bearer credential, which is all that some senders can set
    (Prometheus Alertmanager's webhook `authorization`).
    """
    auth = request.app.state.kit.auth
    api_key = request.headers.get("x-api-key")
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if not api_key and scheme.lower() == "bearer" and credential.strip().startswith(f"{KEY_PREFIX}_"):
        api_key = credential.strip()
    if api_key:
        principal = await auth.api_keys.verify(api_key)
        if principal is None:
            raise Problem(401, "Unauthorized", "the API key is unknown, revoked or expired", slug="unauthorized")
        return principal
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        principal_from_token: Principal = auth.tokens.verify(token.strip())
        return principal_from_token
    raise Problem(401, "Unauthorized", "send a bearer token or an X-API-Key header", slug="unauthorized")


class RoleCheck:
    """A dependency that admits only its roles; routes state who may call them through it (see `roles_of`)."""

    def __init__(self, roles: frozenset[str]) -> None:
        self.roles = roles

    async def __call__(self, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.has_any(self.roles):
            names = ", ".join(sorted(self.roles))
            raise Problem(403, "Forbidden", f"this operation needs one of the roles: {names}", slug="forbidden")
        return principal


def require(*roles: Role) -> object:
    """A dependency that admits only the given roles."""
    return Depends(RoleCheck(frozenset(roles)))


def roles_of(route: APIRoute) -> frozenset[str] | None:
    """The roles a route admits (all its role checks must pass), or None when it checks none."""
    found: list[frozenset[str]] = []
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if isinstance(dependency.call, RoleCheck):
            found.append(dependency.call.roles)
        pending += dependency.dependencies
    return frozenset.intersection(*found) if found else None


@dataclass
class Auth:
    api_keys: ApiKeys
    tokens: TokenIssuer
