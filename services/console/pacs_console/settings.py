from pydantic import Field
from pydantic_settings import SettingsConfigDict

from pacs_kit.services import DEFAULT_PORTS
from pacs_kit.settings import ServiceSettings, database_url


class ConsoleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore", populate_by_name=True)

    service_name: str = "console"
    mongodb_url: str = database_url("CONSOLE_")
    port: int = DEFAULT_PORTS["console"]
    access_token_minutes: int = Field(15, ge=1, le=60, description="a page's token; the session cookie renews it")
    session_hours: int = Field(12, ge=1, le=24 * 14, description="a sign-in lasts a shift, then asks again")
    secure_cookies: bool = Field(True, description="cookies only over HTTPS; off only for plain-HTTP development")
    api_url: str = Field("http://127.0.0.1:8080", description="the gateway, as the console reaches it")
