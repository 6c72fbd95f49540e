from pydantic_settings import SettingsConfigDict

from pacs_kit.services import DEFAULT_PORTS
from pacs_kit.settings import ServiceSettings, database_url


class SchedulerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULER_", extra="ignore", populate_by_name=True)

    service_name: str = "scheduler"
    mongodb_url: str = database_url("SCHEDULER_")
    port: int = DEFAULT_PORTS["scheduler"]
    tick_seconds: float = 1.0
    lease_seconds: float = 3.0
    instance_id: str = ""
