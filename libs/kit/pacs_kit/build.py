"""What a running service is built from: the project's version and the identity of its runtime lock.

The lock's identity is the first 16 hex digits of the SHA-256 of `requirements/runtime.txt`, the same figure
`sha256sum requirements/runtime.txt` starts with and `make sbom` names: the image writes it at build time to
LOCK_ID_FILE; in a checkout it is read off the lock itself. `/healthz` and `pacs_service_info` report both.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
from pathlib import Path

LOCK_ID_FILE = Path("/etc/pacs-service-ops/lock-id")
_CHECKOUT_LOCK = Path(__file__).resolve().parents[3] / "requirements" / "runtime.txt"


@functools.cache
def version() -> str:
    try:
        return importlib.metadata.version("pacs-service-ops")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def lock_id() -> str:
    """The runtime lock this process was installed from, or "unlocked" where no lock can be found."""
    if stated := os.environ.get("PACS_LOCK_ID", "").strip():
        return stated
    if LOCK_ID_FILE.is_file():
        return LOCK_ID_FILE.read_text(encoding="utf-8").strip()
    if _CHECKOUT_LOCK.is_file():
        return hashlib.sha256(_CHECKOUT_LOCK.read_bytes()).hexdigest()[:16]
    return "unlocked"
