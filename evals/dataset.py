"""The gold evaluation set: typed records and a strict loader for ``evals/gold.jsonl``.

Each line of ``gold.jsonl`` is one JSON object describing a question a user might ask,
the earlier conversation (if any), whether the source document answers it, the exact
quotes that prove the answer and the short facts a correct answer must contain.

The set exists to *measure* the assistant. It was written from the source document only,
without looking at the system's code, and must never be used to tune it.

Example:
    >>> from evals.dataset import load_gold
    >>> cases = load_gold()
    >>> cases["intro-001"].key_facts
    ('1979',)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.errors import KezhuanError

#: The gold set shipped beside this module.
DEFAULT_GOLD_PATH = Path(__file__).resolve().parent / "gold.jsonl"

#: Section headings of the source document. The untitled opening paragraph is "前言";
#: the regional map's call-out boxes belong to "打造產業聚落 驅動區域創新".
SECTIONS: tuple[str, ...] = (
    "前言",
    "推動科技專案 引領創新能量",
    "布局關鍵領域 創造產業價值",
    "推動新創事業 挹注成長動能",
    "打造產業聚落 驅動區域創新",
    "科技加值傳產 強化競爭優勢",
)

#: What kind of question a case is.
KINDS: tuple[str, ...] = (
    "fact",
    "list",
    "definition",
    "comparison",
    "map",
    "followup",
    "simplified",
    "english",
    "unanswerable",
    "injection",
)

#: Language the question is typed in: Traditional Chinese, Simplified Chinese, English.
LANGS: tuple[str, ...] = ("hant", "hans", "en")

#: Speaker roles allowed in ``history``.
ROLES: tuple[str, ...] = ("user", "assistant")

#: Kinds whose right reply is a refusal.
REFUSAL_KINDS: frozenset[str] = frozenset({"unanswerable", "injection"})

_FIELDS: tuple[str, ...] = (
    "id",
    "question",
    "history",
    "answerable",
    "evidence",
    "key_facts",
    "section",
    "kind",
    "lang",
)


class GoldSetError(KezhuanError, ValueError):
    """The gold set file is malformed (the message names the file and line)."""


@dataclass(frozen=True)
class GoldCase:
    """One gold question.

    Attributes:
        id: Unique, stable, readable identifier such as ``"sec1-001"``.
        question: The user's (last) question.
        history: Earlier turns, oldest first, each ``{"role": "user"|"assistant", "content": str}``;
            empty for a single-turn question.
        answerable: Whether the source document answers the question.
        evidence: Exact quotes from the cleaned source text proving the answer (empty when
            unanswerable).
        key_facts: Short strings a correct answer must contain; alternatives are separated by
            ``|`` (e.g. ``"臺南|台南"``). Written in Traditional Chinese. Empty when unanswerable.
        section: Heading of the section the evidence is in (one of :data:`SECTIONS`), ``""``
            when unanswerable. For cross-section questions, the section of the main evidence.
        kind: One of :data:`KINDS`.
        lang: One of :data:`LANGS`.
    """

    id: str
    question: str
    history: tuple[dict[str, str], ...]
    answerable: bool
    evidence: tuple[str, ...]
    key_facts: tuple[str, ...]
    section: str
    kind: str
    lang: str

    @property
    def key_fact_alternatives(self) -> tuple[tuple[str, ...], ...]:
        """Each key fact split into its ``|``-separated alternatives.

        Returns:
            One tuple of alternatives per key fact, in order.
        """
        return tuple(tuple(alt for alt in fact.split("|") if alt) for fact in self.key_facts)

    @property
    def is_multi_turn(self) -> bool:
        """Whether the question depends on earlier turns."""
        return bool(self.history)

    @property
    def expects_refusal(self) -> bool:
        """Whether the right reply is a refusal (the document does not answer it)."""
        return not self.answerable


def load_gold(path: Path | None = None) -> dict[str, GoldCase]:
    """Load and validate the gold set.

    Args:
        path: A ``.jsonl`` file; defaults to :data:`DEFAULT_GOLD_PATH`.

    Returns:
        The cases keyed by id, in file order.

    Raises:
        GoldSetError: The file is missing or unreadable, or a line is malformed JSON, is not
            an object, lacks a field, has a field of the wrong type or value, repeats an
            earlier id, or is an answerable case without evidence or key facts. The message
            names the file and line number.
    """
    gold_path = DEFAULT_GOLD_PATH if path is None else Path(path)
    try:
        text = gold_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldSetError(f"{gold_path}: cannot read the gold set ({exc})") from exc

    cases: dict[str, GoldCase] = {}
    first_line: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{gold_path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldSetError(f"{where}: malformed JSON ({exc.msg} at column {exc.colno})") from exc
        case = _parse_case(record, where)
        if case.id in cases:
            raise GoldSetError(
                f"{where}: duplicate id {case.id!r} (first used on line {first_line[case.id]})"
            )
        cases[case.id] = case
        first_line[case.id] = lineno
    if not cases:
        raise GoldSetError(f"{gold_path}: the gold set is empty")
    return cases


def _parse_case(record: Any, where: str) -> GoldCase:
    """Validate one decoded JSON line and build its :class:`GoldCase`.

    Args:
        record: The decoded JSON value.
        where: ``"path:line"`` for error messages.

    Returns:
        The validated case.

    Raises:
        GoldSetError: Anything about the record is wrong.
    """
    if not isinstance(record, dict):
        raise GoldSetError(f"{where}: expected a JSON object, got {type(record).__name__}")
    missing = [name for name in _FIELDS if name not in record]
    if missing:
        raise GoldSetError(f"{where}: missing field(s) {', '.join(missing)}")
    unknown = sorted(set(record) - set(_FIELDS))
    if unknown:
        raise GoldSetError(f"{where}: unknown field(s) {', '.join(unknown)}")

    case_id = _nonempty_str(record, "id", where)
    question = _nonempty_str(record, "question", where)
    answerable = record["answerable"]
    if not isinstance(answerable, bool):
        raise GoldSetError(f"{where}: 'answerable' must be true or false")
    evidence = _str_list(record, "evidence", where)
    key_facts = _str_list(record, "key_facts", where)
    section = record["section"]
    if not isinstance(section, str):
        raise GoldSetError(f"{where}: 'section' must be a string")
    kind = _choice(record, "kind", KINDS, where)
    lang = _choice(record, "lang", LANGS, where)
    history = _history(record["history"], where)

    if answerable:
        if not evidence:
            raise GoldSetError(f"{where}: answerable case {case_id!r} has no evidence quotes")
        if not key_facts:
            raise GoldSetError(f"{where}: answerable case {case_id!r} has no key facts")
        if section not in SECTIONS:
            raise GoldSetError(
                f"{where}: answerable case {case_id!r} has section {section!r}; "
                f"use one of {', '.join(SECTIONS)}"
            )
        if kind in REFUSAL_KINDS:
            raise GoldSetError(f"{where}: case {case_id!r} of kind {kind!r} must not be answerable")
    else:
        if evidence or key_facts or section:
            raise GoldSetError(
                f"{where}: unanswerable case {case_id!r} must have empty evidence, key_facts and section"
            )
        if kind not in REFUSAL_KINDS:
            raise GoldSetError(
                f"{where}: unanswerable case {case_id!r} must be of kind 'unanswerable' or 'injection'"
            )
    if kind == "followup" and not history:
        raise GoldSetError(f"{where}: follow-up case {case_id!r} has an empty history")
    for fact in key_facts:
        if not any(fact.split("|")):
            raise GoldSetError(f"{where}: case {case_id!r} has an empty key fact {fact!r}")

    return GoldCase(
        id=case_id,
        question=question,
        history=history,
        answerable=answerable,
        evidence=tuple(evidence),
        key_facts=tuple(key_facts),
        section=section,
        kind=kind,
        lang=lang,
    )


def _nonempty_str(record: dict[str, Any], name: str, where: str) -> str:
    """Return ``record[name]`` if it is a non-blank string.

    Raises:
        GoldSetError: It is not.
    """
    value = record[name]
    if not isinstance(value, str) or not value.strip():
        raise GoldSetError(f"{where}: {name!r} must be a non-empty string")
    return value


def _str_list(record: dict[str, Any], name: str, where: str) -> list[str]:
    """Return ``record[name]`` if it is a list of non-blank strings.

    Raises:
        GoldSetError: It is not.
    """
    value = record[name]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise GoldSetError(f"{where}: {name!r} must be a list of non-empty strings")
    return value


def _choice(record: dict[str, Any], name: str, allowed: tuple[str, ...], where: str) -> str:
    """Return ``record[name]`` if it is one of ``allowed``.

    Raises:
        GoldSetError: It is not.
    """
    value = record[name]
    if value not in allowed:
        raise GoldSetError(f"{where}: {name!r} is {value!r}; use one of {', '.join(allowed)}")
    return value


def _history(value: Any, where: str) -> tuple[dict[str, str], ...]:
    """Validate a conversation history: a list of ``{"role", "content"}`` turns.

    Raises:
        GoldSetError: It is malformed.
    """
    if not isinstance(value, list):
        raise GoldSetError(f"{where}: 'history' must be a list of turns")
    turns: list[dict[str, str]] = []
    for i, turn in enumerate(value):
        if (
            not isinstance(turn, dict)
            or set(turn) != {"role", "content"}
            or turn["role"] not in ROLES
            or not isinstance(turn["content"], str)
            or not turn["content"].strip()
        ):
            raise GoldSetError(
                f'{where}: history turn {i} must be {{"role": "user"|"assistant", '
                f'"content": non-empty string}}'
            )
        turns.append({"role": turn["role"], "content": turn["content"]})
    if turns and turns[-1]["role"] != "assistant":
        raise GoldSetError(f"{where}: history must end with an assistant turn (the question comes next)")
    return tuple(turns)
