"""The scheduler's copy of the sites, kept from escalation's `site.registered`."""

from __future__ import annotations

from pacs_kit.mongo import ReadModel


class Sites(ReadModel):
    """The scheduler's read model of sites (from `site.registered`): who the account engineer is, the name."""

    collection_name = "sites"
