"""Notification providers behind one small interface, with retries and failover; see failover.py for the rule."""

from pacs_notify.adapters.providers.base import Message, PermanentError, Provider, Receipt, TransientError
from pacs_notify.adapters.providers.config import Providers, ProviderSettings, build_providers, http_client
from pacs_notify.adapters.providers.failover import Attempt, Outcome, deliver

__all__ = [
    "Attempt",
    "Message",
    "Outcome",
    "PermanentError",
    "Provider",
    "ProviderSettings",
    "Providers",
    "Receipt",
    "TransientError",
    "build_providers",
    "deliver",
    "http_client",
]
