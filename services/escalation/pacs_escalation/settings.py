from pydantic_settings import SettingsConfigDict

from pacs_kit.services import DEFAULT_PORTS
from pacs_kit.settings import ServiceSettings, database_url


class EscalationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ESCALATION_", extra="ignore", populate_by_name=True)

    service_name: str = "escalation"
    mongodb_url: str = database_url("ESCALATION_")
    port: int = DEFAULT_PORTS["escalation"]
    gauge_refresh_seconds: float = 30.0  # open incidents, SLA at risk and compliance, availability, from the database
