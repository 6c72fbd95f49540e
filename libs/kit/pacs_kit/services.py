"""The platform's services and the ports they listen on by default: defined here once, for the admin CLI, the
development stack and the tests."""

from __future__ import annotations

SERVICES = ("intake", "escalation", "monitoring", "scheduler", "notify", "console")
DEFAULT_PORTS = {"intake": 8101, "escalation": 8102, "monitoring": 8103, "scheduler": 8104, "notify": 8105,
                 "console": 8106}  # fmt: skip
