"""Scope from document structure: titles a question names, headings, table rows, lead-ins with items (no models)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant
from assistant.answer import ExtractiveAnswerer
from assistant.evidence import QueryTerms, SentenceRecord, Term
from assistant.reply import Passage
from assistant.tables import heading_of, row_heading
from assistant.titles import NamedDocuments, heading_share, named_documents, scoped_passages
from assistant.units import items_of
from core.settings import PROJECT_ROOT, Settings
from core.text import sentence_spans, to_search_form
from ingest.index import run_ingest

TITLES = {
    "guide.pdf": "A+企業創新研發淬鍊計畫—AI應用躍昇計畫 申請須知",
    "overview.txt": "經濟部科技研究發展專案（科技專案）推動概況",
    "subsidy.txt": "經濟部推動研究機構進行產業創新及研究發展補助辦法",
    "local.md": "地方型 SBIR 總覽",
    "central.md": "SBIR 官方規範與申請指南（中央型）",
}
TEXTS = {
    "guide.pdf": to_search_form("AI應用躍昇計畫受理至12月31日。躍昇計畫補助3,000萬元。科技專案經費。"),
    "overview.txt": to_search_form("科技專案自1979年起啟動。科技專案布局六大領域。"),
    "subsidy.txt": to_search_form(
        "科技專案依其特性分為三類。研究機構應提出申請。研究機構之審查。科技專案管理費。"
    ),
    "local.md": to_search_form("地方型SBIR補助上限100萬。地方型SBIR由縣市政府辦理。"),
    "central.md": to_search_form("SBIR Phase 1補助150萬。SBIR Phase 2補助1,200萬。"),
}


def test_a_run_of_one_title_used_by_that_document_names_it() -> None:
    named = named_documents("AI應用躍昇計畫收件收到什麼時候", TITLES, TEXTS)
    assert named.sources == {"guide.pdf"}
    assert named.remainder("AI應用躍昇計畫收件收到什麼時候") == "收件收到什么时候"
    assert named_documents("研究機構送件後多久審完？", TITLES, TEXTS).sources == {"subsidy.txt"}


def test_a_title_word_several_documents_use_names_none() -> None:
    # 科技專案 is in one title, but three documents use it: it is a topic, not a name.
    assert not named_documents("科技專案分為哪三類？", TITLES, TEXTS).runs
    # SBIR is in two titles and both documents use it.
    assert not named_documents("SBIR補助多少？", TITLES, TEXTS).runs


def test_short_latin_words_and_short_runs_name_nothing() -> None:
    assert not named_documents("你是AI嗎？", TITLES, TEXTS).runs  # AI: too short to be a name
    # a run no other document uses names its document, even if only the title says it
    assert named_documents("申請須知在哪？", TITLES, {**TEXTS, "guide.pdf": ""}).sources == {"guide.pdf"}


def test_one_document_or_naming_off_gives_no_scope() -> None:
    only = {"guide.pdf": TITLES["guide.pdf"]}
    assert not named_documents("AI應用躍昇計畫收件到何時", only, TEXTS).runs
    assert not named_documents("AI應用躍昇計畫收件到何時", TITLES, TEXTS, min_run=0).runs


def test_the_document_named_at_greatest_length_wins() -> None:
    named = named_documents("地方型SBIR的補助上限", TITLES, TEXTS)
    assert named.sources == {"local.md"}
    assert named.scope == (("local.md", "地方型"),)


def test_heading_share_is_the_share_of_the_heading_the_question_names() -> None:
    assert heading_share("SBIR的創業海選補助多少錢", "創業海選") == 1.0
    assert heading_share("台北市的SITI補助上限", "台北市（SITI產業發展補助）") == pytest.approx(
        7 / 13
    )  # 台北市 and SITI of 9 + 4
    assert heading_share("科技專案是什麼", "推動科技專案 引領創新能量") < 0.5
    assert heading_share("任何問題", "") == 0.0


class _FakeRetriever:
    """Records the searches made; returns fixed passages per call."""

    def __init__(self, scoped: list[Passage], headed: list[Passage]) -> None:
        self.scoped, self.headed, self.calls = scoped, headed, []  # type: ignore[var-annotated]

    def search(self, query: str, mode: str | None = None, sources: set[str] | None = None) -> list[Passage]:
        self.calls.append((query, sources))
        return self.scoped

    def under_headings(self, question: str, min_share: float, most: int) -> list[Passage]:
        self.calls.append((question, min_share, most))
        return self.headed[:most]


def _passage(
    pid: str,
    source: str = "guide.pdf",
    section: str = "壹",
    kind: str = "text",
    text: str = "",
    start: int = 0,
) -> Passage:
    """A passage whose text runs from ``start`` (a placeholder text when none is given)."""
    text = text or f"文字{pid}"
    return Passage(
        id=pid, source=source, section=section, text=text, start=start, end=start + len(text), kind=kind
    )


_HEADINGS = Settings(heading_min_share=0.5, heading_passages=4)


def test_scoped_passages_lead_with_the_named_document_searched_without_its_name() -> None:
    found = [_passage("a", "other.md"), _passage("b")]
    fake = _FakeRetriever([_passage("b"), _passage("c")], [_passage("h")])
    named = NamedDocuments({"guide.pdf": ["ai应用跃升计划"]})
    out = scoped_passages(fake, named, "AI應用躍昇計畫收件到何時", found, None, _HEADINGS)
    assert [p.id for p in out] == ["b", "c", "a", "h"]
    assert fake.calls[0] == ("收件到何时", {"guide.pdf"})
    # neither named nor headed: as found, and nothing searched
    quiet = _FakeRetriever([], [])
    assert scoped_passages(quiet, NamedDocuments(), "問題", found) == found and not quiet.calls


def _records(text: str, row: bool = False, pid: str = "p") -> list[SentenceRecord]:
    """Sentences as ingest cuts them: a row is one unit, other text is cut at 。；： and line breaks."""
    spans = sentence_spans(text, pattern=re.compile(r"\n" if row else r"[。；：][」）]*|\n"))
    return [SentenceRecord(f"{pid}{a}", text[a:b], a, b, np.ones(4, np.float32) / 2) for a, b in spans]


ARTICLE = "科技專案執行期間屆滿後應進行查證。本部依前項查證結果，得作下列決定：\n一、准予結案。\n二、限期改善。\n三、不予結案。"


def test_a_lead_in_holds_its_items_and_other_sentences_hold_none() -> None:
    records = _records(ARTICLE)
    lead = next(r for r in records if r.text.endswith("：") or r.text.endswith("決定："))
    assert items_of(records, lead) == "一、准予結案。\n二、限期改善。\n三、不予結案。"
    assert items_of(records, records[0]) == ""


def test_a_row_sits_under_its_table_heading() -> None:
    row = _passage("r", section="台北市（SITI產業發展補助）｜表2 第4列", kind="row")
    assert row_heading(row) == "台北市（SITI產業發展補助）｜表2"
    assert row_heading(_passage("t", section="台北市（SITI產業發展補助）")) == ""


def _score(question: str, terms: tuple[Term, ...], passages: list[Passage], scope: tuple = ()) -> list:
    query = QueryTerms(terms, (), True, question=to_search_form(question), scope=scope)
    records = {p.id: _records(p.text, p.kind == "row", p.id) for p in passages}
    vector = np.ones(4, np.float32) / 2
    return ExtractiveAnswerer().score(query, vector, passages, lambda p: records[p.id])


def _terms(*words: str) -> tuple[Term, ...]:
    return tuple(Term((to_search_form(w),), 1.0) for w in words)


def test_a_named_document_holds_its_title_words_in_every_sentence() -> None:
    guide = _passage("g", text="自公告日起受理至12月31日止。")
    other = _passage("o", "other.md", "貳", text="躍昇計畫的收件說明見官網。")
    terms = _terms("躍昇計畫", "受理")
    assert (
        _score("躍昇計畫何時受理", terms, [other, guide])[0].passage.id == "o"
    )  # ranked first, same coverage
    scoped = _score("躍昇計畫何時受理", terms, [other, guide], (("guide.pdf", to_search_form("躍昇計畫")),))
    assert scoped[0].passage.id == "g"
    # it ranks, but supports nothing: the sentence itself still holds half of the question
    assert scoped[0].coverage == pytest.approx(0.5)


def test_a_row_holds_the_words_of_its_heading() -> None:
    row = _passage("r", "local.md", "台北市（SITI）｜表2 第4列", "row", "項目：補助上限；內容：最高300萬")
    (ev,) = _score("台北市的補助上限", _terms("台北市", "上限"), [row])
    assert ev.coverage == pytest.approx(1.0)  # 台北市 from the heading, 上限 from the row


def test_a_passage_sits_under_its_heading_without_its_row_or_article_label() -> None:
    assert heading_of(_passage("r", section="台北市｜表2 第4列", kind="row")) == "台北市｜表2"
    assert heading_of(_passage("a", section="第四章 研發成果之收入｜第24條", kind="article")) == (
        "第四章 研發成果之收入"
    )
    assert heading_of(_passage("t", section="Phase 1 審查")) == "Phase 1 審查"


def test_a_list_item_or_an_faq_answer_holds_the_words_of_its_heading() -> None:
    # Items of a Markdown list never repeat their heading (SBIR guide: ### Phase 1 審查 … - 現場簡報
    # 15-20 分鐘), nor does the answer under an FAQ's question heading.
    item = _passage("i", "central.md", "Phase 1 審查", text="現場簡報 15-20 分鐘")
    (ev,) = _score("Phase 1 審查的簡報要多久", _terms("phase 1", "審查", "簡報"), [item])
    assert ev.coverage == pytest.approx(1.0)  # phase 1 and 審查 from the heading
    faq = _passage("q", "local.md", "Q3：分公司可以申請嗎？", text="多數縣市規定只有總公司可以申請。")
    other = _passage("o", "local.md", "申請資格", text="總公司須設於本市。", start=40)
    scored = _score("分公司能申請嗎", _terms("分公司", "申請"), [other, faq])
    assert scored[0].passage.id == "q" and scored[0].coverage == pytest.approx(1.0)


def test_the_items_of_a_guide_sit_under_their_heading() -> None:
    # A second Markdown document: its numbered and bulleted items are passages of their heading.
    from ingest.structure import parse_document

    raw = (DATA / "startup-guide.md").read_text(encoding="utf-8")
    cleaned, _meta = parse_document(raw, "md")
    item = next(b for b in cleaned.blocks if cleaned.text[b.start : b.end].startswith("每年受理一次"))
    assert item.section == "申請方式"


def test_a_lead_in_with_items_answers_a_list_question() -> None:
    law = _passage("l", "law.txt", "第四章｜第28條", text=ARTICLE)
    scored = _score("結案查證的結果有哪幾種", _terms("查證", "結案"), [law])
    lead = next(e for e in scored if e.sentence.text.endswith("決定："))
    assert lead.coverage == pytest.approx(1.0)  # 結案 is in its items
    assert lead.shape > 0 and scored[0] is lead


# -- on a small corpus of three kinds of document (hash embeddings) -------------------------------

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def three_documents(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    root = tmp_path_factory.mktemp("titles")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in ("startup-guide.md", "legislative-review.html", "moea-rd-results-regulation.txt"):
        shutil.copy(DATA / name, corpus / name)
    settings = Settings.from_env(environ={}, corpus_dir=corpus, data_dir=root / "data")
    fake = DeterministicFakeEmbedding(size=32)
    assert not run_ingest(settings, embeddings=fake, progress=False).failed
    return Assistant.load(settings, embeddings=fake)


def test_a_search_can_be_kept_to_some_documents(three_documents: Assistant) -> None:
    found = three_documents.retriever.search(
        "科技專案 新創團隊 預算", mode="hybrid", sources={"startup-guide.md"}
    )
    assert found and {p.source for p in found} == {"startup-guide.md"}
    assert {p.source for p in three_documents.retriever.search("科技專案 新創團隊 預算", mode="hybrid")} != {
        "startup-guide.md"
    }


def test_the_retriever_finds_the_document_a_question_names(three_documents: Assistant) -> None:
    named = three_documents.retriever.named_documents("成果歸屬及運用辦法是根據哪個法訂的？")
    assert named.sources == {"moea-rd-results-regulation.txt"}
    assert not three_documents.retriever.named_documents("2021年培育了幾組團隊？").runs


def test_rows_under_a_named_heading_are_read(three_documents: Assistant) -> None:
    rows = three_documents.retriever.under_headings("歷年預算各是多少？", 0.5, 8)
    assert rows and all(p.section.startswith("歷年預算") for p in rows)
    assert any(p.kind == "row" and "107" in p.text for p in rows)
    assert three_documents.retriever.under_headings("歷年預算各是多少？", 0.0, 8) == []
    assert len(three_documents.retriever.under_headings("歷年預算各是多少？", 0.5, 2)) == 2


def test_headings_are_words_of_the_documents(three_documents: Assistant) -> None:
    retriever = three_documents.retriever
    # 年培 (歷年培育成果) is in a heading only: the speller's vocabulary has it, BM25's has not
    assert "年培" not in retriever.bm25.vocab
    assert retriever.bigram_frequencies()["年培"] >= 1
    assert retriever.knows(to_search_form("歷年培育成果")) and not retriever.knows(to_search_form("年培育果"))


def test_a_follow_up_stays_with_the_document_of_the_last_answer(three_documents: Assistant) -> None:
    law = [
        {"role": "user", "content": "研發成果要上繳嗎？"},
        {"role": "assistant", "content": "執行單位應將研發成果收入之一定比率繳交本部，學校為百分之二十。"},
    ]
    assert three_documents.answer_document(law).sources == {"moea-rd-results-regulation.txt"}
    assert not three_documents.answer_document([{"role": "user", "content": "你好"}]).runs
    off = three_documents.settings.replace(answer_scope_passages=0)
    assert not Assistant(off, *_parts(three_documents)).answer_document(law).runs


def _parts(bot: Assistant) -> tuple:
    return (bot.store, bot.embeddings, bot.retriever, bot.answerer)


def test_among_them_always_leans_on_the_turn_before(three_documents: Assistant) -> None:
    history = [
        {"role": "user", "content": "2021年培育了幾組新創團隊？"},
        {"role": "assistant", "content": "2021年培育44組[1]。"},
    ]
    # 其中 points back even when the question names words of its own; a leading 那 may start afresh
    assert three_documents.is_follow_up("其中有幾組成立新創公司？", history)
    assert not three_documents.is_follow_up("那研發成果歸屬的規定是什麼？", history)


# -- the real model on real documents -------------------------------------------------------------


@pytest.fixture(scope="module")
def real_laws(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """The seed document and two real regulations, ingested with the bundled model."""
    root = tmp_path_factory.mktemp("real-laws")
    shutil.copytree(PROJECT_ROOT / "corpus", root / "corpus")
    for name in ("moea-rd-results-regulation.txt", "moea-research-institute-subsidy-regulation.txt"):
        shutil.copy(DATA / name, root / "corpus" / name)
    settings = Settings.from_env(environ={}, corpus_dir=root / "corpus", data_dir=root / "data")
    assert not run_ingest(settings, progress=False).failed
    return Assistant.load(settings)


@pytest.mark.slow
def test_an_amount_asked_for_may_be_a_share_of_another(real_laws: Assistant) -> None:
    reply = real_laws.ask("研究機構補助辦法第二十四條：產學研合作金額超過多少要專案報核？")
    assert not reply.refused, reply.notes
    assert "百分之五十" in reply.answer and reply.citations[0].section.endswith("｜第24條")


@pytest.mark.slow
def test_a_named_regulation_is_searched_on_its_own(real_laws: Assistant) -> None:
    named = real_laws.retriever.named_documents("研發成果歸屬運用辦法是根據哪個法訂的")
    assert named.sources == {"moea-rd-results-regulation.txt"}
    reply = real_laws.ask("研發成果歸屬運用辦法是根據哪個法訂的")
    assert reply.retrieved[0].source == "moea-rd-results-regulation.txt"


def test_the_rows_of_a_table_are_read_whole_from_any_of_its_rows(three_documents: Assistant) -> None:
    # Two documents' tables: a Markdown one (歷年培育成果, 3 rows) and an HTML one (歷年預算, 5 rows).
    retriever = three_documents.retriever
    for source, rows in (("startup-guide.md", 3), ("legislative-review.html", 5)):
        found = [p for p in retriever.search("年度", k=50, mode="bm25", sources={source}) if p.kind == "row"]
        assert found, source
        table = retriever.table_rows(found[-1], 30)
        assert len(table) == rows and all(p.kind == "row" and p.source == source for p in table)
        assert [p.start for p in table] == sorted(p.start for p in table)  # document order
        assert found[-1].id in {p.id for p in table}
        assert len(retriever.table_rows(found[-1], 2)) == 2
    prose = next(p for p in retriever.search("研發成果", k=10, mode="bm25") if p.kind != "row")
    assert retriever.table_rows(prose, 30) == []


def test_a_heading_with_a_label_is_named_with_the_words_after_it() -> None:
    question = "SBIR Phase 1 審查的簡報要講多久？"
    assert heading_share(question, "Phase 1審查") == 1.0  # 「Phase 1 審查」 and 「Phase 1審查」 alike
    # Phase 2 shares only its word: named less than the Phase 1 heading
    assert heading_share(question, "Phase 2審查") < heading_share(question, "Phase 1審查")


def test_the_best_named_heading_is_read_first(three_documents: Assistant) -> None:
    retriever = three_documents.retriever
    question = "科技專案預算的歷年培育成果是多少？"  # 歷年培育成果 whole, 科技專案預算評估報告 in part
    headings = [p.section.split("｜")[0] for p in retriever.under_headings(question, 0.5, 50)]
    assert set(headings) == {"歷年培育成果", "科技專案預算評估報告"}
    assert headings.index("科技專案預算評估報告") > max(
        i for i, h in enumerate(headings) if h == "歷年培育成果"
    )


def test_the_enacting_clause_leads_a_legal_basis_question(three_documents: Assistant) -> None:
    retriever = three_documents.retriever
    clauses = retriever.formula_passages({"moea-rd-results-regulation.txt", "startup-guide.md"}, "enacting")
    assert [p.section.rsplit("｜", 1)[-1] for p in clauses] == ["第1條"]
    found = retriever.search("成果歸屬及運用辦法是根據哪個法訂的？", mode="hybrid")
    named = retriever.named_documents("成果歸屬及運用辦法是根據哪個法訂的？")
    led = scoped_passages(retriever, named, "成果歸屬及運用辦法是根據哪個法訂的？", found, None, _HEADINGS)
    assert led[0].id == clauses[0].id
    plain = scoped_passages(retriever, named, "成果歸屬及運用辦法是誰訂的？", found, None, _HEADINGS)
    assert plain[0].id != clauses[0].id or "依" not in found[0].text


@pytest.mark.slow
def test_legal_basis_and_definition_questions_get_their_formula(real_laws: Assistant) -> None:
    for question, law, label in (
        ("研發成果歸屬運用辦法是根據哪個法訂的", "科學技術基本法", "｜第1條"),
        ("研究機構補助辦法是依據哪一條訂定的？", "產業創新條例", "｜第1條"),
        ("辦法裡講的「研發成果」具體包含哪些東西？", "營業秘密", "｜第4條"),
        (
            "研究機構補助辦法最近一次是什麼時候修正的？",
            "109年8月27日",
            "補助辦法",
        ),  # its history, above 第1條
    ):
        reply = real_laws.ask(question)
        assert not reply.refused, reply.notes
        assert law in reply.answer and reply.citations[0].section.endswith(label), reply.answer


def test_a_law_formula_answers_only_what_the_question_names() -> None:
    law = "經濟部科學技術研究發展成果歸屬及運用辦法"
    history = _passage("h", "law.txt", law, text="修正日期：民國111年1月25日")
    report = _passage(
        "r", "overview.txt", "推動新創事業", text="本部於2022年1月25日修正發布該辦法，增訂新創專章。"
    )
    # each passage one sentence, as ingest keeps a history line whole
    records = {
        p.id: [SentenceRecord(p.id, p.text, 0, len(p.text), np.ones(4, np.float32) / 2)]
        for p in (history, report)
    }

    def score(question: str, terms: tuple[Term, ...]) -> list:
        query = QueryTerms(terms, (), True, question=to_search_form(question))
        return ExtractiveAnswerer().score(
            query, np.ones(4, np.float32) / 2, [report, history], lambda p: records[p.id]
        )

    # the whole law's amendment: its history line answers
    whole = score("成果歸屬及運用辦法哪年修正的？", _terms("歸屬", "運用", "辦法"))
    assert whole[0].passage.id == "h" and whole[0].shape > 0
    # one amendment, which the history line does not name: the sentence that names it answers
    one = score("新創專章是哪一天修正發布的？", _terms("新創專章", "修正", "發布"))
    assert one[0].passage.id == "r" and all(e.shape == 0 for e in one)


def test_a_title_shortened_the_chinese_way_names_its_document() -> None:
    laws = {"act.html": "產業創新條例", "sme.md": "中小企業發展條例", "basic.txt": "科學技術基本法"}
    texts = {s: to_search_form(t) for s, t in laws.items()}
    assert named_documents("產創條例第27條在講什麼", laws, texts).sources == {"act.html"}
    assert named_documents("中小條例怎麼定義中小企業？", laws, texts).sources == {"sme.md"}
    assert named_documents("科技基本法第6條", laws, texts).scope == (("basic.txt", "科技基本法"),)
    # 本條例 is no abbreviation of any of them: it does not start where a title starts
    assert not named_documents("本條例第6條在講什麼", laws, texts).runs


def test_a_lead_in_is_the_list_asked_for_only_when_it_announces_one_or_names_the_noun() -> None:
    from assistant.titles import announces_list

    asked = to_search_form("補助對象有哪些？")
    steps = "「科專類」補助計畫從申請、審查到執行與結案之流程："
    assert not announces_list(asked, steps, to_search_form(steps + "\n1.申請人應備妥資料。\n2.資格審查。"))
    assert announces_list(asked, "申請人應具備下列資格：", "申請人應具備下列資格：")  # announces a list
    assert announces_list(
        asked, "本計畫之補助對象：", to_search_form("本計畫之補助對象：\n1.公司。\n2.學校。")
    )
    assert announces_list(to_search_form("有哪些？"), steps, steps)  # no noun asked: any list
