"""The release catalogue against the real broker and database: sites registered, their software and licences
reported by monitoring over the bus, then a release and which sites need it, can take it now, or are held back and
why. Bad input is a problem that creates nothing; a late or redelivered report never undoes a newer one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pacs_contracts import Envelope, Event
from pacs_contracts.events import LicenceUpdated, SiteRegistered, SoftwareVersionChanged
from pacs_scheduler.main import create_app
from pacs_scheduler.settings import SchedulerSettings
from tests.factories import make_release
from tests.integration.conftest import running
from tests.support import bearer, eventually, problem, publish

PATH = "/api/v1/releases"
NOW = datetime.now(UTC)


def _software(site: str, version: str, *, component: str = "pacs-archive", host: str = "ARCH-1",
              kind: str = "archive", ago: float = 60) -> SoftwareVersionChanged:  # fmt: skip
    return SoftwareVersionChanged(site_id=site, host=host, component=component, kind=kind, installed_version=version,
                                  reported_at=NOW - timedelta(minutes=ago))  # fmt: skip


def _database(site: str, version: str) -> SoftwareVersionChanged:
    return _software(site, version, component="oracle", host="DB-1", kind="database")


def _licence(site: str, name: str, expires_in_days: float) -> LicenceUpdated:
    return LicenceUpdated(site_id=site, licence=name, expires_at=NOW + timedelta(days=expires_in_days),
                          reported_at=NOW - timedelta(minutes=30))  # fmt: skip


def _groups(answer: dict[str, Any]) -> dict[str, list[str]]:
    names = ("needs", "ready", "blocked", "up_to_date", "not_applicable", "unknown")
    return {group: [row["site_id"] for row in answer[group]] for group in names}


async def test_applicability_sorts_the_sites_by_what_monitoring_reported_and_names_what_blocks_them(
    amqp_url: str, namespace: str, settings_for: Callable[..., Any]
) -> None:
    app = create_app(settings_for(SchedulerSettings, instance_id="releases"))
    supervisor = bearer(app.state.kit, "SUP-R", "supervisor")
    async with running(app, supervisor) as api:

        async def tell(*events: Event) -> None:
            for event in events:
                producer = "escalation" if isinstance(event, SiteRegistered) else "monitoring"
                await publish(amqp_url, namespace, Envelope.wrap(event, producer=producer))

        for site in ("SITE-RA", "SITE-RB", "SITE-RC", "SITE-RD", "SITE-RE"):
            await tell(SiteRegistered(site_id=site, name=f"Hospital {site}", region="east",
                                      account_engineer_id="ENG-R"))  # fmt: skip
        await tell(_software("SITE-RA", "7.1.4"), _database("SITE-RA", "19.3"),
                   _licence("SITE-RA", "capacity:archive-tb", 200),
                   _software("SITE-RB", "7.2.1"), _database("SITE-RB", "11.2.0.4"),
                   _licence("SITE-RB", "capacity:archive-tb", 200),
                   _software("SITE-RC", "7.1.0"), _database("SITE-RC", "19.0"),
                   _licence("SITE-RC", "capacity:archive-tb", -10),
                   _software("SITE-RD", "7.2.3", ago=5), _software("SITE-UNREGISTERED", "7.1.4"))  # fmt: skip
        late = Envelope.wrap(_software("SITE-RD", "7.1.4", ago=50), producer="monitoring")
        await publish(amqp_url, namespace, late)  # an older report arriving after the newer one
        await publish(amqp_url, namespace, late)  # and redelivered
        await tell(_software("SITE-RE", "6.5.2"))  # the last word: once it is in, everything before it is

        body = make_release(prerequisites={"licences": ["capacity:archive-tb"], "database_version": "19.0",
                                           "free_space_gb": 20})  # fmt: skip
        created = await api.post(PATH, json=body)
        assert created.status_code == 201, created.text
        release = created.json()
        assert (release["product"], release["version"], release["kind"], release["created_by"]) == (
            "pacs-archive", "7.2.3", "patch", "SUP-R")  # fmt: skip

        async def judged() -> dict[str, Any] | None:
            answer: dict[str, Any] = (await api.get(f"{PATH}/{release['release_id']}/applicability")).json()
            return answer if _groups(answer)["not_applicable"] == ["SITE-RE"] else None

        answer = await eventually(judged, timeout=20, what="monitoring's reports in the scheduler's read model")
        assert _groups(answer) == {"needs": ["SITE-RA", "SITE-RB", "SITE-RC"], "ready": ["SITE-RA"],
                                   "blocked": ["SITE-RB", "SITE-RC"], "up_to_date": ["SITE-RD"],
                                   "not_applicable": ["SITE-RE"], "unknown": []}  # fmt: skip
        reasons = {row["site_id"]: row["reasons"] for row in answer["blocked"]}
        expired_on = (NOW - timedelta(days=10)).date().isoformat()
        assert reasons == {"SITE-RB": ["database 11.2.0.4 below the required 19.0 (oracle on DB-1)"],
                           "SITE-RC": [f"licence capacity:archive-tb expired on {expired_on}"]}  # fmt: skip
        assert answer["ready"][0]["unchecked"] == ["free space not reported (needs 20 GB): check it before the window"]
        assert answer["up_to_date"][0]["installed_version"] == "7.2.3", "the late 7.1.4 report did not undo 7.2.3"
        assert answer["not_applicable"][0]["reasons"] == ["6.5.2 is outside the versions it applies to (>=7.1,<7.2.3)"]

        # bad input: a problem naming what was wrong, and nothing created
        bad = (({"version": "7.2.x"}, "version"), ({"applies_to": [">=7.1,<seven"]}, "applies_to.0"),
               ({"prerequisites": {"database_version": "19c"}}, "prerequisites.database_version"))  # fmt: skip
        for wrong, field in bad:
            refused = problem(await api.post(PATH, json=make_release(**wrong)), 422)
            assert field in [e["field"] for e in refused["errors"]], refused
        twin = problem(await api.post(PATH, json=make_release(version="7.2.3.0")), 409)
        assert twin["release_id"] == release["release_id"]
        problem(await api.get(f"{PATH}/REL-NONE"), 404)
        problem(await api.get(f"{PATH}/REL-NONE/applicability"), 404)
        engineer = bearer(app.state.kit, "ENG-R", "engineer")
        problem(await api.post(PATH, json=make_release(version="7.3"), headers=engineer), 403)

        listed = (await api.get(PATH, headers=engineer)).json()
        assert [r["release_id"] for r in listed["items"]] == [release["release_id"]] and listed["total"] == 1
        assert (await api.get(PATH, params={"kind": "hotfix"})).json()["items"] == []
        assert (await api.get(PATH, params={"product": "ris"})).json()["items"] == []
        one = (await api.get(f"{PATH}/{release['release_id']}", headers=engineer)).json()
        assert one["notes_zh"] == body["notes_zh"] and one["prerequisites"]["database_version"] == "19.0"
