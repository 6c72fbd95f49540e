"""When a message's deliveries fall: on-call at once, information in office hours, also for an engineer who
never set contacts (then the defaults that `GET .../contacts` shows them apply)."""

from __future__ import annotations

from datetime import UTC, datetime

from pacs_contracts.api import Contacts
from pacs_notify.domain.plan import INFO, ONCALL, steps

# Thursday 3 December 2026, 04:50 in Shanghai (the default zone), before the default office hours of 08:30
BEFORE_DAWN = datetime(2026, 12, 2, 20, 50, tzinfo=UTC)


def test_information_for_an_engineer_without_contacts_waits_for_the_default_office_hours() -> None:
    [step] = steps(None, INFO, BEFORE_DAWN)
    assert step.channel == "log"
    assert step.due_at == datetime(2026, 12, 3, 0, 30, tzinfo=UTC), "08:30 in Shanghai that Thursday"


def test_an_on_call_message_for_an_engineer_without_contacts_goes_at_once() -> None:
    [step] = steps(None, ONCALL, BEFORE_DAWN)
    assert (step.channel, step.due_at) == ("log", BEFORE_DAWN)


def test_information_waits_over_the_weekend_in_the_engineers_own_zone() -> None:
    contacts = Contacts.model_validate({"time_zone": "Europe/Berlin", "phones": ["+4930123456"],
                                        "rules": [{"channel": "sms"}]})  # fmt: skip
    saturday_noon = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)
    [step] = steps(contacts, INFO, saturday_noon)
    assert step.due_at == datetime(2026, 12, 7, 7, 30, tzinfo=UTC), "Monday 08:30 in Berlin"
