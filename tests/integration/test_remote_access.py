"""Remote access only with the hospital's authorisation, enforced by a real OpenSSH server on a loopback port
that trusts the vendor's certificate authority and reads its key revocation list: a certificate issued on the
hospital's approval logs in inside its window and is refused after it, and after an early revocation; a change
with one approval is not granted; every step is on the incident's timeline and in the audit chain."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pacs_access.main import create_app as access_app
from pacs_access.settings import AccessSettings

from pacs_contracts import Envelope
from pacs_contracts.events import HospitalNotice, RemoteAccessGranted
from pacs_devstack.processes import free_port, port_open
from pacs_escalation.main import create_app as escalation_app
from pacs_escalation.settings import EscalationSettings
from tests.factories import make_fault_event
from tests.integration.conftest import running
from tests.support import bearer, eventually, publish

SITE = "SITE-RA"
HOST = "pacs-db-01"
APPROVERS = ["Dr. Zhang 张主任", "Mr. Liu"]
SSHD = "/usr/sbin/sshd"
APPROVALS = "/api/v1/remote-access/approvals/{token}"
pytestmark = pytest.mark.skipif(not Path(SSHD).exists(), reason="OpenSSH's sshd is missing: `make os-deps` installs it")


def _keygen(*args: str) -> None:
    subprocess.run(["ssh-keygen", "-q", *args], check=True, capture_output=True)


class Sshd:
    """A real sshd that trusts the CA, lets the certificate's principal `HOST` in as the current user, and reads
    the revocation list the hospital's host fetched."""

    def __init__(self, root: Path, ca_public_key: str) -> None:
        self.root, self.port, self.user = root, free_port(), getpass.getuser()
        (root / "principals").mkdir(parents=True)
        (root / "principals" / self.user).write_text(HOST + "\n")
        (root / "ca.pub").write_text(ca_public_key)
        self.krl = root / "revoked.krl"
        _keygen("-t", "ed25519", "-N", "", "-f", str(root / "host_key"))
        (root / "sshd_config").write_text(f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {root}/host_key
PidFile {root}/sshd.pid
TrustedUserCAKeys {root}/ca.pub
RevokedKeys {self.krl}
AuthorizedPrincipalsFile {root}/principals/%u
AuthorizedKeysFile none
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
""")

    def fetch_krl(self, content: bytes) -> None:
        """What the hospital's host does on a schedule: take the platform's current revocation list."""
        self.krl.write_bytes(content)

    @contextlib.contextmanager
    def running(self) -> Any:
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation directory
        process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.root / "sshd_config")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        try:
            deadline = datetime.now(UTC) + timedelta(seconds=10)
            while not port_open(self.port):
                assert process.poll() is None, f"sshd did not start: {process.stderr.read().decode()[-500:]}"  # type: ignore[union-attr]
                assert datetime.now(UTC) < deadline, "sshd did not listen within 10 s"
                time.sleep(0.05)
            yield self
        finally:
            process.terminate()
            process.wait(timeout=10)

    async def login(self, key: Path) -> bool:
        """Whether the engineer's key with its certificate gets a shell on the host."""
        argv = ["ssh", "-p", str(self.port), "-i", str(key), "-o", f"CertificateFile={key}-cert.pub",
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
                f"{self.user}@127.0.0.1", "echo", "logged-in"]  # fmt: skip
        process = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.PIPE)  # fmt: skip
        out, _ = await asyncio.wait_for(process.communicate(), timeout=20)
        return process.returncode == 0 and out.strip() == b"logged-in"


@contextlib.asynccontextmanager
async def _platform(settings_for: Callable[..., Any], tmp: Path) -> AsyncIterator[dict[str, Any]]:
    escalation = escalation_app(settings_for(EscalationSettings))
    access = access_app(settings_for(AccessSettings, ca_key_path=str(tmp / "ca" / "ca_ed25519")))
    admin = bearer(escalation.state.kit, "ops", "admin")
    async with contextlib.AsyncExitStack() as stack:
        esc = await stack.enter_async_context(running(escalation, admin))
        acc = await stack.enter_async_context(running(access, admin))
        yield {"esc": esc, "acc": acc, "access": access}


async def test_a_grant_works_only_inside_its_window_and_until_revoked_and_a_change_needs_two(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tmp_path: Path
) -> None:
    async with _platform(settings_for, tmp_path) as p:
        esc, acc, access = p["esc"], p["acc"], p["access"]
        engineer = bearer(access.state.kit, "ENG-RA", "engineer")
        body = {"engineer_id": "ENG-RA", "name": "ENG-RA", "region": "east", "tier": "L1"}
        assert (await esc.post("/api/v1/engineers", json=body)).status_code == 201
        contract = {"remote_access_approvers": APPROVERS, "remote_access_max": "PT1H"}
        site = {"site_id": SITE, "name": "Ruijin Hospital", "region": "east", "account_engineer_id": "ENG-RA",
                "contract": contract}  # fmt: skip
        assert (await esc.post("/api/v1/sites", json=site)).status_code == 201
        fault = make_fault_event(fault_id="F-RA", site_id=SITE)
        await publish(amqp_url, namespace, Envelope.wrap(fault, producer="intake"))

        async def opened() -> str | None:
            items = (await esc.get("/api/v1/incidents", params={"fault_id": "F-RA"})).json()["items"]
            return str(items[0]["incident_id"]) if items else None

        incident_id = await eventually(opened, timeout=15, what="the fault's incident")
        key, certificate_file = tmp_path / "engineer", tmp_path / "engineer-cert.pub"
        _keygen("-t", "ed25519", "-N", "", "-f", str(key), "-C", "ENG-RA laptop")
        ask = {"site_id": SITE, "incident_id": incident_id, "hosts": [HOST], "purpose": "read the archive's logs",
               "public_key": key.with_suffix(".pub").read_text().strip()}  # fmt: skip

        async def requested(level: str, duration: str) -> dict[str, Any]:
            async def made() -> dict[str, Any] | None:
                r = await acc.post("/api/v1/remote-access/requests", json={**ask, "level": level, "duration": duration},
                                   headers=engineer)  # fmt: skip
                return r.json() if r.status_code == 201 else None  # 422 until the site is known here

            made_: dict[str, Any] = await eventually(made, timeout=15, what="the request accepted")
            return made_

        his = {"X-API-Key": await access.state.kit.auth.api_keys.create(SITE, name="hospital IT")}

        async def links(request_id: str) -> dict[str, str]:
            r = await acc.get(f"/api/v1/remote-access/requests/{request_id}/approval-links", headers=his)
            return {link["approver"]: httpx.URL(link["url"]).path for link in r.json()}

        async def save_certificate(request_id: str) -> dict[str, Any]:
            r = await acc.get(f"/api/v1/remote-access/requests/{request_id}/certificate", headers=engineer)
            assert r.status_code == 200, r.text
            certificate_file.write_text(r.json()["certificate"] + "\n")
            return dict(r.json())

        ca = (await acc.get("/api/v1/remote-access/ca")).text
        sshd = Sshd(tmp_path / "host", ca)
        sshd.fetch_krl((await acc.get("/api/v1/remote-access/krl")).content)
        with sshd.running():
            # 1. view for 6 s: nothing before the hospital approves; approved by link, the login works, then not
            short = await requested("view", "PT6S")
            assert short["state"] == "requested" and short["approvals_needed"] == 1
            no_cert = await acc.get(f"/api/v1/remote-access/requests/{short['request_id']}/certificate",
                                    headers=engineer)  # fmt: skip
            assert no_cert.status_code == 409
            by_link = (await links(short["request_id"]))[APPROVERS[0]]
            shown = await acc.get(by_link, headers={"Authorization": ""})
            assert shown.status_code == 200 and shown.json()["purpose"] == "read the archive's logs"
            approved = await acc.post(by_link, json={"approve": True}, headers={"Authorization": ""})
            assert approved.status_code == 200 and approved.json()["state"] == "granted", approved.text
            grant = await save_certificate(short["request_id"])
            assert grant["principals"] == [HOST]
            assert await sshd.login(key), "a granted certificate logs in inside its window"
            until = datetime.fromisoformat(grant["valid_until"])

            async def refused() -> bool:
                return not await sshd.login(key)

            await eventually(refused, timeout=20, what="the login refused once the window is over")
            # the certificate's window is in whole seconds: it ends at the second `valid_until` falls in
            assert datetime.now(UTC) >= until.replace(microsecond=0), "refused only once the window is over"

            async def expired() -> bool:
                r = await acc.get(f"/api/v1/remote-access/requests/{short['request_id']}", headers=engineer)
                return bool(r.json()["state"] == "ended" and r.json()["ended_by"] == "clock")

            await eventually(expired, timeout=10, what="the grant ended by the clock")

            # 2. diagnose for an hour, approved through the hospital's system; ended early: revoked at once
            long = await requested("diagnose", "PT1H")
            decided = await acc.post(f"/api/v1/remote-access/requests/{long['request_id']}/decisions",
                                     json={"name": APPROVERS[1], "approve": True}, headers=his)  # fmt: skip
            assert decided.status_code == 200 and decided.json()["state"] == "granted", decided.text
            await save_certificate(long["request_id"])
            assert await sshd.login(key)
            ended = await acc.post(f"/api/v1/remote-access/requests/{long['request_id']}/end",
                                   json={"reason": "fixed; closing the session"}, headers=engineer)  # fmt: skip
            assert ended.status_code == 200 and ended.json()["state"] == "ended"
            sshd.fetch_krl((await acc.get("/api/v1/remote-access/krl")).content)
            assert not await sshd.login(key), "a revoked certificate no longer logs in"
            declared = await acc.post(f"/api/v1/remote-access/requests/{long['request_id']}/declaration",
                                      json={"patient_data_seen": False}, headers=engineer)  # fmt: skip
            assert declared.status_code == 200 and declared.json()["declaration"]["patient_data_seen"] is False

        # 3. a change needs two approvers: one is not enough, the same one twice is refused, a denial ends it
        change = await requested("change", "PT30M")
        assert change["approvals_needed"] == 2
        change_links = await links(change["request_id"])
        first = await acc.post(change_links[APPROVERS[0]], json={"approve": True}, headers={"Authorization": ""})
        assert first.status_code == 200 and first.json()["state"] == "requested"
        again = await acc.post(change_links[APPROVERS[0]], json={"approve": True}, headers={"Authorization": ""})
        assert again.status_code == 409
        cert = await acc.get(f"/api/v1/remote-access/requests/{change['request_id']}/certificate", headers=engineer)
        assert cert.status_code == 409, "one approval grants no change"
        denied = await acc.post(change_links[APPROVERS[1]], json={"approve": False, "reason": "not this week"},
                                headers={"Authorization": ""})  # fmt: skip
        assert denied.status_code == 200 and denied.json()["state"] == "denied"
        # the hospital's key gives one approval, never both: two people, two credentials
        keyed = await requested("change", "PT30M")
        decisions = f"/api/v1/remote-access/requests/{keyed['request_id']}/decisions"
        one = await acc.post(decisions, json={"name": APPROVERS[0], "approve": True}, headers=his)
        assert one.status_code == 200 and one.json()["state"] == "requested"
        two = await acc.post(decisions, json={"name": APPROVERS[1], "approve": True}, headers=his)
        assert two.status_code == 409 and "credential" in two.json()["detail"]
        forged = change_links[APPROVERS[1]][:-4] + "AAAA"
        assert (await acc.post(forged, json={"approve": True}, headers={"Authorization": ""})).status_code == 403

        # on the incident's timeline, in the audit chain, and in the hospital's export, after every expiry
        async def timeline() -> list[str] | None:
            entries = (await esc.get(f"/api/v1/incidents/{incident_id}/timeline")).json()
            whats = [e["what"] for e in entries if e["what"].startswith("remote_access")]
            return whats if whats.count("remote_access_ended") == 2 and "remote_access_denied" in whats else None

        whats = await eventually(timeline, timeout=15, what="every step on the incident's timeline")
        assert whats.count("remote_access_requested") == 4 and whats.count("remote_access_granted") == 2
        audited = (await acc.get("/api/v1/audit/access", params={"object_id": long["request_id"]})).json()
        assert {r["action"] for r in audited} >= {"POST /api/v1/remote-access/requests/{request_id}/decisions",
                                                  "POST /api/v1/remote-access/requests/{request_id}/end"}  # fmt: skip
        by_link_records = (await acc.get("/api/v1/audit/access", params={"action": f"POST {APPROVALS}"})).json()
        assert by_link_records and all(r["object"]["token"].startswith("link:") for r in by_link_records)
        tokens = {path.rsplit("/", 1)[-1] for path in (by_link, *change_links.values())}
        assert not tokens & {v for r in by_link_records for v in r["object"].values()}, "the audit trail keeps no link"
        verified = (await acc.get("/api/v1/audit/access/verification")).json()
        assert verified["intact"], verified
        stranger = bearer(access.state.kit, "ENG-ELSE", "engineer")  # another region's engineer
        other_site = {"X-API-Key": await access.state.kit.auth.api_keys.create("SITE-OTHER", name="other IT")}
        for outsider in (stranger, other_site):
            seen = await acc.get(f"/api/v1/remote-access/requests/{long['request_id']}", headers=outsider)
            assert seen.status_code == 404, "a request is shown only to its own side"
        assert (await acc.get(f"/api/v1/remote-access/requests/{long['request_id']}/certificate",
                              headers=stranger)).status_code == 404  # fmt: skip
        export = await acc.get("/api/v1/remote-access/requests", params={"format": "csv"}, headers=his)
        text = export.content.decode("utf-8-sig")
        assert export.status_code == 200 and all(r["request_id"] in text for r in (short, long, change))


async def test_bad_requests_are_refused_with_the_reason_and_change_nothing(
    settings_for: Callable[..., Any], tmp_path: Path
) -> None:
    async with _platform(settings_for, tmp_path) as p:
        esc, acc, access = p["esc"], p["acc"], p["access"]
        engineer = bearer(access.state.kit, "ENG-RB", "engineer")
        assert (await esc.post("/api/v1/engineers", json={"engineer_id": "ENG-RB", "name": "B", "region": "east"})
                ).status_code == 201  # fmt: skip
        site = {"site_id": "SITE-RB", "name": "B Hospital", "region": "east", "account_engineer_id": "ENG-RB",
                "contract": {"remote_access_approvers": ["Dr. B"], "remote_access_max": "PT2H"}}  # fmt: skip
        assert (await esc.post("/api/v1/sites", json=site)).status_code == 201
        _keygen("-t", "ed25519", "-N", "", "-f", str(tmp_path / "k"))
        good = {"site_id": "SITE-RB", "incident_id": "INC-X", "hosts": [HOST], "purpose": "look", "level": "view",
                "duration": "PT1H", "public_key": (tmp_path / "k.pub").read_text().strip()}  # fmt: skip

        async def known() -> bool:
            r = await acc.post("/api/v1/remote-access/requests", json={**good, "duration": "PT3H"}, headers=engineer)
            return r.status_code == 422 and "cap" in r.text  # the site is known: refused for its duration

        await eventually(known, timeout=15, what="the site known to the access service")
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        for bad, why in (({"site_id": "SITE-NONE"}, "no site"), ({"starts_at": past}, "past"),
                         ({"public_key": "ssh-ed25519 nope"}, "public key"), ({"level": "root"}, "level"),
                         ({"incident_id": None}, "one thing"), ({"hosts": []}, "hosts"),
                         ({"level": "change"}, "2 approvers")):  # fmt: skip
            r = await acc.post("/api/v1/remote-access/requests", json={**good, **bad}, headers=engineer)
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", (bad, r.text)
            assert why in r.text, (why, r.text)
        listed = await acc.get("/api/v1/remote-access/requests", params={"site_id": "SITE-RB"})
        assert listed.json()["items"] == [], "nothing refused was kept"
        assert (
            await acc.post("/api/v1/remote-access/approvals/not-a-token", json={"approve": True})
        ).status_code == 403


async def test_a_standing_rule_grants_view_at_once_out_of_hours_and_tells_the_hospital_but_a_change_waits_for_two(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any], tmp_path: Path, tap: Callable[..., Any]
) -> None:
    told = await tap(HospitalNotice.type, RemoteAccessGranted.type)
    async with _platform(settings_for, tmp_path) as p:
        esc, acc, access = p["esc"], p["acc"], p["access"]
        engineer = bearer(access.state.kit, "ENG-RS", "engineer")
        body = {"engineer_id": "ENG-RS", "name": "ENG-RS", "region": "east", "tier": "L1"}
        assert (await esc.post("/api/v1/engineers", json=body)).status_code == 201
        # working hours only on a day three days from now: now is out of hours
        away = (datetime.now(UTC).weekday() + 3) % 7
        calendar = {"time_zone": "UTC", "hours": [{"weekday": away, "start": "09:00", "end": "10:00"}]}
        rule = {"level": "view", "max_minutes": 30, "severities": ["critical"], "out_of_hours_only": True}
        contract = {"remote_access_approvers": APPROVERS, "remote_access_max": "PT1H", "calendar": calendar,
                    "remote_access_standing_rules": [rule]}  # fmt: skip
        site = {"site_id": "SITE-RS", "name": "Standing Hospital", "region": "east", "account_engineer_id": "ENG-RS",
                "contract": {**contract, "remote_access_standing_rules": [{**rule, "level": "change"}]}}  # fmt: skip
        refused = await esc.post("/api/v1/sites", json=site)
        assert refused.status_code == 422 and "two approvers" in refused.text, "a rule never grants a change"
        assert (await esc.post("/api/v1/sites", json={**site, "contract": contract})).status_code == 201
        fault = make_fault_event(fault_id="F-RS", site_id="SITE-RS", severity="critical")
        await publish(amqp_url, namespace, Envelope.wrap(fault, producer="intake"))

        async def opened() -> str | None:
            items = (await esc.get("/api/v1/incidents", params={"fault_id": "F-RS"})).json()["items"]
            return str(items[0]["incident_id"]) if items else None

        incident_id = await eventually(opened, timeout=15, what="the fault's incident")

        async def known_to_access() -> bool:  # the site's rules and the incident's severity reach access as events
            site_kept = await access.state.deps.sites.get("SITE-RS")
            return bool(site_kept and site_kept["access_standing_rules"] and
                        await access.state.deps.incidents.get(incident_id))  # fmt: skip

        await eventually(known_to_access, timeout=15, what="the site's rules and the incident known to access")
        key, certificate_file = tmp_path / "engineer", tmp_path / "engineer-cert.pub"
        _keygen("-t", "ed25519", "-N", "", "-f", str(key), "-C", "ENG-RS laptop")
        ask = {"site_id": "SITE-RS", "incident_id": incident_id, "hosts": [HOST], "purpose": "archive down at night",
               "public_key": key.with_suffix(".pub").read_text().strip()}  # fmt: skip

        async def requested(level: str, duration: str) -> dict[str, Any]:
            r = await acc.post("/api/v1/remote-access/requests", json={**ask, "level": level, "duration": duration},
                               headers=engineer)  # fmt: skip
            assert r.status_code == 201, r.text
            return dict(r.json())

        # view within the rule: granted at once, no one asked, and the certificate logs in
        view = await requested("view", "PT20M")
        assert view["state"] == "granted" and view["standing_rule"] == 1, view
        assert [a["name"] for a in view["approvals"]] == ["standing rule 1 of the contract"]
        r = await acc.get(f"/api/v1/remote-access/requests/{view['request_id']}/certificate", headers=engineer)
        assert r.status_code == 200, r.text
        certificate_file.write_text(r.json()["certificate"] + "\n")
        sshd = Sshd(tmp_path / "host", (await acc.get("/api/v1/remote-access/ca")).text)
        sshd.fetch_krl((await acc.get("/api/v1/remote-access/krl")).content)
        with sshd.running():
            assert await sshd.login(key), "a grant by a standing rule logs in at once"

        # longer than the rule, or a change: the hospital's approvers decide, a change with two of them
        longer = await requested("view", "PT45M")
        assert longer["state"] == "requested"
        change = await requested("change", "PT30M")
        assert change["state"] == "requested" and change["approvals_needed"] == 2
        his = {"X-API-Key": await access.state.kit.auth.api_keys.create("SITE-RS", name="hospital IT")}
        r = await acc.get(f"/api/v1/remote-access/requests/{change['request_id']}/approval-links", headers=his)
        links = {link["approver"]: httpx.URL(link["url"]).path for link in r.json()}
        first = await acc.post(links[APPROVERS[0]], json={"approve": True}, headers={"Authorization": ""})
        assert first.status_code == 200 and first.json()["state"] == "requested", "one approval grants no change"
        second = await acc.post(links[APPROVERS[1]], json={"approve": True}, headers={"Authorization": ""})
        assert second.status_code == 200 and second.json()["state"] == "granted", second.text

        # the hospital is told of the grant no one there approved, and each approver is sent the link naming them
        async def all_told() -> list[dict[str, Any]] | None:
            notices = [e["payload"] for e in await told.drain() if e["type"] == HospitalNotice.type]
            return notices if len(notices) >= 1 + 2 * len(APPROVERS) else None

        notices = await eventually(all_told, timeout=15, what="the hospital's notices")
        granted = [n for n in notices if n["topic"] == "remote_access.granted_at_once"]
        assert [(n["reference"], n["role"], n["link"]) for n in granted] == [(view["request_id"], "access", None)]
        asks = [n for n in notices if n["topic"] == "access.approval_requested"]
        assert sorted((n["reference"], n["contact"]) for n in asks) == sorted(
            (r["request_id"], a) for r in (longer, change) for a in APPROVERS)  # fmt: skip
        mailed = next(
            n["link"] for n in asks if n["reference"] == longer["request_id"] and n["contact"] == APPROVERS[0]
        )
        shown = await acc.get(httpx.URL(mailed).path, headers={"Authorization": ""})
        assert shown.status_code == 200 and shown.json()["request_id"] == longer["request_id"], "the mailed link works"
        facts = granted[0]["facts"]
        assert facts["rule"] == "standing rule 1 of the contract" and facts["level"] == "view", facts

        async def on_timeline() -> list[dict[str, Any]] | None:
            entries = (await esc.get(f"/api/v1/incidents/{incident_id}/timeline")).json()
            grants = [e for e in entries if e["what"] == "remote_access_granted"]
            return grants if len(grants) == 2 else None

        grants = await eventually(on_timeline, timeout=15, what="both grants on the incident's timeline")
        assert ["standing rule 1 of the contract"] in [g["approvers"] for g in grants]

        async def audited() -> bool:
            params = {"action": "POST /api/v1/remote-access/requests"}
            records = (await acc.get("/api/v1/audit/access", params=params)).json()
            return any((r.get("after") or {}).get("standing_rule") == 1 for r in records)

        await eventually(audited, timeout=10, what="the grant at once in the audit trail")
        assert (await acc.get("/api/v1/audit/access/verification")).json()["intact"]
