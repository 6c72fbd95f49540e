from ipaddress import ip_network

from pydantic import Field, IPvAnyNetwork
from pydantic_settings import SettingsConfigDict

from pacs_kit.services import DEFAULT_PORTS
from pacs_kit.settings import ServiceSettings, database_url

# Where a hospital's DICOM nodes live: the RFC 1918 ranges and loopback. A deployment names its own.
PRIVATE_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "::1/128")


class MonitoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MONITORING_", extra="ignore", populate_by_name=True)

    service_name: str = "monitoring"
    mongodb_url: str = database_url("MONITORING_")
    port: int = DEFAULT_PORTS["monitoring"]
    gauge_refresh_seconds: float = 15.0  # how often the per-site gauges are read back from the database
    # DICOM probes (C-ECHO): only addresses inside these networks are ever contacted; JSON list in the environment.
    dicom_allowed_networks: list[IPvAnyNetwork] = Field(
        default_factory=lambda: [ip_network(n) for n in PRIVATE_NETWORKS]
    )
    dicom_probe_interval_seconds: int = Field(60, ge=1, le=86_400, description="a node may set its own, 10 s to 1 day")
    dicom_connect_timeout_seconds: float = Field(3.0, gt=0, le=60)
    dicom_acse_timeout_seconds: float = Field(5.0, gt=0, le=60, description="waiting for the association answer")
    dicom_dimse_timeout_seconds: float = Field(5.0, gt=0, le=60, description="waiting for the C-ECHO response")
    dicom_workers: int = Field(32, ge=1, le=256, description="echoes at once: peers' listen backlogs are small")
    dicom_probe_retention_seconds: int = Field(7 * 86_400, ge=3_600, description="how long probe results are kept")
    licence_check_seconds: float = Field(3600, ge=1, description="how often licence expiries are looked at again")
