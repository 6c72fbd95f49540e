"""Intake's handlers, without the broker: a fault follows the incident opened for it (once), a proactive incident
touches no fault, and a registered site is one faults and calls may name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pacs_contracts.api import FaultCreate
from pacs_contracts.events import SiteRegistered
from pacs_intake.domain.fault import from_his
from pacs_kit.uow import Tx
from tests.factories import make_incident_opened


async def _received_fault(intake: Any) -> dict[str, Any]:
    """A HIS fault stored as the faults route stores it: received, with no incident yet."""
    body = FaultCreate(site_id="SITE-1", external_ref="HIS-1", code="PACS-ARCHIVE-DOWN", description="Archive down")
    fault = from_his(body, datetime.now(UTC))

    async def save(tx: Tx) -> None:
        intake.deps.faults.add_on_commit(tx, fault)

    await intake.kit.uow.run(save)
    return fault


async def test_an_opened_incident_is_linked_to_its_fault_once(bench: Any) -> None:
    intake = await bench("intake")
    fault = await _received_fault(intake)
    opened = intake.envelope(make_incident_opened(incident_id="INC-7", fault_id=fault["_id"]))

    assert await intake.deliver(opened, opened) == ["handled", "duplicate"]
    await intake.deliver(make_incident_opened(incident_id="INC-8", fault_id=fault["_id"]))

    (linked,) = await intake.stored("faults")
    assert (linked["status"], linked["incident_id"]) == ("incident_opened", "INC-7"), "the first incident keeps it"


async def test_an_incident_without_a_fault_changes_no_fault(bench: Any) -> None:
    intake = await bench("intake")
    await _received_fault(intake)
    before = await intake.stored("faults")

    assert await intake.deliver(make_incident_opened(fault_id=None)) == ["handled"]

    assert await intake.stored("faults") == before
    assert before[0]["status"] == "received" and before[0]["incident_id"] is None
    assert await intake.emitted() == []


async def test_an_incident_for_a_fault_intake_never_received_is_handled_and_stores_nothing(bench: Any) -> None:
    intake = await bench("intake")

    assert await intake.deliver(make_incident_opened(fault_id="PMF-PM-1-1")) == ["handled"]

    assert await intake.stored("faults") == []


async def test_a_registered_site_is_kept_and_may_be_named_by_faults(bench: Any) -> None:
    intake = await bench("intake")
    assert not await intake.deps.sites.exists("SITE-1")

    await intake.deliver(SiteRegistered(site_id="SITE-1", name="Demo Hospital", region="east",
                                        account_engineer_id="ENG-1", time_zone="Asia/Shanghai"))  # fmt: skip

    assert await intake.stored("sites") == [
        {"_id": "SITE-1", "name": "Demo Hospital", "region": "east", "time_zone": "Asia/Shanghai"}
    ]
    assert await intake.deps.sites.exists("SITE-1")
