"""Monitoring's handlers, without the broker: a maintenance window from the scheduler holds the breaches of its host
(and only its host) until it ends; a hospital key issued by intake works here, and stops working once revoked."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from pacs_contracts.common import Severity
from pacs_contracts.events import MaintenanceEnded, MaintenanceStarted, SiteKeyIssued, SiteKeyRevoked
from pacs_kit.uow import Tx
from pacs_monitoring.domain.rules import Observation
from pacs_monitoring.usecases.breaches import settle

SITE = "SITE-1"


async def _breach(monitoring: Any, host: str) -> None:
    """A disk-full breach observed on `host`, settled as every source of samples settles it."""
    seen = Observation(host=host, rule="disk-full", problem_class="storage", severity=Severity.major, value=97.0,
                       threshold=90.0, firing=True)  # fmt: skip

    async def work(tx: Tx) -> None:
        await settle(SITE, [seen], datetime.now(UTC), tx, monitoring.deps)

    await monitoring.kit.uow.run(work)


def _window(host: str | None = "pacs-01") -> MaintenanceStarted:
    return MaintenanceStarted(window_id="W-1", site_id=SITE, host=host, ends_at=datetime.now(UTC) + timedelta(hours=1))


async def _breached_hosts(monitoring: Any) -> list[str]:
    return [e["payload"]["host"] for e in await monitoring.emitted("metric.breached")]


async def test_a_maintenance_window_holds_the_breaches_of_its_host_and_no_other(bench: Any) -> None:
    monitoring = await bench("monitoring")
    started = monitoring.envelope(_window())

    assert await monitoring.deliver(started, started) == ["handled", "duplicate"]

    (window,) = await monitoring.stored("maintenance")
    assert (window["_id"], window["site_id"], window["host"]) == ("W-1", SITE, "pacs-01")
    await _breach(monitoring, "pacs-01")
    await _breach(monitoring, "pacs-02")
    assert await _breached_hosts(monitoring) == ["pacs-02"], "the host under maintenance is held, its neighbour told"
    (held,) = await monitoring.stored("rule_states", {"host": "pacs-01"})
    assert (held["state"], held["announced"]) == ("firing", False)


async def test_the_end_of_a_window_releases_its_host_and_a_breach_still_firing_is_told(bench: Any) -> None:
    monitoring = await bench("monitoring")
    await monitoring.deliver(_window())
    await _breach(monitoring, "pacs-01")

    await monitoring.deliver(MaintenanceEnded(window_id="W-1", site_id=SITE, host="pacs-01"))

    assert await monitoring.stored("maintenance") == []
    assert await _breached_hosts(monitoring) == []
    await _breach(monitoring, "pacs-01")
    assert await _breached_hosts(monitoring) == ["pacs-01"]


async def test_a_hospital_key_issued_by_intake_works_here_until_it_is_revoked(bench: Any) -> None:
    monitoring = await bench("monitoring")
    key_id, secret = "a1b2c3d4e5f6", "s3cret-part-of-the-key"
    now = datetime.now(UTC)
    digest = hashlib.sha256(secret.encode()).hexdigest()
    issued = monitoring.envelope(SiteKeyIssued(key_id=key_id, site_id=SITE, name="HIS agent", digest=digest,
                                               created_at=now))  # fmt: skip

    assert await monitoring.deliver(issued, issued) == ["handled", "duplicate"]

    (kept,) = await monitoring.stored("api_keys")
    assert (kept["_id"], kept["site_id"], kept["hash"], kept["revoked_at"]) == (key_id, SITE, digest, None)
    assert secret not in str(kept), "only the digest is kept"
    principal = await monitoring.kit.auth.api_keys.verify(f"pso_{key_id}_{secret}")
    assert principal is not None and principal.site_id == SITE

    await monitoring.deliver(SiteKeyRevoked(key_id=key_id, site_id=SITE, revoked_at=now + timedelta(minutes=5)))

    (revoked,) = await monitoring.stored("api_keys")
    assert revoked["revoked_at"] is not None
    assert await monitoring.kit.auth.api_keys.verify(f"pso_{key_id}_{secret}") is None
