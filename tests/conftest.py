"""Real parts for every suite: the RabbitMQ at AMQP_URL and a SecantusDB started here (or MONGODB_URL)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from pacs_devstack.processes import secantus
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
    with tempfile.TemporaryDirectory(prefix="pacs-db-") as data, secantus(Path(data) / "wt", Path(data) / "log") as url:
        yield url


@pytest.fixture
async def namespace(amqp_url: str) -> AsyncIterator[str]:
    """A fresh bus namespace (exchange, queues) and database prefix per test, removed afterwards."""
    name = f"t{uuid.uuid4().hex[:10]}"
    yield name
    await delete_namespace(amqp_url, name, [*SERVICES, "probe"])
