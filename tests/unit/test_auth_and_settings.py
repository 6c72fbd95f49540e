import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from pydantic import ValidationError

from pacs_contracts.common import Role
from pacs_kit.auth import Principal, TokenIssuer
from pacs_kit.problems import Problem
from pacs_kit.settings import DEFAULT_MONGODB_URL, DEV_JWT_SECRET, ServiceSettings, database_of

SECRET = "x" * 40


def test_a_minted_token_carries_its_roles() -> None:
    issuer = TokenIssuer(SECRET, "pacs", "pacs")
    principal = issuer.verify(issuer.mint("alice", ["call-agent", "root"], timedelta(minutes=5)))
    assert principal.subject == "alice"
    assert principal.roles == {Role.call_agent}, "unknown roles are dropped"
    assert principal.username is None


def test_a_token_minted_for_a_staff_account_names_its_user_name_beside_the_subject() -> None:
    issuer = TokenIssuer(SECRET, "pacs", "pacs")
    principal = issuer.verify(issuer.mint("ENG-EAST-1", ["engineer"], timedelta(minutes=5), ["east"], "li.wei"))
    assert (principal.subject, principal.username) == ("ENG-EAST-1", "li.wei")


@pytest.mark.parametrize(
    "issuer",
    [
        TokenIssuer("y" * 40, "pacs", "pacs"),  # another key
        TokenIssuer(SECRET, "someone-else", "pacs"),
        TokenIssuer(SECRET, "pacs", "another-audience"),
    ],
)
def test_tokens_from_another_key_issuer_or_audience_are_refused(issuer: TokenIssuer) -> None:
    with pytest.raises(Problem) as refused:
        TokenIssuer(SECRET, "pacs", "pacs").verify(issuer.mint("alice", ["admin"], timedelta(minutes=5)))
    assert refused.value.status == 401


def test_expired_tokens_are_refused() -> None:
    issuer = TokenIssuer(SECRET, "pacs", "pacs")
    with pytest.raises(Problem, match="expired"):
        issuer.verify(issuer.mint("alice", ["admin"], timedelta(seconds=-1)))


def test_keys_rotate_without_logging_anyone_out_until_the_old_key_is_dropped() -> None:
    old, new = "o" * 40, "n" * 40
    before = TokenIssuer(old, "pacs", "pacs").mint("alice", ["engineer"], timedelta(minutes=5))
    rotated = TokenIssuer(new, "pacs", "pacs", previous=(old,))
    assert rotated.verify(before).subject == "alice", "a token signed before the rotation still works"
    assert rotated.verify(rotated.mint("bob", ["engineer"], timedelta(minutes=5))).subject == "bob"
    with pytest.raises(Problem, match="no longer accepted") as refused:
        TokenIssuer(new, "pacs", "pacs").verify(before)
    assert refused.value.status == 401


def test_a_token_without_a_key_id_is_checked_against_the_current_key_only() -> None:
    legacy = jwt.encode({"sub": "alice", "roles": ["admin"], "iss": "pacs", "aud": "pacs",
                         "exp": datetime.now(UTC) + timedelta(minutes=5)}, SECRET, algorithm="HS256")  # fmt: skip
    assert TokenIssuer(SECRET, "pacs", "pacs").verify(legacy).subject == "alice"
    with pytest.raises(Problem):
        TokenIssuer("n" * 40, "pacs", "pacs", previous=(SECRET,)).verify(legacy)


def test_previous_keys_come_as_a_json_list_and_each_must_be_long(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_PREVIOUS_SECRETS", f'["{"p" * 40}"]')
    assert TokenIssuer.of(ServiceSettings()).previous == ("p" * 40,)
    monkeypatch.setenv("JWT_PREVIOUS_SECRETS", '["short"]')
    with pytest.raises(ValidationError, match="at least 32 characters"):
        ServiceSettings()


def test_a_his_key_sees_only_its_site_and_staff_see_all() -> None:
    his = Principal("key:1", frozenset({Role.his}), site_id="SITE-1")
    agent = Principal("bob", frozenset({Role.call_agent}))
    assert his.may_see_site("SITE-1") and not his.may_see_site("SITE-2")
    assert agent.may_see_site("SITE-2")


def test_production_refuses_to_start_without_a_secret_or_with_the_development_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="JWT_SECRET must be set"):
        ServiceSettings()
    monkeypatch.setenv("JWT_SECRET", DEV_JWT_SECRET)
    with pytest.raises(ValidationError, match="development secret"):
        ServiceSettings()
    monkeypatch.setenv("JWT_SECRET", SECRET)
    assert ServiceSettings(service_name="intake").database == "pacs_intake"


def test_shared_settings_come_without_the_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    from pacs_intake.settings import IntakeSettings

    monkeypatch.setenv("AMQP_URL", "amqp://u:p@broker:5672/")
    monkeypatch.setenv("INTAKE_PORT", "9101")
    settings = IntakeSettings()
    assert settings.amqp_url == "amqp://u:p@broker:5672/" and settings.port == 9101


def test_each_service_finds_its_own_database_before_the_shared_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from pacs_intake.settings import IntakeSettings
    from pacs_notify.settings import NotifySettings

    monkeypatch.setenv("MONGODB_URL", "mongodb://shared:27017/")
    monkeypatch.setenv("INTAKE_MONGODB_URL", "mongodb://intake-own:27017/")
    assert IntakeSettings().mongodb_url == "mongodb://intake-own:27017/"
    assert NotifySettings().mongodb_url == "mongodb://shared:27017/", "no NOTIFY_MONGODB_URL: the shared one"


def test_pacs_admin_finds_each_database_that_make_run_started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MONGODB_URL", raising=False)
    monkeypatch.delenv("SCHEDULER_MONGODB_URL", raising=False)
    (tmp_path / "databases.json").write_text(json.dumps({"scheduler": "mongodb://127.0.0.1:40404/"}))
    assert database_of("scheduler", run_dir=tmp_path) == "mongodb://127.0.0.1:40404/"
    assert database_of("scheduler", {"scheduler": "mongodb://given/"}, run_dir=tmp_path) == "mongodb://given/"
    monkeypatch.setenv("SCHEDULER_MONGODB_URL", "mongodb://from-env/")
    assert database_of("scheduler", run_dir=tmp_path) == "mongodb://from-env/", "the environment wins over the file"
    assert database_of("intake", run_dir=tmp_path / "none") == DEFAULT_MONGODB_URL
