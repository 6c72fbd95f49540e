"""The escalation database's in-memory index: every case's two vectors, its words and its product, module and
version, kept current from the collection, and the search over them (the ranking itself: domain/ranking.py).

Chinese is segmented by jieba, whose dictionary (with the glossary's Chinese forms added) takes about a second to
load: the warm-up loads it once, in a worker thread, and so does the first refresh if a search comes first.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import datetime
from typing import Any

import numpy as np

from pacs_escalation.adapters.knowledge import DIMENSIONS, Cases
from pacs_escalation.domain import lexical, ranking
from pacs_escalation.domain.glossary import Glossary, Matcher, load_glossary
from pacs_escalation.domain.knowledge import WHOLE_WEIGHT, texts
from pacs_escalation.domain.ranking import FACETS, HYBRID, Facets, Weights, facet_value
from pacs_kit.mongo import Document


class Analyser:
    """A text's search terms (domain/lexical.py), with jieba as the Chinese segmenter."""

    def __init__(self, glossary: Glossary | None = None) -> None:
        self.glossary = glossary or load_glossary()
        self._jieba: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._jieba is not None

    def load(self) -> None:
        """Load jieba's dictionary and add the glossary's Chinese forms as words, once (blocks for about a second)."""
        with self._lock:
            if self._jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)  # not its "building prefix dict" lines at every start
                segmenter = jieba.Tokenizer()
                segmenter.initialize()
                for form in self.glossary.chinese_forms():
                    if lexical.HAN_RUN.fullmatch(form):
                        segmenter.add_word(form)
                self._jieba = segmenter

    def terms(self, text: str) -> list[str]:
        self.load()
        return lexical.terms(text, self._jieba.cut_for_search, self.glossary)


class Index:
    """Every case in memory, kept current from the collection before each search."""

    def __init__(self, analyser: Analyser | None = None, weights: Weights = HYBRID) -> None:
        self.analyser = analyser or Analyser()
        self.weights = weights
        self._ids: list[str] = []
        self._rows: dict[str, int] = {}
        self._stamps: list[datetime] = []
        self._whole = np.zeros((0, DIMENSIONS), dtype=np.float32)
        self._short = np.zeros((0, DIMENSIONS), dtype=np.float32)
        self._words = lexical.Bm25()
        self._facets: list[dict[str, str | None]] = []
        self._namer: dict[str, Matcher] | None = None
        self._seen: datetime | None = None
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._ids)

    async def refresh(self, cases: Cases) -> None:
        async with self._lock:
            changed = self._changed(await cases.indexed_since(self._seen))
            if changed or not self.analyser.loaded:  # segmenting is CPU work: off the event loop
                self._put(changed, await asyncio.to_thread(self._analyse, changed))

    def take(self, changed: list[Document]) -> None:
        """Add or replace cases as stored (both vectors, the case's fields and `indexed_at`)."""
        changed = self._changed(changed)
        self._put(changed, self._analyse(changed))

    def _changed(self, docs: list[Document]) -> list[Document]:
        """The documents not already held as they are (the collection is re-read a little way back each time)."""
        fresh = [doc for doc in docs if (row := self._rows.get(doc["_id"])) is None
                 or self._stamps[row] != doc["indexed_at"]]  # fmt: skip
        return list({doc["_id"]: doc for doc in fresh}.values())

    def _analyse(self, docs: list[Document]) -> list[list[str]]:
        self.analyser.load()
        return [self.analyser.terms(texts(doc)[0]) for doc in docs]

    def _put(self, docs: list[Document], analysed: list[list[str]]) -> None:
        added_whole, added_short = [], []
        for doc, words in zip(docs, analysed, strict=True):
            whole = np.frombuffer(doc["vector_whole"], dtype=np.float32)
            short = np.frombuffer(doc["vector_short"], dtype=np.float32)
            facets = {facet: facet_value(doc.get(facet)) for facet in FACETS}
            row = self._rows.get(doc["_id"])
            if row is None:
                row = self._rows[doc["_id"]] = len(self._ids)
                self._ids.append(doc["_id"])
                self._stamps.append(doc["indexed_at"])
                self._facets.append(facets)
                added_whole.append(whole)
                added_short.append(short)
            else:
                self._whole[row], self._short[row] = whole, short
                self._stamps[row], self._facets[row] = doc["indexed_at"], facets
            self._words.put(row, words)
            self._seen = doc["indexed_at"] if self._seen is None else max(self._seen, doc["indexed_at"])
        if added_whole:
            self._whole = np.vstack([self._whole, *added_whole])
            self._short = np.vstack([self._short, *added_short])
        if docs:
            self._namer = None

    def similarity(self, query: np.ndarray) -> np.ndarray:
        """Every case's similarity to a query's vector: the whole case's and its title and symptom's, averaged."""
        return WHOLE_WEIGHT * (self._whole @ query) + (1 - WHOLE_WEIGHT) * (self._short @ query)

    def keyword_scores(self, terms: list[str], rows: np.ndarray) -> np.ndarray:
        return self._words.scores(terms, rows)

    def named(self, text: str) -> Facets:
        """The products, modules and versions of the cases that a query's text names."""
        if self._namer is None:
            known = {facet: {f[facet] for f in self._facets if f[facet]} for facet in FACETS}
            self._namer = ranking.namer(self.analyser.glossary, known)
        return ranking.named(text, self._namer)

    def matches(self, wanted: Facets, rows: np.ndarray) -> np.ndarray:
        return np.array([ranking.matching(self._facets[row], wanted) for row in rows], dtype=np.float64)

    def nearest(self, query: np.ndarray, limit: int) -> list[tuple[str, float]]:
        """The `limit` closest cases by meaning alone, best first, with their scores."""
        if not self._ids:
            return []
        scores = self.similarity(query)
        top = np.argsort(-scores)[:limit]
        return [(self._ids[i], round(float(scores[i]), 4)) for i in top]

    def search(self, query: np.ndarray, text: str, limit: int, asked: Facets | None = None,
               strict: bool = False) -> list[tuple[str, float]]:  # fmt: skip
        """The `limit` best cases for a query (its vector and its text), best first, with their scores; `asked`
        products, modules and versions lift the cases that carry them, or with `strict` admit only those."""
        if not self._ids:
            return []
        asked = {facet: values for facet, values in (asked or {}).items() if values}
        pool = None
        if strict and asked:
            pool = np.flatnonzero(self.matches(asked, np.arange(len(self._ids))) == len(asked))
            if not len(pool):
                return []
        terms, named = self.analyser.terms(text), self.named(text)
        found = ranking.ranked(
            self.similarity(query),
            lambda rows: self.keyword_scores(terms, rows),
            lambda rows: (self.matches(named, rows), self.matches(asked, rows)),
            self.weights,
            limit,
            pool,
        )
        return [(self._ids[row], round(score, 4)) for row, score in found]
