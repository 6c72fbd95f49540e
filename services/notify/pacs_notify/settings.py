from pydantic import Field
from pydantic_settings import SettingsConfigDict

from pacs_kit.services import DEFAULT_PORTS
from pacs_kit.settings import ServiceSettings, database_url
from pacs_notify.adapters.providers.config import ProviderSettings


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore", populate_by_name=True)

    service_name: str = "notify"
    mongodb_url: str = database_url("NOTIFY_")
    port: int = DEFAULT_PORTS["notify"]
    log_path: str = ".run/notifications.log"
    public_url: str = "http://127.0.0.1:8080"  # where engineers' phones reach the gateway, for ack links
    ack_ttl_seconds: int = 86_400  # how long an ack link works
    providers: ProviderSettings = Field(default_factory=ProviderSettings)  # NOTIFY_SMS_PROVIDERS and the rest
    stale_send_seconds: float = 60.0  # a send claimed this long ago by a dispatcher that never finished is resent
    retry_later_seconds: list[float] = [30.0, 120.0, 600.0]  # pauses before a refused-for-now delivery goes again
    rate_limit: int = 5  # messages per number (or push target) ...
    rate_window_seconds: float = 900.0  # ... per this window; more wait, and go out bundled
