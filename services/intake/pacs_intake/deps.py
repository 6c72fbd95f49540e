from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from pacs_intake.adapters.repository import Calls, Faults, Sites
from pacs_kit.deps import deps_of
from pacs_kit.mongo import Repository
from pacs_kit.service import Kit


@dataclass
class IntakeDeps:
    faults: Faults
    calls: Calls
    sites: Sites

    @classmethod
    def build(cls, kit: Kit) -> IntakeDeps:
        return cls(Faults(kit.mongo), Calls(kit.mongo), Sites(kit.mongo))

    def repositories(self) -> list[Repository]:
        return [self.faults, self.calls, self.sites]


DepsDep = Annotated[IntakeDeps, Depends(deps_of)]
