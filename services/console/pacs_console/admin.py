"""The console's commands for pacs-admin (a `pacs_admin.commands` entry point), also run as `python -m
pacs_console.admin`: staff accounts kept straight in the console's database, by the same use cases as its API, so
the same checks, Argon2id hashes and ended sessions, each change in its audit trail; no platform needs to run, so
the first admin can be made."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import secrets
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO, get_args

from pydantic import ValidationError

from pacs_console.adapters.passwords import Passwords
from pacs_console.adapters.repository import Accounts, Sessions
from pacs_console.domain.accounts import state_of
from pacs_console.usecases.accounts import change_account, create_account
from pacs_contracts.accounts import AccountCreate, AccountUpdate, StaffRole
from pacs_kit.audit import AuditLog, RequestContext, entry
from pacs_kit.mongo import Document, Mongo
from pacs_kit.problems import Problem
from pacs_kit.settings import ServiceSettings, database_of

GENERATED_BYTES = 18  # 24 URL-safe characters
CHANGES: dict[str, dict[str, Any]] = {"unlock-account": {"unlock": True}, "disable-account": {"disabled": True},
                                      "enable-account": {"disabled": False}}  # fmt: skip


@dataclass
class _Staff:
    accounts: Accounts
    sessions: Sessions
    passwords: Passwords
    audit: AuditLog
    retention: timedelta


@contextlib.asynccontextmanager
async def console_staff(databases: Mapping[str, str] | None = None,
                        namespace: str | None = None) -> AsyncIterator[_Staff]:  # fmt: skip
    """The console's accounts and sessions, found as pacs-admin finds every service's database."""
    given = {"bus_namespace": namespace} if namespace else {}
    settings = ServiceSettings(service_name="console", mongodb_url=database_of("console", databases), **given)
    mongo = Mongo(settings.mongodb_url, settings.database)
    try:
        yield _Staff(Accounts(mongo), Sessions(mongo), Passwords(), AuditLog(mongo),
                     timedelta(days=settings.audit_retention_days))  # fmt: skip
    finally:
        await mongo.close()


def _password(args: argparse.Namespace, stdin: TextIO) -> tuple[str, bool]:
    """The new password, and whether it was generated (and so must be shown): never taken from the command line."""
    if args.generate_password:
        return secrets.token_urlsafe(GENERATED_BYTES), True
    if args.password_file and args.password_file != "-":
        return Path(args.password_file).read_text(encoding="utf-8").splitlines()[0], False
    if args.password_file == "-" or not stdin.isatty():
        return stdin.readline().rstrip("\r\n"), False
    typed = getpass.getpass("New password: ")
    if getpass.getpass("The same again: ") != typed:
        raise SystemExit("the two passwords differ; nothing was changed")
    return typed, False


def _row(doc: Document, now: datetime) -> str:
    state = state_of(bool(doc.get("disabled")), doc.get("locked_until"), now)
    engineer = f" engineer={doc['engineer_id']}" if doc.get("engineer_id") else ""
    regions = ",".join(doc.get("regions") or []) or "-"
    return (f"{doc['_id']}\t{doc['display_name']}\t{','.join(doc['roles'])}{engineer}\tregions={regions}\t"
            f"{doc['locale']}\t{doc.get('time_zone') or 'Asia/Shanghai'}\t{state}")  # fmt: skip


async def _apply(args: argparse.Namespace, staff: _Staff, stdin: TextIO, out: TextIO) -> None:
    now = datetime.now(UTC)
    if args.command == "list-accounts":
        for doc in await staff.accounts.page(None, args.limit):
            print(_row(doc, now), file=out)
        return
    password, generated = _password(args, stdin) if args.command in ("create-account", "set-password") else ("", False)
    if args.command == "create-account":
        body = AccountCreate(username=args.username, display_name=args.name, password=password, roles=args.role,
                             engineer_id=args.engineer_id, regions=args.region, locale=args.language,
                             time_zone=args.time_zone)  # fmt: skip
        print(f"created {_row(await create_account(staff, body, now), now)}", file=out)
    else:
        change = {"password": password} if args.command == "set-password" else CHANGES[args.command]
        changed = await change_account(staff, args.username.strip().lower(), AccountUpdate(**change), now)
        print(f"{args.command}: {_row(changed, now)}", file=out)
    if generated:
        print(f"password (shown only now): {password}", file=out)


async def execute(args: argparse.Namespace, *, databases: Mapping[str, str] | None = None, namespace: str | None = None,
                  stdin: TextIO | None = None, out: TextIO | None = None) -> int:  # fmt: skip
    """Run one account command: 0 when done, 1 (with the reason on stderr) when refused. A change, done or refused,
    is recorded in the console's audit trail, as one made through its API is."""
    async with console_staff(databases, namespace) as staff:
        try:
            await _apply(args, staff, stdin or sys.stdin, out or sys.stdout)
        except Problem as refused:
            await _audit(staff, args, refused.status)
            print(f"refused ({refused.status}): {refused.detail}", file=sys.stderr)
            return 1
        except ValidationError as invalid:
            await _audit(staff, args, 422)
            reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in invalid.errors())
            print(f"refused: {reasons}", file=sys.stderr)
            return 1
        await _audit(staff, args, 201 if args.command == "create-account" else 200)
    return 0


def _operator() -> str:
    """Who runs the command, as the operating system knows them (a container may not know a name for its user)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


async def _audit(staff: _Staff, args: argparse.Namespace, outcome: int) -> None:
    """The command's record: who ran it (the operating system's user), on which account, with which options (a
    password is never among them)."""
    if args.command == "list-accounts":
        return
    options = {k: v for k, v in vars(args).items() if k not in ("run", "command", "password_file")}
    ctx = RequestContext(method="CLI", path=f"pacs-admin {args.command}", address=None, correlation_id=None,
                         scope={"path_params": {"username": args.username}},
                         body=bytearray(json.dumps(options).encode()),
                         actor={"subject": f"pacs-admin:{_operator()}", "roles": ["admin"], "site_id": None,
                                "username": None})  # fmt: skip
    await staff.audit.add(entry("console", ctx, outcome, staff.retention))


def _run(args: argparse.Namespace) -> int:
    return asyncio.run(execute(args))


def _password_source(command: argparse.ArgumentParser) -> None:
    source = command.add_mutually_exclusive_group()
    source.add_argument("--password-file", metavar="PATH",
                        help="read the password from the file's first line ('-': standard input); default: asked "
                             "for twice at a terminal, else the first line of standard input")  # fmt: skip
    source.add_argument("--generate-password", action="store_true", help="make a random one and print it once")


def _command(sub: Any, verb: str, text: str) -> argparse.ArgumentParser:
    # no abbreviations: `--password SECRET` must fail, not be read as `--password-file SECRET`
    command: argparse.ArgumentParser = sub.add_parser(verb, help=f"{text} (console)", allow_abbrev=False)
    command.set_defaults(run=_run)
    return command


def add_commands(sub: Any) -> None:
    """pacs-admin's account commands, added to its subcommands (`sub`, argparse's subparsers)."""
    create = _command(sub, "create-account", "create a staff account")
    create.add_argument("username")
    create.add_argument("--name", required=True, help="the display name")
    create.add_argument("--role", action="append", required=True, choices=get_args(StaffRole))
    create.add_argument("--engineer-id", help="the engineer record an engineer's account acts as (engineers)")
    create.add_argument("--region", action="append", default=[], help="a region served (repeat for more)")
    create.add_argument("--language", choices=("zh-CN", "en"), default="zh-CN")
    create.add_argument("--time-zone", default="Asia/Shanghai")
    _password_source(create)
    password = _command(sub, "set-password", "give an account a new password; its sessions end")
    password.add_argument("username")
    _password_source(password)
    for verb, text in (("unlock-account", "lift a lockout after failed sign-ins"),
                       ("disable-account", "refuse the account's sign-ins and end its sessions"),
                       ("enable-account", "let a disabled account sign in again")):  # fmt: skip
        _command(sub, verb, text).add_argument("username")
    _command(sub, "list-accounts", "staff accounts, by user name").add_argument("--limit", type=int, default=200)


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(prog="python -m pacs_console.admin", description=__doc__)
    add_commands(found.add_subparsers(dest="command", required=True))
    return found


if __name__ == "__main__":
    arguments = parser().parse_args()
    sys.exit(arguments.run(arguments))
