"""The chat page's HTML: escaped text, highlighted quotes, linked markers, calm refusals."""

from __future__ import annotations

from assistant.reply import Citation, Reply
from ui.render import highlight_quote, render_pending, render_question, render_reply


def _citation(n: int, text: str, quote: str, section: str = "章節") -> Citation:
    return Citation(
        n=n,
        passage_id=f"p{n}",
        source="doc.txt",
        section=section,
        text=text,
        quote=quote,
        start=0,
        end=len(quote),
        score=0.8,
        title="文件標題",
    )


def test_quote_is_marked_inside_escaped_passage() -> None:
    html = highlight_quote("前文<b>粗</b>。重點句子。後文", "重點句子。")
    assert html == "前文&lt;b&gt;粗&lt;/b&gt;。<mark>重點句子。</mark>後文"


def test_quote_split_across_sentences_marks_each_found_sentence() -> None:
    passage = "第一句。中間。第二句！結尾"
    assert (
        highlight_quote(passage, "第一句。第二句！") == "<mark>第一句。</mark>中間。<mark>第二句！</mark>結尾"
    )


def test_quote_not_in_passage_leaves_passage_unmarked() -> None:
    assert highlight_quote("只有這段<文字>", "不存在的句子") == "只有這段&lt;文字&gt;"


def test_reply_links_known_markers_to_their_sources() -> None:
    reply = Reply(
        question="q",
        answer="答案[1]與[2]，還有[9]。",
        refused=False,
        citations=[_citation(1, "甲。乙。", "乙。"), _citation(2, "丙。", "丙。")],
    )
    html = render_reply(reply, "r1")
    assert '<a class="kz-cite" href="#kz-src-r1-1"' in html
    assert '<details class="kz-source" id="kz-src-r1-2">' in html
    assert "[9]" in html and 'href="#kz-src-r1-9"' not in html  # an unknown marker stays text
    assert "<mark>乙。</mark>" in html and "文件標題" in html and "章節" in html


def test_scripts_and_markdown_in_documents_are_escaped() -> None:
    evil = "<script>alert(1)</script> **粗** [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
    reply = Reply(
        question=evil,
        answer=f"{evil}[1]",
        refused=False,
        citations=[_citation(1, evil + "。引用。", "引用。", section="<i>s</i>")],
    )
    html = render_reply(reply, "r2") + render_question(evil) + render_pending(evil)
    assert "<script>" not in html and "<img" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "**粗** [x](javascript:alert(2))" in html  # markdown stays literal text


def test_refusal_is_a_notice_without_sources() -> None:
    reply = Reply(question="q", answer="找不到<答案>。", refused=True)
    html = render_reply(reply)
    assert 'class="kz-refusal"' in html and "kz-source" not in html
    assert "找不到&lt;答案&gt;。" in html


def test_a_refusal_that_corrects_the_question_shows_its_sources() -> None:
    reply = Reply(
        question="A+淬鍊計畫是2018年開始的嗎？",
        answer="文件並未支持問題中的「2018年」；文件寫的是2014年：自2014年起推動[1]。",
        refused=True,
        citations=[_citation(1, "本部技術司自2014年起推動「A+企業創新研發淬鍊計畫」。", "自2014年起推動")],
    )
    html = render_reply(reply, "r9")
    assert 'class="kz-refusal"' in html and 'class="kz-sources"' in html
    assert 'href="#kz-src-r9-1"' in html  # the marker links to its source


def test_a_citation_of_one_row_marks_every_quoted_cell_under_one_number() -> None:
    from assistant.reply import Quote

    row = "年度：2021；培育團隊：44組；募資金額：8.29億元"
    quotes = [Quote("年度：2021", 0, 7), Quote("募資金額：8.29億元", 17, 28)]
    citation = Citation(
        1, "r1", "doc.txt", "表1 第2列", row, quotes[0].quote, 0, 7, 0.8, "文件", quotes=quotes
    )
    html = render_reply(Reply("q", "2021年[1]募資8.29億元[1]。", False, [citation]), reply_id="r")
    assert html.count('class="kz-source"') == 1 and html.count('href="#kz-src-r-1"') == 2
    assert "<mark>年度：2021</mark>；培育團隊：44組；<mark>募資金額：8.29億元</mark>" in html
    assert "年度：2021…募資金額：8.29億元" in html  # the summary previews both
