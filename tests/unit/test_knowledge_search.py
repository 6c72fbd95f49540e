"""The escalation database's hybrid search: words, the bilingual glossary, product/module/version, and the fusion."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pytest

from pacs_escalation.adapters.knowledge_index import Analyser, Index
from pacs_escalation.domain.glossary import Matcher, load_glossary, parse_glossary
from pacs_escalation.domain.lexical import Bm25, terms
from pacs_escalation.domain.ranking import HYBRID, Weights, matching, named, namer, ranked
from tests.factories import make_case

GLOSSARY = load_glossary()
QUERY = np.zeros(512, dtype=np.float32)
QUERY[0] = 1.0


def whole_runs(run: str) -> Iterable[str]:
    """A stand-in segmenter: each run of Chinese is one word (the glossary's concepts still match inside it)."""
    return [run]


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    """One segmenter for the module: jieba's dictionary takes a moment to load."""
    return Analyser()


@pytest.fixture
def indexed(analyser: Analyser) -> Callable[..., Index]:
    def index_of(*cases: dict[str, object]) -> Index:
        index = Index(analyser)
        index.take(list(cases))
        return index

    return index_of


def test_words_keep_their_dicom_and_hl7_shapes_and_name_the_glossarys_concepts() -> None:
    text = "C-STORE from CT_SCANNER1 rejected; ORM^O01 from the HIS; ORA-01653 on PACS_DATA"
    found = terms(text, whole_runs, GLOSSARY)
    assert {"c-store", "ct_scanner1", "orm^o01", "orm", "his", "ora-01653", "pacs_data"} <= set(found)
    assert {"§c-store", "§rejected", "§orm", "§his"} <= set(found)
    assert "the" not in found and "from" not in found


def test_a_chinese_query_finds_an_english_case_through_the_glossary() -> None:
    assert {"tablespace", "表空间"} <= set(GLOSSARY.expand("表空间满了"))
    assert GLOSSARY.named("表空间满了") == GLOSSARY.named("the tablespace is almost full")
    words = Bm25()
    words.put(0, terms("Empty modality worklist on ultrasound", whole_runs, GLOSSARY))
    words.put(1, terms("PACS_DATA tablespace almost full, inserts fail", whole_runs, GLOSSARY))
    words.put(2, terms("Receiver memory leak", whole_runs, GLOSSARY))
    scores = words.scores(terms("表空间满了，新检查入库失败", whole_runs, GLOSSARY), np.arange(3))
    assert scores.argmax() == 1 and scores[0] == scores[2] == 0


def test_through_the_index_a_chinese_query_lifts_the_english_case_among_equals(indexed: Callable[..., Index]) -> None:
    index = indexed(
        make_case(_id="WL", title="Empty modality worklist", symptom="Ultrasound receives zero worklist entries"),
        make_case(_id="TS", title="PACS_DATA tablespace almost full", symptom="Inserts fail with ORA-01653"),
    )
    assert [case for case, _ in index.search(QUERY, "表空间满了，入库报错", 2)] == ["TS", "WL"]
    assert [case for case, _ in index.search(QUERY, "设备拉不到工作列表", 2)] == ["WL", "TS"]


def test_the_segmenter_keeps_a_glossary_word_whole(indexed: Callable[..., Index]) -> None:
    index = indexed(make_case())
    assert "表空间" in index.analyser.terms("表空间满了")


def test_fusion_never_moves_the_dense_ranking_when_the_words_match_nothing_or_everything_alike() -> None:
    dense = np.random.default_rng(3).uniform(0.2, 0.8, 50)
    expected = list(np.argsort(-dense))[:10]
    for keywords in (np.zeros(50), np.full(50, 2.5)):
        found = ranked(dense, lambda rows, k=keywords: k[rows], lambda rows: (np.zeros(len(rows)),) * 2, HYBRID, 10)
        assert [row for row, _ in found] == expected


def test_words_only_reorder_the_dense_rankings_first_candidates() -> None:
    dense = np.linspace(0.9, 0.5, 30)
    keywords = np.zeros(30)
    keywords[[4, 25]] = 9.0  # a strong keyword match inside the candidates, and one far down the dense ranking
    weights = Weights(candidates=10, lexical=0.05)
    found = [row for row, _ in ranked(dense, lambda rows: keywords[rows], lambda rows: (np.zeros(len(rows)),) * 2,
                                      weights, 30)]  # fmt: skip
    assert found[0] == 4 and found.index(25) == 25


def test_an_asked_product_lifts_the_matching_case_above_an_otherwise_equal_one(indexed: Callable[..., Index]) -> None:
    ris = make_case(_id="B", product="RIS", module="worklist")
    index = indexed(make_case(_id="A"), ris)
    assert index.search(QUERY, "slow", 2)[0][0] == "A"  # a tie keeps the order cases came in
    assert index.search(QUERY, "slow", 2, {"product": frozenset({"ris"})})[0][0] == "B"
    assert [c for c, _ in index.search(QUERY, "slow", 2, {"module": frozenset({"worklist"})}, strict=True)] == ["B"]
    assert index.search(QUERY, "slow", 2, {"product": frozenset({"cardio"})}, strict=True) == []


def test_a_product_or_module_the_query_names_lifts_its_cases(indexed: Callable[..., Index]) -> None:
    index = indexed(make_case(_id="A"), make_case(_id="B", product="RIS", module="worklist"))
    assert index.named("RIS 登记台打不开")["product"] == {"ris"}
    assert index.named("设备拉不到工作列表")["module"] == {"worklist"}
    assert index.search(QUERY, "RIS is slow", 2)[0][0] == "B"


def test_facets_match_without_case_and_a_version_by_its_release_line() -> None:
    case = {"product": "pacs archive", "module": "storage", "version": "7.2.1"}
    assert matching(case, {"product": frozenset({"pacs archive"}), "version": frozenset({"7.2"})}) == 2
    assert matching(case, {"version": frozenset({"7.21"})}) == 0
    matchers = namer(GLOSSARY, {"product": {"pacs archive"}, "module": {"storage"}, "version": {"7.2.1"}})
    assert named("the PACS archive 7.2.1 storage", matchers) == {
        "product": {"pacs archive"}, "module": {"storage"}, "version": {"7.2.1"}}  # fmt: skip


def test_a_form_matches_spelled_apart_or_plural_but_never_inside_a_word() -> None:
    matcher = Matcher({"AE title": "ae-title", "C-STORE": "c-store", "表空间": "tablespace"})
    assert matcher.find("calling ae-title and AE titles; a cstore; 表空间满") == ["ae-title", "ae-title", "c-store",
                                                                                  "tablespace"]  # fmt: skip
    assert matcher.find("aerial maetitle") == []


def test_the_glossary_refuses_ambiguous_forms() -> None:
    with pytest.raises(ValueError, match="one character"):
        parse_glossary("concepts: {slow: {en: [slow], zh: [慢]}}")
    with pytest.raises(ValueError, match="both"):
        parse_glossary("concepts: {archive: {en: [archive]}, storage: {en: [Archive]}}")
    assert len(GLOSSARY.concepts) >= 100 and GLOSSARY.concepts["worklist"][:3] == ("modality worklist", "worklist",
                                                                                  "MWL")  # fmt: skip


def test_bm25_forgets_a_replaced_cases_old_words() -> None:
    words = Bm25()
    words.put(0, ["archive"])
    words.put(1, ["worklist"])
    words.put(0, ["printer"])
    assert words.scores(["archive"], np.arange(2)).tolist() == [0.0, 0.0]
    assert words.scores(["printer"], np.arange(2))[0] > 0
