"""A hospital's named contacts: who at the hospital is told of what, by e-mail, in which language. Staff of the
hospital as business contacts, never patients."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from pacs_contracts.common import ShortText
from pacs_contracts.envelope import Contract

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# a dot-atom address at a domain of two labels or more: no spaces, quotes or line breaks, so it is safe in a header
_ADDRESS = rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+$"
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=_ADDRESS)]
ContactRole = Literal["upgrade", "access", "review"]  # upgrade windows, remote-access approvals, service reviews
Language = Literal["zh-CN", "en"]
NoticeLink = Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://\S+$")]  # a signed link, whole
NoticeFact = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class HospitalContact(Contract):
    """One person at the hospital, and what they are told of."""

    name: ShortText
    email: Email
    language: Language = "zh-CN"
    roles: tuple[ContactRole, ...] = Field(min_length=1, max_length=3, description="upgrade, access, review")

    @field_validator("roles")
    @classmethod
    def _once_each(cls, roles: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(roles)) != len(roles):
            raise ValueError("each role at most once")
        return roles
