from pydantic_settings import SettingsConfigDict

from pacs_kit.settings import ServiceSettings


class MonitoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MONITORING_", extra="ignore", populate_by_name=True)

    service_name: str = "monitoring"
    port: int = 8103
    max_body_bytes: int = 8_388_608  # metric batches carry thousands of samples
    gauge_refresh_seconds: float = 15.0  # how often the per-site gauges are read back from the database
