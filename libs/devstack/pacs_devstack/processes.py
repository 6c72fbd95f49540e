"""Child processes with their logs in files, stopped in reverse order."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: object, timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll `check()` until it is truthy or `timeout` passes."""
    assert callable(check)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready within {timeout:.0f}s")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


@dataclass
class Process:
    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
            start_new_session=True,  # Ctrl-C in the terminal reaches the launcher, which stops us in order
        )
        log.close()

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.popen is not None and self.running:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(10)

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen is None or not self.running:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


# Each SecantusDB process is one core's worth of server (one global storage lock): a cache of this size holds a
# test's or a demo's whole working set, and five of them fit beside everything else on a small machine.
DATABASE_CACHE = "256M"


def secantus_argv(port: int, storage: Path) -> list[str]:
    """The command line of one SecantusDB server: standalone (no replica-set advertisement, cheaper writes)."""
    return [sys.executable, "-m", "secantus", "--port", str(port), "--storage-path", str(storage),
            "--standalone", "--cache-size", DATABASE_CACHE]  # fmt: skip


def secantus_url(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?retryWrites=false&directConnection=true"


@contextlib.contextmanager
def secantus_servers(root: Path, names: tuple[str, ...] | list[str]) -> Iterator[dict[str, str]]:
    """One SecantusDB server per name on free ports, with data and log under `root`, for as long as the block
    runs; yields each name's URL. They start together and are waited on together."""
    servers: list[subprocess.Popen[bytes]] = []
    ports = {name: free_port() for name in names}
    try:
        for name, port in ports.items():
            with (root / f"{name}.log").open("wb") as out:
                servers.append(subprocess.Popen(secantus_argv(port, root / name), stdout=out, stderr=subprocess.STDOUT))
        for name, port in ports.items():
            wait_for(lambda p=port: port_open(p), 30, f"SecantusDB for {name}")
        yield {name: secantus_url(port) for name, port in ports.items()}
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
