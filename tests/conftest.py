"""Real parts for every suite: the RabbitMQ at AMQP_URL and a SecantusDB per service started here (or MONGODB_URL)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from pacs_devstack.processes import secantus_servers
from pacs_devstack.stack import SERVICES
from tests.support import delete_namespace

TIERS = ("unit", "handlers", "integration", "e2e", "browser", "chaos")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test carries its tier's marker, from its folder: `pytest -m "not chaos"`, `-m unit`."""
    for item in items:
        tier = Path(item.path).relative_to(Path(__file__).parent).parts[0]
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def amqp_url() -> str:
    return os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture(scope="session")
def mongodb_urls() -> Iterator[dict[str, str]]:
    """Each service's database server for the whole session, as the platform runs: a SecantusDB process of its
    own (one core each), unless MONGODB_URL points all of them at one server."""
    if url := os.environ.get("MONGODB_URL"):
        yield dict.fromkeys(SERVICES, url)
        return
    with tempfile.TemporaryDirectory(prefix="pacs-db-") as data, secantus_servers(Path(data), SERVICES) as urls:
        yield urls


@pytest.fixture
async def namespace(amqp_url: str) -> AsyncIterator[str]:
    """A fresh bus namespace (exchange, queues) and database prefix per test, removed afterwards."""
    name = f"t{uuid.uuid4().hex[:10]}"
    yield name
    await delete_namespace(amqp_url, name, [*SERVICES, "probe"])
