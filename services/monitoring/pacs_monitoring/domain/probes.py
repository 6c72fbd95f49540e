"""DICOM probes, pure: where monitoring may probe, when a node is due, and what an echo tells the rules."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError

from pacs_contracts.api import MetricSample
from pacs_contracts.common import Identifier

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UP, RTT = "dicom_echo_up", "dicom_echo_rtt_seconds"
_IDENTIFIER: TypeAdapter[str] = TypeAdapter(Identifier)


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for the TCP connection, the association answer, and the C-ECHO response."""

    connect: float
    acse: float
    dimse: float


@dataclass(frozen=True)
class ProbePolicy:
    """What the service's settings allow: where to probe, how often, how patiently, how many at once."""

    networks: tuple[Network, ...]
    interval_seconds: int
    timeouts: Timeouts
    workers: int
    retention: timedelta

    def outside(self, addresses: Iterable[str]) -> list[str]:
        return outside(addresses, self.networks)

    def interval_of(self, node: dict[str, Any]) -> int:
        """A node's own interval, else the service's."""
        own: int | None = node.get("interval_seconds")
        return own or self.interval_seconds


@dataclass(frozen=True)
class Echo:
    """One probe's outcome: up only when the association was accepted and C-ECHO answered 0x0000."""

    up: bool
    at: datetime
    rtt_seconds: float | None = None
    error: str | None = None


def outside(addresses: Iterable[str], networks: Sequence[Network]) -> list[str]:
    """The addresses in none of `networks`; an IPv4-mapped IPv6 address is judged as its IPv4 address."""
    refused = []
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # a scope (fe80::1%eth0) is not part of the address
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not any(address in network for network in networks):
            refused.append(text)
    return refused


def default_name(host: str, port: int) -> str | None:
    """`host:port` where that is a valid host name for the rules (not for an IPv6 literal)."""
    try:
        return _IDENTIFIER.validate_python(f"{host}:{port}")
    except ValidationError:
        return None


def samples(node: dict[str, Any], echo: Echo) -> list[MetricSample]:
    """`dicom_echo_up` always, `dicom_echo_rtt_seconds` only when up: a down node has no round trip."""
    labels = {"ae_title": node["ae_title"]}
    found = [MetricSample(host=node["name"], name=UP, labels=labels, value=float(echo.up), timestamp=echo.at)]
    if echo.up and echo.rtt_seconds is not None:
        found.append(MetricSample(host=node["name"], name=RTT, labels=labels, value=echo.rtt_seconds,
                                  timestamp=echo.at))  # fmt: skip
    return found
