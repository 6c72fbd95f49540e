"""Staff accounts and sign-in (the console's API)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from pacs_contracts.common import Identifier, Role, ShortText, TimeZone
from pacs_contracts.envelope import Contract

UserName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9._@-]*$"
    ),
]
Password = Annotated[str, StringConstraints(min_length=12, max_length=256)]
StaffRole = Literal["call-agent", "engineer", "supervisor", "admin"]
STAFF = tuple(r.value for r in Role if r is not Role.his)


class AccountCreate(Contract):
    username: UserName
    display_name: ShortText
    password: Password = Field(description="12 to 256 characters; kept only as an Argon2id hash")
    roles: list[StaffRole] = Field(min_length=1, max_length=4)
    engineer_id: Identifier | None = Field(None, description="the engineer record an engineer's account acts as")
    regions: list[Identifier] = Field([], max_length=50, description="regions a supervisor or agent serves")
    locale: Literal["zh-CN", "en"] = "zh-CN"
    time_zone: TimeZone = Field("Asia/Shanghai", description="the zone the pages show times in, beside a hospital's")


class AccountUpdate(Contract):
    display_name: ShortText | None = None
    password: Password | None = None
    roles: list[StaffRole] | None = Field(None, min_length=1, max_length=4)
    regions: list[Identifier] | None = Field(None, max_length=50)
    locale: Literal["zh-CN", "en"] | None = None
    time_zone: TimeZone | None = None
    disabled: bool | None = Field(None, description="a disabled account cannot sign in; its sessions end")
    unlock: bool = Field(False, description="clear a lockout after failed sign-ins")


class AccountPublic(Contract):
    username: str
    display_name: str
    roles: list[str]
    engineer_id: str | None
    regions: list[str]
    locale: str
    time_zone: str = "Asia/Shanghai"
    disabled: bool
    locked_until: datetime | None
    created_at: datetime


class TokenIssued(Contract):
    """OAuth 2.0's token response (RFC 6749 §5.1); the refresh token rides in an HttpOnly cookie instead."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds")
