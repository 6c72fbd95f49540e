"""The keyword side of the escalation database's search: a text's terms and Okapi BM25 over cases' terms. Pure."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable

import numpy as np

from pacs_escalation.domain.glossary import Glossary

# Words of Latin letters and digits, kept whole when joined by - _ ^ . : / (C-STORE, ORM^O01, ORA-01653, PACS_DATA)
LATIN = re.compile(r"[a-z0-9]+(?:[-_^.:/][a-z0-9]+)*")
JOINERS = re.compile(r"[-_^.:/]")
HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
CONCEPT = "§"  # marks a glossary concept among the terms; no word contains it
Cut = Callable[[str], Iterable[str]]


def _stem(word: str) -> str:
    """A plural to its singular, roughly: enough for the words of fault reports."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _latin(text: str, stop: frozenset[str]) -> list[str]:
    found = []
    for match in LATIN.finditer(text):
        word = match.group()
        parts = JOINERS.split(word) if JOINERS.search(word) else []
        for term in (word, *(p for p in parts if not p.isdigit())):
            if len(term) > 1 and term not in stop:
                found.append(_stem(term))
    return found


def terms(text: str, cut: Cut, glossary: Glossary) -> list[str]:
    """The terms a text is searched by: its Latin words, the words `cut` (a Chinese segmenter) finds in its Chinese,
    and the glossary's concepts it names, in either language."""
    lowered = text.lower()
    chinese = [w for run in HAN_RUN.findall(lowered) for w in cut(run) if len(w) > 1 and w not in glossary.stop]
    return [*_latin(lowered, glossary.stop), *chinese, *(CONCEPT + concept for concept in glossary.named(lowered))]


class Bm25:
    """Okapi BM25 over rows of terms, kept current as rows are added or replaced; scores only the rows asked for."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self._docs: list[Counter[str]] = []
        self._lengths: list[int] = []
        self._total = 0
        self._df: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._docs)

    def put(self, row: int, words: list[str]) -> None:
        """Set row `row` (the next new row, or one already there) to these terms."""
        counts = Counter(words)
        if row == len(self._docs):
            self._docs.append(Counter())
            self._lengths.append(0)
        self._df.subtract(self._docs[row].keys())
        self._df.update(counts.keys())
        self._total += len(words) - self._lengths[row]
        self._docs[row], self._lengths[row] = counts, len(words)

    def scores(self, query: list[str], rows: np.ndarray) -> np.ndarray:
        """The BM25 score of each of `rows` for the query's terms (each term counted once)."""
        total = np.zeros(len(rows), dtype=np.float64)
        if not self._docs or not len(rows):
            return total
        n, average = len(self._docs), max(self._total / len(self._docs), 1.0)
        norm = self.k1 * (1 - self.b + self.b * np.array([self._lengths[r] for r in rows]) / average)
        for term in dict.fromkeys(query):
            df = self._df.get(term, 0)
            if df <= 0:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = np.array([self._docs[r].get(term, 0) for r in rows], dtype=np.float64)
            total += idf * tf * (self.k1 + 1) / (tf + norm)
        return total
