"""The rooms of a service, kept as the README draws them.

Every service has the same rooms: `domain/` (rules, no I/O), `adapters/` (repositories and outward clients),
`usecases/` (operations routes, handlers and jobs share), `handlers/` (one module per consumed event), `jobs/`
(long-running loops on the kit's WorkLoop), `routes/` (HTTP), `deps.py` (wiring) and `main.py` (the spec). The
checks read the source, so a module that strays fails here before anyone has to ask where it belongs."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pacs_kit.services import SERVICES

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

# What a loop awaits to pace itself between rounds, called on anything (`asyncio.sleep`, `bell.wait`, `queue.get`)
# or by a bare name (`from asyncio import sleep`)
PACING = frozenset({"sleep", "wait", "wait_for", "get"})
# a clock read in a loop's condition bounds it by a deadline: `while time.monotonic() < deadline`
CLOCKS = frozenset({"monotonic", "time", "perf_counter", "now"})
INWARD = frozenset({"deps", "handlers", "jobs", "usecases", "routes", "main"})


def _package(service: str) -> Path:
    return ROOT / "services" / service / f"pacs_{service}"


def _modules(package: Path) -> dict[str, Path]:
    """Module name -> file, for every module of the package."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _room(module: str) -> str:
    """The room a module of a service lives in: `pacs_x.adapters.repo` -> `adapters` (the package itself: "")."""
    return module.split(".")[1] if "." in module else ""


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's own modules that module `name` imports, at any depth of the file (TYPE_CHECKING blocks
    included), relative imports (`from ..deps import X`, `from . import deps`) resolved against its package."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
    return {imported for imported in found if imported in modules}


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


def _graph(package: Path) -> dict[str, set[str]]:
    modules = _modules(package)
    # a package's __init__ imports nothing of its own here, so importing `pkg.mod` need not be taken as importing pkg
    return {name: _imports(name, path, modules) - {name} for name, path in modules.items()}


def _imports_of(package: Path, room: str, wrong: Callable[[str], bool]) -> list[str]:
    """`module imports target` for each of the room's imports of its own package that `wrong` picks out."""
    return sorted(f"{module} imports {target}" for module, targets in _graph(package).items()
                  if _room(module) == room for target in targets if wrong(target))  # fmt: skip


def _adapters_reaching_back(package: Path) -> list[str]:
    """Adapters are repositories and outward clients: they do not know the wiring, the handlers or the jobs."""
    return _imports_of(package, "adapters", lambda target: _room(target) in INWARD)


def _domain_importing_more(package: Path) -> list[str]:
    return _imports_of(package, "domain", lambda target: _room(target) != "domain")


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_has_no_import_cycle(service: str) -> None:
    cycle = _cycle(_graph(_package(service)))
    assert cycle is None, f"{service} imports in a circle: {' -> '.join(cycle or [])}"


@pytest.mark.parametrize("service", SERVICES)
def test_adapters_never_reach_back_into_their_service(service: str) -> None:
    strays = _adapters_reaching_back(_package(service))
    assert not strays, f"{service}: an adapter reaches into its service: {strays}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_domain_does_no_io_and_imports_only_the_domain(service: str) -> None:
    strays = _domain_importing_more(_package(service))
    assert not strays, f"{service}: the domain imports what is not the domain: {strays}"
    io = re.compile(r"^\s*(import|from)\s+(httpx|pymongo|aio_pika|fastapi|pacs_kit\.(mongo|bus|uow))\b", re.M)
    for name, path in _modules(_package(service)).items():
        if _room(name) == "domain":
            assert not io.search(path.read_text(encoding="utf-8")), f"{name} does I/O"


def _called(call: ast.Call, aliases: dict[str, str]) -> str | None:
    """The name a call calls: `asyncio.sleep(1)` and `sleep(1)` both `sleep`; `nap(1)` too, after
    `from asyncio import sleep as nap`."""
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return aliases.get(call.func.id, call.func.id)
    return None


def _paces(call: ast.Call, aliases: dict[str, str]) -> bool:
    # `queue.get()` waits for the next item; `client.get(url)` is a request, work rather than a pause
    name = _called(call, aliases)
    return name in PACING and not (name == "get" and call.args)


def _own_nodes(roots: list[ast.AST]) -> Iterator[ast.AST]:
    """The nodes of the code under `roots`, leaving out functions and classes defined there (they run elsewhere)."""
    for root in roots:
        if not isinstance(root, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            yield root
            yield from _own_nodes(list(ast.iter_child_nodes(root)))


def _bounded(test: ast.expr, aliases: dict[str, str]) -> bool:
    """Whether a loop's condition ends it with its request (`while not await request.is_disconnected()`, a page's
    event stream) or at a deadline (`while time.monotonic() < deadline`): the loops the README allows."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_bounded(value, aliases) for value in test.values)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Await):
        awaited = test.operand.value
        return isinstance(awaited, ast.Call) and _called(awaited, aliases) == "is_disconnected"
    if isinstance(test, ast.Compare):
        sides = [test.left, *test.comparators]
        return any(isinstance(side, ast.Call) and _called(side, aliases) in CLOCKS for side in sides)
    return False


def _loops_in(path: Path) -> Iterator[int]:
    """Lines of `while` loops that pace themselves: they await a sleep, a wait, a `wait_for` or a queue's `get`
    between rounds (or sleep at all). That is work for the kit's WorkLoop, unless the loop is bounded by its
    request or a deadline."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases = {alias.asname: alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               for alias in node.names if alias.asname and alias.name in PACING}  # fmt: skip
    for node in ast.walk(tree):
        if not isinstance(node, ast.While) or _bounded(node.test, aliases):
            continue
        inside = list(_own_nodes([node.test, *node.body]))
        awaited = _own_nodes([inner.value for inner in inside if isinstance(inner, ast.Await)])
        if any(isinstance(call, ast.Call) and _paces(call, aliases) for call in awaited) or any(
            isinstance(call, ast.Call) and _called(call, aliases) == "sleep" for call in inside
        ):
            yield node.lineno


def _hand_written_loops(package: Path) -> list[str]:
    """`file:line` of each loop in the package that paces itself by hand."""
    return [f"{path.relative_to(package.parents[2])}:{line}" for path in _modules(package).values()
            for line in _loops_in(path)]  # fmt: skip


@pytest.mark.parametrize("service", SERVICES)
def test_no_background_loop_is_written_by_hand(service: str) -> None:
    loops = _hand_written_loops(_package(service))
    assert not loops, (
        f"{service}: loops that sleep, wait or get between rounds, to be jobs/ on pacs_kit.loop.WorkLoop: {loops}"
    )


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
    for name, path in _modules(_package(service)).items():
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
    modules = {n for n in _modules(_package(service)) if n.startswith(f"pacs_{service}.handlers.")}
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
