"""DICOM nodes C-ECHOed against real peers on loopback: dcmtk's storescp, Orthanc, and sockets that misbehave."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pacs_contracts.events import MetricBreached, MetricRecovered
from pacs_devstack.processes import Process, free_port, port_open, wait_for
from tests.integration.test_monitoring_and_keys import Monitor, monitoring
from tests.support import bearer, eventually

CONNECT, ACSE, DIMSE, INTERVAL = 1.0, 1.5, 1.5, 1
MARGIN = 1.5  # a round starts every 0.5 s; the echo thread and the writes take the rest
FAST = {
    "dicom_allowed_networks": ["127.0.0.0/8"], "dicom_probe_interval_seconds": INTERVAL,
    "dicom_connect_timeout_seconds": CONNECT, "dicom_acse_timeout_seconds": ACSE,
    "dicom_dimse_timeout_seconds": DIMSE,
}  # fmt: skip


def make_node(port: int, **overrides: Any) -> dict[str, Any]:
    node = {"site_id": "SITE-1", "ae_title": "STORESCP", "host": "127.0.0.1", "port": port,
            "calling_ae_title": "PSO-MONITOR"}  # fmt: skip
    node.update(overrides)
    return node


@contextlib.contextmanager
def peer(name: str, argv: list[str], log: Path, port: int, timeout: float = 10) -> Iterator[Process]:
    """A real DICOM peer as a process, used once its port accepts, killed afterwards."""
    process = Process(name, argv, log)
    process.start()
    try:
        wait_for(lambda: port_open(port), timeout, name)
        yield process
    finally:
        process.kill()


@contextlib.contextmanager
def storescp(tmp: Path, port: int) -> Iterator[Process]:
    """dcmtk's storage SCP, which answers C-ECHO as any SCP must."""
    with peer("storescp", ["storescp", "-aet", "STORESCP", str(port)], tmp / f"storescp-{port}.log", port) as p:
        yield p


@contextlib.contextmanager
def orthanc(tmp: Path) -> Iterator[int]:
    """Orthanc with a configuration of its own; it answers C-ECHO from any calling AE (DicomAlwaysAllowEcho)."""
    dicom_port, http_port = free_port(), free_port()
    config = {
        "Name": "probe-test", "DicomAet": "ORTHANC", "DicomPort": dicom_port, "HttpPort": http_port,
        "StorageDirectory": str(tmp / "orthanc"), "IndexDirectory": str(tmp / "orthanc"),
        "RemoteAccessAllowed": False, "DicomCheckCalledAet": False, "DicomAlwaysAllowEcho": True, "Plugins": [],
    }  # fmt: skip
    (tmp / "orthanc.json").write_text(json.dumps(config))
    binary = shutil.which("Orthanc") or "/usr/sbin/Orthanc"
    with peer("Orthanc", [binary, str(tmp / "orthanc.json")], tmp / "orthanc.log", dicom_port, timeout=20):
        yield dicom_port


@contextlib.asynccontextmanager
async def silent_peer() -> AsyncIterator[int]:
    """Accepts TCP connections and never says a word: the association request goes unanswered."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


@contextlib.contextmanager
def full_backlog() -> Iterator[int]:
    """A listener that never accepts, its backlog already full: Linux drops further SYNs, so a connect times out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers: list[socket.socket] = []
    try:
        for _ in range(8):
            filler = socket.socket()
            filler.settimeout(0.3)
            fillers.append(filler)
            if filler.connect_ex(("127.0.0.1", port)) != 0:
                break  # this one was dropped: the queue is full
        else:
            pytest.fail("the listen backlog never filled")
        yield port
    finally:
        for s in [*fillers, listener]:
            s.close()


async def register(m: Monitor, body: dict[str, Any]) -> dict[str, Any]:
    response = await m.client.post("/api/v1/dicom-nodes", json=body, headers=bearer(m.kit, "ENG-1", "engineer"))
    assert response.status_code == 201, response.text
    node: dict[str, Any] = response.json()
    return node


async def first_probe(m: Monitor, node_id: str, *, up: bool, timeout: float) -> dict[str, Any]:
    """The newest probe of the node once it says `up`."""

    async def seen() -> dict[str, Any] | None:
        probes = (await m.client.get(f"/api/v1/dicom-nodes/{node_id}/probes", params={"limit": 1},
                                     headers=m.headers)).json()  # fmt: skip
        return probes[0] if probes and probes[0]["up"] is up else None

    found: dict[str, Any] = await eventually(seen, timeout=timeout, what=f"node {node_id} {'up' if up else 'down'}")
    return found


async def test_storescp_and_orthanc_answer_and_a_stopped_peer_is_down_within_the_connect_timeout(
    settings_for: Callable[..., Any], tmp_path: Path
) -> None:
    scp_port = free_port()
    with storescp(tmp_path, scp_port) as scp, orthanc(tmp_path) as orthanc_port:
        async with monitoring(settings_for, **FAST) as m:
            dcmtk = await register(m, make_node(scp_port, name="archive-scp"))
            # the site's own key may register its own nodes
            as_site = await m.client.post("/api/v1/dicom-nodes", headers=m.headers,
                                          json=make_node(orthanc_port, ae_title="ORTHANC"))  # fmt: skip
            assert as_site.status_code == 201, as_site.text
            pacs = as_site.json()
            unnamed = (f"127.0.0.1:{orthanc_port}", INTERVAL, None)  # named host:port; not probed yet
            assert (pacs["name"], pacs["interval_seconds"], pacs["last_probe"]) == unnamed, pacs

            for node in (dcmtk, pacs):
                probe = await first_probe(m, node["node_id"], up=True, timeout=10)
                assert probe["error"] is None and 0 < probe["rtt_seconds"] < ACSE, probe
                shown = (await m.client.get(f"/api/v1/dicom-nodes/{node['node_id']}", headers=m.headers)).json()
                assert shown["last_probe"]["up"] is True and shown["last_probe"]["rtt_seconds"] > 0, shown

            async def echoed_again() -> bool:
                r = await m.client.get(f"/api/v1/dicom-nodes/{dcmtk['node_id']}/probes", headers=m.headers)
                return len(r.json()) >= 3

            await eventually(echoed_again, timeout=10, what="a probe every interval")
            listed = await m.client.get("/api/v1/dicom-nodes", params={"site_id": "SITE-1"}, headers=m.headers)
            assert {n["name"] for n in listed.json()["items"]} == {"archive-scp", pacs["name"]}

            scp.kill()
            stopped = time.monotonic()
            down = await first_probe(m, dcmtk["node_id"], up=False, timeout=INTERVAL + CONNECT + MARGIN + 5)
            detected = time.monotonic() - stopped
            print(f"stopped peer reported down after {detected:.2f} s ({down['error']})")
            assert down["error"] == "connection refused" and down["rtt_seconds"] is None
            assert detected <= INTERVAL + CONNECT + MARGIN, f"down only after {detected:.2f} s"
            assert (await first_probe(m, pacs["node_id"], up=True, timeout=5))["up"], "Orthanc is still up"


async def test_a_peer_that_never_accepts_is_down_after_the_connect_timeout(settings_for: Callable[..., Any]) -> None:
    with full_backlog() as port:
        async with monitoring(settings_for, **FAST) as m:
            registered = time.monotonic()
            node = await register(m, make_node(port))
            down = await first_probe(m, node["node_id"], up=False, timeout=CONNECT + MARGIN + 5)
            detected = time.monotonic() - registered
            print(f"unanswered connect reported down after {detected:.2f} s ({down['error']})")
            assert down["error"] == f"no TCP connection within {CONNECT:g} s"
            assert CONNECT <= detected <= CONNECT + MARGIN, f"down after {detected:.2f} s"


async def test_a_peer_that_accepts_and_stays_silent_is_down_after_the_acse_timeout(
    settings_for: Callable[..., Any],
) -> None:
    async with silent_peer() as port, monitoring(settings_for, **FAST) as m:
        registered = time.monotonic()
        node = await register(m, make_node(port))
        down = await first_probe(m, node["node_id"], up=False, timeout=ACSE + MARGIN + 5)
        detected = time.monotonic() - registered
        print(f"silent peer reported down after {detected:.2f} s ({down['error']})")
        assert down["error"] == f"no association response within {ACSE:g} s"
        assert ACSE <= detected <= ACSE + MARGIN, f"down after {detected:.2f} s"


async def test_registration_refuses_what_it_must_not_probe_and_bad_input(settings_for: Callable[..., Any]) -> None:
    async with monitoring(settings_for, **FAST) as m:
        client = m.client
        engineer = bearer(m.kit, "ENG-1", "engineer")

        async def post(body: dict[str, Any], headers: dict[str, str] = engineer) -> Any:
            return await client.post("/api/v1/dicom-nodes", json=body, headers=headers)

        outside = await post(make_node(104, host="8.8.8.8"))
        assert outside.status_code == 422, outside.text
        problem = outside.json()
        assert outside.headers["content-type"] == "application/problem+json"
        assert "8.8.8.8" in problem["detail"] and "127.0.0.0/8" in problem["detail"], problem
        assert (problem["addresses"], problem["allowed_networks"]) == (["8.8.8.8"], ["127.0.0.0/8"])
        assert (await post(make_node(104, host="::1"))).status_code == 422, "IPv6 loopback is not in 127.0.0.0/8"

        cases: list[tuple[dict[str, Any], str]] = [
            ({"ae_title": "BAD\\TITLE"}, "ae_title"), ({"ae_title": "   "}, "ae_title"),
            ({"ae_title": "A" * 17}, "ae_title"), ({"calling_ae_title": "CT\x07"}, "calling_ae_title"),
            ({"port": 0}, "port"), ({"port": 65536}, "port"), ({"host": "not a host"}, "host"),
            ({"interval_seconds": 1}, "interval_seconds"), ({"colour": "red"}, "colour"),
        ]  # fmt: skip
        for bad, field in cases:
            refused = await post({**make_node(104), **bad})
            assert refused.status_code == 422, (bad, refused.text)
            assert refused.json()["errors"][0]["field"] == field, refused.json()

        assert (await client.get("/api/v1/dicom-nodes", headers=engineer)).json() == {
            "items": [],
            "total": 0,
            "next": None,
        }

        first = await post(make_node(104, ae_title=" PACS "))
        assert first.status_code == 201 and first.json()["ae_title"] == "PACS", first.text
        again = await post(make_node(104, ae_title="PACS", name="other-name"))
        assert again.status_code == 409 and again.json()["node_id"] == first.json()["node_id"], again.text
        same_name = await post(make_node(105, ae_title="PACS", name=first.json()["name"]))
        assert same_name.status_code == 409 and "name" in same_name.json()["detail"], same_name.text
        assert (await post(make_node(104, site_id="SITE-2"), m.headers)).status_code == 403, "another site's key"
        assert (await post(make_node(106), bearer(m.kit, "CA-1", "call-agent"))).status_code == 403

        node_id = first.json()["node_id"]
        assert (await client.get("/api/v1/dicom-nodes/DN-NOPE", headers=engineer)).status_code == 404
        assert (await client.get("/api/v1/dicom-nodes/DN-NOPE/probes", headers=engineer)).status_code == 404
        assert (await client.delete(f"/api/v1/dicom-nodes/{node_id}", headers=engineer)).status_code == 204
        assert (await client.get(f"/api/v1/dicom-nodes/{node_id}", headers=engineer)).status_code == 404
        assert (await client.delete(f"/api/v1/dicom-nodes/{node_id}", headers=engineer)).status_code == 404


async def test_a_down_node_breaches_dicom_node_down_and_its_return_recovers_it(
    settings_for: Callable[..., Any], tap: Callable[..., Any], tmp_path: Path
) -> None:
    events = await tap(MetricBreached.type, MetricRecovered.type)
    port = free_port()
    async with monitoring(settings_for, **FAST) as m:
        # the shipped rule waits 2 minutes before it fires; this site wants to know at once
        supervisor = {**bearer(m.kit, "SUP-1", "supervisor"), "content-type": "application/yaml"}
        override = "rules:\n  - {name: dicom-node-down, for: PT0S}\n"
        put = await m.client.put("/api/v1/rules", params={"site_id": "SITE-1"}, content=override, headers=supervisor)
        assert put.status_code == 200, put.text

        node = await register(m, make_node(port, name="archive-scp"))
        breached = await events.at_least(1, timeout=INTERVAL + CONNECT + MARGIN + 5, what="dicom-node-down published")
        payload = breached[0]["payload"]
        assert breached[0]["type"] == "metric.breached"
        assert (payload["site_id"], payload["host"], payload["rule"], payload["problem_class"], payload["value"]) == (
            "SITE-1", "archive-scp", "dicom-node-down", "dicom_node", 0.0
        )  # fmt: skip

        with storescp(tmp_path, port):
            received = await events.at_least(2, timeout=INTERVAL + MARGIN + 5, what="the node's recovery")
            assert [e["type"] for e in received] == ["metric.breached", "metric.recovered"]
            assert received[1]["payload"]["rule"] == "dicom-node-down"
            assert (await first_probe(m, node["node_id"], up=True, timeout=5))["error"] is None
        health = (await m.client.get("/api/v1/sites/SITE-1/health", headers=m.headers)).json()
        assert {(r["host"], r["rule"]) for r in health["rules"]} >= {("archive-scp", "dicom-node-down")}
        [probed] = [n for n in health["dicom_nodes"] if n["name"] == "archive-scp"]
        assert probed["node_id"] == node["node_id"] and probed["checked_at"] is not None

        # down again, then no longer watched: deleting the node closes its breach instead of leaving it firing
        await events.at_least(3, timeout=INTERVAL + CONNECT + MARGIN + 5, what="the node down again")
        engineer = bearer(m.kit, "ENG-1", "engineer")
        assert (await m.client.delete(f"/api/v1/dicom-nodes/{node['node_id']}", headers=engineer)).status_code == 204
        closed = await events.at_least(4, timeout=10, what="the deleted node's breach closed")
        assert [e["type"] for e in closed[2:]] == ["metric.breached", "metric.recovered"]
        health = (await m.client.get("/api/v1/sites/SITE-1/health", headers=m.headers)).json()
        assert all(r["host"] != "archive-scp" for r in health["rules"]) and not health["dicom_nodes"]


async def test_two_monitoring_instances_never_probe_a_node_in_the_same_round(settings_for: Callable[..., Any]) -> None:
    async with monitoring(settings_for, **FAST) as m, monitoring(settings_for, **FAST):
        node = await register(m, make_node(free_port()))  # nothing listens: each probe is quick
        await first_probe(m, node["node_id"], up=False, timeout=5)
        watched = time.monotonic()
        await asyncio.sleep(5 * INTERVAL)  # both instances run their rounds meanwhile
        probes = (await m.client.get(f"/api/v1/dicom-nodes/{node['node_id']}/probes", headers=m.headers)).json()
        ats = sorted(datetime.fromisoformat(p["at"]) for p in probes)
        gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(ats)]
        print(f"{len(ats)} probes in {time.monotonic() - watched + INTERVAL:.1f} s by two instances, gaps {gaps}")
        assert min(gaps) >= 0.8 * INTERVAL, "a node was probed twice in one round"
        assert len(ats) <= 5 + 2
