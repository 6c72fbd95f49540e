from pydantic_settings import SettingsConfigDict

from pacs_kit.services import DEFAULT_PORTS
from pacs_kit.settings import ServiceSettings, database_url


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", populate_by_name=True)

    service_name: str = "intake"
    mongodb_url: str = database_url("INTAKE_")
    port: int = DEFAULT_PORTS["intake"]
