"""「這份文件在講什麼？」 for any layout (assistant/overview.py, shapes.OVERVIEW), and 「你有哪些資料？」,
the catalogue of the documents (shapes.CATALOGUE, flow.DirectReplies._catalogue).

Fast: the outline of fake passages (a law without chapters, one with chapters, a guide whose
formal parts hold sub-points and an appended law, a report of named sections), and which
questions ask for an overview. Quick tier end to end: the seed and two real regulations with
fake embeddings, the document a question names chosen by its title.
"""

from __future__ import annotations

import pytest
from corpus_docs import RESULTS, laws_corpus
from langchain_core.embeddings import DeterministicFakeEmbedding

from assistant import Assistant
from assistant.answer import ExtractiveAnswerer
from assistant.headings import Heading, heading_citations, named_headings
from assistant.overview import numbering, outline, states_content
from assistant.reply import Passage
from assistant.retrieve import Retriever
from assistant.shapes import asked_document_kind, asks_catalogue, asks_overview
from core.text import to_search_form
from ingest.index import IndexStore


def _p(section: str, start: int, kind: str = "text", text: str = "一句說明內容的句子。") -> Passage:
    return Passage(
        id=f"p{start}", source="d.txt", section=section, text=text, start=start, end=start + 10, kind=kind
    )


@pytest.mark.parametrize(
    "question",
    [
        "這份文件在講什麼？",
        "这份文件主要在讲什么",
        "這份文件整體是在介紹什麼？",
        "這份研發替代役的辦法在講什麼？",
        "請簡單介紹這份文件",
        "本辦法規定了哪些事項？",
        "這份簡報的內容是什麼？",
        "這個網頁在說什麼呢",
        "整份文件大概在講啥",
        "What is this document about?",
        "這份筆記整理的是什麼東西？",
        "這份報告收錄了哪些內容",
    ],
)
def test_questions_about_a_whole_document_ask_for_an_overview(question: str) -> None:
    assert asks_overview(to_search_form(question))


@pytest.mark.parametrize(
    "question",
    [
        "本辦法規定的補助上限是多少？",  # a fact the document states
        "這份文件提到的申請期限是哪天？",
        "本法所稱中小企業是指什麼？",
        "此辦法在哪一年發布？",
        "本辦法第五條規定什麼？",  # one article, not the document
        "產創條例第27條在講什麼",
        "本辦法的補助內容是什麼？",
        "這份報告整理的補助金額是多少？",
    ],
)
def test_questions_about_one_thing_in_a_document_do_not(question: str) -> None:
    assert not asks_overview(to_search_form(question))


def test_a_law_is_its_articles_opened_by_the_first_article() -> None:
    header = _p("法規名稱：某某辦法", 0, text="修正日期：民國105年01月21日")
    articles = [
        _p("前言｜第1條", 40, "article"),
        _p("前言｜第2條", 80, "article"),
        _p("前言｜第2條", 90, "article"),
    ]
    shape = outline([articles[2], header, *articles[:2]], "某某辦法", max_sections=8)
    assert shape is not None and shape.rule == "articles"
    assert shape.lead == "這份文件（某某辦法）共2條。"  # two parts of 第2條 are one article
    assert shape.openings[0].section == "前言｜第1條"


def test_a_law_with_chapters_lists_them() -> None:
    passages = [
        _p("第一章 總則｜第1條", 0, "article"),
        _p("第一章 總則｜第2條", 20, "article"),
        _p("第二章 補助｜第3條", 40, "article"),
    ]
    shape = outline(passages, "某法", max_sections=8)
    assert shape is not None and shape.lead == "這份文件（某法）共3條，分成2章：第一章 總則、第二章 補助。"


def test_a_guide_lists_its_own_parts_and_quotes_its_introduction() -> None:
    sections = [
        "經濟部編印",
        "壹、前言",
        "一、申請資格",
        "貳、申請資格",
        "（一）公司",
        "參、審查",
        "第一章總則",
    ]
    passages = [_p(s, 10 * i) for i, s in enumerate(sections)]
    shape = outline(passages, "申請須知", max_sections=3)
    assert shape is not None and shape.rule == "sections"
    assert shape.lead == "這份文件（申請須知）分成3個部分：壹、前言；貳、申請資格；參、審查。"
    assert shape.openings[0].section == "壹、前言"


def test_a_report_of_named_sections_lists_them_all() -> None:
    names = ["前言", "推動新創事業 挹注成長動能", "打造產業聚落 驅動區域創新"]
    shape = outline([_p(s, 10 * i) for i, s in enumerate(names)], "概況", max_sections=8)
    assert shape is not None and shape.lead == f"這份文件（概況）分成3個部分：{'、'.join(names)}。"
    assert outline([_p("前言", 0), _p("概況", 10)], "概況", max_sections=8) is None  # one part: no overview


def test_field_lines_and_numbering() -> None:
    assert not states_content("修正日期：民國105年01月21日")
    assert not states_content("地 址：台北市中正區重慶南路2段51號7樓")
    assert states_content(
        "說明：本計畫旨在協助中小企業導入人工智慧應用，提升產業競爭力與創新能量，並促進跨域合作與人才培育。"
    )
    assert states_content("本辦法依替代役實施條例第五條之一第二項規定訂定之。")
    assert [
        numbering(h)
        for h in ("第 二 章 補助", "肆、應備資料", "三、審查", "（二）公司", "2. 文件", "2.5 億", "前言")
    ] == [
        "chapter",
        "formal",
        "chinese",
        "bracketed",
        "arabic",
        "",
        "",
    ]


@pytest.fixture(scope="module")
def laws_bot(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """The seed and two real regulations with their manifest titles, fake vectors."""
    settings = laws_corpus(tmp_path_factory.mktemp("overview"))
    embeddings = DeterministicFakeEmbedding(size=32)
    store = IndexStore(settings, embeddings)
    retriever = Retriever(store, embeddings, settings)
    return Assistant(settings, store, embeddings, retriever, ExtractiveAnswerer(settings))


def test_the_named_law_is_outlined_by_its_articles_and_first_article(laws_bot: Assistant) -> None:
    reply = laws_bot.ask("這份成果歸屬及運用辦法在講什麼？")
    assert not reply.refused
    assert (
        reply.answer.startswith("這份文件（經濟部科學技術研究發展成果歸屬及運用辦法）[1]共")
        and "第一章 總則[2]" in reply.answer
    )
    assert {c.source for c in reply.citations} == {RESULTS} and reply.citations[-1].section.endswith("第1條")
    assert (
        reply.citations[1].quote.replace(" ", "") == "第一章總則"
    )  # the chapter's heading line, as the source spaces it
    assert "overview: the articles" in reply.notes["trace"]["rules"][-1]
    assert "cites the heading lines" in reply.notes["trace"]["rules"][-1]


def test_the_named_report_is_outlined_by_its_sections(laws_bot: Assistant) -> None:
    reply = laws_bot.ask("這份科技專案推動概況的文件在講什麼？")
    assert reply.answer.startswith(
        "這份文件（經濟部科技研究發展專案（科技專案）推動概況）分成6個部分：前言、"
    )
    assert reply.citations[0].source == "moea-doit-tech-programs-overview.txt"
    assert "推動科技專案 引領創新能量[1]" in reply.answer  # 前言 has no heading line to cite
    assert reply.citations[0].quote == "推動科技專案 引領創新能量"


@pytest.mark.parametrize(
    "question",
    [
        "你有哪些資料可以查",
        "資料庫裡有哪些文件？",
        "這些文件在講什麼？",
        "你可以回答什麼問題",
        "What documents do you have?",
    ],
)
def test_questions_about_the_collection_ask_for_the_catalogue(question: str) -> None:
    from assistant.query import analyse

    assert asks_catalogue(to_search_form(analyse(question).focus))


@pytest.mark.parametrize(
    "question",
    ["申請要準備哪些文件？", "有哪些文件要繳交", "你們有哪些補助", "這份文件在講什麼？", "查核的結果要給誰"],
)
def test_questions_about_what_the_documents_say_do_not(question: str) -> None:
    from assistant.query import analyse

    assert not asks_catalogue(to_search_form(analyse(question).focus))


def test_the_catalogue_names_every_document_with_a_cited_sentence(laws_bot: Assistant) -> None:
    # Three documents, none named: 「這份文件」 could be any of them, so each is listed.
    for question in ("你有哪些資料可以查？", "請簡單介紹這份文件"):
        reply = laws_bot.ask(question)
        assert not reply.refused and reply.answer.startswith("我依據收錄的3份文件回答：")
        titles = laws_bot.retriever.document_titles()
        assert sorted(c.source for c in reply.citations) == sorted(titles)
        for n, title in enumerate(titles.values(), start=1):
            assert f"{n}.《{title}》：" in reply.answer
        assert "catalogue: 3 of 3 documents" in reply.notes["trace"]["rules"][-1]
        # No citation quotes a document's bare title or a header's field line.
        assert all(c.quote not in titles.values() and states_content(c.quote) for c in reply.citations)


def test_the_kind_of_document_a_question_points_at() -> None:
    kinds = [
        asked_document_kind(to_search_form(q))
        for q in (
            "這份條例在講什麼？",
            "這個網頁在說什麼",
            "這份文件在講什麼？",
            "本辦法規定了哪些事項？",
            "這份逐字稿在講什麼",
        )
    ]
    assert kinds == ["条例", "网页", "", "办法", "逐字稿"]


def test_a_kind_named_by_one_title_picks_that_document(laws_bot: Assistant) -> None:
    # 概況 is in one title only (the seed's 推動概況); 辦法 is in both regulations' titles.
    reply = laws_bot.ask("這份概況在講什麼？")
    assert reply.answer.startswith("這份文件（經濟部科技研究發展專案（科技專案）推動概況）")
    assert laws_bot.ask("這份辦法在講什麼？").answer.startswith("我依據收錄的3份文件回答：")
    # No title says 法規; two documents are laws of articles: still the catalogue.
    assert laws_bot.ask("這份法規在講什麼？").answer.startswith("我依據收錄的3份文件回答：")


def test_a_laws_kind_picks_the_one_document_of_articles() -> None:
    from types import SimpleNamespace
    from typing import Any

    from assistant.flow import DirectReplies

    titles = {"act.md": "生技醫藥產業發展條例", "notes.md": "政府產業發展方案整理", "visit.md": "來訪逐字稿"}
    one_law = SimpleNamespace(
        retriever=SimpleNamespace(
            sources_with_kind=lambda kind: {"act.md"},
            document_publishers=lambda: {"notes.md": "g0v 社群（HackMD 筆記）", "act.md": "經濟部"},
        )
    )
    pick: Any = DirectReplies._of_kind  # read with a fake retriever: only its sources_with_kind
    assert pick(one_law, "法规", titles) == "act.md"  # no title says 法規; one document has articles
    assert pick(one_law, "条例", titles) == "act.md"  # its title says 條例
    assert pick(one_law, "逐字稿", titles) == "visit.md"
    assert pick(one_law, "简报", titles) is None  # neither by title nor a law's kind
    assert pick(one_law, "笔记", titles) == "notes.md"  # no title says 筆記; its publisher does
    two_laws = SimpleNamespace(
        retriever=SimpleNamespace(
            sources_with_kind=lambda kind: {"act.md", "rules.md"}, document_publishers=lambda: {}
        )
    )
    assert pick(two_laws, "法规", titles) is None


def test_the_lead_marks_the_title_and_each_part_a_heading_states() -> None:
    names = ["前言", "推動新創事業 挹注成長動能", "打造產業聚落 驅動區域創新"]
    shape = outline([_p(s, 10 * i) for i, s in enumerate(names)], "某某概況：年報", max_sections=8)
    assert shape is not None and shape.parts == tuple(names)
    marked = shape.marked({"某某概況：年報": 1, names[2]: 2})
    assert (
        marked
        == "這份文件（某某概況：年報）[1]分成3個部分：前言、推動新創事業 挹注成長動能、打造產業聚落 驅動區域創新[2]。"
    )
    assert shape.marked({}) == shape.lead


def test_the_headings_that_state_the_names_are_found_whitespace_aside() -> None:
    headings = [
        Heading("法規名稱：某某補助辦法", 0, 11),
        Heading("第 一 章 總則", 30, 38),
        Heading("第二章 補助", 90, 96),
        Heading("附件：某某補助辦法修正對照表", 200, 214),
    ]
    found = named_headings(["前言", "第一章 總則", "第二章 補助"], "某某補助辦法", headings)
    assert found == {"某某補助辦法": headings[0], "第一章 總則": headings[1], "第二章 補助": headings[2]}
    passages = [_p("法規名稱：某某補助辦法", 12), _p("第一章 總則｜第1條", 40, "article")]
    markers, cited = heading_citations(
        found, ["某某補助辦法", "前言", "第一章 總則", "第二章 補助"], passages
    )
    assert markers == {"某某補助辦法": 1, "第一章 總則": 2}  # no passage follows 第二章's heading
    assert [(c.n, c.quote, c.start, c.passage_id) for c in cited] == [
        (1, "法規名稱：某某補助辦法", 0, "p12"),
        (2, "第 一 章 總則", 30, "p40"),
    ]
