"""The access service's copy of the sites, kept from escalation's `site.registered`."""

from __future__ import annotations

from pacs_kit.mongo import ReadModel


class Sites(ReadModel):
    """The access service's read model of sites (from `site.registered`): the region, the account engineer."""

    collection_name = "sites"
