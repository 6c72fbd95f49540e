"""C-ECHO with pynetdicom: one fresh association per probe, on a thread pool of its own.

pynetdicom is thread-based and blocking: an echo to a silent peer holds its thread for the whole
ACSE timeout. A dedicated pool of `workers` threads bounds how many peers are probed at once
(their listen backlogs are small) and keeps slow peers away from the event loop's default
executor, which resolves host names for the rest of the service.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from pynetdicom import AE, evt
from pynetdicom.association import Association
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]  # made at import time

from pacs_monitoring.domain.probes import Echo, ProbePolicy, Timeouts

log = logging.getLogger(__name__)
SUCCESS = 0x0000


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order of preference (an IP literal is its own)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def probe_node(node: dict[str, Any], policy: ProbePolicy) -> Echo:
    """Resolve again (DNS may have moved the node since it was registered), refuse what is outside, then echo.

    The echo goes to the address that was checked, never to a second lookup's answer.
    """
    try:
        addresses = resolve(node["host"], node["port"])
    except OSError:
        return _down(f"cannot resolve {node['host']}")
    if refused := policy.outside(addresses):
        return _down(f"{refused[0]} is outside the networks monitoring may probe")
    return echo(addresses[0], node["port"], node["ae_title"], node["calling_ae_title"], policy.timeouts)


def echo(address: str, port: int, called: str, calling: str, timeouts: Timeouts) -> Echo:
    """One association with the Verification context, one C-ECHO, one release; no timeout left at its default."""
    ae = AE(ae_title=calling)
    ae.add_requested_context(Verification)
    ae.connection_timeout = timeouts.connect
    ae.acse_timeout = timeouts.acse
    ae.dimse_timeout = timeouts.dimse
    ae.network_timeout = timeouts.acse + timeouts.dimse  # a link idle longer than a whole exchange is dead
    seen: set[str] = set()
    handlers: list[evt.EventHandlerType] = [
        (evt.EVT_CONN_OPEN, lambda _: seen.add("open")),
        (evt.EVT_PDU_RECV, lambda _: seen.add("pdu")),
    ]
    started = time.monotonic()
    assoc = ae.associate(address, port, ae_title=called, evt_handlers=handlers)
    if not assoc.is_established:
        return _down(_refusal(assoc, seen, time.monotonic() - started, timeouts))
    try:
        status = assoc.send_c_echo()
        rtt = time.monotonic() - started
    finally:
        assoc.release()
    code = getattr(status, "Status", None)
    if code is None:
        return _down(f"no C-ECHO response within {timeouts.dimse:g} s")
    if code != SUCCESS:
        return _down(f"C-ECHO status 0x{code:04X}")
    return Echo(up=True, at=datetime.now(UTC), rtt_seconds=round(rtt, 6))


def _refusal(assoc: Association, seen: set[str], elapsed: float, timeouts: Timeouts) -> str:
    """Why no association came up, in the words an engineer would check first."""
    if "open" not in seen:
        timed_out = elapsed >= timeouts.connect
        return f"no TCP connection within {timeouts.connect:g} s" if timed_out else "connection refused"
    if assoc.is_rejected:
        reason = getattr(assoc.acceptor.primitive, "reason_str", None)
        return f"association rejected ({reason})" if reason else "association rejected"
    if "pdu" not in seen:
        if elapsed >= timeouts.acse:
            return f"no association response within {timeouts.acse:g} s"
        return "connection closed before an association response"
    answer = assoc.acceptor.primitive
    if answer is not None and getattr(answer, "result", None) == 0x00:
        return "association accepted without the Verification context"
    return "association aborted"


def _down(error: str) -> Echo:
    return Echo(up=False, at=datetime.now(UTC), error=error)


class Prober:
    """Echoes on `workers` threads of their own; made when probing starts, closed when it stops."""

    def __init__(self, policy: ProbePolicy) -> None:
        self.policy = policy
        self._pool = ThreadPoolExecutor(max_workers=policy.workers, thread_name_prefix="dicom-echo")
        # Every probe's outcome is recorded with its error; pynetdicom's own lines would repeat each one per interval.
        logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)

    async def probe(self, node: dict[str, Any]) -> Echo | None:
        """The node's echo; None when the probe itself broke, which says nothing about the node."""
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, probe_node, node, self.policy)
        except Exception:
            log.exception("the probe of DICOM node %s failed in the service; the node is not judged", node["_id"])
            return None

    def close(self) -> None:
        """Running echoes end by their own timeouts; the service does not wait for them to stop."""
        self._pool.shutdown(wait=False, cancel_futures=True)
