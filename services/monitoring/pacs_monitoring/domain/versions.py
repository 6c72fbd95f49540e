"""Versions as site agents report them, how two are ordered, and what a site's baseline makes of one. Pure.

A version is a dotted numeric release (`7.2.1`, `11.2.0.4`, `2019`, an optional leading `v`) with an optional
vendor suffix (`2019-CU18`, `3.6.0-beta2`, `1.2.3rc1`, `4.18.0-477.el8`); the grammar is the contract's
`VERSION_PATTERN`. Releases are ordered number by number, a missing number counting as zero (7.2 = 7.2.0). Equal
releases with suffixes made of the same words in the same places are ordered by their numbers (CU18 < CU20,
477.el8 < 513.el8); any other pair (beta2 against rc1, a suffix against none) is "different": a vendor's scheme is
not guessed.
"""

from __future__ import annotations

from pacs_contracts.api.software import Drift
from pacs_contracts.common import Version, parse_version

__all__ = ["Version", "compare", "drift", "expected_of", "parse_version"]


def compare(a: Version, b: Version) -> int | None:
    """-1, 0 or 1 as `a` is below, equal to or above `b`; None when the two are not ordered."""
    return a.compare(b)


def expected_of(text: str) -> tuple[str | None, Version]:
    """A baseline entry, "7.2.1" or "RHEL 8.8": the product it names (if any) and the version."""
    product, _, version = text.strip().rpartition(" ")
    return (product.strip() or None), parse_version(version)


def drift(version: str, product: str | None, expected: str | None) -> Drift:
    """How an installed component stands against its baseline entry (None: the baseline does not name it)."""
    if expected is None:
        return Drift.not_in_baseline
    wanted_product, wanted = expected_of(expected)
    if wanted_product is not None and (product or "").casefold() != wanted_product.casefold():
        return Drift.different
    order = compare(parse_version(version), wanted)
    return {None: Drift.different, -1: Drift.behind, 0: Drift.as_baseline, 1: Drift.ahead}[order]
