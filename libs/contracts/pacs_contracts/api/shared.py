"""Answer shapes every API shares: a page of a listing, and a problem (RFC 9457)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from pacs_contracts.envelope import Contract

T = TypeVar("T")


class Page(Contract, Generic[T]):
    items: list[T]
    total: int | None = Field(
        None, description="how many match: on listings paged by cursor only when asked (`total=true`), up to 10,000"
    )
    next: str | None = Field(None, description="the link to the next page (with its `cursor`), when there is one")


class ProblemDetails(BaseModel):
    """Every error answer (RFC 9457): what kind of problem, its HTTP status, and what was wrong."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="a URI naming the kind of problem")
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = Field(None, description="each invalid field, for a 422")
