"""The layout checks, checked: each violation planted in a throwaway service must be reported by the checks of
`test_layout.py`, and what is allowed must not."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.unit.test_layout import (
    _adapters_reaching_back,
    _builds_a_work_loop,
    _cycle,
    _domain_importing_more,
    _graph,
    _hand_written_loops,
)  # fmt: skip


def _plant(root: Path, files: dict[str, str]) -> Path:
    """A throwaway service `demo` under `root`, its rooms holding `files` (path in the package -> source)."""
    package = root / "services" / "demo" / "pacs_demo"
    for room in ("", "adapters", "domain", "handlers", "jobs", "routes", "usecases"):
        (package / room).mkdir(parents=True, exist_ok=True)
        (package / room / "__init__.py").touch()
    for where, source in files.items():
        (package / where).write_text(textwrap.dedent(source), encoding="utf-8")
    return package


def test_the_import_checks_see_absolute_relative_and_type_only_imports(tmp_path: Path) -> None:
    package = _plant(tmp_path, {
        "__init__.py": "VERSION = '1'\n",
        "deps.py": "class Deps: ...\n",
        "handlers/fault_reported.py": "def handle() -> None: ...\n",
        "domain/fault.py": "class Fault: ...\n",
        "domain/rules.py": "from ..adapters import records\n",
        "adapters/absolute.py": "from pacs_demo.deps import Deps\n",
        "adapters/relative.py": "from ..deps import Deps\n",
        "adapters/module.py": "from .. import deps\n",
        "adapters/handler.py": "from ..handlers.fault_reported import handle\n",
        "adapters/typed.py": """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from ..deps import Deps
            """,
        "adapters/records.py": "from .. import VERSION\nfrom . import base\nfrom ..domain.fault import Fault\n",
        "adapters/base.py": "class Base: ...\n",
    })  # fmt: skip
    assert _adapters_reaching_back(package) == [
        "pacs_demo.adapters.absolute imports pacs_demo.deps",
        "pacs_demo.adapters.handler imports pacs_demo.handlers.fault_reported",
        "pacs_demo.adapters.module imports pacs_demo.deps",
        "pacs_demo.adapters.relative imports pacs_demo.deps",
        "pacs_demo.adapters.typed imports pacs_demo.deps",
    ]
    assert _domain_importing_more(package) == ["pacs_demo.domain.rules imports pacs_demo.adapters.records"]


@pytest.mark.parametrize(
    ("a", "b", "cycle"),
    [
        ("from pacs_demo.usecases import b\n", "from . import a\n", True),
        ("from .b import B\nclass A: ...\n",
         "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import A\nclass B: ...\n", True),
        ("from .b import B\n", "class B: ...\n", False),
    ],
    ids=["plain", "type-checking", "none"],
)  # fmt: skip
def test_the_cycle_check_sees_a_two_module_cycle(tmp_path: Path, a: str, b: str, cycle: bool) -> None:
    package = _plant(tmp_path, {"usecases/a.py": a, "usecases/b.py": b})
    expected = ["pacs_demo.usecases.a", "pacs_demo.usecases.b", "pacs_demo.usecases.a"] if cycle else None
    assert _cycle(_graph(package)) == expected


HAND_WRITTEN = {
    "sleep_forever": """
        import asyncio
        async def run() -> None:
            while True:
                await asyncio.sleep(1)
        """,
    "until_stopped": """
        import asyncio
        async def run(stop: asyncio.Event) -> None:
            while not stop.is_set():
                await asyncio.sleep(5)
        """,
    "on_the_bell": """
        async def run(bell, work) -> None:
            while True:
                await bell.wait()
                await work()
        """,
    "off_the_queue": """
        async def run(queue, handle) -> None:
            while True:
                item = await queue.get()
                await handle(item)
        """,
    "bare_sleep": """
        from asyncio import sleep
        async def run(work) -> None:
            while True:
                await work()
                await sleep(1)
        """,
    "renamed_sleep": """
        from asyncio import sleep as nap
        async def run(work) -> None:
            while True:
                await work()
                await nap(1)
        """,
    "with_a_timeout": """
        import asyncio, contextlib
        async def run(bell, work) -> None:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(bell.wait(), timeout=5)
                await work()
        """,
    "in_a_stream": """
        import asyncio
        def page(changed):
            async def stream():
                while True:
                    yield await changed.get()
            return stream()
        """,
    "blocking_sleep": """
        import time
        def run(work) -> None:
            while True:
                work()
                time.sleep(1)
        """,
}
ALLOWED = {
    "jobs/tick.py": """
        from pacs_kit.loop import WorkLoop
        async def tick(kit, deps) -> None:
            await WorkLoop.every("tick", 1.0, deps.tick).run()
        """,
    "routes/events.py": """
        import asyncio
        async def changes(request, changed):
            while not await request.is_disconnected():
                try:
                    yield await asyncio.wait_for(changed.get(), timeout=15)
                except TimeoutError:
                    yield ": still here"
        """,
    "routes/poll.py": """
        import asyncio, time
        async def incident_of(platform, fault_id):
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if items := await platform.get("/api/v1/incidents", {"fault_id": fault_id}):
                    return items[0]
                await asyncio.sleep(0.2)
            return None
        """,
    "adapters/window.py": """
        async def latest(collection, limit, span, kept):
            while True:
                found = await collection.find({"span": span}).limit(limit).to_list()
                if len(found) >= limit or span >= kept:
                    return found
                span = min(span * 8, kept)
        """,
    "adapters/pages.py": """
        async def everything(client, url):
            items, cursor = [], ""
            while cursor is not None:
                page = await client.get(url, params={"cursor": cursor})
                items.extend(page["items"])
                cursor = page.get("next")
            return items
        """,
}


def test_the_loop_check_sees_each_hand_written_loop_and_spares_the_bounded_ones(tmp_path: Path) -> None:
    package = _plant(tmp_path, {**{f"usecases/{name}.py": source for name, source in HAND_WRITTEN.items()}, **ALLOWED})
    reported = [Path(loop.rpartition(":")[0]) for loop in _hand_written_loops(package)]
    assert sorted(path.stem for path in reported) == sorted(HAND_WRITTEN)
    assert {path.parent.name for path in reported} == {"usecases"}
    assert _builds_a_work_loop(package / "jobs" / "tick.py")
