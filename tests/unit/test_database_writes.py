"""Every update of many documents runs in a transaction: the caller's (a `session=`) or one of its own
(`Repository.update_many_tx`). Outside one, a write conflict with the open transaction of a killed process
wedged the database server under the fault tests (see pacs_kit/mongo.py)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MANY = {"update_many"}


def _outside_a_transaction(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr in MANY and not any(k.arg == "session" for k in node.keywords):
            found.append(f"{path.relative_to(root)}:{node.lineno} {node.func.attr}")
    return found


def test_no_update_of_many_documents_runs_outside_a_transaction() -> None:
    sources = [p for top in ("libs", "services") for p in (ROOT / top).rglob("*.py")]
    assert len(sources) > 50, "the sources were found"
    offending = [hit for path in sources for hit in _outside_a_transaction(path)]
    assert offending == [], offending


def test_the_check_sees_a_write_without_a_session(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("async def f(c, s):\n    await c.update_many({}, {})\n    await c.update_many({}, {}, session=s)")
    assert _outside_a_transaction(sample, tmp_path) == ["sample.py:2 update_many"]
