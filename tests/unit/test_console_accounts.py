"""What an admin reads of an account, and pacs-admin's account commands as typed: a password never on the command
line."""

from datetime import UTC, datetime, timedelta

import pytest
from pacs_console.admin import parser
from pacs_console.domain.accounts import state_of

from pacs_kit.cli import _parser as pacs_admin

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def test_an_account_reads_locked_only_until_its_lock_runs_out_and_disabled_above_all() -> None:
    assert state_of(False, None, NOW) == "active"
    assert state_of(False, NOW + timedelta(minutes=5), NOW) == "locked"
    assert state_of(False, NOW - timedelta(seconds=1), NOW) == "active"
    assert state_of(True, NOW + timedelta(minutes=5), NOW) == "disabled"


def test_pacs_admin_offers_the_consoles_account_commands() -> None:
    args = pacs_admin().parse_args(["unlock-account", "li.wei"])
    assert (args.command, args.username, callable(args.run)) == ("unlock-account", "li.wei", True)


@pytest.mark.parametrize(
    "argv",
    [["create-account", "li.wei", "--name", "Li Wei", "--role", "engineer", "--password", "a password in the shell"],
     ["set-password", "li.wei", "a password in the shell"],
     ["set-password", "li.wei", "--generate-password", "--password-file", "-"]],
)  # fmt: skip
def test_a_password_is_never_taken_from_the_command_line(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(argv)
