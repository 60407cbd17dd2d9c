"""Word (.docx) and OpenDocument (.odt) files (ingest/load.py read_office, through pandoc).

The test documents are written here by pandoc from Markdown (a regulation-like notice with
headings, a table and numbered points), as a word processor would save them; what is checked is
what kezhuan reads back: sections, one unit per table row with its header cells, the text whole
(every letter and digit of the source in the cleaned text), a clear error for a broken file, and
a corpus with an unreadable kind of file naming it instead of skipping it silently.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pypandoc
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from core.errors import DocumentReadError
from core.settings import PROJECT_ROOT, Settings
from ingest.index import IndexStore, run_ingest
from ingest.load import list_sources, load_document
from ingest.split import split_document

NOTICE = """# 青年創新研發補助要點

## 一、目的

本要點為鼓勵青年投入創新研發，協助其將研發成果商品化，特訂定之。

## 二、補助對象

設籍本市滿一年、年滿二十歲至四十五歲之青年，並符合下列條件之一者：

1. 依法設立登記之公司負責人。
2. 依法設立登記之商業負責人。

## 三、補助額度

| 類別 | 補助上限 | 計畫期程 |
|---|---|---|
| 個人組 | 新臺幣50萬元 | 6個月 |
| 團隊組 | 新臺幣120萬元 | 12個月 |

## 四、申請方式

申請人應於每年三月一日至三月三十一日檢附計畫書，向本局提出申請。
"""


def _write(tmp: Path, suffix: str) -> Path:
    path = tmp / f"notice{suffix}"
    pypandoc.convert_text(NOTICE, suffix.lstrip("."), format="md", outputfile=str(path))
    return path


def _letters(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z\u4e00-\u9fff]", "", text)


@pytest.mark.parametrize("suffix", [".docx", ".odt"])
def test_a_word_processor_file_reads_as_its_sections_rows_and_text(tmp_path: Path, suffix: str) -> None:
    path = _write(tmp_path, suffix)
    assert path in list_sources(tmp_path)
    doc = load_document(path, tmp_path)
    assert doc.title == "青年創新研發補助要點" and doc.kind == "html"
    assert doc.cleaned is not None
    # nothing of the source is lost: every line's letters and digits (a table's as rows, below;
    # a numbered list's numbers, which the file keeps as list structure, written as a reader sees them)
    text = _letters(doc.cleaned.text)
    for line in NOTICE.splitlines():
        if not line.startswith("|"):
            assert _letters(line) in text
    assert "\n1.依法設立登記之公司負責人。\n2.依法設立登記之商業負責人。" in doc.cleaned.text
    units, _ = split_document(doc.cleaned, doc.source, title=doc.title)
    sections = list(dict.fromkeys(u.section.split("｜")[0] for u in units))
    assert sections == ["一、目的", "二、補助對象", "三、補助額度", "四、申請方式"]
    rows = [u.text for u in units if u.kind == "row"]
    assert rows == [
        "類別：個人組；補助上限：新臺幣50萬元；計畫期程：6個月",
        "類別：團隊組；補助上限：新臺幣120萬元；計畫期程：12個月",
    ]
    for unit in units:  # offsets point into the raw text (the HTML pandoc made)
        assert doc.cleaned.raw_span(unit.start, unit.end)


def test_a_broken_word_file_is_named_with_how_to_fix_it(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 this is no zip archive")
    with pytest.raises(
        DocumentReadError, match=r"broken\.docx: cannot be read as a docx file .*save it as PDF"
    ):
        load_document(path, tmp_path)


def test_files_of_a_kind_not_read_are_named_not_skipped_silently(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (tmp_path / "notes.txt").write_text("一段文字。", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="ingest.sources"):
        assert [p.name for p in list_sources(tmp_path)] == ["notes.txt"]
    assert "old.doc" in caplog.text and "save it as .docx, .odt or PDF" in caplog.text


def test_an_odt_notice_is_ingested_and_answers_from_its_table_row(tmp_path: Path) -> None:
    from assistant import Assistant
    from assistant.answer import ExtractiveAnswerer
    from assistant.retrieve import Retriever

    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    _write(corpus, ".odt")
    settings = Settings.from_env(environ={}, corpus_dir=corpus, data_dir=tmp_path / "data")
    embeddings = DeterministicFakeEmbedding(size=32)
    assert not run_ingest(settings, embeddings=embeddings, progress=False).failed
    store = IndexStore(settings, embeddings)
    bot = Assistant(
        settings, store, embeddings, Retriever(store, embeddings, settings), ExtractiveAnswerer(settings)
    )
    reply = bot.ask("青年創新研發補助的團隊組補助上限是多少？")
    assert not reply.refused and "120萬" in reply.answer
    assert reply.citations[0].source == "notice.odt" and "表1 第2列" in reply.citations[0].section
