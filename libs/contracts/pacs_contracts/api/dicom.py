"""DICOM nodes that monitoring C-ECHOes, and what their probes found."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from pacs_contracts.common import Identifier
from pacs_contracts.envelope import Contract


class DicomNodeHealth(Contract):
    node_id: Identifier
    name: Identifier
    ae_title: str
    up: bool | None = Field(description="the last C-ECHO's outcome; none before the first probe")
    rtt_seconds: float | None
    checked_at: datetime | None
    error: str | None


AE_TITLE_MAX = 16
_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _ae_title(value: str) -> str:
    """A DICOM AE title (PS3.5 VR AE): its edge spaces are not significant, so they are dropped."""
    title = value.strip(" ")
    if not title:
        raise ValueError("an AE title must not be empty or all spaces")
    if len(title) > AE_TITLE_MAX:
        raise ValueError(f"an AE title has at most {AE_TITLE_MAX} characters")
    if "\\" in title or any(not " " <= c <= "~" for c in title):
        raise ValueError("an AE title is printable ASCII without backslashes or control characters")
    return title


def _dicom_host(value: str) -> str:
    """An IP literal in its canonical form, or a DNS name in lower case without its final dot."""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    name = value.lower().removesuffix(".")
    labels = name.split(".")
    if len(name) > 253 or not all(_DNS_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise ValueError(f"{value!r} is neither an IP address nor a DNS name")
    return name


AeTitle = Annotated[str, AfterValidator(_ae_title)]
DicomHost = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_dicom_host)]


class DicomNodeCreate(Contract):
    """A DICOM node that monitoring C-ECHOes on a schedule, calling it as the site's PACS knows monitoring."""

    site_id: Identifier
    name: Identifier | None = Field(None, description="the host in rule states and breaches; default host:port")
    ae_title: AeTitle = Field(description="the node's own (called) AE title")
    host: DicomHost = Field(description="IP address or DNS name, inside the networks monitoring may probe")
    port: int = Field(ge=1, le=65535)
    calling_ae_title: AeTitle = Field(description="the AE title monitoring calls with, as configured on the node")
    interval_seconds: int | None = Field(None, ge=10, le=86_400, description="between probes; default: the service's")


class DicomProbeSummary(Contract):
    up: bool
    rtt_seconds: float | None = Field(description="association and C-ECHO, in seconds; none when down")
    checked_at: datetime
    error: str | None


class DicomNodePublic(Contract):
    node_id: Identifier
    site_id: Identifier
    name: Identifier
    ae_title: str
    host: str
    port: int
    calling_ae_title: str
    interval_seconds: int = Field(description="in force: the node's own, else the service's")
    created_at: datetime
    next_probe_at: datetime
    last_probe: DicomProbeSummary | None = Field(description="none until the first probe")


class DicomProbePublic(Contract):
    node_id: Identifier
    at: datetime
    up: bool = Field(description="association accepted and C-ECHO status 0x0000")
    rtt_seconds: float | None = Field(description="association and C-ECHO, in seconds; none when down")
    error: str | None = Field(description="why it was down, e.g. connection refused")
