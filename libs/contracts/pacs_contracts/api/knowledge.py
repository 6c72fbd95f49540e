"""The escalation database: past cases, imported or filed from incidents, and searches over them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from pacs_contracts.common import CausedBy, Identifier, LongText, ShortText, Tier
from pacs_contracts.envelope import Contract

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Field(max_length=20)]


class KnowledgeCaseCreate(Contract):
    """One historical escalation record to import into the escalation database."""

    external_id: Identifier = Field(description="the record's id in the system it came from; re-import updates it")
    title: ShortText
    symptom: LongText
    root_cause: LongText | None = None
    resolution: LongText | None = None
    product: ShortText | None = None
    version: ShortText | None = None
    module: ShortText | None = None
    tags: Tags = []


class KnowledgeImported(Contract):
    received: int
    created: int
    updated: int


class KnowledgeEscalation(Contract):
    at: datetime
    from_tier: Tier
    to_tier: Tier
    reason: str


class KnowledgeCasePublic(Contract):
    external_id: Identifier
    source: str = Field(description="import: a historical record; incident: filed from an incident on this platform")
    status: str = Field(description="resolved, or open while the incident is still being worked")
    title: str
    symptom: str
    root_cause: str | None
    resolution: str | None
    product: str | None
    version: str | None
    module: str | None
    tags: list[str]
    caused_by: CausedBy | None = None
    site_id: Identifier | None = None
    escalations: list[KnowledgeEscalation] = []
    updated_at: datetime


class KnowledgeHit(KnowledgeCasePublic):
    score: float = Field(
        description="higher is closer: the similarity of meaning to the query (at most 1), plus a little for shared "
        "words and for a product, module or version named or asked for"
    )


class KnowledgeResults(Contract):
    query: str
    items: list[KnowledgeHit]
