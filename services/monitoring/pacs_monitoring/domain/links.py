"""A link's silence as an observation: past its allowance a breach, a heartbeat its recovery."""

from __future__ import annotations

from pacs_contracts.common import Severity
from pacs_monitoring.domain.rules import Observation

RULE = "link-silent"
PROBLEM_CLASS = "remote_link"


def silence(link: str, firing: bool, silent_for: float) -> Observation:
    """A link is observed as its own host, under one rule for every link."""
    return Observation(host=link, rule=RULE, problem_class=PROBLEM_CLASS, severity=Severity.major,
                       value=silent_for, threshold=0.0, firing=firing)  # fmt: skip
