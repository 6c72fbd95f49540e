"""How a handler wakes the job that sends messages, without knowing the job. Pure."""

from __future__ import annotations

from collections.abc import Callable


class Doorbell:
    """Rung as new messages commit; the job answers by hanging its loop's `wake` here when it starts. A ring
    before then is lost, and harmless: the job looks for due messages as it starts."""

    def __init__(self) -> None:
        self._wake: Callable[[], None] | None = None

    def answer_with(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def ring(self) -> None:
        if self._wake is not None:
            self._wake()
