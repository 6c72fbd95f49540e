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
    # service reviews: a draft for every site after each period closes ("quarter", or an ISO 8601 duration for a
    # seconds-scale quarter in tests), built once late events have had `review_settle_seconds` to arrive
    review_every: str = "quarter"
    review_settle_seconds: float = 3600.0
    review_check_seconds: float = 60.0
    public_url: str = "http://127.0.0.1:8080"  # where the hospital's contact reaches the gateway, for review links
    review_link_days: float = 30.0  # how long the hospital's acknowledgement link stays valid
    upgrade_link_days: float = 14.0  # how long the hospital's link to agree an upgrade window stays valid
    gauge_refresh_seconds: float = 15.0  # sites behind the newest releases, campaigns by state, from the database
