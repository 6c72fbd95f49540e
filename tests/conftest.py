"""Real parts for every suite: the RabbitMQ at AMQP_URL and a SecantusDB started here (or MONGODB_URL)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from pacs_devstack.processes import free_port, port_open, wait_for
from pacs_devstack.stack import SERVICES
from tests.support import delete_namespace


@pytest.fixture(scope="session")
def amqp_url() -> str:
    return os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture(scope="session")
def mongodb_url() -> Iterator[str]:
    """A SecantusDB subprocess for the whole session, unless MONGODB_URL points elsewhere."""
    if url := os.environ.get("MONGODB_URL"):
        yield url
        return
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="pacs-db-") as data:
        log = (Path(data) / "server.log").open("wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "secantus", "--port", str(port), "--storage-path", f"{data}/wt"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: port_open(port), 30, "SecantusDB")
            yield f"mongodb://127.0.0.1:{port}/?retryWrites=false&directConnection=true"
        finally:
            server.terminate()
            server.wait(15)
            log.close()


@pytest.fixture
async def namespace(amqp_url: str) -> AsyncIterator[str]:
    """A fresh bus namespace (exchange, queues) and database prefix per test, removed afterwards."""
    name = f"t{uuid.uuid4().hex[:10]}"
    yield name
    await delete_namespace(amqp_url, name, [*SERVICES, "probe"])
