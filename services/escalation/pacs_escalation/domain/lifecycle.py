"""The incident lifecycle as a table: (state, action) -> state."""

from __future__ import annotations

from enum import StrEnum

from pacs_contracts.common import IncidentState as State


class Action(StrEnum):
    acknowledge = "acknowledge"
    request_on_site = "request-on-site"
    check_in = "check-in"
    pend = "pending"
    resume = "resume"
    resolve = "resolve"
    reopen = "reopen"
    close = "close"


# Resuming returns to the state the incident was paused in; the incident remembers it.
PREVIOUS = "previous"
WORKING = (State.acknowledged, State.on_site_required, State.on_site)

TRANSITIONS: dict[tuple[State, Action], State | str] = {
    (State.opened, Action.acknowledge): State.acknowledged,
    (State.acknowledged, Action.request_on_site): State.on_site_required,
    (State.on_site_required, Action.check_in): State.on_site,
    **{(state, Action.pend): State.pending_customer for state in WORKING},
    (State.pending_customer, Action.resume): PREVIOUS,
    **{(state, Action.resolve): State.resolved for state in (State.opened, *WORKING)},
    (State.resolved, Action.reopen): State.opened,
    (State.closed, Action.reopen): State.opened,
    (State.resolved, Action.close): State.closed,
}


class IllegalTransition(ValueError):
    def __init__(self, state: State, action: Action) -> None:
        allowed = sorted(a.value for (s, a) in TRANSITIONS if s == state)
        super().__init__(
            f"cannot {action.value} an incident that is {state.value}; allowed now: {', '.join(allowed) or 'nothing'}"
        )


def allowed(state: State) -> list[Action]:
    """The lifecycle actions open to an incident in `state`, in the table's order."""
    return [action for (s, action) in TRANSITIONS if s == state]


def next_state(state: State, action: Action, paused_from: State | None = None) -> State:
    """The state after `action`, or IllegalTransition."""
    target = TRANSITIONS.get((state, action))
    if target is None:
        raise IllegalTransition(state, action)
    if target == PREVIOUS:
        return paused_from or State.acknowledged
    return State(target)
