"""The platform's services and the port each listens on by default: named here once, for the CLI, the
development stack and each service's settings."""

SERVICES = ("intake", "escalation", "monitoring", "scheduler", "notify", "console", "access")
DEFAULT_PORTS = {name: 8101 + i for i, name in enumerate(SERVICES)}
