"""DICOM probes without I/O: the allowed-networks check, AE titles and hosts, and what an echo feeds the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from typing import Any

import pytest
from pydantic import ValidationError

from pacs_contracts.api import DicomNodeCreate
from pacs_monitoring.adapters.dicom import probe_node
from pacs_monitoring.domain.probes import Echo, ProbePolicy, Timeouts, default_name, outside, samples
from pacs_monitoring.settings import MonitoringSettings

AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def make_create(**overrides: Any) -> dict[str, Any]:
    body = {"site_id": "SITE-1", "ae_title": "PACS", "host": "10.1.2.3", "port": 104, "calling_ae_title": "PSO"}
    body.update(overrides)
    return body


def test_the_default_networks_are_the_private_ranges_and_loopback() -> None:
    networks = MonitoringSettings().dicom_allowed_networks
    assert outside(["10.20.30.40", "172.31.255.1", "192.168.0.9", "127.0.0.1", "::1"], networks) == []
    assert outside(["8.8.8.8", "172.32.0.1", "192.169.0.1", "11.0.0.1", "2001:db8::1"], networks) == [
        "8.8.8.8", "172.32.0.1", "192.169.0.1", "11.0.0.1", "2001:db8::1",
    ]  # fmt: skip


def test_every_address_is_judged_and_a_mapped_ipv6_address_as_its_ipv4_one() -> None:
    loopback = [ip_network("127.0.0.0/8")]
    assert outside(["127.0.0.5", "8.8.8.8"], loopback) == ["8.8.8.8"], "one outside is enough to refuse"
    assert outside(["::ffff:127.0.0.1"], loopback) == []
    assert outside(["::ffff:8.8.8.8"], loopback) == ["::ffff:8.8.8.8"]
    assert outside(["::1"], loopback) == ["::1"], "IPv6 loopback is not inside an IPv4 network"
    assert outside(["127.0.0.1"], []) == ["127.0.0.1"], "no networks: nothing may be probed"


@pytest.mark.parametrize(
    ("title", "kept"),
    [("PACS", "PACS"), ("  ORTHANC ", "ORTHANC"), ("A" * 16, "A" * 16), ("ARCH 01_X-Y.z", "ARCH 01_X-Y.z")],
)
def test_ae_titles_follow_the_dicom_rules(title: str, kept: str) -> None:
    assert DicomNodeCreate(**make_create(ae_title=title, calling_ae_title=title)).ae_title == kept


@pytest.mark.parametrize("title", ["", "    ", "A" * 17, "BAD\\ONE", "TAB\tBED", "BELL\x07", "ÄRZTE", "LINE\n"])
def test_ae_titles_outside_the_dicom_rules_are_refused(title: str) -> None:
    with pytest.raises(ValidationError):
        DicomNodeCreate(**make_create(ae_title=title))
    with pytest.raises(ValidationError):
        DicomNodeCreate(**make_create(calling_ae_title=title))


@pytest.mark.parametrize(
    ("host", "kept"),
    [("10.1.2.3", "10.1.2.3"), ("::0001", "::1"), ("PACS-01.Hospital.example.", "pacs-01.hospital.example")],
)
def test_hosts_are_ip_literals_or_dns_names_in_one_spelling(host: str, kept: str) -> None:
    assert DicomNodeCreate(**make_create(host=host)).host == kept


@pytest.mark.parametrize("host", ["", "pacs server", "-pacs.example", "pacs..example", "1.2.3", "a" * 64 + ".example"])
def test_hosts_that_are_neither_are_refused(host: str) -> None:
    with pytest.raises(ValidationError):
        DicomNodeCreate(**make_create(host=host))


@pytest.mark.parametrize("change", [{"port": 0}, {"port": 65536}, {"interval_seconds": 9}, {"extra": 1}])
def test_ports_intervals_and_unknown_fields_are_checked(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        DicomNodeCreate(**make_create(**change))


def test_a_node_is_named_host_port_unless_that_is_no_valid_host_name() -> None:
    assert default_name("10.1.2.3", 104) == "10.1.2.3:104"
    assert default_name("pacs.example", 11112) == "pacs.example:11112"
    assert default_name("::1", 104) is None


def test_an_echo_feeds_up_always_and_the_round_trip_only_when_up() -> None:
    node = {"name": "archive-scp", "ae_title": "ARCH"}
    up = samples(node, Echo(up=True, at=AT, rtt_seconds=0.05))
    assert [(s.host, s.name, s.labels, s.value, s.timestamp) for s in up] == [
        ("archive-scp", "dicom_echo_up", {"ae_title": "ARCH"}, 1.0, AT),
        ("archive-scp", "dicom_echo_rtt_seconds", {"ae_title": "ARCH"}, 0.05, AT),
    ]  # fmt: skip
    down = samples(node, Echo(up=False, at=AT, error="connection refused"))
    assert [(s.name, s.value) for s in down] == [("dicom_echo_up", 0.0)]


def test_a_node_keeps_its_own_interval_else_the_services() -> None:
    policy = ProbePolicy((), 60, Timeouts(3, 5, 5), 32, timedelta(days=7))
    assert policy.interval_of({"interval_seconds": None}) == 60
    assert policy.interval_of({"interval_seconds": 15}) == 15


def test_a_node_whose_address_is_outside_at_probe_time_is_not_contacted() -> None:
    policy = ProbePolicy((ip_network("127.0.0.0/8"),), 60, Timeouts(3, 5, 5), 1, timedelta(days=7))
    node = {"_id": "DN-1", "host": "8.8.8.8", "port": 104, "ae_title": "PACS", "calling_ae_title": "PSO"}
    echo = probe_node(node, policy)  # an IP literal resolves without a lookup; nothing is sent anywhere
    assert (echo.up, echo.rtt_seconds) == (False, None)
    assert echo.error == "8.8.8.8 is outside the networks monitoring may probe"
