from pydantic_settings import SettingsConfigDict

from pacs_kit.services import DEFAULT_PORTS
from pacs_kit.settings import ServiceSettings, database_url


class AccessSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ACCESS_", extra="ignore", populate_by_name=True)

    service_name: str = "access"
    mongodb_url: str = database_url("ACCESS_")
    port: int = DEFAULT_PORTS["access"]
    public_url: str = "http://127.0.0.1:8080"  # where hospitals and engineers reach the gateway, for links
    # where the SSH certificate authority's private key lives; empty: a key file in the service's run directory,
    # created on first start. Every instance must sign with the one key the hosts trust and the revocation list
    # names: more than one instance needs this set to a shared secret (the Kubernetes manifest mounts one).
    ca_key_path: str = ""
