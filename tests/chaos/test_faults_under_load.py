"""Faults under load: 2,000 faults reported through the gateway while every service is SIGKILLed in turn and
restarted, the broker is restarted once and the database once, each at a random moment of the load.

Afterwards nothing accepted is lost or doubled: every fault that got a 2xx has exactly one incident, every
incident reached its L1 engineer (at least once at the provider, one message as the engineer sees it), the
only 5xx were 503s with Retry-After while something was down, the dead-letter queues are empty and the audit
trail of every service verifies. The client behaves as a HIS should: on a 503 it waits Retry-After and sends
the same report again (same external_ref), which intake answers idempotently.

`CHAOS_SEED` replays a schedule; `CHAOS_FAULTS` changes the load (the acceptance figure is 2,000)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika
import httpx
import pytest

from pacs_devstack.stack import SERVICES
from pacs_kit.cli import report_audit, verify_audit
from tests.e2e.conftest import Platform, started_platform
from tests.support import all_ready, eventually, every_item, make_fault, queue_stats, rabbitmqctl

pytestmark = pytest.mark.slow

FAULTS = int(os.environ.get("CHAOS_FAULTS", "2000"))
RATE = 20.0  # faults offered per second: 2,000 take 100 s, long enough for every disruption one after another
CLIENTS = 32
CONSUMING = ("intake", "escalation", "notify", "scheduler")
CONSUMERS = tuple(s for s in SERVICES if s != "console")  # services with a queue; the console consumes no events yet
GRACE = 10.0  # seconds after a part is back within which a 503 still counts as "while it was down"
# A fault whose request was in intake's hands when intake was killed stays locked by that process's open
# transaction until the database expires it (mongod's transactionLifetimeLimitSeconds, 60 s by default, as
# SecantusDB): its retries are answered 503 until then, and only its retries.
TRANSACTION_LIFETIME = 60.0


@dataclass
class Window:
    """One disruption: what, when into the load it is due, and from when until everything answered again."""

    what: str
    due: int  # the fault whose sending lets it begin
    began: float = 0.0
    ended: float = 0.0
    requests: int = 0  # requests sent to the gateway while it lasted
    in_flight: set[str] = field(default_factory=set)  # faults whose request was under way when it began


@dataclass
class Load:
    faults: list[dict[str, str]]
    accepted: dict[str, str] = field(default_factory=dict)  # external_ref -> fault_id
    answers: list[tuple[float, int, str | None, str]] = field(default_factory=list)  # at, status, Retry-After, ref
    refusals: dict[float, str] = field(default_factory=dict)  # when a 503 came -> its problem's detail
    transport_errors: list[str] = field(default_factory=list)
    retried: int = 0
    sent: int = 0  # faults taken up by a client, first to last
    released: int = 0  # faults the pacer may hand out: the chaos opens the next stretch as each disruption begins
    opened: asyncio.Event = field(default_factory=asyncio.Event)  # set whenever `released` moves
    requests: list[float] = field(default_factory=list)  # when each request (first or again) was sent
    in_flight: set[str] = field(default_factory=set)  # external_refs sent and not yet answered


async def _consumers_back(platform: Platform) -> bool:
    try:
        stats = [await queue_stats(platform.stack.config.amqp_url, f"{platform.namespace}.{s}") for s in CONSUMING]
    except (aio_pika.exceptions.AMQPError, OSError):
        return False
    return all(consumers >= 1 for _, consumers in stats)


async def _report(his: httpx.AsyncClient, load: Load, fault: dict[str, str]) -> None:
    """Send one fault until it is accepted, as a HIS would: a 503 means wait Retry-After and send it again."""
    while True:
        try:
            load.requests.append(time.monotonic())
            load.in_flight.add(fault["external_ref"])
            response = await his.post("/api/v1/faults", json=fault)
        except httpx.TransportError as exc:  # the gateway itself is never disrupted: it must always answer
            load.transport_errors.append(f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(1)
            load.retried += 1
            continue
        finally:
            load.in_flight.discard(fault["external_ref"])
        retry_after = response.headers.get("Retry-After")
        answered = time.monotonic()
        load.answers.append((answered, response.status_code, retry_after, fault["external_ref"]))
        if response.status_code == 503:
            load.refusals[answered] = response.text[-160:]
        if response.is_success:
            load.accepted[fault["external_ref"]] = response.json()["fault_id"]
            return
        if response.status_code != 503 or retry_after is None:
            return  # an answer the test fails on below; sending again would not change it
        load.retried += 1
        await asyncio.sleep(float(retry_after))


async def _offer(his: httpx.AsyncClient, load: Load) -> None:
    """FAULTS faults at RATE per second from CLIENTS concurrent clients. The pacer hands out only the faults the
    chaos released: the stretch up to a disruption's fault, then the next stretch as it begins. However long a
    disruption takes to heal, faults go on being sent while it lasts and none is left for after it; the last 5 %
    go once the last disruption is over. A pause at a closed stretch does not make the pacer catch up in a burst."""
    queue: asyncio.Queue[int | None] = asyncio.Queue()

    async def pacer() -> None:
        tick = time.monotonic()
        for index in range(len(load.faults)):
            while index >= load.released:
                load.opened.clear()
                await load.opened.wait()
                tick = max(tick, time.monotonic())
            await asyncio.sleep(max(0.0, tick - time.monotonic()))
            tick += 1 / RATE
            queue.put_nowait(index)
        for _ in range(CLIENTS):
            queue.put_nowait(None)

    async def client() -> None:
        while (index := await queue.get()) is not None:
            load.sent = max(load.sent, index + 1)
            await _report(his, load, load.faults[index])

    await asyncio.gather(pacer(), *(client() for _ in range(CLIENTS)))


class Chaos:
    def __init__(self, platform: Platform, load: Load, rng: random.Random) -> None:
        self.platform, self.load, self.rng = platform, load, rng
        kinds = [f"kill {s}" for s in SERVICES] + ["restart broker", "restart database"]
        rng.shuffle(kinds)
        # one disruption in each equal slice of 5 %..85 % of the faults, at a random fault of its slice
        span = 0.8 * FAULTS / len(kinds)
        self.windows = [Window(k, int(0.05 * FAULTS + i * span + rng.uniform(0, span))) for i, k in enumerate(kinds)]
        self.held_from = int(FAULTS * 0.95)
        self._release(self.windows[0].due)

    def _release(self, up_to: int) -> None:
        self.load.released = up_to
        self.load.opened.set()

    async def run(self) -> None:
        try:
            for i, window in enumerate(self.windows):
                due = window.due
                await eventually(lambda: self.load.sent >= due, timeout=120,  # noqa: B023 (awaited in this turn)
                                 what=f"fault {due} sent before {window.what}", interval=0.05)  # fmt: skip
                window.began = time.monotonic()  # fault `due` was just sent: the stretch before it is out
                window.in_flight = set(self.load.in_flight)
                self._release(self.windows[i + 1].due if i + 1 < len(self.windows) else self.held_from)
                await self._heal(window)
        finally:
            self._release(FAULTS)

    async def _heal(self, window: Window) -> None:
        await self._disrupt(window.what)
        await eventually(lambda: all_ready(self.platform.stack), timeout=90, what=f"all ready after {window.what}")
        await eventually(lambda: _consumers_back(self.platform), timeout=90, what=f"consumers after {window.what}")
        window.ended = time.monotonic()
        window.requests = sum(1 for at in self.load.requests if window.began <= at <= window.ended)

    async def _disrupt(self, what: str) -> None:
        stack = self.platform.stack
        down_for = self.rng.uniform(0.5, 3.0)
        if what.startswith("kill "):
            service = what.removeprefix("kill ")
            await asyncio.to_thread(stack.kill, service)  # SIGKILL, mid-whatever it was doing
            await asyncio.sleep(down_for)
            await asyncio.to_thread(stack.restart, service)
        elif what == "restart broker":
            await asyncio.to_thread(rabbitmqctl, "stop_app")
            try:
                await asyncio.sleep(down_for)
            finally:
                await asyncio.to_thread(rabbitmqctl, "start_app")  # always: other suites share this broker
        else:
            await asyncio.to_thread(stack.stop_database)
            try:
                await asyncio.sleep(down_for)
            finally:
                await asyncio.to_thread(stack.start_database)

    def covers(self, at: float, external_ref: str) -> bool:
        """Whether a 503 at `at` for this fault fell while something it needed was down."""
        for w in self.windows:
            if w.began and w.began <= at <= w.ended + GRACE:
                return True
            locked = w.what == "kill intake" and external_ref in w.in_flight
            if locked and w.began <= at <= w.began + TRANSACTION_LIFETIME + GRACE:
                return True
        return False


@contextlib.contextmanager
def _broker_restored() -> Iterator[None]:
    """Whatever happens in the test, the shared broker is left running."""
    try:
        yield
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            rabbitmqctl("start_app")


@pytest.fixture(scope="module")
def platform(amqp_url: str) -> Iterator[Platform]:
    with _broker_restored(), started_platform(amqp_url, gauges_every_second=False) as started:
        if not started.stack.owns_database:
            pytest.skip("MONGODB_URL points at an external database, which this test cannot stop and start")
        yield started


async def _total(admin: httpx.AsyncClient, path: str) -> int:
    return int((await admin.get(path, params={"limit": 1, "total": "true"})).json()["total"])


async def _settled(what: str, check: Callable[[], Awaitable[object]], timeout: float,
                   diagnose: Callable[[], Awaitable[str]]) -> float:  # fmt: skip
    began = time.monotonic()
    try:
        await eventually(check, timeout=timeout, what=what, interval=3)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{await diagnose()}") from None
    return time.monotonic() - began


async def _where_things_are(platform: Platform, admin: httpx.AsyncClient, missing: set[str]) -> str:
    """What a failing wait reports: the queues, the outboxes and a few of the faults or incidents it missed."""
    amqp, ns = platform.stack.config.amqp_url, platform.namespace
    lines = [f"{len(missing)} missing, e.g. {sorted(missing)[:5]}"]
    for service in CONSUMERS:
        depth, consumers = await queue_stats(amqp, f"{ns}.{service}")
        dead, _ = await queue_stats(amqp, f"{ns}.{service}.dlq")
        metrics = (await admin.get(f"{platform.stack.service_url(service)}/metrics")).text.splitlines()
        handled = [m for m in metrics if m.startswith(("pacs_outbox_pending", "pacs_handler_messages_total"))]
        lines.append(f"{service}: queue {depth} ({consumers} consumers), dlq {dead}; " + "; ".join(handled))
    for fault_id in sorted(missing)[:3]:
        fault = await admin.get(f"/api/v1/faults/{fault_id}")
        lines.append(f"fault {fault_id}: {fault.status_code} {fault.text[:300]}")
    return "\n".join(lines)


def _refusals_logged(platform: Platform) -> str:
    """What intake and the gateway logged about the requests they turned away, for a failure message."""
    run_dir = platform.stack.run_dir
    wanted = {"logs/intake.log": "database", "nginx-error.log": "upstream"}
    lines = []
    for name, word in wanted.items():
        path = run_dir / name
        text = path.read_text(errors="replace").splitlines() if path.exists() else []
        lines += [f"{name}: {line[:300]}" for line in text if word in line][-5:]
    return "\n".join(lines)


@contextlib.asynccontextmanager
async def _logs_kept_on_failure(platform: Platform, seed: int) -> AsyncIterator[None]:
    """A failed run leaves the services' logs under .run/chaos-<seed>/ for whoever looks into it."""
    try:
        yield
    except BaseException:
        kept = Path(".run") / f"chaos-{seed}"
        shutil.copytree(platform.stack.run_dir / "logs", kept, dirs_exist_ok=True)
        print(f"the services' logs are kept in {kept}")
        raise


async def test_nothing_accepted_is_lost_or_doubled_under_kills_and_restarts(platform: Platform) -> None:
    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(1_000_000))
    rng = random.Random(seed)
    load = Load([make_fault(platform.site_id) for _ in range(FAULTS)])
    chaos = Chaos(platform, load, rng)
    print(f"seed {seed}: {FAULTS} faults at {RATE:.0f}/s; " + ", ".join(f"{w.what} at fault {w.due}"
                                                                      for w in chaos.windows))  # fmt: skip
    headers = {"X-API-Key": platform.his_key}
    began = time.monotonic()
    async with (
        _logs_kept_on_failure(platform, seed),
        httpx.AsyncClient(base_url=platform.url, headers=headers, timeout=30) as his,
        httpx.AsyncClient(base_url=platform.url, headers={"Authorization": f"Bearer {platform.admin_token}"},
                          timeout=60) as admin,
    ):  # fmt: skip
        offered = asyncio.create_task(_offer(his, load))
        await chaos.run()
        await offered
        load_seconds = time.monotonic() - began
        context = f"(seed {seed}; replay with CHAOS_SEED={seed})"

        # every disruption fell within the load (the pacer sees to it): requests reached the gateway while it lasted,
        # or were under way when it began (a database restart can hold every client's request until it is back)
        idle = [w.what for w in chaos.windows if not w.requests and not w.in_flight]
        assert not idle, f"no request was sent during {idle} {context}"

        # what the clients were answered
        statuses = Counter(status for _, status, _, _ in load.answers)
        assert not load.transport_errors, f"the gateway did not answer: {load.transport_errors[:3]} {context}"
        unexpected = {s: n for s, n in statuses.items() if s not in (202, 503)}
        assert not unexpected, f"answers other than 202 and 503: {unexpected} {context}"
        assert all(retry_after for _, status, retry_after, _ in load.answers if status == 503), (
            "503 without Retry-After"
        )
        stray = [f"{at - began:.1f} s ({ref}: {load.refusals.get(at)})" for at, status, _, ref in load.answers
                 if status == 503 and not chaos.covers(at, ref)]  # fmt: skip
        spans = ", ".join(f"{w.what} {w.began - began:.1f}-{w.ended - began:.1f} s" for w in chaos.windows)
        assert not stray, (
            f"503s when nothing the fault needed was down: {stray[:5]}; disruptions: {spans} {context}\n"
            + _refusals_logged(platform)
        )
        assert len(load.accepted) == FAULTS, f"{FAULTS - len(load.accepted)} faults never accepted {context}"
        wanted = set(load.accepted.values())
        assert len(wanted) == FAULTS, "two reports were given one fault id"

        # every accepted fault: exactly one incident
        incidents: list[dict] = []

        async def all_opened() -> bool:
            if await _total(admin, "/api/v1/incidents") < FAULTS:
                return False  # a count is cheap; listing them all is not, and the database is busy catching up
            incidents[:] = [i for i in await every_item(admin, "/api/v1/incidents") if i["fault_id"] in wanted]
            return {i["fault_id"] for i in incidents} == wanted

        async def faults_without_incident() -> str:
            return await _where_things_are(platform, admin, wanted - {i["fault_id"] for i in incidents})

        opened_after = await _settled(f"an incident for each of the {FAULTS} faults {context}", all_opened, 300,
                                      faults_without_incident)  # fmt: skip
        doubled = [f for f, n in Counter(i["fault_id"] for i in incidents).items() if n > 1]
        assert not doubled, f"faults with more than one incident: {doubled[:5]} {context}"
        incident_ids = {i["incident_id"] for i in incidents}
        assert {i["tier"] for i in incidents} == {"L1"}, "no incident climbed during the test (its clocks are hours)"
        assignee = {i["incident_id"]: i["assignee_id"] for i in incidents}

        # every incident: its L1 engineer told, once as the engineer sees it
        told: list[dict] = []

        async def all_told() -> bool:
            if await _total(admin, "/api/v1/notifications") < len(incident_ids):
                return False
            every = await every_item(admin, "/api/v1/notifications")
            told[:] = [
                n for n in every if n["incident_id"] in incident_ids and n["engineer_id"] == assignee[n["incident_id"]]
            ]
            return {n["incident_id"] for n in told if n["status"] == "sent"} == incident_ids

        async def incidents_untold() -> str:
            sent = {n["incident_id"] for n in told if n["status"] == "sent"}
            return await _where_things_are(platform, admin, incident_ids - sent)

        told_after = await _settled(f"the L1 engineer told of each incident {context}", all_told, 300, incidents_untold)
        per_incident = Counter(n["incident_id"] for n in told)
        assert max(per_incident.values()) == 1, f"incidents with two L1 notifications {context}"
        seen_by_engineer: dict[str, set[str]] = defaultdict(set)  # incident -> the message ids that carried it
        provider_lines = 0
        for line in platform.notification_lines():
            message = json.loads(line)
            for incident_id in message["incident_ids"]:
                if incident_id in incident_ids:
                    seen_by_engineer[incident_id].add(message["notification_id"])
                    provider_lines += 1
        missing = incident_ids - set(seen_by_engineer)
        assert not missing, f"{len(missing)} incidents never reached the provider {context}"
        twice = [i for i, ids in seen_by_engineer.items() if len(ids) > 1]
        assert not twice, f"incidents the engineer was shown in two messages: {twice[:5]} {context}"

        # nothing dead-lettered
        for service in CONSUMERS:
            depth, _ = await queue_stats(platform.stack.config.amqp_url, f"{platform.namespace}.{service}.dlq")
            assert depth == 0, f"{depth} message(s) in {service}'s dead-letter queue {context}"

    # the audit trail of every service is whole once the chainers caught up
    async def chained() -> bool:
        results = await verify_audit(list(SERVICES), databases=platform.stack.database_urls,
                                     namespace=platform.namespace)  # fmt: skip
        return all(r.pending == 0 for r in results.values()) or not all(r.intact for r in results.values())

    await eventually(chained, timeout=60, what="every audit record chained", interval=1)
    results = await verify_audit(list(SERVICES), databases=platform.stack.database_urls, namespace=platform.namespace)
    assert report_audit(results) == 0, f"an audit chain does not verify {context}"
    assert results["intake"].checked >= FAULTS, "every accepted fault left an audit record"

    print(
        f"{FAULTS} faults, load {load_seconds:.0f} s; answers {dict(statuses)}, {load.retried} resent; "
        f"all incidents {opened_after:.0f} s and all messages {told_after:.0f} s after the load; "
        f"{provider_lines} provider deliveries for {len(incident_ids)} incidents; disruptions: "
        + ", ".join(
            f"{w.what} at fault {w.due} ({w.ended - w.began:.1f} s, {w.requests} requests meanwhile)"
            for w in chaos.windows
        )
    )
