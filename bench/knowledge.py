"""Retrieval quality of the escalation database on the labelled set in tests/data, next to a keyword baseline.

Embeds every case as the service does (the whole case and its title and symptom, scored together),
runs each labelled query, and prints recall@1, recall@3 and mean reciprocal rank, overall, for
queries in the case's own language and for cross-lingual ones, plus the time to embed. The
baseline, measured in the same run, is BM25 over words and Chinese character pairs: what a
keyword search engine would give. Usage: python bench/knowledge.py [--verbose]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import platform
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pacs_escalation.adapters.knowledge import Encoder
from pacs_escalation.domain.knowledge import WHOLE_WEIGHT, recall_at, texts

DATA = Path(__file__).parents[1] / "tests" / "data"
Ranker = Callable[[str], list[str]]


def tokens(text: str) -> list[str]:
    """Lower-case words, and each pair of neighbouring Chinese characters."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    han = re.findall(r"[\u4e00-\u9fff]+", text)
    return words + [run[i : i + 2] for run in han for i in range(max(1, len(run) - 1))]


def bm25(cases: list[dict[str, Any]]) -> Ranker:
    docs = [Counter(tokens(texts(case)[0])) for case in cases]
    ids = [case["external_id"] for case in cases]
    average = sum(sum(d.values()) for d in docs) / len(docs)
    frequency = Counter(term for d in docs for term in d)

    def rank(query: str) -> list[str]:
        scores = []
        for doc in docs:
            length, total = sum(doc.values()), 0.0
            for term in set(tokens(query)):
                if term in doc:
                    idf = math.log(1 + (len(docs) - frequency[term] + 0.5) / (frequency[term] + 0.5))
                    total += idf * doc[term] * 2.2 / (doc[term] + 1.2 * (0.25 + 0.75 * length / average))
            scores.append(total)
        return [ids[i] for i in np.argsort(-np.array(scores), kind="stable")]

    return rank


async def embedded(cases: list[dict[str, Any]], encoder: Encoder) -> tuple[Ranker, float]:
    started = time.perf_counter()
    copies = [dict(case) for case in cases]
    await encoder.embed_cases(copies)
    seconds = time.perf_counter() - started
    whole = np.vstack([np.frombuffer(c["vector_whole"], dtype=np.float32) for c in copies])
    short = np.vstack([np.frombuffer(c["vector_short"], dtype=np.float32) for c in copies])
    ids = [case["external_id"] for case in cases]

    def rank(query: str) -> list[str]:
        vector = encoder._encode([query])[0]
        scores = WHOLE_WEIGHT * (whole @ vector) + (1 - WHOLE_WEIGHT) * (short @ vector)
        return [ids[i] for i in np.argsort(-scores)]

    return rank, seconds


def report(name: str, rank: Ranker, queries: list[dict[str, Any]], verbose: bool) -> None:
    started = time.perf_counter()
    ranked = [rank(q["query"]) for q in queries]
    per_query_ms = (time.perf_counter() - started) / len(queries) * 1000
    expected = [q["expected"] for q in queries]
    positions = [found.index(want) + 1 for found, want in zip(ranked, expected, strict=True)]
    print(f"\n{name}  ({per_query_ms:.1f} ms per query)")
    for label, keep in (("all", lambda q: True), ("same language", lambda q: not q["cross_lingual"]),
                        ("cross-lingual", lambda q: q["cross_lingual"])):  # fmt: skip
        chosen = [i for i, q in enumerate(queries) if keep(q)]
        got, want = [ranked[i] for i in chosen], [expected[i] for i in chosen]
        mrr = sum(1 / positions[i] for i in chosen) / len(chosen)
        print(f"  {label:14} n={len(chosen):2}  recall@1 {recall_at(1, got, want):.3f}  "
              f"recall@3 {recall_at(3, got, want):.3f}  MRR {mrr:.3f}")  # fmt: skip
    if verbose:
        for query, position in zip(queries, positions, strict=True):
            print(f"    rank {position:2}  {query['expected']}  {query['query']}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print the rank of every query's case")
    args = parser.parse_args()
    cases = json.loads((DATA / "knowledge_cases.json").read_text(encoding="utf-8"))
    queries = json.loads((DATA / "knowledge_queries.json").read_text(encoding="utf-8"))
    print(f"labelled set: {len(cases)} cases, {len(queries)} queries "
          f"({sum(q['cross_lingual'] for q in queries)} cross-lingual); {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")  # fmt: skip
    encoder = Encoder()
    started = time.perf_counter()
    encoder._encode(["load"])
    print(f"model load {time.perf_counter() - started:.2f} s")
    rank, seconds = await embedded(cases, encoder)
    print(f"embedding {len(cases)} cases (two texts each): {seconds:.2f} s")
    report("baseline: BM25 over words and Chinese character pairs", bm25(cases), queries, args.verbose)
    report("service: multilingual sentence embeddings", rank, queries, args.verbose)


if __name__ == "__main__":
    asyncio.run(main())
