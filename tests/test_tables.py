"""Table rows as answers: a row found by the heading its table sits under, and the row that
states the field a question names ranked over prose that only shares its words."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.reply import Passage
from assistant.tables import field_shape, row_fields
from core.settings import Settings
from core.text import to_search_form
from ingest.index import run_ingest

DATA = Path(__file__).parent / "data"


def _row(text: str, kind: str = "row") -> Passage:
    return Passage("p", "a.md", "研究類｜表1 第1列", text, 0, len(text), kind=kind)


def test_the_fields_of_a_row_are_its_headers() -> None:
    assert row_fields("縣市：台南市；補助上限：100萬；特色：綠能") == ["县市", "补助上限", "特色"]


def test_a_table_of_items_and_contents_names_its_field_in_the_first_cell() -> None:
    assert row_fields("項目：補助上限；內容：最高100萬") == ["补助上限"]
    assert row_fields("項目：主管機關；內容：臺中市政府經濟發展局；備註：無") == ["主管机关"]


def test_a_row_states_the_field_a_question_names() -> None:
    text = "申請對象：漁會；說明：依漁會法設立之各級漁會。"
    assert field_shape(to_search_form("推廣類的申請對象有哪些？"), _row(text), text) == "申请对象"
    assert field_shape(to_search_form("推廣類補助多少錢？"), _row(text), text) == ""
    # Generic headers name no field; prose is no row.
    assert field_shape(to_search_form("說明在哪裡"), _row(text), text) == ""
    assert field_shape(to_search_form("推廣類的申請對象有哪些？"), _row(text, kind="text"), text) == ""


@pytest.fixture(scope="module")
def grant_page(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    root = tmp_path_factory.mktemp("tables")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(DATA / "grant-categories.html", corpus / "grant-categories.html")
    settings = Settings.from_env(environ={}, corpus_dir=corpus, data_dir=root / "data")
    fake = DeterministicFakeEmbedding(size=32)
    assert not run_ingest(settings, embeddings=fake, progress=False).failed
    return Assistant.load(settings, embeddings=fake)


def test_rows_under_a_nested_heading_are_read_by_its_own_name(grant_page: Assistant) -> None:
    """「研究類」 is a small part of the path 「補助計畫類別 > 研究類」: named alone, its rows are read."""
    rows = grant_page.retriever.under_headings("研究類的申請對象有哪些？", 0.5, 8)
    assert rows and all(p.section.startswith("補助計畫類別 > 研究類") for p in rows)
    assert {p.text.split("；")[0] for p in rows if p.kind == "row"} == {
        "申請對象：大專校院",
        "申請對象：水產試驗機構",
    }


def test_a_column_question_is_answered_by_the_rows_of_the_named_table(grant_page: Assistant) -> None:
    reply = grant_page.ask("研究類的申請對象有哪些？")
    assert not reply.refused
    quoted = " ".join(c.quote for c in reply.citations)
    assert "大專校院" in quoted and "水產試驗機構" in quoted
    assert "漁會" not in quoted
    first = reply.citations[0]
    assert first.section.startswith("補助計畫類別 > 研究類｜表1")


def test_a_unit_of_a_long_row_states_no_field() -> None:
    """A long row is quoted by the sentences of its prose cells; 「資格初審：」 heads a sentence."""
    row = "作業流程：投件；資格初審：1.審查各項申請資格。3.於10天內補具相關申請資料。"
    unit = "資格初審：1.審查各項申請資格。"
    assert field_shape(to_search_form("資格初審資料不齊幾天可以補件"), _row(row), unit) == ""
    assert field_shape(to_search_form("資格初審資料不齊幾天可以補件"), _row(row), row) == "资格初审"


def test_a_count_over_a_named_table_states_the_count_and_cites_each_row(grant_page: Assistant) -> None:
    reply = grant_page.ask("研究類的申請對象有幾個？")
    assert not reply.refused
    assert reply.answer.startswith("共2個：")
    quoted = [c.quote for c in reply.citations]
    assert any("大專校院" in q for q in quoted) and any("水產試驗機構" in q for q in quoted)
    assert "table count" in str(reply.notes.get("trace", {}).get("rules", ""))
