"""Documents beyond the seed, end to end with fake embeddings: identity, articles, rows, refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.answer import REFUSAL_HANT
from assistant.scope import REFUSAL_LEAD, refusal_text
from core.settings import PROJECT_ROOT, Settings
from ingest.index import run_ingest

DATA = Path(__file__).parent / "data"
SEED_NAME = "moea-doit-tech-programs-overview.txt"


def test_the_seed_manifest_gives_the_seed_refusal() -> None:
    manifest = json.loads((PROJECT_ROOT / "corpus" / "manifest.json").read_text(encoding="utf-8"))
    title = manifest["documents"][SEED_NAME]["title"]
    assert refusal_text(manifest, {SEED_NAME: title}) == REFUSAL_HANT


def test_refusal_lists_the_live_documents() -> None:
    manifest = {"documents": {"a.md": {"title": "甲", "topics": "新創團隊的培育成果"}}}
    text = refusal_text(manifest, {"a.md": "甲", "law.txt": "經濟部科學技術研究發展成果歸屬及運用辦法"})
    assert text.startswith(REFUSAL_LEAD)
    assert "新創團隊的培育成果" in text and "《經濟部科學技術研究發展成果歸屬及運用辦法》" in text
    assert "重點研發領域" not in text  # nothing of the seed's topics when the seed is not there
    many = refusal_text({}, {f"{i}.txt": f"文件{i}" for i in range(12)})
    assert "等 12 份文件" in many and many.count("《") == 8


@pytest.fixture()
def documents_settings(tmp_path: Path, fake_embeddings) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("startup-guide.md", "legislative-review.html", "moea-rd-results-regulation.txt"):
        shutil.copy(DATA / name, corpus / name)
    manifest = {
        "documents": {
            "moea-rd-results-regulation.txt": {"publisher": "經濟部", "topics": "研發成果的歸屬及運用"}
        }
    }
    (corpus / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    settings = Settings.from_env(environ={}, corpus_dir=corpus, data_dir=tmp_path / "data")
    report = run_ingest(settings, embeddings=fake_embeddings, progress=False)
    assert len(report.added) == 3 and not report.failed
    return settings


def test_citations_name_document_publisher_and_article(documents_settings: Settings, fake_embeddings) -> None:
    bot = Assistant.load(documents_settings, embeddings=fake_embeddings)
    passages = bot.retriever.search("第二十四條", mode="bm25", k=3)
    assert passages[0].section.endswith("｜第24條")
    assert passages[0].title == "經濟部科學技術研究發展成果歸屬及運用辦法"
    assert passages[0].publisher == "經濟部"
    assert bot.retriever.search("第24條", mode="bm25", k=1)[0].id == passages[0].id
    assert bot.retriever.search("第 24 條", mode="bm25", k=1)[0].id == passages[0].id
    rows = bot.retriever.search("2021年培育了幾組新創團隊", mode="bm25", k=3)
    assert rows[0].kind == "row" and rows[0].text == "年度：2021；培育團隊：44組；新創公司：19家"
    assert rows[0].publisher == "經濟部產業技術司"  # from the Markdown front matter


@pytest.fixture(scope="module")
def real_documents_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The seed plus the test documents, ingested with the real bundled model."""
    root = tmp_path_factory.mktemp("documents")
    shutil.copytree(PROJECT_ROOT / "corpus", root / "corpus")
    for name in ("startup-guide.md", "legislative-review.html", "moea-rd-results-regulation.txt"):
        shutil.copy(DATA / name, root / "corpus" / name)
    settings = Settings.from_env(environ={}, corpus_dir=root / "corpus", data_dir=root / "data")
    assert not run_ingest(settings, progress=False).failed
    return settings


@pytest.mark.slow
def test_real_answers_cite_articles_rows_and_publishers(real_documents_settings: Settings) -> None:
    bot = Assistant.load(real_documents_settings)
    reply = bot.ask("研發成果歸屬及運用辦法第24條規定什麼？")
    assert not reply.refused, reply.notes
    cited = reply.citations[0]
    assert cited.section.endswith("｜第24條"), cited
    assert cited.where.startswith("《經濟部科學技術研究發展成果歸屬及運用辦法》")
    assert not cited.quote.startswith("第24條")
    reply = bot.ask("2021年培育了幾組新創團隊？")
    assert not reply.refused, reply.notes
    assert "44組" in reply.answer and reply.citations[0].section.endswith("表1 第3列")
    assert reply.citations[0].where == "《科專新創團隊培育指南》（經濟部產業技術司）｜歷年培育成果｜表1 第3列"
    assert "|" not in reply.answer and "**" not in reply.answer


def test_refusal_lists_this_corpus(documents_settings: Settings, fake_embeddings) -> None:
    bot = Assistant.load(documents_settings, embeddings=fake_embeddings)
    reply = bot.ask("台積電明年的股價會漲嗎？")
    assert reply.refused
    assert "研發成果的歸屬及運用" in reply.answer and "《科專新創團隊培育指南》" in reply.answer
    assert "區域產業研發中心" not in reply.answer


def test_a_question_reads_one_version_while_another_ingest_lands(
    tmp_settings: Settings, fake_embeddings
) -> None:
    from assistant.retrieve import Retriever
    from ingest.index import open_index

    run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    retriever = Retriever(open_index(tmp_settings, fake_embeddings), fake_embeddings, tmp_settings)
    shutil.copy(DATA / "startup-guide.md", tmp_settings.corpus_dir / "startup-guide.md")
    with retriever.pinned():
        old_store = retriever.version_store()
        run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)  # lands mid-question
        assert retriever.newer_version()  # seen at once when asked...
        hits = retriever.search("2021年培育了幾組新創團隊", mode="bm25", k=3)
        assert all(p.source == SEED_NAME for p in hits)  # ...but this question reads the old version
        assert retriever.version_store() is old_store
    hits = retriever.search("2021年培育了幾組新創團隊", mode="bm25", k=3)
    assert hits[0].source == "startup-guide.md" and hits[0].kind == "row"
    assert retriever.version_store() is not old_store  # the new version through a fresh embedded client
    dense = retriever.search("2021年培育了幾組新創團隊", mode="dense", k=50)
    assert any(p.source == "startup-guide.md" for p in dense)  # the new vectors, not a stale HNSW


def test_a_changed_manifest_title_is_reingested(tmp_settings: Settings, fake_embeddings) -> None:
    from ingest.index import open_index

    run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    path = tmp_settings.corpus_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["documents"][SEED_NAME]["title"] = "新的標題"
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    report = run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False)
    assert report.updated == [SEED_NAME]
    assert open_index(tmp_settings, fake_embeddings).committed()[SEED_NAME].title == "新的標題"
    assert run_ingest(tmp_settings, embeddings=fake_embeddings, progress=False).unchanged == [SEED_NAME]
