"""Reading PDFs by their layout (ingest/pdf.py) and the plain-text reader's joins (ingest/structure.py).

Every layout behaviour is checked on a PDF laid out unlike the multi corpus's guide (tests/pdf_maker.py:
another page size, font, margins, page-number style and table style) and, marked slow, on the guide.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_docs import corpus_document
from pdf_maker import (
    CJK_FONT,
    GUIDE_ITEMS,
    GUIDE_PARAGRAPHS,
    GUIDE_TABLE_HEADER,
    GUIDE_TABLE_REST,
    GUIDE_TABLE_ROWS,
    make_layout_pdf,
)

from core.settings import PROJECT_ROOT, Settings
from ingest.clean import CleanedText
from ingest.fold import page_counters, strip_page_furniture
from ingest.load import SourceDocument, load_document
from ingest.pdf import _header_names, _header_rows, _Table, _take_caption
from ingest.split import split_document
from ingest.structure import parse_document, parse_plain, unaccounted

MULTI = Path(__file__).resolve().parents[1] / "evals" / "corpora" / "multi"
GUIDE = "moea-doit-ai-application-leap-program-application-guide-2025-10.pdf"
needs_font = pytest.mark.skipif(
    not CJK_FONT.exists(), reason=f"{CJK_FONT} missing: apt-get install fonts-wqy-zenhei"
)


def _blocks(cleaned: CleanedText, kind: str | None = None) -> list[str]:
    return [cleaned.text[b.start : b.end] for b in cleaned.blocks if kind is None or b.kind == kind]


@pytest.fixture(scope="module")
def layout_doc(tmp_path_factory: pytest.TempPathFactory) -> SourceDocument:
    folder = tmp_path_factory.mktemp("layout")
    path = make_layout_pdf(folder / "guide.pdf")
    return load_document(path, folder, {})


@needs_font
def test_wrapped_lines_of_a_paragraph_are_one_block_and_paragraphs_stay_apart(
    layout_doc: SourceDocument,
) -> None:
    cleaned = layout_doc.cleaned
    assert cleaned is not None
    blocks = _blocks(cleaned)
    assert all(p in blocks for p in GUIDE_PARAGRAPHS)  # each paragraph whole, and nothing more


@needs_font
def test_list_items_keep_their_wrapped_lines_and_stay_apart(layout_doc: SourceDocument) -> None:
    assert layout_doc.cleaned is not None
    assert _blocks(layout_doc.cleaned, "item") == GUIDE_ITEMS


@needs_font
def test_a_title_line_of_two_fonts_is_read_as_one_line_in_order(layout_doc: SourceDocument) -> None:
    assert layout_doc.cleaned is not None
    assert "R+研發補助作業要點" in _blocks(layout_doc.cleaned, "heading")


@needs_font
def test_a_footnote_is_a_block_without_the_number_of_its_reference_mark(
    layout_doc: SourceDocument,
) -> None:
    assert layout_doc.cleaned is not None
    blocks = _blocks(layout_doc.cleaned)
    assert "申請人須為國內依法登記之公司1。" in blocks  # the mark as read, how a reader quotes it
    assert "分公司不具獨立法人格，不得為申請人" in blocks  # the footnote, without its number


@needs_font
def test_a_paragraph_over_a_page_break_is_one_block(layout_doc: SourceDocument) -> None:
    assert layout_doc.cleaned is not None
    [review] = [b for b in _blocks(layout_doc.cleaned) if b.startswith("審查小組")]
    assert review.endswith("並作成審查意見送交主管機關核定。")
    assert "評分，並作成" in review and "\n" not in review


@needs_font
def test_a_table_over_a_page_break_is_one_table_whose_last_row_goes_on(layout_doc: SourceDocument) -> None:
    assert layout_doc.cleaned is not None
    rows = _blocks(layout_doc.cleaned, "row")
    expected = [
        "；".join(f"{h}：{v}" for h, v in zip(GUIDE_TABLE_HEADER, row, strict=True))
        for row in GUIDE_TABLE_ROWS
    ]
    expected[-1] += GUIDE_TABLE_REST
    assert rows == expected  # the repeated header is no row of its own


@needs_font
def test_page_numbers_on_fewer_than_half_the_pages_are_dropped(layout_doc: SourceDocument) -> None:
    cleaned = layout_doc.cleaned
    assert cleaned is not None
    assert not [b for b in _blocks(cleaned) if b.strip().isdigit() or b.startswith("附錄-")]
    numbers = [d for d in cleaned.dropped if d.reason == "page number"]
    assert [layout_doc.raw[d.start : d.end] for d in numbers] == ["1", "2", "3", "4", "5"]
    _, sentences = split_document(cleaned, layout_doc.source)
    assert unaccounted(layout_doc.raw, cleaned, [(s.start, s.end) for s in sentences]) == []


def test_page_counters_are_numbers_that_count_up_with_the_pages() -> None:
    words = "甲乙丙丁戊己庚辛壬癸"
    pages = [f"正文{w}" + (f"\n{n + 1}" if n < 3 else f"\n附件-{n - 2}") for n, w in enumerate(words)]
    found = page_counters(list(enumerate(pages)), edge_lines=2, min_pages=3)
    assert found == {"#", "附件-#"}  # three numbered pages of ten: too few to recur on half of them
    # A number on three pages that does not count the pages (a year in a running line) is body text.
    years = ["甲\n2021", "乙\n丙", "丁\n2021", "戊\n己", "庚\n2021"]
    assert page_counters(list(enumerate(years)), edge_lines=2, min_pages=3) == set()
    text = "\f".join(pages)
    out, _, dropped = strip_page_furniture(text, list(range(len(text))))
    assert all(f"正文{w}" in out for w in words) and not any(ch.isdigit() for ch in out)
    assert {d.reason for d in dropped} == {"page number", "page furniture"}


def test_wrapped_list_items_of_plain_text_are_joined_and_items_stay_apart() -> None:
    text = "審查重點如下：\n(一)計畫審查：由委員進行簡報，會議結論由審查委\n員採共識決。\n(二)企業審查：查詢財務資料。\n"
    cleaned, _ = parse_plain(text, list(range(len(text))))
    assert _blocks(cleaned) == [
        "審查重點如下：",
        "(一)計畫審查：由委員進行簡報，會議結論由審查委員採共識決。",
        "(二)企業審查：查詢財務資料。",
    ]


def test_a_number_that_starts_a_wrapped_line_starts_no_item() -> None:
    text = "本計畫總經費為新臺幣\n1.5億元，分二年執行。\n"
    cleaned, _ = parse_plain(text, list(range(len(text))))
    assert _blocks(cleaned) == ["本計畫總經費為新臺幣1.5億元，分二年執行。"]


def test_prose_lines_with_commas_are_joined_but_a_list_of_bare_lines_is_not() -> None:
    prose = "第十條 補助科目範圍限於與審核通過計畫相\n關之下列項目：\n一、人事費。\n"
    cleaned, _ = parse_plain(prose, list(range(len(prose))))
    assert _blocks(cleaned)[0] == "第十條 補助科目範圍限於與審核通過計畫相關之下列項目："
    bare = "001 智慧機械 技術開發\n002 生技醫藥 技術開發\n"
    cleaned, _ = parse_plain(bare, list(range(len(bare))))
    assert _blocks(cleaned) == ["001 智慧機械 技術開發", "002 生技醫藥 技術開發"]


def test_a_paragraph_is_joined_over_a_page_break_only_where_it_goes_on() -> None:
    text = "計畫應於期限內完成各項工作，並由執行單位彙整\n\n\f成果後提出報告。\n\n\f一、下一項。\n\n\f新的段落。\n"
    cleaned, _ = parse_document(text, "txt")
    assert _blocks(cleaned) == [
        "計畫應於期限內完成各項工作，並由執行單位彙整成果後提出報告。",
        "一、下一項。",
        "新的段落。",
    ]


def test_a_header_over_two_rows_names_each_column_twice() -> None:
    rows: list[list[str | None]] = [
        ["科目", "編列原則", "查核準則", None],
        [None, None, "應注意事項", "應備妥之支用單據"],
        ["人事費", "依月薪編列", "核對名單", "薪資清冊"],
    ]
    assert _header_rows(rows) == 2
    assert _header_names(rows, 2) == [
        "科目",
        "編列原則",
        "查核準則／應注意事項",
        "查核準則／應備妥之支用單據",
    ]
    # A form's label and value under two wide cells are a body row, not a second header row.
    form: list[list[str | None]] = [["計畫名稱", None, "", None], ["計畫別", None, "補助計畫", None]]
    assert _header_rows(form + [["計畫期間", None, "二年", None]]) == 1


def test_a_title_row_across_the_table_is_its_caption_not_a_header() -> None:
    rows: list[list[str | None]] = [
        ["青年實習津貼計畫-常見問題", None, None, None],
        ["序號", "項目類別", "相關問題", "回答"],
        ["一", "計畫目的", "本計畫目的？", "增強青年就業能力。"],
        [None, None, "適用年齡", "適用對象為15歲以上至35歲。"],
    ]
    # Read as a header, the title's span would make every row below it a header row too.
    assert _header_rows(rows) == len(rows) - 1
    table = _Table(0.0, 1.0, rows)
    _take_caption(table)
    assert table.caption == "青年實習津貼計畫-常見問題"
    assert _header_rows(table.rows) == 1
    assert _header_names(table.rows, 1) == ["序號", "項目類別", "相關問題", "回答"]
    # A one-row table under a wide cell keeps its row: there would be nothing left to name.
    short = _Table(0.0, 1.0, [["標題", None], ["a", "b"]])
    _take_caption(short)
    assert short.caption == "" and len(short.rows) == 2
    # Nor does a form of labels and blanks: its next row names no column.
    form = _Table(
        0.0, 1.0, [["曾經申請政府補助計畫", None], ["1. ○○計畫", None], ["計畫類別", ""], ["計畫狀態", ""]]
    )
    _take_caption(form)
    assert form.caption == "" and len(form.rows) == 4


def test_the_layout_figures_are_settings_and_part_of_the_index() -> None:
    from ingest.records import pipeline_key

    assert pipeline_key(Settings(pdf_gap_ratio=3.0)) != pipeline_key(Settings())
    with pytest.raises(Exception, match="pdf_centered_share must be between 0 and 1"):
        Settings.from_env(environ={"KEZHUAN_PDF_CENTERED_SHARE": "2"})


@pytest.mark.slow
def test_the_multi_corpus_guide_is_read_by_its_layout() -> None:
    doc = corpus_document(MULTI / GUIDE)
    cleaned = doc.cleaned
    assert cleaned is not None
    blocks = _blocks(cleaned)
    # A list item wrapped over two lines is one block; the next item is another.
    assert (
        "(一)計畫審查：所有參與單位須派員出席並由計畫主持人進行簡報，會議結論由審查委員採共識決。審查重點包含："
        in blocks
    )
    assert any(
        b.startswith("一、自公告日起算7日後開始受理至114年12月31日止") and b.endswith("採隨到隨審。")
        for b in blocks
    )
    # The cover is short lines, not one run of every title word; the page numbers 1-8 are gone.
    assert not [b for b in blocks if "申請須知" in b and "經濟部產業技術司編印" in b]
    assert not [b for b in blocks if b.strip().isdigit()]
    # The footnote is a block of its own, without its number; the mark stays as read.
    assert "一、國內依法登記成立之獨資、合夥事業、有限合夥事業或公司1。" in blocks
    assert "分公司屬總公司管轄之分支機構，不具獨立之法人格，不符申請資格" in blocks
    # The accounting table's two-row header names its columns; its repeats on later pages are no rows.
    rows = _blocks(cleaned, "row")
    assert any("查核準則／應注意事項：" in r for r in rows)
    assert not [r for r in rows if r.startswith("查核準則")]
    _, sentences = split_document(cleaned, doc.source)
    assert unaccounted(doc.raw, cleaned, [(s.start, s.end) for s in sentences]) == []


def test_a_row_too_long_for_one_unit_gives_one_unit_per_sentence_of_its_cells() -> None:
    rule = "所稱人事費係指參與計畫人員之薪資。" * 6 + "加班費應有加班紀錄。"
    short = "| 科目 | 編列原則 |\n| 差旅費 | 依實際支出報支。 |\n"
    long = f"| 科目 | 編列原則 |\n| 人事費 | {rule} |\n"
    for text, units in ((short, ["科目：差旅費；編列原則：依實際支出報支。"]), (long, None)):
        cleaned, _ = parse_document(text, "txt")
        _, sentences = split_document(cleaned, "t.txt", max_unit_chars=60)
        if units:
            assert [s.text for s in sentences] == units  # a row that fits stays one unit
            continue
        assert all(len(s.text) <= 60 for s in sentences)
        assert sentences[0].text == "科目：人事費" and sentences[0].context == ""
        assert sentences[1].text == "編列原則：所稱人事費係指參與計畫人員之薪資。"
        assert sentences[1].context == "科目：人事費"
        assert sentences[-1].text == "加班費應有加班紀錄。"
        assert sentences[-1].context == "科目：人事費；編列原則："
        assert len({s.section for s in sentences}) == 1  # all cited as the one row


def test_the_items_of_a_run_in_heading_in_a_long_cell_keep_it_as_context() -> None:
    cell = "備妥資料：請備妥應備資料並送件。資格初審：1.審查申請資格。2.審查計畫性質。3.於10天內補件。計畫核定：提報核定。"
    text = f"| 階段 | 公司配合事項 |\n| 全程 | {cell * 2} |\n"
    cleaned, _ = parse_document(text, "txt")
    _, sentences = split_document(cleaned, "t.txt", max_unit_chars=60)
    context = {s.text: s.context for s in sentences}
    assert context["3.於10天內補件。"] == "階段：全程；公司配合事項：；資格初審："
    assert context["計畫核定：提報核定。"] == "階段：全程；公司配合事項："  # a sibling heading ends the list
    assert context["2.審查計畫性質。"].endswith("資格初審：")


#: A real FAQ published as one table under a title row (臺北市政府青年局青年實習津貼計畫-常見問題;
#: GitHub racercode/MATCHA, data/青年實習津貼計畫/QA.pdf, commit 0e4d8603a433617f205f56a47afa40379e2e1939,
#: byte for byte; a public explanatory document, Copyright Act Art. 9). Its font extracts 一 as
#: the CJK stroke ㇐.
REAL_FAQ = Path(__file__).parent / "data" / "taipei-youth-internship-allowance-faq.pdf"


@pytest.mark.slow  # reads a 4-page real PDF
def test_a_real_faq_table_under_a_title_row_keeps_its_column_names() -> None:
    import pdfplumber

    from core.settings import Settings
    from ingest.fold import fold_text
    from ingest.pdf import read_pages

    with pdfplumber.open(REAL_FAQ) as pdf:
        pages = read_pages(pdf, Settings())
    first = pages[0]
    title, table = first.split("\n\n", 1)[0], first.split("\n\n", 1)[1]
    assert title.startswith("臺北市政府青年局青年實習津貼計畫-常見問題")
    assert table.startswith("| 序號 | 項目類別 | 相關問題 | 回答 |\n| ")
    # Each question is a body row of its own, not a column name.
    assert "| 設籍區域 | 實習首日需設籍臺北市6個月以上。 |" in table
    assert "㇐" in first and "㇐" not in fold_text(first)[0]


#: Two more real PDFs of the same publisher (GitHub racercode/MATCHA, commit
#: 88661287c939c8b3e3c902e7701915f790f70665, byte for byte; administrative rules of a government
#: body, Copyright Act Art. 9): data/青年實習津貼計畫/臺北市政府青年局青年實習津貼計畫.pdf (a
#: 20-pt title over two lines above six right-aligned revision dates) and
#: data/青創貸款及補助/臺北市青年創業融資貸款不予核貸條件.pdf (an 18-pt title over two lines).
REAL_PLAN = Path(__file__).parent / "data" / "taipei-youth-internship-allowance-plan.pdf"
REAL_REJECTIONS = Path(__file__).parent / "data" / "taipei-youth-startup-loan-rejection-conditions.pdf"
#: A third, of another publisher: a proposal form whose 22-pt title wraps (evals/corpora/holdout2).
REAL_FORM = PROJECT_ROOT / "evals" / "corpora" / "holdout2" / "keelung-local-sbir-proposal-format-115.pdf"


@pytest.mark.slow  # reads three real PDFs
@pytest.mark.parametrize(
    ("path", "title"),
    [
        (REAL_PLAN, "臺北市政府青年局青年實習津貼計畫"),
        (REAL_REJECTIONS, "臺北市青年創業融資貸款不予核貸條件"),
        (REAL_FORM, "115年度基隆市政府地方產業創新研發推動計畫（地方型 SBIR）"),
    ],
)
def test_a_title_printed_over_several_lines_is_one_title(path: Path, title: str) -> None:
    doc = load_document(path, path.parent)  # no manifest: the document names itself
    assert doc.title == title
    assert doc.cleaned is not None
    squeezed = title.replace(" ", "")
    first = doc.cleaned.blocks[0]
    assert first.kind == "heading"
    assert doc.cleaned.text[first.start : first.end].replace(" ", "") == squeezed
    # No block and no section holds half the title.
    parts = {doc.cleaned.text[b.start : b.end].replace(" ", "") for b in doc.cleaned.blocks[1:]}
    parts |= {b.section.replace(" ", "") for b in doc.cleaned.blocks}
    assert not any(p and p in squeezed and p != squeezed for p in parts)


@pytest.mark.slow  # reads a real PDF
def test_revision_date_lines_are_text_not_sections() -> None:
    """「中華民國114年12月17日修正」 dates the plan: it is kept as text, and the plan's points stay
    under the plan's title instead of under the last revision date."""
    from ingest.split import split_document

    doc = load_document(REAL_PLAN, REAL_PLAN.parent)
    assert doc.cleaned is not None
    blocks = doc.cleaned.blocks
    texts = [doc.cleaned.text[b.start : b.end] for b in blocks]
    dated = [b for b, t in zip(blocks, texts, strict=True) if t.startswith("中華民國") and t.endswith("修正")]
    assert len(dated) == 5 and all(b.kind == "paragraph" for b in dated)
    assert not any("修正" in b.section or "公告" in b.section for b in blocks)
    _, sentences = split_document(doc.cleaned, REAL_PLAN.name)
    assert any(s.text == "中華民國114年12月17日修正" for s in sentences)  # still quotable


@pytest.mark.slow  # reads two real PDFs
@pytest.mark.parametrize(
    ("path", "sentence"),
    [
        (
            PROJECT_ROOT / "evals" / "corpora" / "holdout" / "keelung-local-sbir-2026-guidelines.pdf",
            "一、基隆市政府(以下簡稱本府)為鼓勵轄內中小企業創新技術或服務，特訂定本須知，"
            "以提供轄內廠商創新應用或研發補助，提升產業競爭力，促進產業發展。",
        ),
        (
            PROJECT_ROOT / "evals" / "corpora" / "holdout3" / "taipei-youth-startup-loan-guidelines.pdf",
            "（七）代表人申請日前三個月內之電子戶籍謄本（須含詳細記事）。",
        ),
    ],
)
def test_an_indented_items_wrapped_lines_are_one_paragraph(path: Path, sentence: str) -> None:
    """The lines of an indented level stop short of the page's widest line; a line that ends
    mid-sentence near that edge still wraps into the next, so the item is one block."""
    doc = load_document(path, path.parent)
    assert doc.cleaned is not None
    texts = [doc.cleaned.text[b.start : b.end] for b in doc.cleaned.blocks]
    assert sentence in texts
