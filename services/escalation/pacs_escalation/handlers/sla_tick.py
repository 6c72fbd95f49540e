"""On every tick: breach and escalate the incidents whose next clock check has come.

The tick only wakes this instance's pacer, which sweeps at once and then at every slot until the
next tick (domain/pacer.py, jobs/pace_clocks.py, usecases/clocks.py). All sweeps of an instance run
one after the other in one loop; sweeps of several instances are kept apart by guarded writes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pacs_contracts.events import SlaTick
from pacs_escalation.deps import EscalationDeps
from pacs_kit.uow import Tx


async def handle(event: SlaTick, *, tx: Tx, deps: EscalationDeps) -> None:
    # A tick is only the trigger: a late one still acts on everything due by now.
    deps.pacer.tick(max(event.at, datetime.now(UTC)))
