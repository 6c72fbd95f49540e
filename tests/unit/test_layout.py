"""The rooms of a service, kept as the README draws them.

Every service has the same rooms: `domain/` (rules, no I/O), `adapters/` (repositories and outward clients),
`usecases/` (operations routes, handlers and jobs share), `handlers/` (one module per consumed event), `jobs/`
(long-running loops on the kit's WorkLoop), `routes/` (HTTP), `deps.py` (wiring) and `main.py` (the spec). The
checks read the source, so a module that strays fails here before anyone has to ask where it belongs."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pacs_kit.services import SERVICES

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def _package(service: str) -> Path:
    return ROOT / "services" / service / f"pacs_{service}"


def _modules(service: str) -> dict[str, Path]:
    """Module name -> file, for every module of the service."""
    package = _package(service)
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The service's own modules that `path` imports, at any depth of the file (TYPE_CHECKING blocks included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return {name for name in found if name in modules}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, as the modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def _graph(service: str) -> dict[str, set[str]]:
    modules = _modules(service)
    # a package's __init__ imports nothing of its own here, so importing `pkg.mod` need not be taken as importing pkg
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _imports_of(service: str, room: str, wrong: Callable[[str], bool]) -> list[str]:
    """`module imports target` for each of the room's imports of its own service that `wrong` picks out."""
    return sorted(f"{module} imports {target}" for module, targets in _graph(service).items()
                  if module.startswith(f"pacs_{service}.{room}") for target in targets if wrong(target))  # fmt: skip


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_has_no_import_cycle(service: str) -> None:
    cycle = _cycle(_graph(service))
    assert cycle is None, f"{service} imports in a circle: {' -> '.join(cycle or [])}"


@pytest.mark.parametrize("service", SERVICES)
def test_adapters_never_reach_back_into_their_service(service: str) -> None:
    """Adapters are repositories and outward clients: they do not know the wiring, the handlers or the jobs."""
    inward = ("deps", "handlers", "jobs", "usecases", "routes", "main")
    strays = _imports_of(service, "adapters", lambda target: target.split(".")[1] in inward)
    assert not strays, f"{service}: an adapter reaches into its service: {strays}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_domain_does_no_io_and_imports_only_the_domain(service: str) -> None:
    strays = _imports_of(service, "domain", lambda target: not target.startswith(f"pacs_{service}.domain"))
    assert not strays, f"{service}: the domain imports what is not the domain: {strays}"
    io = re.compile(r"^\s*(import|from)\s+(httpx|pymongo|aio_pika|fastapi|pacs_kit\.(mongo|bus|uow))\b", re.M)
    for name, path in _modules(service).items():
        if name.startswith(f"pacs_{service}.domain"):
            assert not io.search(path.read_text(encoding="utf-8")), f"{name} does I/O"


def _hand_written_loops(path: Path) -> Iterator[int]:
    """Lines of endless loops that sleep or wait between rounds: work for the kit's WorkLoop. (A loop bounded by
    a request, as a page's event stream or a wait with a deadline, ends with its request and is not one.)"""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.While) and isinstance(node.test, ast.Constant) and node.test.value is True):
            continue
        for inner in ast.walk(node):
            call = inner.func if isinstance(inner, ast.Call) else None
            if isinstance(call, ast.Attribute) and call.attr in ("sleep", "wait_for"):
                yield node.lineno
                break


@pytest.mark.parametrize("service", SERVICES)
def test_no_background_loop_is_written_by_hand(service: str) -> None:
    loops = [f"{path.relative_to(ROOT)}:{line}" for path in _modules(service).values()
             for line in _hand_written_loops(path)]  # fmt: skip
    assert not loops, f"{service}: loops that sleep between rounds, for a WorkLoop in jobs/: {loops}"


def _builds_a_work_loop(path: Path) -> bool:
    """Whether the module calls `WorkLoop(...)` or `WorkLoop.every(...)` (a mention in a comment is not enough)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func.value if isinstance(node.func, ast.Attribute) else node.func
            if isinstance(func, ast.Name) and func.id == "WorkLoop":
                return True
    return False


@pytest.mark.parametrize("service", SERVICES)
def test_every_job_runs_on_the_kits_work_loop(service: str) -> None:
    for name, path in _modules(service).items():
        if name.startswith(f"pacs_{service}.jobs.") and not _builds_a_work_loop(path):
            pytest.fail(f"{name} is a job that does not run on pacs_kit.loop.WorkLoop")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.mark.parametrize("service", SERVICES)
def test_each_consumed_event_has_its_handler_module_named_after_it(service: str) -> None:
    main = importlib.import_module(f"pacs_{service}.main")
    handlers = getattr(main, "HANDLERS", {})
    for event, handle in handlers.items():
        where = f"pacs_{service}.handlers.{_snake(event.__name__)}"
        assert (handle.__module__, handle.__name__) == (where, "handle"), (
            f"{service}: {event.__name__} is handled by {handle.__module__}.{handle.__name__}, not {where}.handle"
        )
    modules = {n for n in _modules(service) if n.startswith(f"pacs_{service}.handlers.")}
    named = {f"pacs_{service}.handlers.{_snake(e.__name__)}" for e in handlers}
    assert modules <= named, f"{service}: modules in handlers/ that handle no event: {sorted(modules - named)}"


def test_the_readme_picture_names_rooms_and_files_that_exist() -> None:
    """The picture of the rooms and of one fault's path names real modules: renaming one without the picture
    fails here."""
    text = README.read_text(encoding="utf-8")
    picture = text[text.index("<!-- rooms -->") : text.index("<!-- /rooms -->")]
    named = set(re.findall(r"\b((?:services|libs)/[\w/]+\.py)\b", picture))
    assert len(named) >= 8, "the picture names the files a fault passes through"
    missing = sorted(n for n in named if not (ROOT / n).is_file())
    assert not missing, f"the README's picture names files that do not exist: {missing}"
    for room in ("domain/", "adapters/", "usecases/", "handlers/", "jobs/", "routes/", "deps.py", "main.py"):
        assert room in picture, f"the picture leaves out {room}"
