"""Structure-aware reading: Markdown, HTML, law texts, plain lists, PDFs; folding; nothing lost."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from corpus_docs import corpus_document
from pdf_maker import CJK_FONT, TABLE, make_report_pdf

from core.settings import PROJECT_ROOT, Settings
from ingest.fold import fold_text, strip_page_furniture
from ingest.load import load_document
from ingest.split import split_document
from ingest.structure import article_label, parse_document, unaccounted

DATA = Path(__file__).parent / "data"
SEED = PROJECT_ROOT / "corpus" / "moea-doit-tech-programs-overview.txt"

#: (file, kind, manifest format) of every test document.
DOCUMENTS = [
    ("startup-guide.md", "md", ""),
    ("legislative-review.html", "html", ""),
    ("unpunctuated-list.txt", "txt", ""),
    ("moea-rd-results-regulation.txt", "txt", ""),
    ("moea-research-institute-subsidy-regulation.txt", "txt", ""),
]


def _split(name: str, kind: str, layout: str = "", max_unit_chars: int = 400):
    raw = (DATA / name).read_text(encoding="utf-8") if name != "seed" else SEED.read_text(encoding="utf-8")
    cleaned, meta = parse_document(raw, kind, layout)
    chunks, sentences = split_document(cleaned, name, max_unit_chars=max_unit_chars)
    return raw, cleaned, meta, chunks, sentences


def _content(text: str) -> int:
    import unicodedata

    return sum(1 for ch in text if unicodedata.category(ch)[0] in "LN")


@pytest.mark.parametrize(("name", "kind", "layout"), [*DOCUMENTS, ("seed", "txt", "pdf-extracted text")])
def test_every_letter_and_digit_is_in_a_unit_or_dropped_with_a_reason(
    name: str, kind: str, layout: str
) -> None:
    raw, cleaned, _, chunks, sentences = _split(name, kind, layout)
    lost = unaccounted(raw, cleaned, [(s.start, s.end) for s in sentences])
    assert lost == [], "".join(raw[i] for i in lost[:50])
    # Characters in and out, per document: what the units hold plus what was dropped (with a
    # reason) plus headings (shown as sections) adds up to the raw document's content.
    covered: set[int] = set()
    for s in sentences:
        covered.update(o for o in cleaned.raw_offsets[s.start : s.end] if o >= 0)
    for b in cleaned.blocks:
        if b.kind == "heading":
            covered.update(o for o in cleaned.raw_offsets[b.start : b.end] if o >= 0)
    dropped: set[int] = set()
    for d in cleaned.dropped:
        dropped.update(range(d.start, d.end))
        assert d.reason
    content_in = _content(raw)
    content_out = sum(_content(raw[i]) for i in covered | dropped if i < len(raw))
    assert content_out == content_in
    for chunk in chunks:  # every unit is the cleaned text it says it is
        assert cleaned.text[chunk.start : chunk.end] == chunk.text


@pytest.mark.parametrize(("name", "kind", "layout"), DOCUMENTS)
def test_no_unit_is_longer_than_the_limit(name: str, kind: str, layout: str) -> None:
    _, _, _, chunks, sentences = _split(name, kind, layout, max_unit_chars=60)
    assert max(len(s.text) for s in sentences) <= 60
    for chunk in chunks:
        assert len(chunk.text) <= 200 or len(chunk.sentence_ids) == 1


def test_markdown_table_rows_carry_their_headers_and_emphasis_is_gone() -> None:
    raw, cleaned, meta, chunks, sentences = _split("startup-guide.md", "md")
    assert meta == {"title": "科專新創團隊培育指南", "publisher": "經濟部產業技術司"}
    rows = [c for c in chunks if c.kind == "row"]
    assert [r.text for r in rows][2] == "年度：2021；培育團隊：44組；新創公司：19家"
    assert rows[2].section == "歷年培育成果｜表1 第3列" and rows[2].meta["label"] == "表1 第3列"
    assert not any(mark in cleaned.text for mark in ("**", "|", "---", "](", "https://"))
    first = next(s for s in sentences if "科技專案如何培育" in s.text)
    assert first.text == "本指南說明科技專案如何培育新創團隊，以及歷年成果。"
    # Offsets still point into the raw Markdown: the emphasised word is where ** left it.
    a, b = cleaned.raw_span(first.start, first.end)
    assert raw[a:b].startswith("本指南說明**科技專案**如何")
    word = cleaned.text.index("科技專案")
    assert raw[cleaned.raw_offsets[word]] == "科"
    items = next(c for c in chunks if c.section == "申請方式")
    # An ordered list's items hold the numbers a reader of the rendered page sees.
    assert items.text.split("\n")[:2] == ["1. 由研究機構提出創業構想", "2. 經審查通過後進入育成階段"]


def test_html_table_cells_that_look_like_page_numbers_are_kept() -> None:
    _, cleaned, meta, chunks, _ = _split("legislative-review.html", "html")
    assert meta["title"] == "科技專案預算評估報告"
    rows = [c.text for c in chunks if c.kind == "row"]
    assert [r.split("；")[0] for r in rows] == [f"年度：{y}" for y in (107, 108, 109, 110, 111)]
    assert "tracking" not in cleaned.text and "評估&建議" in cleaned.text
    assert {d.reason for d in cleaned.dropped} >= {"<script> content", "markup: HTML tag"}


_TABBED_PAGE = """<html><head><title>補助說明</title></head><body><main>
<h2>補助類別</h2><p>本系統受理下列類別。</p>
<ul role="tablist"><li><button role="tab" id="t1" aria-controls="p1">研發類</button></li>
<li><button role="tab" id="t2">文化類</button></li></ul>
<div role="tabpanel" id="p1" aria-labelledby="t1"><div><p>補助對象為研究機構。</p></div>
<table><tr><th>補助對象</th><th>說明</th></tr><tr><td>學術機構</td><td>公私立大專校院</td></tr></table></div>
<div role="tabpanel" aria-labelledby="t2"><p>補助對象為博物館。</p></div>
<div role="region" aria-label="常見問題"><details><summary>多久審完？</summary><p>約需兩個月。</p></details></div>
<p>以上類別每年公告。</p>
</main></body></html>"""


def test_html_tab_panels_regions_and_details_are_sections_named_by_their_label() -> None:
    cleaned, _ = parse_document(_TABBED_PAGE, "html")
    chunks, sentences = split_document(cleaned, "tabs.html")
    section_of = {cleaned.text[b.start : b.end]: b.section for b in cleaned.blocks}
    assert section_of["補助對象為研究機構。"] == "補助類別 > 研發類"
    assert section_of["補助對象：學術機構；說明：公私立大專校院"] == "補助類別 > 研發類"  # a row of the panel
    assert section_of["補助對象為博物館。"] == "補助類別 > 文化類"
    assert section_of["約需兩個月。"] == "補助類別 > 常見問題 > 多久審完？"
    assert section_of["以上類別每年公告。"] == "補助類別"  # the panel closed: its section ended
    tab = next(b for b in cleaned.blocks if b.kind == "item" and cleaned.text[b.start : b.end] == "研發類")
    assert tab.section == "補助類別"  # the tab itself stays where it is written
    assert unaccounted(_TABBED_PAGE, cleaned, [(s.start, s.end) for s in sentences]) == []


def test_long_tab_panels_get_passages_of_their_own_named_by_their_label() -> None:
    steps = "".join(
        f"<li>第{n}步：申請人應於期限內備妥第{n}項文件並送交主管機關審查核定。</li>" for n in range(1, 9)
    )
    page = (
        '<h2>流程</h2><button id="a">甲類</button><button id="b">乙類</button>'
        f'<div role="tabpanel" aria-labelledby="a"><ol>{steps}</ol></div>'
        f'<div role="tabpanel" aria-labelledby="b"><p>本類另有規定。</p><ol>{steps}</ol></div>'
    )
    cleaned, _ = parse_document(page, "html")
    chunks, sentences = split_document(cleaned, "tabs.html")
    panels = [c for c in chunks if "第1步" in c.text or "第8步" in c.text]
    assert {c.section for c in panels} == {"流程 > 甲類", "流程 > 乙類"}  # never only 「流程」
    # The second panel's short first line is not packed into the first panel's last passage.
    assert all("本類另有規定" not in c.text or c.section == "流程 > 乙類" for c in chunks)


def test_ordered_list_items_hold_the_number_a_browser_shows() -> None:
    page = (
        "<p>申請流程如下：</p><ol><li>資格審查。</li><li>實質審查。<ol type='a'><li>書面。</li>"
        "<li>簡報。</li></ol></li><li value='7'>決審。</li></ol>"
        "<ul><li>不編號。</li></ul><ol start='3' type='I'><li>Applicants must apply. Then wait.</li></ol>"
    )
    cleaned, _ = parse_document(page, "html")
    blocks = [cleaned.text[b.start : b.end] for b in cleaned.blocks]
    assert blocks == [
        "申請流程如下：",
        "1.資格審查。",
        "2.實質審查。",
        "a.書面。",
        "b.簡報。",
        "7.決審。",
        "不編號。",
        "III. Applicants must apply. Then wait.",
    ]
    _, sentences = split_document(cleaned, "list.html")
    assert "III. Applicants must apply." in [s.text for s in sentences]  # the number is no sentence


def test_a_tab_panel_whose_label_is_unknown_stays_in_its_section() -> None:
    page = '<h2>類別</h2><div role="tabpanel" aria-labelledby="later"><p>內容一。</p></div><span id="later">標籤</span>'
    cleaned, _ = parse_document(page, "html")
    assert {cleaned.text[b.start : b.end]: b.section for b in cleaned.blocks}["內容一。"] == "類別"


def test_law_articles_are_units_with_their_number_in_both_forms() -> None:
    _, cleaned, meta, chunks, sentences = _split("moea-rd-results-regulation.txt", "txt")
    assert meta["title"] == "經濟部科學技術研究發展成果歸屬及運用辦法"
    article = [c for c in chunks if c.meta.get("article") == "第24條"]
    assert article and all(c.kind == "article" for c in article)
    assert article[0].meta["article_zh"] == "第二十四條"
    assert article[0].section.endswith("｜第24條") and article[0].section.startswith("第")
    assert not article[0].text.startswith("第")  # the label is where the quote comes from, not in it
    quotes = [s for s in sentences if s.section.endswith("｜第24條")]
    assert quotes and all(s.context == "第24條（第二十四條）：" for s in quotes)
    # No passage runs across two articles.
    for chunk in chunks:
        if chunk.kind == "article":
            inside = {
                b.meta.get("article") for b in cleaned.blocks if b.start < chunk.end and b.end > chunk.start
            }
            assert inside == {chunk.meta["article"]}
    assert any(c.meta.get("article") == "第4-1條" and c.meta["article_zh"] == "第四條之一" for c in chunks)


def test_article_labels() -> None:
    assert article_label("24") == ("第24條", "第二十四條")
    assert article_label("二十四") == ("第24條", "第二十四條")
    assert article_label("4", "1") == ("第4-1條", "第四條之一")


def test_unpunctuated_list_splits_at_lines() -> None:
    _, _, _, chunks, sentences = _split("unpunctuated-list.txt", "txt")
    assert len(sentences) == 120
    assert max(len(c.text) for c in chunks) <= 200
    assert sentences[0].text.startswith("001 智慧機械領域")


def test_long_run_without_breaks_is_cut_at_commas() -> None:
    text = "標題\n\n" + "，".join(f"第{i}項研發成果移轉給國內企業" for i in range(60)) + "。\n"
    cleaned, _ = parse_document(text, "txt")
    _, sentences = split_document(cleaned, "long.txt", max_unit_chars=100)
    assert max(len(s.text) for s in sentences) <= 100
    assert all(s.text.endswith(("，", "。")) for s in sentences)
    assert "".join(s.text for s in sentences) == cleaned.text.split("\n", 1)[1]


def test_official_headings_inside_line_blocks_start_sections_and_contents_lines_are_dropped() -> None:
    # A PDF's text has no blank lines: 「貳、申請資格」 stands among body lines, and the contents
    # page lists every heading with dot leaders and page labels.
    raw = (
        "申請須知\n\n"
        "目錄\n壹、前言 ............................ 1\n貳、申請資格 ........................ 1\n"
        "附件壹、補助辦法 ................... 附件-1\n一、計畫緣起 ..................... .○○\n\n"
        "壹、前言\n本計畫協助企業導入人工智慧。\n貳、申請資格\n一、依法設立之公司。\n"
        "二、非屬銀行拒絕往來戶。\n附件壹、補助辦法\n第一章 總則\n本辦法依條例訂定之。\n"
    )
    cleaned, _ = parse_document(raw, "txt")
    _, sentences = split_document(cleaned, "guide.txt")
    section_of = {s.text: s.section for s in sentences}
    assert section_of["本計畫協助企業導入人工智慧。"] == "壹、前言"
    assert section_of["一、依法設立之公司。"] == "貳、申請資格"
    assert section_of["本辦法依條例訂定之。"] == "第一章總則"  # spaces between CJK squeezed
    assert not any("...." in s.text for s in sentences)
    assert sum(d.reason == "table of contents" for d in cleaned.dropped) == 4
    assert unaccounted(raw, cleaned, [(s.start, s.end) for s in sentences]) == []
    # 「一、」 numbers list items, not sections.
    assert "一、依法設立之公司。" not in cleaned.sections


def test_folding_kangxi_radicals_compatibility_ideographs_and_full_width() -> None:
    raw = "中⼩企業⽇常ＡＩ２０２１，（試辦）\uf900"
    folded, offsets = fold_text(raw)
    assert folded == "中小企業日常AI2021，（試辦）豈"
    assert len(offsets) == len(folded) and all(raw[o] for o in offsets)
    assert offsets[folded.index("小")] == raw.index("⼩")


def test_folding_single_strokes_a_pdf_font_extracts_for_one_stroke_ideographs() -> None:
    raw = "每人以\u31d0次為限，同\u31d0公司"
    folded, offsets = fold_text(raw)
    assert folded == "每人以一次為限，同一公司"
    assert offsets[folded.index("一")] == raw.index("\u31d0")


def test_page_furniture_is_found_by_repetition_not_by_pattern() -> None:
    bodies = [
        "各年度預算如下表。\n年度\n107\n108",
        "第二頁的內容。",
        "第三頁的內容。",
        "第四頁。",
        "第五頁。",
    ]
    pages = [f"科技專案年度報告\n第{n}節共有{n}段。\n{body}\n第 {n} 頁" for n, body in enumerate(bodies, 1)]
    text = "\f".join(pages)
    out, offsets, dropped = strip_page_furniture(text, list(range(len(text))))
    assert "科技專案年度報告" not in out and "第 3 頁" not in out
    assert "107\n108" in out  # numbers of one page (table cells) stay, whatever they look like
    assert all(f"第{n}節共有{n}段。" in out for n in range(1, 6))  # alike, but sentences
    assert {d.reason for d in dropped} == {"page furniture", "page number"}
    assert all(text[o] == ch for ch, o in zip(out, offsets, strict=True))
    single = "一頁的報告\n107\n"
    assert strip_page_furniture(single, list(range(len(single))))[0] == single


@pytest.mark.skipif(not CJK_FONT.exists(), reason=f"{CJK_FONT} missing: apt-get install fonts-wqy-zenhei")
def test_pdf_tables_rows_folding_and_furniture(tmp_path: Path) -> None:
    path = make_report_pdf(tmp_path / "report.pdf", pages=4)
    doc = load_document(path, tmp_path, {})
    assert doc.cleaned is not None
    chunks, sentences = split_document(doc.cleaned, doc.source)
    text = doc.cleaned.text
    assert "中小企業" in text and "⼩" not in text and "⽇" not in text
    assert "科技專案年度報告（內部參考）" not in text and "- 2 -" not in text
    rows = [c.text for c in chunks if c.kind == "row"]
    header = TABLE[0]
    assert rows == ["；".join(f"{h}：{v}" for h, v in zip(header, row, strict=True)) for row in TABLE[1:]]
    assert unaccounted(doc.raw, doc.cleaned, [(s.start, s.end) for s in sentences]) == []
    # The quote maps back to the raw extraction, radical and all.
    quote = next(s for s in sentences if "中小企業" in s.text)
    a, b = doc.cleaned.raw_span(quote.start, quote.end)
    assert "中⼩企業" in doc.raw[a:b]


def test_manifest_title_and_publisher_win_over_the_documents_own(tmp_path: Path) -> None:
    shutil.copy(DATA / "startup-guide.md", tmp_path / "guide.md")
    own = load_document(tmp_path / "guide.md", tmp_path, {})
    assert (own.title, own.publisher) == ("科專新創團隊培育指南", "經濟部產業技術司")
    listed = load_document(
        tmp_path / "guide.md", tmp_path, {"guide.md": {"title": "指南", "publisher": "技術司"}}
    )
    assert (listed.title, listed.publisher) == ("指南", "技術司")
    assert listed.sha256 == own.sha256 and listed.entry_sha != own.entry_sha  # re-ingested for its title


def test_table_cells_with_the_same_text_keep_their_own_offsets() -> None:
    raw = "| 年度 | 目標 | 實績 |\n|---|---|---|\n| 2016 | 2022組 | 2022 |\n| 2020 | 24組 | 24 |\n"
    cleaned, _ = parse_document(raw, "md")
    _, sentences = split_document(cleaned, "t.md")
    assert [s.text for s in sentences] == [
        "年度：2016；目標：2022組；實績：2022",
        "年度：2020；目標：24組；實績：24",
    ]
    assert unaccounted(raw, cleaned, [(s.start, s.end) for s in sentences]) == []
    last = cleaned.text.rindex("24")
    assert raw[cleaned.raw_offsets[last] - 1 : cleaned.raw_offsets[last] + 3] == " 24 "


@pytest.mark.slow
def test_no_unit_exceeds_the_real_models_window(tmp_path: Path) -> None:
    """With the default limit, every unit (with its prompt and context) fits e5's 512 tokens.

    The model's own tokenizer file and window (what sentence-transformers loads), without
    loading the model: counting tokens needs no weights, and torch's import was most of the time.
    """
    import json

    from tokenizers import Tokenizer

    from core.settings import Settings
    from ingest.e5_convert import ensure_e5_model

    settings = Settings.from_env(environ={}, data_dir=PROJECT_ROOT / ".kezhuan")
    folder = ensure_e5_model(settings.model_cache_dir)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_truncation()  # count every token: a cut would hide a unit over the window
    window = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"]
    texts = []
    for name, kind, layout in [*DOCUMENTS, ("seed", "txt", "pdf-extracted text")]:
        _, _, _, chunks, sentences = _split(name, kind, layout)
        texts += [settings.passage_prompt + s.context + s.text for s in sentences]
        texts += [settings.passage_prompt + c.text for c in chunks]
    long_run = "，".join(f"第{i}項研發成果移轉給國內企業" for i in range(200))
    cleaned, _ = parse_document("標題\n\n" + long_run, "txt")
    _, cut = split_document(cleaned, "long.txt")
    texts += [settings.passage_prompt + s.text for s in cut]
    lengths = [len(encoding.ids) for encoding in tokenizer.encode_batch(texts)]
    assert max(lengths) <= window == 512, max(lengths)
    assert len(tokenizer.encode("，".join([long_run] * 3)).ids) > window  # no truncation hides a long unit


MULTI = PROJECT_ROOT / "evals" / "corpora" / "multi"


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in MULTI.glob("*") if p.suffix in (".md", ".txt", ".pdf")) if MULTI.is_dir() else [],
)
def test_evaluation_documents_lose_nothing_and_fit_the_limit(name: str) -> None:
    doc = corpus_document(MULTI / name)
    assert doc.cleaned is not None
    chunks, sentences = split_document(doc.cleaned, doc.source, title=doc.title)
    lost = unaccounted(doc.raw, doc.cleaned, [(s.start, s.end) for s in sentences])
    assert lost == [], "".join(doc.raw[i] for i in lost[:50])
    assert max(len(s.text) for s in sentences) <= 400
    assert "⼩" not in doc.cleaned.text and "\uf997" not in doc.cleaned.text  # folded (聯 U+F997)
    if "law" in str(doc.meta.get("format", "")).lower():
        assert sum(c.kind == "article" for c in chunks) >= 30


# -- tables of contents: dropped at ingest by every reader -------------------------------------

#: A contents line as a reader of the test sees it, independent of ingest.structure's patterns:
#: three or more dots, middle dots or ellipses, then a page label.
CONTENTS_LINE = re.compile(r"(?:[.．·‧・⋯…]\s*){3,}\s*(?:附件\s*-?\s*)?[\d○]+")
#: Contents entries in the styles documents use: dot leaders, ellipses, middle dots, page labels.
ENTRIES = [
    "壹、前言 ............................ 1",
    "貳、申請資格……………… 3",
    "參、計畫範疇 ⋯⋯⋯⋯ 5",
    "第一章 總則 ··········· 7",
    "第二章 申請程序 ‧‧‧‧‧‧‧‧ 12",
    "附件壹、補助辦法 ................... 附件-1",
    "一、計畫緣起 ..................... .○○",
]
BODY_SENTENCE = "本計畫協助企業導入人工智慧，每案補助上限為1,000萬元。"
#: Prose with ellipses and numbers that is no contents line.
PROSE = "申請文件包括計畫書、切結書……等共3項，審查約需2個月。"


def folded(text: str) -> str:
    """``text`` as the readers see it, folded (「……」 is six dots then)."""
    return fold_text(text)[0]


def _contents_document(kind: str) -> str:
    if kind == "md":
        listed = "\n".join(ENTRIES)  # one paragraph: its line breaks become soft breaks
        return f"# 申請須知\n\n## 目錄\n\n{listed}\n\n- {ENTRIES[0]}\n- {ENTRIES[1]}\n\n## 壹、前言\n\n{BODY_SENTENCE}\n\n{PROSE}\n"
    if kind == "html":
        listed = "<br>".join(ENTRIES)
        items = "".join(f"<li>{e}</li>" for e in ENTRIES[:2])
        return (
            "<html><head><title>申請須知</title></head><body><h1>申請須知</h1><h2>目錄</h2>"
            f"<p>{listed}</p><ul>{items}</ul><table><tr><td>{ENTRIES[2]}</td></tr></table>"
            f"<h2>壹、前言</h2><p>{BODY_SENTENCE}</p><p>{PROSE}</p></body></html>"
        )
    listed = "\n".join(ENTRIES)
    return f"申請須知\n\n目錄\n{listed}\n\n壹、前言\n{BODY_SENTENCE}\n{PROSE}\n"


@pytest.mark.parametrize(
    ("kind", "layout"),
    [("md", ""), ("html", ""), ("txt", ""), ("txt", "pdf-extracted text"), ("pdf", "")],
    ids=["markdown", "html", "plain text", "seed-layout PDF text", "PDF text"],
)
def test_every_reader_drops_a_block_of_contents_lines(kind: str, layout: str) -> None:
    raw = _contents_document("txt" if kind == "pdf" else kind)
    if kind == "pdf":  # a PDF's text as the loader joins its pages: no blank lines inside a page
        raw = raw.replace("\n\n", "\n").replace("壹、前言\n本計畫", "\n\f壹、前言\n本計畫")
    cleaned, _ = parse_document(raw, kind, layout)
    chunks, sentences = split_document(cleaned, f"guide.{kind}")
    assert [s.text for s in sentences if CONTENTS_LINE.search(s.text)] == []
    assert [c.text for c in chunks if CONTENTS_LINE.search(c.text)] == []
    assert not CONTENTS_LINE.search(cleaned.text)
    dropped = "\n".join(raw[d.start : d.end] for d in cleaned.dropped if d.reason == "table of contents")
    for entry in ENTRIES:
        assert entry.split()[0] in dropped, entry  # each entry is listed as dropped, with its reason
    text = "".join(s.text for s in sentences)
    assert BODY_SENTENCE in text and folded(PROSE) in text  # the body and prose with ellipses stay
    assert unaccounted(raw, cleaned, [(s.start, s.end) for s in sentences]) == []


def test_a_contents_entry_is_never_a_section_name() -> None:
    raw = "# 申請須知\n\n## 壹、前言 ⋯⋯⋯⋯ 1\n\n## 貳、申請資格\n\n依法設立之公司。\n"
    cleaned, _ = parse_document(raw, "md")
    assert cleaned.sections == ["申請須知", "貳、申請資格"]


def test_dots_and_numbers_in_prose_and_forms_are_kept() -> None:
    for text in (
        PROSE,
        "填寫說明：職務別：....課長；人數：2",  # a form's blank, no page label
        "依第3條辦理......詳見附件。",
        "計畫期程......最長3年。",
    ):
        cleaned, _ = parse_document(f"說明\n\n{text}\n", "txt")
        assert folded(text) in cleaned.text, text
        assert not [d for d in cleaned.dropped if d.reason == "table of contents"], text


@pytest.mark.skipif(not CJK_FONT.exists(), reason="needs the CJK font of tests/pdf_maker.py")
def test_a_real_pdf_contents_page_is_dropped(tmp_path: Path) -> None:
    entries = [e for e in ENTRIES if not set(e) & set("⋯‧")]  # the font has no glyphs for these
    path = make_report_pdf(tmp_path / "guide.pdf", pages=2, contents=entries)
    doc = load_document(path, tmp_path, {})
    assert doc.cleaned is not None
    chunks, sentences = split_document(doc.cleaned, doc.source)
    assert [c.text for c in chunks if CONTENTS_LINE.search(c.text)] == []
    assert sum(d.reason == "table of contents" for d in doc.cleaned.dropped) == len(entries)
    assert any("中小企業" in s.text for s in sentences)  # the body is read
    assert unaccounted(doc.raw, doc.cleaned, [(s.start, s.end) for s in sentences]) == []


@pytest.mark.slow
def test_no_indexed_passage_of_the_multi_corpus_holds_a_contents_line(
    tmp_path: Path, fake_embeddings
) -> None:
    """The multi corpus's PDF guide has a contents page of 35 entries: none may reach the index."""
    from core.settings import Settings
    from ingest.index import IndexStore, run_ingest

    corpus = PROJECT_ROOT / "evals" / "corpora" / "multi"
    settings = Settings.from_env(environ={}, corpus_dir=corpus, data_dir=tmp_path / "data")
    report = run_ingest(settings, embeddings=fake_embeddings, progress=False)
    assert not report.failed and len(report.added) == 7
    store = IndexStore(settings)
    try:
        _, passages, _ = store.read_passages(limit=10_000)
        sentences = store.sentences.get(include=["documents"])["documents"] or []
    finally:
        store.close()
    assert len(passages) == report.passages and len(sentences) == report.sentences
    assert [t for t in passages if CONTENTS_LINE.search(t)] == []
    assert [t for t in sentences if CONTENTS_LINE.search(t)] == []
    # The guide's contents page is there to drop: the check is not of a corpus without one.
    doc = corpus_document(next(corpus.glob("*.pdf")))
    assert doc.cleaned is not None
    assert sum(d.reason == "table of contents" for d in doc.cleaned.dropped) >= 30


def test_a_markdown_hard_line_break_keeps_the_lines_apart() -> None:
    # 「**計畫全名**：…  」 / 「**主辦機關**：…」: key-value lines of one paragraph, each a sentence;
    # a soft break (a plain newline) still joins the lines of a sentence broken mid-way.
    raw = (
        "# 計畫簡介\n\n**計畫全名**：小型企業創新研發計畫  \n**主辦機關**：經濟部中小及新創企業署\\\n"
        "**官方網站**：https://www.sbir.org.tw/\n\n本計畫補助中小企業\n進行創新研發。\n"
    )
    cleaned, _meta = parse_document(raw, "md")
    text = cleaned.text
    assert "計畫全名：小型企業創新研發計畫\n主辦機關：經濟部中小及新創企業署\n官方網站：" in text
    assert "本計畫補助中小企業進行創新研發。" in text
    for line in ("小型企業創新研發計畫", "經濟部中小及新創企業署"):
        at = text.index(line)
        assert raw[cleaned.raw_offsets[at]] == line[0]  # offsets still map to the raw file


# -- laws laid out in blocks, and a web page's chrome -------------------------------------------

HOLDOUT = PROJECT_ROOT / "evals" / "corpora" / "holdout"

LAW_MD = """# 某某條例

## 第 一 章 總則

### 第 1 條

為促進產業創新，特制定本條例。

### 第 1-1 條

本條例所稱產業，指農業、工業及服務業。

- 一、農業。
- 二、工業。

## 第 二 章 附則

### 第 2 條

本條例自公布日施行。
"""


def test_a_markdown_law_with_article_headings_becomes_articles_of_their_chapter() -> None:
    cleaned, _ = parse_document(LAW_MD, "md")
    chunks, _ = split_document(cleaned, "law.md")
    articles = {c.meta["article"]: c for c in chunks if c.kind == "article"}
    assert list(articles) == ["第1條", "第1-1條", "第2條"]
    assert articles["第1-1條"].section == "第一章 總則｜第1-1條"
    assert articles["第1-1條"].meta["article_zh"] == "第一條之一"
    assert "一、農業。" in articles["第1-1條"].text  # its list items are its paragraphs
    assert articles["第2條"].section.startswith("第二章 附則")


def test_one_article_label_in_a_page_is_no_law() -> None:
    page = "# 指南\n\n## 依據\n\n### 第 5 條\n\n本指南依第5條訂定。\n\n## 申請\n\n每年受理一次。\n"
    cleaned, _ = parse_document(page, "md")
    assert not any(b.kind == "article" for b in cleaned.blocks)


def test_a_pages_navigation_banner_and_footer_are_left_out_but_an_articles_header_is_kept() -> None:
    page = (
        "<html><body><header><a>網站導覽</a><nav><ul><li>最新訊息</li></ul></nav></header>"
        "<main><article><header><h1>補助要點</h1></header><p>每案補助上限為100萬元。</p></article></main>"
        "<nav>回首頁</nav><footer>本網站由某單位維運。電話02-1234</footer></body></html>"
    )
    cleaned, _ = parse_document(page, "html")
    assert "補助要點" in cleaned.text and "每案補助上限為100萬元。" in cleaned.text
    for chrome in ("網站導覽", "最新訊息", "回首頁", "維運"):
        assert chrome not in cleaned.text
    reasons = {d.reason for d in cleaned.dropped}
    assert {
        "<header> page navigation, banner or footer",
        "<footer> page navigation, banner or footer",
    } <= reasons
    assert unaccounted(page, cleaned, [(b.start, b.end) for b in cleaned.blocks]) == []


@pytest.mark.slow  # reads the held-out corpus's law page and Markdown law
@pytest.mark.parametrize(
    ("name", "labels"),
    [
        ("industrial-innovation-act-moj.html", ("第1條", "第10-1條", "第72條")),
        ("sme-development-act.md", ("第1條", "第24-1條", "第40條")),
    ],
)
def test_a_real_law_page_and_markdown_law_read_as_articles(name: str, labels: tuple[str, ...]) -> None:
    from ingest.load import read_manifest

    doc = load_document(HOLDOUT / name, HOLDOUT, read_manifest(HOLDOUT))
    assert doc.cleaned is not None
    chunks, sentences = split_document(doc.cleaned, doc.source, title=doc.title)
    found = {c.meta.get("article") for c in chunks if c.kind == "article"}
    assert set(labels) <= found and len(found) >= 40
    assert all(c.section.startswith("第") for c in chunks if c.kind == "article")  # under its chapter
    text = "".join(c.text for c in chunks)
    assert "網站導覽" not in text and "訂閱電子報" not in text  # the site's menus and footer
    assert unaccounted(doc.raw, doc.cleaned, [(s.start, s.end) for s in sentences]) == []


# -- numbered guides (須知, 要點): 一、 points with (一) sub-points are sections ------------------

#: Numbered sections are off by default (``Settings.numbered_sections``): these tests turn them on.
NUMBERED = Settings(numbered_sections=True)

#: A guide laid out as a PDF's text is: a title line, then points 一、二、… with sub-points and items.
GUIDE = """\
某市補助計畫申請須知

一、本府為鼓勵轄內企業研發，特訂定本須知。

二、申請資格應同時符合下列各款條件：

(一)依法辦理公司登記之中小企業。

(二)有下列情形之一者，不得申請：

1.於5年內有重大違約紀錄者。

2.有欠繳應納稅捐情事者。

三、申請計畫符合下列項目者，得酌予加分：

(一)聯合申請。

(二)首次申請。

四、補助經費原則如下：

(一)補助款不超過計畫總經費50%。

(二)補助上限為新臺幣100萬元。

五、其他

(一)本須知自公告日施行。
"""


def test_a_guides_numbered_points_are_sections_and_their_items_stay_items() -> None:
    cleaned, _ = parse_document(GUIDE, "txt", settings=NUMBERED)
    chunks, sentences = split_document(cleaned, "guide.txt")
    section_of = {s.text: s.section for s in sentences}
    assert section_of["(二)補助上限為新臺幣100萬元。"] == "四、補助經費原則如下"
    # A sub-point with items of its own is a section inside its point; one without stays in it.
    assert (
        section_of["2.有欠繳應納稅捐情事者。"]
        == "二、申請資格應同時符合下列各款條件 > (二)有下列情形之一者，不得申請"
    )
    assert section_of["(一)依法辦理公司登記之中小企業。"] == "二、申請資格應同時符合下列各款條件"
    assert section_of["(二)首次申請。"] == "三、申請計畫符合下列項目者，得酌予加分"  # the lead, to its ：
    # A one-line point of the run (nothing under it) stays in the section before the points.
    assert section_of["一、本府為鼓勵轄內企業研發，特訂定本須知。"] == "某市補助計畫申請須知"
    # A heading line (「五、其他」) is a heading: the section of what follows, never a quote.
    assert section_of["(一)本須知自公告日施行。"] == "五、其他"
    assert "五、其他" not in section_of
    # A passage runs only over the sections of one top-level point, and is cited by the path
    # they share: short sibling sections are packed, never a lone one-line passage.
    for c in chunks:
        held = {section_of[s.text] for s in sentences if c.start <= s.start < c.end}
        assert len({h.split(" > ")[0] for h in held}) == 1
        assert all(h.startswith(c.section) for h in held)
    point_two = [c for c in chunks if c.section.startswith("二、")]
    assert len(point_two) == 1 and point_two[0].section == "二、申請資格應同時符合下列各款條件"


def test_a_list_of_one_line_items_and_a_broken_sequence_make_no_sections() -> None:
    text = (
        "申請說明\n\n申請者應符合下列條件：\n\n一、國內依法登記之公司。\n\n二、淨值為正值。\n\n"
        "三、非陸資企業。\n\n本計畫另依下列規定辦理：\n\n五、所附文件不予發還。\n\n(一)含影本。\n"
    )
    cleaned, _ = parse_document(text, "txt", settings=NUMBERED)
    _, sentences = split_document(cleaned, "list.txt")
    # 一、二、三、 hold no sub-points: items of a list; 五、 after 三、 continues nothing.
    assert {s.section for s in sentences} == {"申請說明"}


def test_an_articles_numbered_points_are_its_items_not_sections() -> None:
    # A contract or rules inside a guide: 第 N 條 lines with 一、 points that hold (一) items. The
    # points are the article's paragraphs (款), which quote the article's rule; as sections they
    # named passages by a lead-in sentence (「…> 一、乙方有下列情形之一者」).
    text = (
        "專案契約書\n\n第 16 條 契約終止之事由\n\n一、乙方有下列情形之一者，甲方得終止本契約：\n\n"
        "(一)延誤履約期限情節重大者。\n\n(二)偽造或變造文件者。\n\n二、契約終止時，乙方應返還補助款。\n\n"
        "第 17 條 其他\n\n一、本契約未盡事宜依相關法令辦理。\n\n(一)雙方另以書面約定。\n"
    )
    cleaned, _ = parse_document(text, "txt", settings=NUMBERED)
    _, sentences = split_document(cleaned, "contract.txt")
    assert not any(" > " in s.section for s in sentences), {s.section for s in sentences}
    # the guide's own points before any article are still sections
    cleaned, _ = parse_document(
        GUIDE + "\n第 1 條 附則\n\n一、乙方應遵守下列事項：\n\n(一)保密。\n", "txt", settings=NUMBERED
    )
    _, sentences = split_document(cleaned, "guide.txt")
    assert {s.section for s in sentences if s.text == "(二)補助上限為新臺幣100萬元。"} == {
        "四、補助經費原則如下"
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("corpus", "name", "quote", "section"),
    [
        (
            "holdout",
            "keelung-local-sbir-2026-guidelines.pdf",
            "補助上限為新臺幣100萬元整",
            "九、計畫期程及申請補助款編列原則如下",
        ),
        (
            "holdout",
            "keelung-local-sbir-2026-guidelines.pdf",
            "於5年內曾有執行政府計畫",
            "二、申請資格應同時符合下列各款條件 > (二)有下列情形之一者，不符申請資格",
        ),
        (
            "multi",
            "moea-doit-ai-application-leap-program-application-guide-2025-10.pdf",
            "審查申請資格、核對各項應備資料",
            "伍、計畫審查與核定",
        ),
        (
            "multi",
            "moea-doit-ai-application-leap-program-application-guide-2025-10.pdf",
            "審查重點包含",
            "伍、計畫審查與核定 > 二、審查 > (一)計畫審查",
        ),
        (
            "multi",
            "moea-doit-ai-application-leap-program-application-guide-2025-10.pdf",
            "非屬銀行拒絕往來戶，且公司淨值",
            "貳、申請資格",
        ),
    ],
)
def test_real_guides_cite_their_numbered_points(corpus: str, name: str, quote: str, section: str) -> None:
    from ingest.load import read_manifest

    folder = PROJECT_ROOT / "evals" / "corpora" / corpus
    doc = load_document(folder / name, folder, read_manifest(folder), NUMBERED)
    assert doc.cleaned is not None
    chunks, sentences = split_document(doc.cleaned, doc.source, title=doc.title)
    assert [s.section for s in sentences if quote in s.text] == [section]
    if corpus == "holdout":  # most passages are in a numbered point's section, not in 前言
        assert (
            sum(c.section == "前言" for c in chunks)
            <= 3
            < sum(c.section.startswith(("二、", "九、")) for c in chunks)
        )


#: 中小企業研究發展支出適用投資抵減辦法 (as amended 2023-12-05) as 全國法規資料庫 gives it: one
#: paragraph a line. From GitHub ``kong0107/mojLawSplitJSON``, ``FalVMingLing/J0140015.json``,
#: commit ``b7a5032d8a33552a4907720ad92a8dedc42a9f69``, rendered title, URL, then ``第 N 條`` and the
#: article's text (not copyrightable: Copyright Act Art. 9).
WRAPPED_LAW = DATA / "sme-rd-tax-credit-regulation.txt"
#: A sentence of 第 6 條 that a page-width wrap breaks mid-word (研究發|展).
WHOLE_SENTENCE = "前項第三款經經濟部產業發展署認定之國內醫藥研發服務業者，其受託從事研究發展所發生之支出，不得再適用投資抵減。"


def _law_sentences(cleaned) -> list[str]:  # type: ignore[no-untyped-def]
    """The sentences of the law's articles (the header lines before them are no article's)."""
    _, sentences = split_document(cleaned, "law", max_unit_chars=400)
    return [s.text for s in sentences if "｜第" in s.section]


def test_a_law_wrapped_at_the_page_width_keeps_its_sentences_whole() -> None:
    """A law printed with its lines wrapped mid-sentence (every 30 characters here) reads as the
    law with one paragraph a line: a line that ends no sentence or clause continues on the next."""
    text = WRAPPED_LAW.read_text(encoding="utf-8")
    wrapped = "\n".join(
        "\n".join(line[i : i + 30] for i in range(0, len(line), 30)) if len(line) > 30 else line
        for line in text.split("\n")
    )
    as_given = _law_sentences(parse_document(text, "txt")[0])
    as_printed = _law_sentences(parse_document(wrapped, "txt")[0])
    assert WHOLE_SENTENCE in as_given
    assert as_printed == as_given
    # The list items of an article stay items of their own, each its own line of the article.
    cleaned, _ = parse_document(wrapped, "txt")
    assert "限：\n一、委託國內大專校院" in cleaned.text


def test_a_law_printed_to_pdf_keeps_its_sentences_whole(tmp_path: Path) -> None:
    """The same law in a PDF whose lines wrap at the page width (the layout reader keeps them lines
    of one paragraph): each sentence is one unit, not a line of it."""
    import fpdf

    pdf = fpdf.FPDF()
    pdf.add_font("cjk", "", str(CJK_FONT), collection_font_number=0)
    pdf.add_page()
    pdf.set_font("cjk", size=12)
    for line in WRAPPED_LAW.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    path = pdf.output(str(tmp_path / "law.pdf")) or tmp_path / "law.pdf"
    document = load_document(Path(path), tmp_path)
    assert document.cleaned is not None
    sentences = _law_sentences(document.cleaned)
    assert WHOLE_SENTENCE in sentences
    # No sentence of an article ends mid-clause where a printed line ended.
    articles = [b for b in document.cleaned.blocks if b.kind == "article"]
    assert len(articles) == 18
    for block in articles:
        for line in document.cleaned.text[block.start : block.end].split("\n"):
            assert re.search("[。：；]$", line), line


def test_a_line_that_dates_the_document_is_text_not_a_heading() -> None:
    """Revision dates under a title (in numerals or digits, with the issuing letter) stay text of
    the title's section; the points after them are not under 「…修正」."""
    text = (
        "臺北市青年創業共享空間租賃補助作業要點\n\n"
        "中華民國一百十四年十二月三十日臺北市政府府青創字第1143000000號函修正\n\n"
        "114年12月30日府青創字第1140000000號函修正第三點\n\n"
        "修正日期：民國114年12月30日\n\n"
        "一、本要點適用對象如下：\n（一）營利事業。\n（二）人民團體。\n\n"
        "申請資格\n\n"
        "代表人須年滿十八歲。\n"
    )
    cleaned, meta = parse_document(text, "txt")
    assert meta["title"] == "臺北市青年創業共享空間租賃補助作業要點"
    kinds = {cleaned.text[b.start : b.end]: (b.kind, b.section) for b in cleaned.blocks}
    dated = [t for t in kinds if "修正" in t]
    assert len(dated) == 3
    assert all(kinds[t] == ("paragraph", meta["title"]) for t in dated)
    assert kinds["一、本要點適用對象如下："][1] == meta["title"]
    assert kinds["申請資格"][0] == "heading"  # a heading that is no date still is one
    assert kinds["代表人須年滿十八歲。"][1] == "申請資格"


def test_an_ampersand_that_starts_no_reference_stays_text_and_later_offsets_do_not_drift() -> None:
    """``R&D`` is text, ``&amp;``/``&#8211;``/``&copy`` are the characters they stand for; every
    character after them still maps to its own raw offset (before, each ``R&D`` became
    ``R&D;`` and shifted the offsets after it, so characters at unit boundaries were lost)."""
    raw = (DATA / "ampersand-page.html").read_text(encoding="utf-8")
    cleaned, meta = parse_document(raw, "html")
    _, sentences = split_document(cleaned, "ampersand-page.html")
    assert meta["title"] == "R&D Grants | Example"
    texts = [s.text for s in sentences]
    assert any("supports R&D by small firms & start-ups – up to NT$ 5 million" in t for t in texts), texts
    assert any("Phase 2: R&D / detailed planning for 2 years." in t for t in texts), texts
    assert any("© 2024" in t for t in texts), texts
    assert not any("R&D;" in t for t in texts)
    assert unaccounted(raw, cleaned, [(s.start, s.end) for s in sentences]) == []
    for s in sentences:  # each unit's text is the raw text at its offsets, character by character
        for i, ch in enumerate(s.text):
            o = cleaned.raw_offsets[s.start + i]
            if o >= 0 and ch.isalnum():
                assert raw[o] == ch, (s.text, i)


def test_a_card_of_short_lines_is_one_paragraph_and_prose_stays_apart() -> None:
    """A page's card (an element of a few short lines: a phase, its amount, its length) is one
    unit, so the amount is read with the phase it belongs to; sentences and long lines are not
    joined, and a card's lines keep their raw offsets."""
    raw = (DATA / "programme-cards.html").read_text(encoding="utf-8")
    cleaned, _ = parse_document(raw, "html")
    _, sentences = split_document(cleaned, "programme-cards.html")
    texts = [s.text for s in sentences]
    assert "Pilot Study / Preliminary Planning, Phase 1, NT $1,000,000, 6 months" in texts, texts
    assert "Detailed Planning, Phase 2, NT $10,000,000, 2 years" in texts, texts
    assert "補助對象，中小企業" in texts, texts
    assert "This line is a sentence of its own." in texts and "Phase 3" in texts, texts
    assert "Phase 4" in texts, texts
    assert "A small experiment that validates the concept." in texts, texts  # list items stay items
    assert unaccounted(raw, cleaned, [(s.start, s.end) for s in sentences]) == []
    card = next(s for s in sentences if s.text.startswith("Pilot Study"))
    at = card.text.index("NT $")
    assert raw[cleaned.raw_offsets[card.start + at] :].startswith("NT $1,000,000")


def test_english_sentences_end_at_a_full_stop_before_a_capital_but_not_after_an_abbreviation() -> None:
    raw = (DATA / "programme-cards.html").read_text(encoding="utf-8")
    cleaned, _ = parse_document(raw, "html")
    _, sentences = split_document(cleaned, "programme-cards.html")
    texts = [s.text for s in sentences]
    assert "The grant funds research by small firms." in texts, texts
    assert "Firms apply online." in texts, texts
    assert "See Art. 5 of the Act, No. 12." in texts, texts


def test_a_static_site_template_tag_is_markup_and_the_text_inside_it_stays() -> None:
    raw = "# Criteria\n\n{{< teaser >}}\nApplicants must hold a degree.\n{{</ teaser >}}\n\nSee {% include note.html %} below.\n"
    cleaned, _ = parse_document(raw, "md")
    assert "{{" not in cleaned.text and "{%" not in cleaned.text and "teaser" not in cleaned.text
    assert "Applicants must hold a degree." in cleaned.text and "See below." in cleaned.text.replace(
        "  ", " "
    )
    reasons = {d.reason for d in cleaned.dropped}
    assert "markup: template tag" in reasons
    # Nothing lost without a reason: every letter of the tags is in a dropped span.
    assert not unaccounted(raw, cleaned, [(0, len(cleaned.text))])
