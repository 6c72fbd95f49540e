"""Retrieval quality of the escalation database on the labelled sets in tests/data, next to two baselines.

Embeds every case as the service does and loads them into the service's own index (`knowledge_cases.json` and
`knowledge_more_cases.json`, the second adding look-alike cases: the same symptom with another cause), then runs
each labelled query through the service's ranking and through a plain BM25 over words and Chinese character pairs
(what a keyword search engine would give), and prints recall@1, recall@3 and mean reciprocal rank, overall and
per language pair (query language -> the case's). Two sets: `knowledge_queries.json` (the first, 24 queries) and
`knowledge_paraphrased_queries.json` (symptoms as a hospital or an engineer words them, most across languages,
some with more than one relevant case, aimed at one case of a look-alike group). Last, the time to answer a query
with 10,000 cases in the index. Usage: python bench/knowledge.py [--verbose] [--cases 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import platform
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from pacs_escalation.adapters.knowledge import DIMENSIONS, Encoder, Index
from pacs_escalation.domain.knowledge import texts

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


async def embedded(cases: list[dict[str, Any]], encoder: Encoder) -> tuple[list[dict[str, Any]], float]:
    """The cases as the index takes them (vectors, texts, indexed_at), and the seconds embedding took."""
    started = time.perf_counter()
    copies = [{**case, "_id": case["external_id"], "indexed_at": datetime.now(UTC)} for case in cases]
    await encoder.embed_cases(copies)
    return copies, time.perf_counter() - started


def indexed(docs: list[dict[str, Any]]) -> Index:
    index = Index()
    index.take(docs)
    return index


def service(index: Index, encoder: Encoder) -> Ranker:
    """The service's ranking (`Index.nearest`, as `GET /api/v1/knowledge/search`), the query embedded on the way."""
    return lambda q: [case for case, _ in index.nearest(encoder._encode([q])[0], len(index))]


def language(text: str) -> str:
    return "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"


def report(name: str, rank: Ranker, queries: list[dict[str, Any]], cases: dict[str, dict[str, Any]],
           verbose: bool) -> None:  # fmt: skip
    started = time.perf_counter()
    ranked = [rank(q["query"]) for q in queries]
    per_query_ms = (time.perf_counter() - started) / len(queries) * 1000
    wanted = [set(q["expected"]) for q in queries]
    positions = [next((n for n, case in enumerate(found, 1) if case in want), len(found) + 1)
                 for found, want in zip(ranked, wanted, strict=True)]  # fmt: skip
    pair = [f"{language(q['query'])}->{language(texts(cases[q['expected'][0]])[1])}" for q in queries]
    print(f"\n{name}  ({per_query_ms:.1f} ms per query, the query's embedding included)")
    groups: dict[str, list[int]] = {
        "all": list(range(len(queries))),
        "cross-lingual": [i for i, q in enumerate(queries) if q["cross_lingual"]],
    }
    groups.update({p: [i for i, got in enumerate(pair) if got == p] for p in ("en->en", "zh->zh", "en->zh", "zh->en")})
    for label, chosen in groups.items():
        if not chosen:
            continue
        at = {k: sum(positions[i] <= k for i in chosen) / len(chosen) for k in (1, 3)}
        mrr = sum(1 / positions[i] for i in chosen) / len(chosen)
        print(f"  {label:14} n={len(chosen):3}  recall@1 {at[1]:.3f}  recall@3 {at[3]:.3f}  MRR {mrr:.3f}")
    if verbose:
        for query, position in zip(queries, positions, strict=True):
            print(f"    rank {position:2}  {query['expected']}  {query['query']}")


def labelled(name: str) -> list[dict[str, Any]]:
    """A labelled set, each query's `expected` as a list (the first set names one case)."""
    return [{**q, "expected": [q["expected"]] if isinstance(q["expected"], str) else q["expected"]}
            for q in json.loads((DATA / name).read_text(encoding="utf-8"))]  # fmt: skip


def timed_at_scale(docs: list[dict[str, Any]], encoder: Encoder, queries: list[dict[str, Any]], size: int) -> None:
    """Grow the index to `size` cases (the labelled ones again under other ids, their vectors nudged so no two are
    alike) and time the service's search, with and without embedding the query."""
    rng = np.random.default_rng(7)
    grown = []
    for n in range(size):
        doc = dict(docs[n % len(docs)])
        doc["_id"] = f"{doc['_id']}-{n}"
        for field in ("vector_whole", "vector_short"):
            vector = np.frombuffer(doc[field], dtype=np.float32) + rng.normal(0, 0.02, DIMENSIONS).astype(np.float32)
            doc[field] = (vector / np.linalg.norm(vector)).astype(np.float32).tobytes()
        grown.append(doc)
    started = time.perf_counter()
    index = indexed(grown)
    index.nearest(encoder._encode(["warm-up"])[0], 5)
    print(f"\n{size:,} cases: index built in {time.perf_counter() - started:.2f} s")
    searches, whole = [], []
    for q in queries:
        began = time.perf_counter()
        vector = encoder._encode([q["query"]])[0]
        middle = time.perf_counter()
        index.nearest(vector, 5)
        searches.append((time.perf_counter() - middle) * 1000)
        whole.append((time.perf_counter() - began) * 1000)
    for label, values in (("search alone", searches), ("embedding the query and searching", whole)):
        ordered = sorted(values)
        p99 = ordered[int(0.99 * (len(ordered) - 1))]
        print(f"  {label:34} p50 {statistics.median(values):6.1f} ms  p99 {p99:6.1f} ms  max {ordered[-1]:6.1f} ms"
              f"  ({len(values)} queries)")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print the rank of every query's case")
    parser.add_argument("--cases", type=int, default=10_000, help="index size for the timing (default 10,000)")
    args = parser.parse_args()
    cases = [c for name in ("knowledge_cases.json", "knowledge_more_cases.json")
             for c in json.loads((DATA / name).read_text(encoding="utf-8"))]  # fmt: skip
    by_id = {c["external_id"]: c for c in cases}
    sets = {
        "first set": labelled("knowledge_queries.json"),
        "paraphrase set": labelled("knowledge_paraphrased_queries.json"),
    }
    print(f"{len(cases)} cases; " + "; ".join(f"{name}: {len(q)} queries ({sum(x['cross_lingual'] for x in q)} "
                                                f"cross-lingual)" for name, q in sets.items())
          + f"; {platform.processor() or platform.machine()}, Python {platform.python_version()}")  # fmt: skip
    encoder = Encoder()
    started = time.perf_counter()
    encoder._encode(["load"])
    print(f"model load {time.perf_counter() - started:.2f} s")
    docs, seconds = await embedded(cases, encoder)
    print(f"embedding {len(cases)} cases (two texts each): {seconds:.2f} s")
    index = indexed(docs)
    for name, queries in sets.items():
        print(f"\n=== {name}")
        report("baseline: BM25 over words and Chinese character pairs", bm25(cases), queries, by_id, args.verbose)
        report("service: multilingual sentence embeddings", service(index, encoder), queries, by_id, args.verbose)
    timed_at_scale(docs, encoder, [q for qs in sets.values() for q in qs], args.cases)


if __name__ == "__main__":
    asyncio.run(main())
