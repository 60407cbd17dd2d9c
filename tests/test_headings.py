"""A document's heading lines read from its cleaned source (assistant/headings.py): a bare status
quote (「（刪除）」) is cited with the article label above it."""

from __future__ import annotations

from pathlib import Path

from assistant.headings import document_headings, labelled_bare_quotes
from assistant.reply import Citation
from core.settings import Settings

LAW = "某某測試辦法\n\n第 1 條\n本辦法依某某法第三條規定訂定之。\n\n第 2 條\n（刪除）\n\n第 3 條\n申請人應於每年三月底前提出申請。\n"


def _cited(text: str, quote: str) -> Citation:
    at = text.index(quote)
    return Citation(
        n=1,
        passage_id="p",
        source="law.txt",
        section="第2條",
        text=quote,
        quote=quote,
        start=at,
        end=at + len(quote),
        score=0.9,
        text_start=at,
    )


def test_a_bare_status_is_quoted_with_the_label_above_it(tmp_path: Path) -> None:
    (tmp_path / "law.txt").write_text(LAW, encoding="utf-8")
    settings = Settings(corpus_dir=tmp_path)
    headings = document_headings(settings, "law.txt")
    assert [h.text for h in headings][-3:] == ["第 1 條", "第 2 條", "第 3 條"]
    label = headings[-2]
    text = "\n".join(line for line in LAW.splitlines() if line)  # the cleaned text: one block a line
    bare = _cited(text, "（刪除）")
    cited, why = labelled_bare_quotes([bare], settings)
    assert cited[0].quote == "第 2 條\n（刪除）" and cited[0].start == label.start
    assert cited[0].text[cited[0].start - cited[0].text_start :].startswith(cited[0].quote)
    assert why and "第 2 條" in why[0]


def test_a_quote_that_states_content_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "law.txt").write_text(LAW, encoding="utf-8")
    settings = Settings(corpus_dir=tmp_path)
    text = "\n".join(line for line in LAW.splitlines() if line)
    plain = _cited(text, "申請人應於每年三月底前提出申請。")
    assert labelled_bare_quotes([plain], settings) == ([plain], [])
