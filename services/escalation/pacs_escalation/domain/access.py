"""Which incidents a caller may see: pure, from the caller's roles, identity and regions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pacs_contracts.common import Role

# who answers for the whole estate: the call centre logs calls for any hospital, supervisors and admins oversee
WHOLE_ESTATE = frozenset({Role.call_agent.value, Role.supervisor.value, Role.admin.value})


def incident_filter(roles: Iterable[str], subject: str, regions: Iterable[str]) -> dict[str, Any]:
    """A query filter: nothing for the whole estate; for an engineer, the regions they serve and what they own."""
    if WHOLE_ESTATE & set(roles):
        return {}
    return {"$or": [{"region": {"$in": sorted(set(regions))}}, {"assignee_id": subject}]}
