"""Monitoring throughput: samples ingested and evaluated per second next to the raw HTTP ceiling of the
same server stack, and the time to C-ECHO 1,000 registered DICOM nodes.

Starts its own stack (a SecantusDB per service, the five services, nginx) on free ports and a namespace of its own.
Ingest: clients post pre-encoded batches straight to the monitoring service (uvicorn, one worker);
each batch is one site's agent report: `--hosts` hosts x 100 metrics, 20 of which the shipped
rules watch (calm values, so the rules are evaluated but nothing fires). The ceilings, measured
in the same run with the same bodies and clients on the same uvicorn: an app that only reads the
body, and a FastAPI route that only validates it as a MetricBatch.
DICOM: `--nodes` nodes are registered over the API against `--peers` dcmtk storescp processes on
loopback, then made due together; the figure is the time until every node has a fresh probe.
Usage: python bench/monitoring.py [--seconds 10] [--levels 1,2,4] [--hosts 50] [--nodes 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from bench.common import percentile, post_for
from pacs_devstack.processes import free_port, port_open, wait_for
from pacs_devstack.seed import seed
from pacs_devstack.stack import SERVICES, Stack, StackConfig
from tests.support import delete_namespace

WATCHED = [  # (metric, labels, calm value): the check list's metrics as an agent reports them
    ("cpu_load_percent", {}, 35.0), ("memory_used_percent", {}, 60.0), ("disk_used_percent", {"mount": "/"}, 55.0),
    ("fan_ok", {}, 1.0), ("temperature_celsius", {}, 41.0), ("ha_resource_up", {}, 1.0),
    ("storage_device_ok", {}, 1.0), ("storage_fan_ok", {}, 1.0), ("archive_used_percent", {}, 70.0),
    ("san_port_up", {}, 1.0), ("db_backup_age_hours", {}, 6.0), ("db_lock_wait_seconds", {}, 0.5),
    ("db_file_growth_percent", {}, 2.0), ("tablespace_used_percent", {}, 64.0), ("pacs_process_up", {}, 1.0),
    ("admin_password_days_left", {}, 60.0), ("remote_monitoring_up", {}, 1.0), ("remote_access_up", {}, 1.0),
    ("log_used_percent", {}, 30.0), ("db_wait_event_seconds", {"event": "log file sync"}, -5.0),
]  # fmt: skip


def batch_body(site_id: str, hosts: int) -> bytes:
    at = datetime.now(UTC).isoformat()
    samples: list[dict[str, Any]] = []
    for h in range(hosts):
        host = f"pacs-{h:03d}"
        samples += [{"host": host, "name": m, "labels": labels, "value": v, "timestamp": at}
                    for m, labels, v in WATCHED]  # fmt: skip
        samples += [{"host": host, "name": f"node_metric_{i:02d}", "value": float(i), "timestamp": at}
                    for i in range(100 - len(WATCHED))]  # fmt: skip
    return json.dumps({"site_id": site_id, "samples": samples}).encode()


async def post_batches(url: str, path: str, body: bytes, headers: dict[str, str], concurrency: int,
                       seconds: float) -> tuple[int, int, list[float]]:  # fmt: skip
    """As many posts as `concurrency` clients manage in `seconds`: (accepted, errors, latencies)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {**headers, "content-type": "application/json"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:
        return await post_for(client, path, lambda: body, concurrency, seconds)


def start_ceiling(run_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "bench.ceiling:app", "--host", "127.0.0.1", "--port", str(port),
            "--no-access-log", "--log-level", "warning"]  # fmt: skip
    log = (run_dir / "ceiling.log").open("wb")
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": "."})
    wait_for(lambda: port_open(port), 30, "the ceiling app")
    return process, f"http://127.0.0.1:{port}"


def ingest_rows(stack: Stack, run_dir: Path, key: str, site: str, levels: list[int], seconds: float,
                hosts: int) -> None:  # fmt: skip
    body = batch_body(site, hosts)
    per_batch = hosts * 100
    ceiling, ceiling_url = start_ceiling(run_dir)
    targets = [
        ("raw HTTP (body read only)", ceiling_url, "/raw", {}),
        ("FastAPI validate only", ceiling_url, "/validate", {}),
        ("monitoring service", stack.service_url("monitoring"), "/api/v1/metrics", {"X-API-Key": key}),
    ]
    print(f"batch: {per_batch} samples ({hosts} hosts x 100 metrics, 20 watched by rules), {len(body) / 1e6:.2f} MB")
    print(f"{'target':<28} {'clients':>7} {'samples/s':>10} {'batch p50 ms':>12} {'p99 ms':>8} {'errors':>6}")
    best: dict[str, float] = {}
    try:
        for name, url, path, headers in targets:
            for level in levels:
                accepted, errors, latencies = asyncio.run(post_batches(url, path, body, headers, level, seconds))
                rate = accepted * per_batch / seconds
                best[name] = max(best.get(name, 0.0), rate)
                p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
                p99 = percentile(latencies, 0.99) * 1000 if latencies else float("nan")
                print(f"{name:<28} {level:>7} {rate:>10.0f} {p50:>12.1f} {p99:>8.1f} {errors:>6}")
    finally:
        ceiling.terminate()
        ceiling.wait(10)
    service = best["monitoring service"]
    print(f"\nbest: {service:.0f} samples/s ingested and evaluated (goal 50,000/s); "
          f"{service / best['raw HTTP (body read only)']:.2f} of the raw HTTP ceiling, "
          f"{service / best['FastAPI validate only']:.2f} of validation alone\n")  # fmt: skip


def start_peers(run_dir: Path, count: int) -> tuple[list[subprocess.Popen[bytes]], list[int]]:
    ports = [free_port() for _ in range(count)]
    peers = [subprocess.Popen(["storescp", "--fork", "-aet", "BENCHSCP", "-od", str(run_dir), str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for port in ports]  # fmt: skip
    for port in ports:
        wait_for(lambda p=port: port_open(p), 30, f"storescp on {port}")
    return peers, ports


async def echo_round(stack: Stack, namespace: str, admin: str, site: str, ports: list[int], nodes: int) -> None:
    url = stack.service_url("monitoring")
    headers = {"Authorization": f"Bearer {admin}"}
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        gate = asyncio.Semaphore(8)

        async def register(i: int) -> None:
            body = {"site_id": site, "name": f"node-{i:04d}", "ae_title": f"NODE{i:04d}", "host": "127.0.0.1",
                    "port": ports[i % len(ports)], "calling_ae_title": "PSO_MONITOR"}  # fmt: skip
            async with gate:
                response = await client.post("/api/v1/dicom-nodes", json=body)
                assert response.status_code == 201, response.text

        await asyncio.gather(*(register(i) for i in range(nodes)))
    print(f"registered {nodes} nodes in {time.perf_counter() - started:.1f} s")
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.database_urls["monitoring"])
    collection = mongo[f"{namespace}_monitoring"]["dicom_nodes"]

    async def probed_since(at: datetime) -> int:
        return await collection.count_documents({"last_probe.checked_at": {"$gte": at}})

    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:  # the first round, as they are registered
        if await probed_since(datetime(2000, 1, 1, tzinfo=UTC)) >= nodes:
            break
        await asyncio.sleep(0.2)
    due = datetime.now(UTC)
    await collection.update_many({}, {"$set": {"next_probe_at": due}})  # every node due at once
    started = time.perf_counter()
    done = 0
    while done < nodes and time.perf_counter() < started + 120:
        await asyncio.sleep(0.1)
        done = await probed_since(due)
    elapsed = time.perf_counter() - started
    up = await collection.count_documents({"last_probe.checked_at": {"$gte": due}, "last_probe.up": True})
    await mongo.close()
    print(f"echo round: {done} of {nodes} nodes probed ({up} up) {elapsed:.2f} s after all were due "
          f"(goal: under 10 s; {len(ports)} storescp peers on loopback, the service's default pool)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each concurrency level")
    parser.add_argument("--levels", default="1,2,4", help="client concurrency levels")
    parser.add_argument("--hosts", type=int, default=50, help="hosts per batch (100 metrics each)")
    parser.add_argument("--nodes", type=int, default=1000, help="DICOM nodes to register and echo")
    parser.add_argument("--peers", type=int, default=4, help="storescp processes behind the nodes")
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    with tempfile.TemporaryDirectory(prefix="pacs-bench-") as run_dir:
        namespace = f"bench{uuid.uuid4().hex[:6]}"
        stack = Stack(StackConfig.ephemeral(Path(run_dir), args.amqp_url, None, namespace))
        peers: list[subprocess.Popen[bytes]] = []
        try:
            stack.start()
            creds = seed(stack.gateway_url, stack.database_urls, namespace)
            print(f"conditions: {os.cpu_count()} CPUs, Python {platform.python_version()}, one uvicorn worker per")
            print("service, a SecantusDB process per service, RabbitMQ; the load generator and the")
            print(f"DICOM peers share the machine. Each level runs {args.seconds:.0f} s.\n")
            ingest_rows(stack, Path(run_dir), creds.his_api_key, creds.his_site_id, levels, args.seconds, args.hosts)
            peers, ports = start_peers(Path(run_dir), args.peers)
            asyncio.run(echo_round(stack, namespace, creds.admin_token, creds.his_site_id, ports, args.nodes))
        finally:
            for peer in peers:
                peer.terminate()
            stack.stop()
            asyncio.run(delete_namespace(args.amqp_url, namespace, list(SERVICES)))


if __name__ == "__main__":
    main()
