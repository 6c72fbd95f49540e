"""One scheduler ticks; when it goes away the other takes over."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pacs_contracts.events import SlaTick
from pacs_kit.auth import TokenIssuer
from pacs_scheduler.main import create_app
from pacs_scheduler.settings import SchedulerSettings
from tests.integration.conftest import running
from tests.support import eventually


def _supervisor(settings: SchedulerSettings) -> dict[str, str]:
    issuer = TokenIssuer.of(settings)
    return {"Authorization": f"Bearer {issuer.mint('ops', ['supervisor'], timedelta(minutes=5))}"}


async def test_exactly_one_instance_ticks_and_the_other_takes_over(
    settings_for: Callable[..., Any], tap: Callable[..., Any]
) -> None:
    ticks = await tap(SlaTick.type)
    instances = {name: settings_for(SchedulerSettings, instance_id=name) for name in ("sched-a", "sched-b")}
    headers = _supervisor(instances["sched-a"])
    stacks = {name: contextlib.AsyncExitStack() for name in instances}
    clients = {
        name: await stacks[name].enter_async_context(running(create_app(settings), headers))
        for name, settings in instances.items()
    }
    try:
        await ticks.at_least(3, timeout=10, what="three ticks")
        clocks = {name: (await client.get("/api/v1/clock")).json() for name, client in clients.items()}
        leaders = [name for name, clock in clocks.items() if clock["this_instance_ticks"]]
        assert len(leaders) == 1, clocks
        sequences = [t["payload"]["sequence"] for t in ticks.received]
        assert sequences == sorted(set(sequences)), "one ticker: strictly increasing, no tick twice"

        leader = leaders[0]
        follower = next(name for name in instances if name != leader)
        await stacks.pop(leader).aclose()

        async def follower_ticks() -> bool:
            return bool((await clients[follower].get("/api/v1/clock")).json()["this_instance_ticks"])

        await eventually(follower_ticks, timeout=5, what="takeover by the other instance")
        before = len(await ticks.drain())
        await ticks.at_least(before + 2, timeout=5, what="ticks from the new holder")
        sequences = [t["payload"]["sequence"] for t in ticks.received]
        assert sequences == sorted(set(sequences)), "the sequence continues across the takeover"
    finally:
        for stack in stacks.values():
            await stack.aclose()
