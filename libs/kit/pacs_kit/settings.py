"""Settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "development-only-secret-change-me-0123456789"
DEFAULT_MONGODB_URL = "mongodb://127.0.0.1:27017/?retryWrites=false"


def shared(name: str) -> AliasChoices:
    """Deployment-wide settings are read without the service prefix (AMQP_URL, not INTAKE_AMQP_URL)."""
    return AliasChoices(name)


def database_url(prefix: str) -> Any:
    """`<PREFIX>MONGODB_URL`, else the deployment-wide `MONGODB_URL`: each service may have a database server of
    its own (one SecantusDB process each on one machine) or share one cluster."""
    return Field(DEFAULT_MONGODB_URL, validation_alias=AliasChoices(f"{prefix}MONGODB_URL", "MONGODB_URL"))


def database_of(service: str, given: Mapping[str, str] | None = None, run_dir: Path | None = None) -> str:
    """Where a tool run beside the services finds one service's database: `given`, else `<SERVICE>_MONGODB_URL`,
    else `MONGODB_URL`, else what `make run` wrote in `.run/databases.json`, else the default."""
    if given and service in given:
        return given[service]
    for name in (f"{service.upper()}_MONGODB_URL", "MONGODB_URL"):
        if url := os.environ.get(name):
            return url
    started = (run_dir or Path(os.environ.get("RUN_DIR", ".run"))) / "databases.json"
    if started.is_file():
        url = json.loads(started.read_text()).get(service)
        if isinstance(url, str):
            return url
    return DEFAULT_MONGODB_URL


class ServiceSettings(BaseSettings):
    """What every service needs: where the broker and database are, who signs tokens, how to serve."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias=shared("ENVIRONMENT")
    )
    amqp_url: str = Field("amqp://guest:guest@127.0.0.1:5672/", validation_alias=shared("AMQP_URL"))
    mongodb_url: str = Field(DEFAULT_MONGODB_URL, validation_alias=shared("MONGODB_URL"))
    bus_namespace: str = Field("pacs", validation_alias=shared("BUS_NAMESPACE"))
    jwt_secret: SecretStr | None = Field(None, validation_alias=shared("JWT_SECRET"))
    # keys still accepted for tokens signed before a rotation (JSON list), until those tokens expire
    jwt_previous_secrets: list[SecretStr] = Field([], validation_alias=shared("JWT_PREVIOUS_SECRETS"))
    jwt_issuer: str = Field("pacs-service-ops", validation_alias=shared("JWT_ISSUER"))
    jwt_audience: str = Field("pacs-service-ops", validation_alias=shared("JWT_AUDIENCE"))
    otlp_endpoint: str | None = Field(None, validation_alias=shared("OTEL_EXPORTER_OTLP_ENDPOINT"))
    database: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = Field(1_048_576, ge=1_024, description="every request; a bulk route declares its own")
    prefetch: int = 100
    delivery_limit: int = 5
    outbox_poll_seconds: float = 1.0
    # how long audit records are kept; six years by default (HIPAA keeps audit documentation that long)
    audit_retention_days: int = Field(2192, ge=1, validation_alias=shared("AUDIT_RETENTION_DAYS"))

    @model_validator(mode="after")
    def _secrets_and_names(self) -> ServiceSettings:
        if self.jwt_secret is None:
            if self.environment == "production":
                raise ValueError("JWT_SECRET must be set outside development")
            self.jwt_secret = SecretStr(DEV_JWT_SECRET)
        elif self.environment == "production" and self.jwt_secret.get_secret_value() == DEV_JWT_SECRET:
            raise ValueError("JWT_SECRET still holds the development secret")
        if len(self.jwt_secret.get_secret_value()) < 32:
            raise ValueError("JWT_SECRET must be at least 32 characters")
        if any(len(s.get_secret_value()) < 32 for s in self.jwt_previous_secrets):
            raise ValueError("JWT_PREVIOUS_SECRETS: each key must be at least 32 characters")
        if not self.database:
            self.database = f"{self.bus_namespace}_{self.service_name}"
        return self
