"""pacs-admin: create and revoke HIS API keys, inspect and replay dead letters, verify the audit trails, mint
development tokens; and the commands services add through the `pacs_admin.commands` entry points (the console's
staff accounts), so the kit never imports a service."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping
from datetime import timedelta
from importlib.metadata import entry_points

from pacs_contracts.common import Role
from pacs_kit import dlq
from pacs_kit.audit import AuditLog, Verification, verify
from pacs_kit.auth import SITE_KEY_SERVICES, ApiKeys, TokenIssuer
from pacs_kit.mongo import Mongo
from pacs_kit.services import SERVICES
from pacs_kit.settings import ServiceSettings, database_of
from pacs_kit.topology import Topology

STAFF = sorted(r.value for r in Role if r is not Role.his)
COMMANDS = "pacs_admin.commands"  # entry points: add_commands(subparsers) of a service's own commands


def _settings(
    service: str, databases: Mapping[str, str] | None = None, namespace: str | None = None
) -> ServiceSettings:
    """A service's settings as a tool beside it sees them; its database found by `database_of`."""
    given = {"bus_namespace": namespace} if namespace else {}
    return ServiceSettings(service_name=service, mongodb_url=database_of(service, databases), **given)


async def create_api_key(
    site_id: str,
    services: list[str],
    name: str,
    expires_days: int | None,
    *,
    databases: Mapping[str, str] | None = None,
    namespace: str | None = None,
) -> str:
    """One key, stored hashed in each service that accepts site keys."""
    expires = timedelta(days=expires_days) if expires_days else None
    key: str | None = None
    for service in services:
        settings = _settings(service, databases, namespace)
        mongo = Mongo(settings.mongodb_url, settings.database)
        try:
            store = ApiKeys(mongo)
            if key is None:
                key = await store.create(site_id, name=name, expires_in=expires)
            else:
                await store.store_existing(key, site_id, name=name, expires_in=expires)
        finally:
            await mongo.close()
    assert key is not None
    return key


async def revoke_api_key(key_id: str, services: list[str]) -> int:
    revoked = 0
    for service in services:
        settings = _settings(service)
        mongo = Mongo(settings.mongodb_url, settings.database)
        try:
            revoked += await ApiKeys(mongo).revoke(key_id)
        finally:
            await mongo.close()
    return revoked


async def verify_audit(services: list[str], *, databases: Mapping[str, str] | None = None,
                       namespace: str | None = None) -> dict[str, Verification]:  # fmt: skip
    """Each service's audit chain checked from its oldest record to its head."""
    results = {}
    for service in services:
        settings = _settings(service, databases, namespace)
        mongo = Mongo(settings.mongodb_url, settings.database)
        try:
            results[service] = await verify(AuditLog(mongo))
        finally:
            await mongo.close()
    return results


def mint_token(subject: str, roles: list[str], ttl_hours: float, regions: list[str]) -> str:
    settings = _settings("cli")
    issuer = TokenIssuer.of(settings)
    return issuer.mint(subject, roles, timedelta(hours=ttl_hours), regions)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pacs-admin", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    key = sub.add_parser("create-api-key", help="create a site-scoped API key for a HIS or site agent")
    key.add_argument("--site", required=True, help="the site the key may act for")
    key.add_argument("--name", default="HIS", help="who holds the key, for the audit of keys")
    key.add_argument("--service", action="append", choices=SITE_KEY_SERVICES, help="default: all site-key services")
    key.add_argument("--expires-days", type=int, default=None)
    revoke = sub.add_parser("revoke-api-key", help="revoke a key by its id (the part after 'pso_')")
    revoke.add_argument("key_id")
    revoke.add_argument("--service", action="append", choices=SITE_KEY_SERVICES)
    for verb, text in (
        ("dlq-list", "show what is in a service's dead-letter queue"),
        ("dlq-replay", "send a service's dead letters back to its queue"),
    ):
        dlq = sub.add_parser(verb, help=text)
        dlq.add_argument("--service", required=True, choices=SERVICES)
        dlq.add_argument("--limit", type=int, default=50 if verb == "dlq-list" else 1000)
    audit = sub.add_parser("verify-audit", help="check that no audit record was changed, removed or inserted")
    audit.add_argument("--service", action="append", choices=SERVICES, help="default: every service")
    token = sub.add_parser("mint-token", help="mint a signed bearer token (development, tests)")
    token.add_argument("--sub", required=True, help="the user's id")
    token.add_argument("--role", action="append", required=True, choices=STAFF)
    token.add_argument("--region", action="append", default=[])
    token.add_argument("--ttl-hours", type=float, default=12.0)
    for contributed in entry_points(group=COMMANDS):  # each adds its subcommands, and a `run` for them
        contributed.load()(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if (run := getattr(args, "run", None)) is not None:
        return int(run(args))
    if args.command == "create-api-key":
        services = args.service or list(SITE_KEY_SERVICES)
        print(asyncio.run(create_api_key(args.site, services, args.name, args.expires_days)))
    elif args.command == "revoke-api-key":
        count = asyncio.run(revoke_api_key(args.key_id, args.service or list(SITE_KEY_SERVICES)))
        if not count:
            print(f"no active key {args.key_id!r}", file=sys.stderr)
            return 1
        print(f"revoked {args.key_id} in {count} service(s)")
    elif args.command == "verify-audit":
        return report_audit(asyncio.run(verify_audit(args.service or list(SERVICES))))
    elif args.command in ("dlq-list", "dlq-replay"):
        return _dead_letters(args.command, args.service, args.limit)
    else:
        print(mint_token(args.sub, args.role, args.ttl_hours, args.region))
    return 0


def report_audit(results: dict[str, Verification]) -> int:
    for service, r in results.items():
        span = f"records {r.first_seq}..{r.last_seq}" if r.checked else "no chained records"
        verdict = "intact" if r.intact else f"BROKEN at {r.broken_at}: {r.problem}"
        print(f"{service}: {verdict} ({r.checked} checked, {span}, {r.pending} waiting to be chained)")
    return 0 if all(r.intact for r in results.values()) else 1


def _dead_letters(command: str, service: str, limit: int) -> int:
    settings = _settings(service)
    topology = Topology(settings.bus_namespace, service)
    if command == "dlq-replay":
        replayed, kept = asyncio.run(dlq.replay(settings.amqp_url, topology, limit))
        print(f"replayed {replayed} message(s) to {topology.queue}; {kept} undecodable kept in {topology.dlq}")
        return 0
    letters = asyncio.run(dlq.inspect(settings.amqp_url, topology, limit))
    print(f"{len(letters)} message(s) in {topology.dlq}")
    for letter in letters:
        print(f"- {letter.message_id} {letter.event_type or '(not an event)'} reason={letter.reason}: {letter.preview}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
