"""Find a RabbitMQ that answers, or start the local one (installing it when run as root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from urllib.parse import urlparse

from pacs_devstack.processes import port_open


def _amqp_port(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    return parsed.hostname or "127.0.0.1", parsed.port or 5672


def ensure_broker(url: str, timeout: float = 90.0) -> str:
    """Return how the broker was found: 'reachable' or 'started'."""
    host, port = _amqp_port(url)
    if port_open(port, host):
        return "reachable"
    if host not in ("127.0.0.1", "localhost"):
        raise RuntimeError(f"no broker answers at {host}:{port} (AMQP_URL); start it or point AMQP_URL elsewhere")
    if shutil.which("rabbitmq-server") is None:
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            raise RuntimeError("RabbitMQ is not installed; install the 'rabbitmq-server' package")
        subprocess.run(["apt-get", "install", "-y", "-q", "rabbitmq-server"], check=True)
    subprocess.run(["rabbitmq-server", "-detached"], check=False)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port, host) and _app_running():
            return "started"
        time.sleep(1)
    raise RuntimeError(f"RabbitMQ did not come up on {host}:{port} within {timeout:.0f}s")


def _app_running() -> bool:
    result = subprocess.run(["rabbitmqctl", "-q", "await_startup"], capture_output=True, timeout=60, check=False)
    return result.returncode == 0


if __name__ == "__main__":
    import sys

    target = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    try:
        print(f"broker {ensure_broker(target)}")
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"broker unavailable: {exc}", file=sys.stderr)
        sys.exit(1)
