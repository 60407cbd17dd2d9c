"""The refusal text, with its "what I can answer" list built from the documents the index holds.

The list names each live document by the ``topics`` its ``corpus/manifest.json`` entry gives
(else by its title), after the manifest's ``scope`` (what the documents are, as a whole). The
seed corpus's manifest gives the wording the assistant has always used; a corpus without a
manifest is listed by its documents' titles.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from pathlib import Path

from core.settings import Settings
from ingest.load import MANIFEST_NAME

log = logging.getLogger(__name__)

#: The first sentence of every refusal (the model is told to reply with it, see prompts/).
REFUSAL_LEAD = "抱歉，目前的文件中找不到足以回答這個問題的資訊，所以我不作推測。"
#: What the documents are, when the manifest does not say.
DEFAULT_SCOPE = "收錄的文件"

_cache: dict[tuple[str, float, tuple[tuple[str, str], ...], int], str] = {}
_lock = threading.Lock()


def refusal_text(
    manifest: Mapping[str, object], titles: Mapping[str, str], most: int = Settings.max_listed_documents
) -> str:
    """The refusal for a corpus: the lead sentence, then what the documents can answer.

    Args:
        manifest: The parsed ``manifest.json`` (``scope``; ``documents``: per file ``title``,
            ``topics``), or ``{}``.
        titles: Title of each live document, keyed by its file (the index's view).
        most: Documents named at most; more are counted (``Settings.max_listed_documents``).

    Returns:
        ``抱歉…我不作推測。我只能依據<scope>回答，例如<topics or 《title》>、…。``
    """
    documents = manifest.get("documents")
    entries: Mapping[str, object] = documents if isinstance(documents, Mapping) else {}
    scope = str(manifest.get("scope") or DEFAULT_SCOPE)
    items: list[str] = []
    for source in sorted(titles):
        entry = entries.get(source)
        topics = entry.get("topics") if isinstance(entry, Mapping) else None
        item = str(topics) if topics else f"《{titles[source]}》"
        if item not in items:
            items.append(item)
    if not items:
        return f"{REFUSAL_LEAD}我只能依據{scope}回答。"
    listed = "、".join(items[:most])
    more = f"等 {len(items)} 份文件" if len(items) > most else ""
    return f"{REFUSAL_LEAD}我只能依據{scope}回答，例如{listed}{more}。"


def corpus_refusal(
    corpus_dir: Path, titles: Mapping[str, str], most: int = Settings.max_listed_documents
) -> str:
    """:func:`refusal_text` for the corpus folder's manifest (re-read when it changes).

    An unreadable manifest is logged and the documents are listed by title: a refusal never fails.
    """
    path = corpus_dir / MANIFEST_NAME
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = -1.0
    key = (str(path), mtime, tuple(sorted(titles.items())), most)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    manifest: dict[str, object] = {}
    if mtime >= 0:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            manifest = data if isinstance(data, dict) else {}
        except (OSError, ValueError) as e:
            log.warning("Cannot read %s for the refusal text (%s); listing documents by title", path, e)
    text = refusal_text(manifest, titles, most)
    with _lock:
        if len(_cache) > 16:
            _cache.clear()
        _cache[key] = text
    return text
