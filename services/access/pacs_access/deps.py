from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends

from pacs_access.adapters.ca import CertificateAuthority
from pacs_access.adapters.incidents import Incidents
from pacs_access.adapters.metrics import AccessMetrics
from pacs_access.adapters.requests import Requests, Serials
from pacs_access.adapters.sites import Sites
from pacs_access.settings import AccessSettings
from pacs_kit.deps import deps_of
from pacs_kit.mongo import Repository
from pacs_kit.service import Kit

DEFAULT_CA_KEY = ".run/access/ca_ed25519"  # on one machine; a deployment mounts the key at ACCESS_CA_KEY_PATH


@dataclass
class AccessDeps:
    settings: AccessSettings
    sites: Sites
    requests: Requests
    serials: Serials
    ca: CertificateAuthority
    metrics: AccessMetrics
    incidents: Incidents
    krl_cache: dict[str, Any] = field(default_factory=dict)  # the last revocation list made, and what it revoked

    @classmethod
    def build(cls, kit: Kit) -> AccessDeps:
        settings = kit.settings
        assert isinstance(settings, AccessSettings)
        ca = CertificateAuthority(Path(settings.ca_key_path or DEFAULT_CA_KEY))
        metrics = AccessMetrics(kit.metrics.registry)
        return cls(
            settings, Sites(kit.mongo), Requests(kit.mongo), Serials(kit.mongo), ca, metrics, Incidents(kit.mongo)
        )

    def repositories(self) -> list[Repository]:
        return [self.sites, self.requests, self.serials, self.incidents]


DepsDep = Annotated[AccessDeps, Depends(deps_of)]
