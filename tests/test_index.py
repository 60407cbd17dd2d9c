"""Incremental, crash-safe ingest into a real (embedded) Chroma, with fake embeddings."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.retrieve import Retriever
from core.errors import IndexMissingError, KezhuanError
from core.settings import Settings
from ingest.index import IndexStore, open_index, run_ingest

SEED_NAME = "moea-doit-tech-programs-overview.txt"


def _live_texts(settings: Settings, embeddings) -> list[str]:
    store = open_index(settings, embeddings)
    retriever = Retriever(store, embeddings, settings)
    return [retriever.passage(pid).text for pid in retriever._current().ids]


def test_ingest_then_unchanged_reingest_changes_nothing(tmp_settings: Settings, fake_embeddings) -> None:
    first = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    assert first.added == [SEED_NAME] and first.passages > 30
    store = IndexStore(tmp_settings, fake_embeddings)
    before = sorted(store.passages.get(include=[])["ids"])
    again = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    assert not again.changed and again.unchanged == [SEED_NAME] and again.passages == 0
    assert sorted(store.passages.get(include=[])["ids"]) == before


def test_new_changed_and_deleted_documents(tmp_settings: Settings, fake_embeddings) -> None:
    run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    extra = tmp_settings.corpus_dir / "notes.md"
    extra.write_text("# 補充說明\n\n這是一份測試用的補充文件。內容提到水五金產業。\n", encoding="utf-8")
    report = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    assert report.added == ["notes.md"] and report.unchanged == [SEED_NAME]
    assert any("測試用的補充文件" in t for t in _live_texts(tmp_settings, fake_embeddings))

    extra.write_text("# 補充說明\n\n內容已經更新為第二版。\n", encoding="utf-8")
    report = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    assert report.updated == ["notes.md"]
    texts = _live_texts(tmp_settings, fake_embeddings)
    assert any("第二版" in t for t in texts) and not any("測試用的補充文件" in t for t in texts)

    extra.unlink()
    report = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    assert report.removed == ["notes.md"]
    store = IndexStore(tmp_settings, fake_embeddings)
    assert not store.passages.get(where={"source": "notes.md"}, include=[])["ids"]
    assert not store.sentences.get(where={"source": "notes.md"}, include=[])["ids"]


def test_interrupted_update_never_serves_a_mix_and_is_repaired(
    tmp_settings: Settings, fake_embeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    seed = tmp_settings.corpus_dir / SEED_NAME
    seed.write_text(seed.read_text(encoding="utf-8").replace("七大誘因", "八大誘因"), encoding="utf-8")

    def crash(self, record):  # the process dies after writing passages, before committing
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(IndexStore, "commit", crash)
    with pytest.raises(KeyboardInterrupt):
        run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    monkeypatch.undo()

    store = IndexStore(tmp_settings, fake_embeddings)
    assert store.count() > 40  # both versions are stored ...
    texts = _live_texts(tmp_settings, fake_embeddings)
    assert any("七大誘因" in t for t in texts)  # ... but only the committed one is live
    assert not any("八大誘因" in t for t in texts)
    assert len(texts) == len(set(texts))

    report = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    assert report.updated == [SEED_NAME]
    texts = _live_texts(tmp_settings, fake_embeddings)
    assert any("八大誘因" in t for t in texts) and not any("七大誘因" in t for t in texts)
    assert store.count() == len(texts)  # the old version was swept away


def test_unreadable_document_is_reported_and_the_rest_ingested(
    tmp_settings: Settings, fake_embeddings
) -> None:
    (tmp_settings.corpus_dir / "broken.txt").write_bytes(b"\xff\xfe\x00bad \xc3\x28 bytes")
    (tmp_settings.corpus_dir / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    report = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    assert set(report.failed) == {"broken.txt", "broken.pdf"}
    assert "broken.txt" in report.failed["broken.txt"] and "UTF-8" in report.failed["broken.txt"]
    assert report.added == [SEED_NAME]


def test_pdf_documents_are_ingested(tmp_settings: Settings, fake_embeddings) -> None:
    fpdf = pytest.importorskip("fpdf")
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    pdf = fpdf.FPDF()
    pdf.add_page()
    if font.exists():
        pdf.add_font("dejavu", "", str(font))
        pdf.set_font("dejavu", size=12)
    else:
        pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "Technology programs report.\nThe Miaoli center works on composite materials.")
    pdf.output(str(tmp_settings.corpus_dir / "report.pdf"))
    report = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    assert "report.pdf" in report.added
    assert any("composite materials" in t for t in _live_texts(tmp_settings, fake_embeddings))


def test_missing_index_says_to_run_ingest(tmp_settings: Settings, fake_embeddings) -> None:
    with pytest.raises(IndexMissingError, match="kezhuan ingest"):
        open_index(tmp_settings, fake_embeddings)


def test_missing_corpus_folder_is_a_clear_error(tmp_path: Path, fake_embeddings) -> None:
    settings = Settings.from_env(environ={}, corpus_dir=tmp_path / "nope", data_dir=tmp_path / "data")
    with pytest.raises(KezhuanError, match="does not exist"):
        run_ingest(settings, embeddings=fake_embeddings, progress=False)


def test_changed_pipeline_settings_rebuild(tmp_settings: Settings, fake_embeddings) -> None:
    run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    smaller = tmp_settings.replace(chunk_chars=120)
    with pytest.raises(IndexMissingError, match="kezhuan ingest"):
        open_index(smaller, fake_embeddings)
    report = run_ingest(smaller, embeddings=fake_embeddings, progress=False)
    assert report.added == [SEED_NAME]
    assert open_index(smaller, fake_embeddings).count() > 36


def test_passages_are_embedded_under_their_title_and_section_but_stored_as_written(
    tmp_settings: Settings, fake_embeddings
) -> None:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    seen: list[str] = []

    class Recording(DeterministicFakeEmbedding):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            seen.extend(texts)
            return super().embed_documents(texts)

    run_ingest(tmp_settings, embeddings=Recording(size=32), progress=False)
    store = IndexStore(tmp_settings, fake_embeddings)
    got = store.passages.get(include=["documents", "metadatas"], limit=5)
    for text, meta in zip(got["documents"] or [], got["metadatas"] or [], strict=True):
        assert not text.startswith("《")  # the stored (quoted) text is the document's own
        heading = f"《{meta['title']}》{meta['section']}："
        assert heading + text in seen, "the embedded text carries the document title and section"


def test_a_big5_text_is_read_and_the_log_says_so(
    tmp_settings: Settings, fake_embeddings, caplog: pytest.LogCaptureFixture
) -> None:
    law = "科學技術基本法\n第一條　為確立政府推動科學技術發展之基本方針，特制定本法。\n"
    (tmp_settings.corpus_dir / "big5-law.txt").write_bytes(law.encode("cp950"))
    report = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    assert report.failed == {} and "big5-law.txt" in report.added
    assert any("特制定本法" in t for t in _live_texts(tmp_settings, fake_embeddings))
    assert any("big5-law.txt" in r.getMessage() and "Big5" in r.getMessage() for r in caplog.records)


def test_an_indexed_document_overwritten_by_an_unreadable_one_keeps_its_old_version(
    tmp_settings: Settings, fake_embeddings
) -> None:
    notes = tmp_settings.corpus_dir / "notes.txt"
    notes.write_text("測試用的補充文件：舊版本仍然可以回答。\n", encoding="utf-8")
    run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    notes.write_bytes(b"\x00\x01\x02\xff\xfe binary")
    (tmp_settings.corpus_dir / "new.txt").write_bytes(b"")
    report = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    assert set(report.failed) == {"notes.txt", "new.txt"}
    assert report.kept == ["notes.txt"]  # never ingested before: new.txt has no old version
    assert "1 of them still served in their previous version" in report.summary()
    assert any("舊版本仍然可以回答" in t for t in _live_texts(tmp_settings, fake_embeddings))


def test_the_command_exits_1_when_a_document_fails_and_ingests_the_rest(
    tmp_settings: Settings,
    fake_embeddings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ui import cli

    monkeypatch.setenv("KEZHUAN_CORPUS_DIR", str(tmp_settings.corpus_dir))
    monkeypatch.setenv("KEZHUAN_DATA_DIR", str(tmp_settings.data_dir))
    monkeypatch.setattr("ingest.embed.load_embeddings", lambda settings: fake_embeddings)
    notes = tmp_settings.corpus_dir / "notes.txt"
    notes.write_text("測試用的補充文件：舊版本仍然可以回答。\n", encoding="utf-8")
    assert cli.main(["ingest", "--no-progress"]) == 0
    notes.write_bytes(b"%PDF-1.4 truncated")
    notes.rename(notes.with_suffix(".pdf"))
    (tmp_settings.corpus_dir / "notes.txt").write_bytes(bytes(range(256)) * 4)  # binary, same name
    assert cli.main(["ingest", "--no-progress"]) == cli.INGEST_FAILED_DOCUMENTS == 1
    err = capsys.readouterr().err
    assert "could not read notes.pdf" in err and "could not read notes.txt" in err
    assert "previously ingested version of notes.txt is still being served" in err
    assert _live_texts(tmp_settings, fake_embeddings)  # the seed is still answered from
