"""The evaluation sets are well formed and every quote in them is really in the corpus.

Fast: no models, no index (reading the multi corpus's 74-page PDF is the one ``slow`` test). Checks the counts and shares the sets promise (styles,
unanswerable share, a split fixed by hash and balanced per group), that each evidence quote
is found in the cleaned text of the document it names (and, for the first gold set, in the
section the case names), and that each key fact appears in the corpus or in the case's own
quotes (which catches typos).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest
from corpus_docs import corpus_document

from evals.dataset import (
    CORPORA,
    DEFAULT_GOLD_PATH,
    DEV_SHARE,
    DEV_SHARE_RANGE,
    KINDS,
    SECTIONS,
    STYLES,
    GoldCase,
    GoldSetError,
    assign_splits,
    load_gold,
    select_cases,
    stratum_of,
)

ROOT = Path(__file__).resolve().parents[1]
CORPUS_FILE = ROOT / "corpus" / "moea-doit-tech-programs-overview.txt"
SEED = CORPUS_FILE
#: The corpora beside the seed whose documents blind cases quote.
ADDED = [c for c in CORPORA if c != "seed"]
#: The added corpora that hold a PDF (holdout4 has none: its blind writer found no PDF to add).
WITH_PDF = [c for c in ADDED if any((Path(__file__).parents[1] / "evals" / "corpora" / c).glob("*.pdf"))]

#: The seven regional centres of the map; each must be the subject of some question.
CENTERS = (
    "苗栗產業創新推動中心",
    "經濟部中臺灣創新園區",
    "嘉義產業創新研發中心",
    "經濟部南臺灣創新園區",
    "傳統產業創新加值中心",
    "東部產業技術服務中心",
    "東部深層海水創新研發中心",
)

_WS = re.compile(r"\s+")


def _squash(text: str) -> str:
    """Remove all whitespace, so quotes compare independently of line joining and padding."""
    return _WS.sub("", text)


def _raw() -> str:
    return CORPUS_FILE.read_text(encoding="utf-8")


def _approximate_clean(raw: str) -> str:
    """Drop the stray page-number line ``01`` and all whitespace."""
    return _squash("\n".join(line for line in raw.splitlines() if line.strip() != "01"))


@lru_cache(maxsize=1)
def cleaned_corpus() -> str:
    """The cleaned corpus text with all whitespace removed."""
    try:
        from ingest.clean import clean_text
    except ImportError:
        # Fallback approximation of the cleaner, only for while ingest.clean did not exist.
        # TODO: remove this fallback (and _approximate_clean) now that ingest.clean exists.
        return _approximate_clean(_raw())
    return _squash(clean_text(_raw()).text)


@lru_cache(maxsize=1)
def section_texts() -> dict[str, str]:
    """Whitespace-free text of each section, cut from the raw file at its heading lines.

    Independent of the cleaner: the untitled opening is "前言"; the map call-outs fall
    between the "打造產業聚落" and "科技加值傳產" headings in the raw file too.
    """
    parts: dict[str, list[str]] = {name: [] for name in SECTIONS}
    current = SECTIONS[0]
    for line in _raw().splitlines():
        if line.strip() in SECTIONS[1:]:
            current = line.strip()
            continue
        if line.strip() != "01":
            parts[current].append(line)
    return {name: _squash("\n".join(lines)) for name, lines in parts.items()}


SET_FILES = sorted(DEFAULT_GOLD_PATH.glob("*.jsonl"))
#: The styles of the blind sets (all but the first, tidy gold set).
BLIND_STYLES = tuple(s for s in STYLES if s != "gold-v1")
#: Styles whose cases hold on any corpus: their right reply is a refusal whatever the documents.
ANYWHERE = ("chitchat", "injection", "nonquestion")


@pytest.fixture(scope="module")
def everything() -> dict[str, GoldCase]:
    return load_gold()


@pytest.fixture(scope="module")
def gold(everything: dict[str, GoldCase]) -> dict[str, GoldCase]:
    """The first gold set (style gold-v1): tidy questions about the seed document."""
    return {k: c for k, c in everything.items() if c.style == "gold-v1"}


@pytest.fixture(scope="module")
def blind(everything: dict[str, GoldCase]) -> list[GoldCase]:
    """The cases written blind, in the styles real users write in."""
    return [c for c in everything.values() if c.style != "gold-v1"]


@lru_cache(maxsize=4)
def corpus_texts(corpus: str, pdf: bool) -> dict[str, str]:
    """Whitespace-free cleaned text of an evaluation corpus's PDF documents (``pdf``) or of the
    others, read and cleaned as :func:`evals.run.load_source_texts` does, as the eval places quotes.

    The two halves are apart because reading the multi corpus's 74-page PDF costs more than the
    rest of this file.
    """
    from evals.metrics import SourceTexts, squash
    from evals.run import EVAL_CORPORA_DIR
    from ingest.clean import clean_text
    from ingest.load import list_sources

    folder = EVAL_CORPORA_DIR / corpus
    docs = [corpus_document(p) for p in list_sources(folder) if (p.suffix == ".pdf") == pdf]
    texts = SourceTexts({d.source: clean_text(d.raw, markdown=d.kind == "md").text for d in docs})
    return {source: squash(texts.squashed(source)) for source in texts.sources}


def _home(case: GoldCase) -> str:
    """The corpus whose documents a blind case quotes: the widest one it holds on."""
    return next((c for c in ADDED if c in case.corpora and c != "multi"), "multi")


def _evidence_not_found(
    cases: list[GoldCase], texts: dict[str, str], others: dict[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """``(id, source, quote)`` of every evidence quote not in the cleaned text of its named document.

    A multifact case may join two documents: its first quote is in the named document, a later
    one may be in another document of ``texts`` or ``others`` (the rest of the corpus).
    """
    from evals.metrics import squash

    everywhere = {**texts, **(others or {})}
    missing = []
    for c in cases:
        for i, q in enumerate(c.evidence):
            if squash(q) in texts.get(c.source, ""):
                continue
            if c.style == "multifact" and i > 0 and any(squash(q) in t for t in everywhere.values()):
                continue
            missing.append((c.id, c.source, q))
    return missing


# ------------------------------------------------------------------ loading and counts


def test_default_sets_load(everything: dict[str, GoldCase], gold: dict[str, GoldCase]) -> None:
    assert DEFAULT_GOLD_PATH.is_dir() and len(SET_FILES) >= 4
    assert len(gold) == 205  # the first gold set is kept whole, as one style among many
    assert len(everything) >= 205 + 250


def test_ids_unique_and_readable() -> None:
    ids = [
        json.loads(line)["id"]
        for path in SET_FILES
        for line in path.read_text(encoding="utf-8").splitlines()
        if line
    ]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    bad = [i for i in ids if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", i)]
    assert bad == []


@pytest.mark.parametrize("path", SET_FILES, ids=lambda p: p.name)
def test_file_is_utf8_without_ascii_escapes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "\\u" not in text, "write with ensure_ascii=False"


@pytest.mark.parametrize("path", SET_FILES, ids=lambda p: p.name)
def test_every_line_states_style_corpora_source_and_split(path: Path) -> None:
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        missing = {"style", "corpora", "source", "split", "note"} - set(record)
        assert not missing, (record["id"], missing)
        assert record["split"] in ("dev", "test"), record["id"]  # the loader checks it is the hash's
        assert record["style"] in STYLES


def test_blind_sets_have_the_shares_the_issue_asks_for(blind: list[GoldCase]) -> None:
    # The first wave is the balanced set issue #11 asked for; later waves top up the kinds
    # that failed, so they are checked on their own (below).
    blind = [c for c in blind if c.wave == 1]
    assert len(blind) >= 250
    per_style = Counter(c.style for c in blind)
    thin = {s: per_style[s] for s in BLIND_STYLES if per_style[s] < 0.05 * len(blind)}
    assert thin == {}, f"styles under 5% of the blind cases: {thin}"
    assert sum(not c.answerable for c in blind) >= 0.30 * len(blind)
    assert sum("multi" in c.corpora and c.source not in ("", SEED.name) for c in blind) >= 60


def test_later_waves_are_split_on_their_own(everything: dict[str, GoldCase]) -> None:
    later = [c for c in everything.values() if c.wave > 1]
    assert later, "the later blind sets (blind-e1 to blind-e4) are shipped"
    # Splitting the earlier waves alone gives each earlier case the split it has with every
    # wave loaded: a new wave never moves an old case between dev and test.
    earlier = {k: c for k, c in everything.items() if c.wave == 1}
    alone = assign_splits(
        {k: stratum_of(c.style, c.corpora, c.answerable, c.wave) for k, c in earlier.items()}
    )
    assert {k: c.split for k, c in earlier.items()} == alone
    assert {c.wave for c in later} == {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}


def test_split_is_balanced_in_every_sizeable_group(everything: dict[str, GoldCase]) -> None:
    cases = list(everything.values())
    share = sum(c.split == "dev" for c in cases) / len(cases)
    assert abs(share - DEV_SHARE) <= 0.05
    groups: dict[tuple[str, str, bool], list[GoldCase]] = {}
    for case in cases:
        for corpus in case.corpora:
            groups.setdefault((case.style, corpus, case.answerable), []).append(case)
    low, high = DEV_SHARE_RANGE
    off = {
        key: round(sum(c.split == "dev" for c in group) / len(group), 2)
        for key, group in groups.items()
        if len(group) >= 8 and not low <= sum(c.split == "dev" for c in group) / len(group) <= high
    }
    assert off == {}


#: Fewest cases, and fewest unanswerable ones, of each corpus in each split.
_LEAST_CASES = {
    "seed": (100, 30),
    "multi": (100, 30),
    "holdout": (35, 5),
    "holdout2": (35, 5),
    "holdout3": (35, 5),
    "holdout4": (35, 4),  # 13 unanswerable of 100: 9 fell to dev, 4 to test
    "holdout5": (35, 4),  # 13 unanswerable of 100: 9 fell to dev, 4 to test
    "holdout6": (35, 5),  # 16 unanswerable of 100: 10 fell to dev, 6 to test
    "holdout7": (35, 5),  # 16 unanswerable of 100: 10 fell to dev, 6 to test
    "holdout8": (35, 8),  # 27 unanswerable of 100
}


def test_every_corpus_has_dev_and_test_cases(everything: dict[str, GoldCase]) -> None:
    assert set(_LEAST_CASES) == set(CORPORA)
    for corpus, (cases, unanswerable) in _LEAST_CASES.items():
        for split in ("dev", "test"):
            chosen = select_cases(everything, corpus, split)
            assert len(chosen) >= cases, (corpus, split)
            assert sum(not c.answerable for c in chosen) >= unanswerable, (corpus, split)


def test_cases_for_every_corpus_state_why(blind: list[GoldCase]) -> None:
    # A refusal that holds on the seed may not on the multi corpus (another document may
    # answer it): only the styles that are refused anywhere, and cases checked against every
    # document, are valid on both.
    for case in blind:
        if not case.answerable and "multi" in case.corpora and "seed" in case.corpora:
            assert case.style in ANYWHERE or "checked against" in case.note, case.id


def test_seed_corpus_is_the_product_corpus() -> None:
    from evals.run import EVAL_CORPORA_DIR

    product = ROOT / "corpus"
    copy = EVAL_CORPORA_DIR / "seed"
    assert sorted(p.name for p in copy.iterdir()) == sorted(p.name for p in product.iterdir())
    for path in copy.iterdir():
        assert path.read_bytes() == (product / path.name).read_bytes(), path.name


@pytest.mark.parametrize("corpus", ADDED)
def test_every_document_of_an_added_corpus_says_where_it_came_from(corpus: str) -> None:
    from evals.run import EVAL_CORPORA_DIR
    from ingest.load import list_sources, read_manifest

    folder = EVAL_CORPORA_DIR / corpus
    manifest = read_manifest(folder)
    for path in list_sources(folder):
        entry = manifest[path.name]
        assert entry.get("origin") and entry.get("license") and entry.get("title"), path.name


def test_blind_evidence_is_in_the_named_document(blind: list[GoldCase]) -> None:
    from evals.run import EVAL_CORPORA_DIR

    for corpus in ADDED:
        cases = [c for c in blind if _home(c) == corpus]
        documents = {p.name for p in (EVAL_CORPORA_DIR / corpus).iterdir()}
        assert [(c.id, c.source) for c in cases if c.evidence and c.source not in documents] == []
        # The PDFs' cases: test_blind_evidence_in_a_pdf_is_in_it (slow).
        not_pdf = [c for c in cases if not c.source.endswith(".pdf")]
        assert _evidence_not_found(not_pdf, corpus_texts(corpus, pdf=False)) == []


@pytest.mark.slow  # reads the multi corpus's 74-page PDF
@pytest.mark.parametrize("corpus", WITH_PDF)
def test_blind_evidence_in_a_pdf_is_in_it(blind: list[GoldCase], corpus: str) -> None:
    in_pdf = [c for c in blind if c.source.endswith(".pdf") and _home(c) == corpus]
    assert in_pdf, f"no blind case quotes a PDF of the {corpus} corpus"
    found = _evidence_not_found(in_pdf, corpus_texts(corpus, pdf=True), corpus_texts(corpus, pdf=False))
    assert found == []


def test_blind_answerable_cases_name_their_document(blind: list[GoldCase]) -> None:
    assert [c.id for c in blind if c.answerable and not c.source] == []
    assert [c.id for c in blind if not c.answerable and (c.source or c.evidence)] == []


def test_minimum_counts(gold: dict[str, GoldCase]) -> None:
    cases = list(gold.values())
    answerable_hant = [c for c in cases if c.answerable and c.lang == "hant" and not c.history]
    assert len(answerable_hant) >= 80
    assert sum(c.lang == "hans" and c.answerable for c in cases) >= 12
    assert sum(c.kind == "english" and c.lang == "en" for c in cases) >= 5
    followups = [c for c in cases if c.kind == "followup"]
    assert len(followups) >= 10
    assert all(c.history and c.answerable for c in followups)
    refusals = [c for c in cases if not c.answerable]
    assert len(refusals) >= 18
    assert sum(c.kind == "injection" for c in cases) >= 2
    assert sum(c.kind == "map" for c in cases) >= 5
    first_kinds = set(KINDS) - {"overview", "count", "arithmetic", "yesno", "nonquestion"}
    assert first_kinds <= {c.kind for c in cases}
    assert {"hant", "hans", "en"} <= {c.lang for c in cases}


def test_every_section_covered(gold: dict[str, GoldCase]) -> None:
    per_section = Counter(c.section for c in gold.values() if c.answerable)
    assert {s: per_section[s] for s in SECTIONS if per_section[s] < 5} == {}


def test_every_center_covered(gold: dict[str, GoldCase]) -> None:
    quoted = "".join(q for c in gold.values() for q in c.evidence)
    assert [name for name in CENTERS if name not in quoted] == []


def test_simplified_questions_are_simplified(everything: dict[str, GoldCase]) -> None:
    opencc = pytest.importorskip("opencc")
    s2t = opencc.OpenCC("s2t")
    unchanged = [
        c.id for c in everything.values() if c.lang == "hans" and s2t.convert(c.question) == c.question
    ]
    assert unchanged == []


def test_english_questions_are_english(everything: dict[str, GoldCase]) -> None:
    not_ascii = [
        c.id
        for c in everything.values()
        if c.lang == "en" and len(re.findall(r"[\u4e00-\u9fff]", c.question)) > 0.2 * len(c.question)
    ]
    assert not_ascii == []


def test_histories_alternate(everything: dict[str, GoldCase]) -> None:
    for case in everything.values():
        roles = [turn["role"] for turn in case.history]
        assert roles == ["user", "assistant"] * (len(roles) // 2), case.id


# ------------------------------------------------------------------ evidence and key facts


def test_evidence_quotes_are_in_cleaned_corpus(gold: dict[str, GoldCase]) -> None:
    corpus = cleaned_corpus()
    missing = [(c.id, q) for c in gold.values() for q in c.evidence if _squash(q) not in corpus]
    assert missing == []


def test_evidence_quotes_are_short(gold: dict[str, GoldCase]) -> None:
    too_long = [(c.id, len(q)) for c in gold.values() for q in c.evidence if not 4 <= len(q) <= 100]
    assert too_long == []


def test_evidence_is_in_named_section(gold: dict[str, GoldCase]) -> None:
    sections = section_texts()
    wrong = [
        c.id
        for c in gold.values()
        if c.answerable and not any(_squash(q) in sections[c.section] for q in c.evidence)
    ]
    assert wrong == []


def test_key_facts_appear_in_corpus_or_quotes(gold: dict[str, GoldCase]) -> None:
    corpus = _approximate_clean(_raw())
    bad = []
    for case in gold.values():
        haystacks = [corpus, cleaned_corpus(), *(_squash(q) for q in case.evidence)]
        for fact, alternatives in zip(case.key_facts, case.key_fact_alternatives, strict=True):
            if not any(_squash(alt) in hay for alt in alternatives for hay in haystacks):
                bad.append((case.id, fact))
    assert bad == []


def test_refusals_have_no_answer(everything: dict[str, GoldCase]) -> None:
    for case in everything.values():
        if not case.answerable:
            assert case.evidence == () and case.key_facts == () and case.section == "", case.id


# ------------------------------------------------------------------ loader errors

_GOOD = {
    "id": "t-001",
    "question": "科專是哪一年開始的？",
    "history": [],
    "answerable": True,
    "evidence": ["自1979年起啟動"],
    "key_facts": ["1979"],
    "section": "前言",
    "kind": "fact",
    "lang": "hant",
}


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


_DROP = object()  # marks a field to leave out of a test record


def _line(**changes: object) -> str:
    record = {**_GOOD, **changes}
    return json.dumps({k: v for k, v in record.items() if v is not _DROP}, ensure_ascii=False)


def test_loader_reads_a_good_file(tmp_path: Path) -> None:
    cases = load_gold(
        _write(
            tmp_path,
            _line(),
            "",
            _line(
                id="t-002",
                history=[{"role": "user", "content": "嗨"}, {"role": "assistant", "content": "你好"}],
                kind="followup",
            ),
        )
    )
    assert list(cases) == ["t-001", "t-002"]
    assert cases["t-002"].history[0] == {"role": "user", "content": "嗨"}
    assert cases["t-001"].key_fact_alternatives == (("1979",),)


def test_loader_reports_malformed_json_line(tmp_path: Path) -> None:
    path = _write(tmp_path, _line(), "{not json")
    with pytest.raises(GoldSetError, match=r"gold\.jsonl:2: malformed JSON"):
        load_gold(path)


def test_loader_reports_missing_field(tmp_path: Path) -> None:
    path = _write(tmp_path, _line(), _line(id="t-002", key_facts=_DROP))
    with pytest.raises(GoldSetError, match=r":2: missing field\(s\) key_facts"):
        load_gold(path)


def test_loader_reports_duplicate_id(tmp_path: Path) -> None:
    path = _write(tmp_path, _line(), _line(), _line())
    with pytest.raises(GoldSetError, match=r":2: duplicate id 't-001' \(first used on line 1\)"):
        load_gold(path)


@pytest.mark.parametrize("field", ["evidence", "key_facts"])
def test_loader_rejects_answerable_without_proof(tmp_path: Path, field: str) -> None:
    path = _write(tmp_path, _line(**{field: []}))
    with pytest.raises(GoldSetError, match=r":1: answerable case 't-001' has no"):
        load_gold(path)


def test_loader_rejects_bad_kind(tmp_path: Path) -> None:
    with pytest.raises(GoldSetError, match=r":1: 'kind' is 'trivia'"):
        load_gold(_write(tmp_path, _line(kind="trivia")))


def test_loader_reports_missing_file(tmp_path: Path) -> None:
    with pytest.raises(GoldSetError, match="cannot read"):
        load_gold(tmp_path / "nope.jsonl")


def test_loader_checks_the_shipped_splits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import evals.dataset as dataset

    first = (DEFAULT_GOLD_PATH / "gold-v1.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(first[0])
    flipped = {**record, "split": "test" if record["split"] == "dev" else "dev"}
    folder = tmp_path / "sets"
    folder.mkdir()
    (folder / "gold-v1.jsonl").write_text(
        "\n".join([json.dumps(flipped, ensure_ascii=False), *first[1:]]) + "\n", encoding="utf-8"
    )
    # Loaded as a file of some cases, the stated split is kept ...
    assert load_gold(folder)[record["id"]].split == flipped["split"]
    # ... loaded as the shipped sets, a split other than the hash's is refused.
    monkeypatch.setattr(dataset, "DEFAULT_GOLD_PATH", folder)
    with pytest.raises(GoldSetError, match="never chosen by hand"):
        load_gold(folder)
