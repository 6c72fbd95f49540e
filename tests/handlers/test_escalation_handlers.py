"""Escalation's handlers, without the broker: a fault opens one incident for the site's account engineer and puts
`incident.opened` in the outbox; the same event twice is handled once; a second call about an open incident is
counted on it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_fault_event, make_site
from tests.handlers.conftest import types_of


async def _with_site(bench: Any) -> Any:
    escalation = await bench("escalation")
    await escalation.kit.mongo.db["sites"].insert_one(make_site())
    return escalation


async def test_a_fault_opens_one_incident_for_the_account_engineer_and_announces_it(bench: Any) -> None:
    escalation = await _with_site(bench)
    event = escalation.envelope(make_fault_event(fault_id="F-7"), correlation_id="corr-7")

    assert await escalation.deliver(event, event) == ["handled", "duplicate"]

    (incident,) = await escalation.stored("incidents")
    assert (incident["fault_id"], incident["site_id"], incident["tier"]) == ("F-7", "SITE-1", "L1")
    assert incident["assignee_id"] == "ENG-1"
    (opened,) = await escalation.emitted("incident.opened")
    assert opened["payload"]["incident_id"] == incident["_id"]
    assert opened["correlation_id"] == "corr-7", "the fault's correlation id goes on with the incident"


async def test_a_second_call_about_an_open_incident_is_counted_on_it_not_opened_again(bench: Any) -> None:
    escalation = await _with_site(bench)
    await escalation.deliver(make_fault_event(fault_id="F-1"))
    (incident,) = await escalation.stored("incidents")

    await escalation.deliver(make_fault_event(fault_id="F-2", source="call", incident_id=incident["_id"]))

    (again,) = await escalation.stored("incidents")
    assert [e["fault_id"] for e in again["timeline"] if e["what"] == "call_logged"] == ["F-2"]
    assert types_of(await escalation.emitted()) == ["incident.opened"]


async def test_a_fault_for_a_site_escalation_does_not_know_is_refused_and_nothing_is_kept(bench: Any) -> None:
    escalation = await bench("escalation")
    with pytest.raises(LookupError, match="SITE-404"):
        await escalation.deliver(make_fault_event(site_id="SITE-404"))
    assert await escalation.stored("incidents") == [] and await escalation.emitted() == []
