"""The bilingual glossary of PACS/RIS terms (glossary/terms.yaml), and the matcher that finds its forms. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import yaml
from pydantic import Field, field_validator

from pacs_contracts.envelope import Contract

DEFAULT_GLOSSARY = Path(__file__).parents[1] / "glossary" / "terms.yaml"
HAN = re.compile(r"[\u4e00-\u9fff]")
CHUNKS = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]|[^\sa-z0-9\u4e00-\u9fff_\-]")


def key(form: str) -> str:
    """A form as the matcher looks it up: its chunks joined (lower case, no spaces, hyphens or underscores)."""
    return "".join(CHUNKS.findall(form.lower()))


class Words(Contract):
    en: list[str] = []
    zh: list[str] = []


class Concept(Words):
    @field_validator("zh")
    @classmethod
    def _no_single_characters(cls, forms: list[str]) -> list[str]:
        short = [form for form in forms if len(key(form)) < 2]
        if short:
            raise ValueError(f"a Chinese form of one character matches inside unrelated words: {short}")
        return forms


class GlossaryFile(Contract):
    concepts: dict[str, Concept] = Field(description="concept id -> its forms in each language")
    stopwords: Words = Field(Words(), description="words left out of the keyword side")
    products: dict[str, list[str]] = {}
    modules: dict[str, list[str]] = {}


class Matcher:
    """Finds the forms of a table (form -> label) in a text: leftmost, longest form first, each occurrence once.

    Text and forms are read as chunks (a run of Latin letters and digits, one Chinese character, one other sign;
    spaces, hyphens and underscores only separate), so "AE title" matches "ae-title" and "AE titles" but never
    the inside of a word, and 表空间 matches where it stands. A walk over prefixes: fast enough for every case.
    """

    def __init__(self, forms: dict[str, str]) -> None:
        self._labels: dict[str, str] = {}
        self._prefixes: set[str] = set()
        for form, label in forms.items():
            chunks = CHUNKS.findall(form.lower())
            self._labels[key(form)] = label
            self._prefixes.update("".join(chunks[:n]) for n in range(1, len(chunks) + 1))

    def _label(self, joined: str, last: str) -> str | None:
        if (label := self._labels.get(joined)) is not None or not last.endswith("s") or not last.isascii():
            return label  # a Latin plural matches its singular form
        return self._labels.get(joined[:-1]) or (self._labels.get(joined[:-2]) if last.endswith("es") else None)

    def find(self, text: str) -> list[str]:
        """The label of every form the text names, in order (a label twice when named twice)."""
        chunks, start = CHUNKS.findall(text.lower()), 0
        found: list[str] = []
        while start < len(chunks):
            joined, length, best = "", 1, None
            for end in range(start, len(chunks)):
                joined += chunks[end]
                if (label := self._label(joined, chunks[end])) is not None:
                    length, best = end - start + 1, label
                if joined not in self._prefixes:
                    break
            if best is not None:
                found.append(best)
            start += length
        return found


@dataclass(frozen=True)
class Glossary:
    """Concepts with their English and Chinese forms, other names of products and modules, and stop words."""

    concepts: dict[str, tuple[str, ...]]
    products: dict[str, tuple[str, ...]] = field(default_factory=dict)
    modules: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stop: frozenset[str] = frozenset()  # words too common to tell cases apart

    @cached_property
    def matcher(self) -> Matcher:
        return Matcher({form: concept for concept, forms in self.concepts.items() for form in forms})

    def named(self, text: str) -> list[str]:
        """The concepts the text names, once per mention."""
        return self.matcher.find(text)

    def expand(self, text: str) -> list[str]:
        """The forms, in either language, of every concept the text names: what the keyword side also looks for."""
        return [form for concept in dict.fromkeys(self.named(text)) for form in self.concepts[concept]]

    def chinese_forms(self) -> list[str]:
        """Forms with Chinese characters, for the word segmenter's dictionary (so 表空间 stays one word)."""
        names = [*self.concepts.values(), *self.products.values(), *self.modules.values()]
        return sorted({form for forms in names for form in forms if HAN.search(form)})


def parse_glossary(text: str) -> Glossary:
    data = GlossaryFile.model_validate(yaml.safe_load(text))
    concepts = {concept: (*forms.en, *forms.zh) for concept, forms in data.concepts.items()}
    seen: dict[str, str] = {}
    for concept, forms in concepts.items():
        for form in forms:
            if seen.setdefault(key(form), concept) != concept:
                raise ValueError(f"{form!r} is a form of both {seen[key(form)]!r} and {concept!r}")
    products = {name: tuple(forms) for name, forms in data.products.items()}
    modules = {name: tuple(forms) for name, forms in data.modules.items()}
    return Glossary(concepts, products, modules, frozenset(data.stopwords.en + data.stopwords.zh))


@lru_cache(maxsize=4)
def load_glossary(path: Path = DEFAULT_GLOSSARY) -> Glossary:
    """The glossary the service ships (or another file), read once per process."""
    return parse_glossary(path.read_text(encoding="utf-8"))
