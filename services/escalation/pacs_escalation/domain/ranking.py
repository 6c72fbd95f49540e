"""How the escalation database orders cases: meaning first, then words and product, module and version. Pure.

The dense similarity (multilingual sentence embeddings) is already right most of the time, across languages too;
BM25 fused with it by reciprocal rank let weak keyword matches displace good answers. So words only reorder the
dense ranking's first `candidates` cases, and only a case whose keyword score stands out from theirs gains: by
`lexical` for each standard deviation above their mean. With no keyword match, or the same for all, the dense order
stands. Weights tuned on one half of the labelled queries and checked on the other (bench/knowledge.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pacs_escalation.domain.glossary import Glossary, Matcher

FACETS = ("product", "module", "version")
Facets = dict[str, frozenset[str]]  # facet -> values, lower case


@dataclass(frozen=True)
class Weights:
    candidates: int = 10  # the dense ranking's first cases, the only ones words and facets reorder
    lexical: float = 0.0  # per standard deviation a candidate's keyword score stands above the candidates' mean
    named: float = 0.0  # per product, module or version the query's text names and the case carries
    asked: float = 0.0  # per product, module or version the caller asks for and the case carries


DENSE = Weights()
# tuned by bench/knowledge.py on half A of the labelled queries; an engineer's explicit product, module or version
# counts for more than one read off the text
HYBRID = Weights(candidates=10, lexical=0.008, named=0.08, asked=0.1)


def facet_value(value: object) -> str | None:
    text = str(value).strip().casefold() if value is not None else ""
    return text or None


def _carries(have: str | None, wanted: frozenset[str], facet: str) -> bool:
    if have is None:
        return False
    if facet == "version":  # 7.2 asks for 7.2.1 as well
        return any(have == want or have.startswith(want + ".") for want in wanted)
    return have in wanted


def matching(case: dict[str, str | None], wanted: Facets) -> int:
    """How many of the wanted facets the case carries."""
    return sum(_carries(case.get(facet), values, facet) for facet, values in wanted.items() if values)


def namer(glossary: Glossary, known: dict[str, set[str]]) -> dict[str, Matcher]:
    """Per facet, a matcher of the values the cases carry (`known`, lower case) by their names and the glossary's
    other names for them."""
    others = {"product": glossary.products, "module": glossary.modules}
    matchers = {}
    for facet in FACETS:
        forms = {value: value for value in known.get(facet, set())}
        for name, aliases in others.get(facet, {}).items():
            if (value := facet_value(name)) in forms:
                forms.update({alias: value for alias in aliases})
        matchers[facet] = Matcher(forms)
    return matchers


def named(text: str, matchers: dict[str, Matcher]) -> Facets:
    """The products, modules and versions a query's text names."""
    return {facet: frozenset(matcher.find(text)) for facet, matcher in matchers.items()}


def fuse(dense: np.ndarray, lexical: np.ndarray, named: np.ndarray, asked: np.ndarray, weights: Weights) -> np.ndarray:
    """The candidates' scores: similarity, plus how far each keyword score stands above theirs, plus facets."""
    spread = float(lexical.std()) if len(lexical) else 0.0
    above = np.clip((lexical - lexical.mean()) / spread, 0, None) if spread > 0 else np.zeros_like(dense)
    return dense + weights.lexical * above + weights.named * named + weights.asked * asked


def ranked(
    dense: np.ndarray,
    lexical: Callable[[np.ndarray], np.ndarray],
    facets: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    weights: Weights,
    limit: int,
    pool: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """The first `limit` rows, best first, with their scores: the dense ranking's first `candidates` rows of the
    pool (default: every row) reordered by `fuse`, then the rest of the dense ranking. `lexical` and `facets` are
    asked about the candidates only (keyword scores; facets named, facets asked)."""
    rows = np.arange(len(dense)) if pool is None else pool
    wanted = min(max(weights.candidates, limit), len(rows))
    if wanted < len(rows):
        rows = rows[np.argpartition(-dense[rows], wanted - 1)[:wanted]]
    head = rows[np.argsort(-dense[rows], kind="stable")]
    candidates, rest = head[: weights.candidates], head[weights.candidates :]
    scores = fuse(dense[candidates], lexical(candidates), *facets(candidates), weights)
    order = np.argsort(-scores, kind="stable")
    top = [(int(candidates[i]), float(scores[i])) for i in order]
    return (top + [(int(row), float(dense[row])) for row in rest])[:limit]
