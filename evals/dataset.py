"""The evaluation sets: typed records and a strict loader for ``evals/sets/*.jsonl``.

Each line of a set is one JSON object describing a question a user might ask, the earlier
conversation (if any), whether the documents answer it, the exact quotes that prove the
answer and the short facts a correct answer must contain, plus how it is written
(``style``), which evaluation corpora it is valid on (``corpora``), the document its evidence
is in (``source``) and its ``split``.

Every set was written blind, from the documents only (see ``evals/sets/README.md``), and every
case belongs to the ``dev`` or the ``test`` split, fixed by a salted hash of its id within
its style/corpora/answerable stratum (:func:`assign_splits`), never chosen by hand. Rules, thresholds, glossary entries and weights are
chosen on ``dev``; ``test`` is only ever looked at as figures (``kezhuan eval --split test``
prints no questions).

Example:
    >>> from evals.dataset import load_gold
    >>> cases = load_gold()
    >>> cases["intro-001"].key_facts
    ('1979',)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.errors import KezhuanError

#: The evaluation sets shipped beside this module: every ``*.jsonl`` file in this folder.
DEFAULT_GOLD_PATH = Path(__file__).resolve().parent / "sets"

#: Salt of the split hash. Fixed once; changing it would move test cases into dev.
SPLIT_SALT = "kezhuan-split-0"
#: Share of cases in the dev split (the rest is test).
DEV_SHARE = 0.6
#: Dev share every group of at least 8 cases (style x corpus x answerable) falls in; checked by
#: ``tests/test_gold_set.py``.
DEV_SHARE_RANGE = (0.45, 0.75)
#: The splits.
SPLITS: tuple[str, ...] = ("dev", "test")

#: Evaluation corpora (folders under ``evals/corpora/``): the product corpus; the product corpus
#: plus other real public documents that compete with it; and eight further sets of documents held
#: out, each written blind (``holdout`` in session 8, ``holdout2`` in session 9, ``holdout3`` in
#: session 10, ``holdout4`` in session 11, ``holdout5`` in session 12, ``holdout6`` in session 14,
#: ``holdout7`` in session 15, ``holdout8`` in session 18). The newest is sealed: the figure for documents nobody tuned on. An older one is
#: tuned on by its dev split's half 0 only, once a newer sealed one exists.
CORPORA: tuple[str, ...] = (
    "seed",
    "multi",
    "holdout",
    "holdout2",
    "holdout3",
    "holdout4",
    "holdout5",
    "holdout6",
    "holdout7",
    "holdout8",
)

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
    "overview",
    "count",
    "arithmetic",
    "yesno",
    "nonquestion",
)

#: How a question is written. ``gold-v1`` is the first, tidy set (one fact, the document's own
#: words); the others come from the blind sets and name the way real users write.
STYLES: tuple[str, ...] = (
    "gold-v1",
    "colloquial",
    "keywords",
    "context",
    "typo",
    "variant",
    "simplified",
    "english",
    "mixed",
    "multifact",
    "yesno",
    "definition",
    "comparison",
    "multiturn",
    "nearmiss",
    "falsepremise",
    "offtopic",
    "chitchat",
    "injection",
    "nonquestion",
)

#: Language the question is typed in: Traditional Chinese, Simplified Chinese, English.
LANGS: tuple[str, ...] = ("hant", "hans", "en", "mixed")

#: Speaker roles allowed in ``history``.
ROLES: tuple[str, ...] = ("user", "assistant")

#: Kinds whose right reply is a refusal.
REFUSAL_KINDS: frozenset[str] = frozenset({"unanswerable", "injection", "nonquestion"})

#: Fields every record has.
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
#: Fields a record may have, with their defaults (the shipped sets write them all; the tests
#: check that).
_OPTIONAL: dict[str, Any] = {
    "style": "",
    "corpora": ["seed"],
    "source": "",
    "split": None,
    "note": "",
    "wave": 1,
}


def split_hash(case_id: str, salt: str = SPLIT_SALT) -> str:
    """The salted SHA-256 of a case id that orders cases within their stratum."""
    return hashlib.sha256(f"{salt}:{case_id}".encode()).hexdigest()


def stratum_of(style: str, corpora: tuple[str, ...] | list[str], answerable: bool, wave: int = 1) -> str:
    """The group a case is split within: its writing wave, style, corpora and answerability.

    Cases of a later wave (written after earlier cases were split) form strata of their own, so
    adding a wave never moves an earlier case between dev and test. Wave 1's strata carry no
    wave tag (they are the strata the first split was made with).
    """
    base = f"{style}|{','.join(corpora)}|{'answerable' if answerable else 'unanswerable'}"
    return base if wave == 1 else f"{base}|wave{wave}"


def dev_half(case_id: str) -> int:
    """The half (0 or 1) of the dev split a case falls in: SHA-256 of its id, modulo 2.

    Rules are chosen on half 0 (its failures read) and kept only if half 1, only counted, holds
    up; `python -m evals.compare` reports the two halves apart.
    """
    return int(hashlib.sha256(case_id.encode()).hexdigest(), 16) % 2


def assign_splits(strata: dict[str, str]) -> dict[str, str]:
    """Split cases into dev and test, stratified, by hash.

    Within each stratum the cases are ordered by :func:`split_hash` of their id; the first
    ``round(DEV_SHARE * n)`` are dev, the rest test. Nobody chooses a case's split, every
    stratum (style x corpora x answerable) is split 60/40, and adding cases to a stratum moves
    at most the one or two cases at its cut.

    Args:
        strata: Case id to its :func:`stratum_of`.

    Returns:
        Case id to ``"dev"`` or ``"test"``.
    """
    groups: dict[str, list[str]] = {}
    for case_id, stratum in strata.items():
        groups.setdefault(stratum, []).append(case_id)
    splits: dict[str, str] = {}
    for ids in groups.values():
        ordered = sorted(ids, key=split_hash)
        n_dev = round(DEV_SHARE * len(ordered))
        for rank, case_id in enumerate(ordered):
            splits[case_id] = "dev" if rank < n_dev else "test"
    return splits


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
        style: How it is written, one of :data:`STYLES` (``""`` for ad-hoc files).
        corpora: Evaluation corpora (:data:`CORPORA`) on which the case holds as written.
        source: File name of the document the evidence is in (``""`` when unanswerable).
        split: ``"dev"`` or ``"test"``, as :func:`assign_splits` puts it.
        note: The writer's remark (why unanswerable, how a figure is computed).
        wave: Which round of blind writing the case came from (1 = the first); each wave is
            split on its own (:func:`stratum_of`).
        origin: Name of the file the case was read from.
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
    style: str = ""
    corpora: tuple[str, ...] = ("seed",)
    source: str = ""
    split: str = "dev"
    note: str = ""
    wave: int = 1
    origin: str = ""

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
    """Load and validate evaluation cases from one ``.jsonl`` file or a folder of them.

    Args:
        path: A ``.jsonl`` file, or a folder whose ``*.jsonl`` files are read in name order;
            defaults to :data:`DEFAULT_GOLD_PATH` (every shipped set).

    Returns:
        The cases keyed by id, in file order.

    Raises:
        GoldSetError: A file is missing or unreadable, or a line is malformed JSON, is not an
            object, lacks a field, has a field of the wrong type or value, repeats an earlier
            id (in any file), carries a ``split`` other than :func:`assign_splits` gives it (checked
            when the shipped folder is loaded; a file of some shipped cases keeps theirs), or is
            an answerable case without evidence or key facts. The message names the file and
            line number.
    """
    gold_path = DEFAULT_GOLD_PATH if path is None else Path(path)
    files = sorted(gold_path.glob("*.jsonl")) if gold_path.is_dir() else [gold_path]
    if not files:
        raise GoldSetError(f"{gold_path}: no .jsonl evaluation sets in this folder")
    cases: dict[str, GoldCase] = {}
    first_line: dict[str, str] = {}
    stated: dict[str, str] = {}
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise GoldSetError(f"{file}: cannot read the gold set ({exc})") from exc
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{file}:{lineno}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise GoldSetError(f"{where}: malformed JSON ({exc.msg} at column {exc.colno})") from exc
            case = _parse_case(record, where, origin=file.stem)
            if case.id in cases:
                raise GoldSetError(f"{where}: duplicate id {case.id!r} (first used on {first_line[case.id]})")
            cases[case.id] = case
            first_line[case.id] = f"line {lineno}" if len(files) == 1 else f"{file.name}:{lineno}"
            if isinstance(record.get("split"), str):
                stated[case.id] = record["split"]
    if not cases:
        raise GoldSetError(f"{gold_path}: the gold set is empty")
    splits = assign_splits(
        {k: stratum_of(c.style, c.corpora, c.answerable, c.wave) for k, c in cases.items()}
    )
    shipped = gold_path.resolve() == DEFAULT_GOLD_PATH.resolve()
    for case_id, split in stated.items():
        if not shipped:  # a file of some shipped cases keeps their splits
            splits[case_id] = split
        elif split != splits[case_id]:
            raise GoldSetError(
                f"{first_line[case_id]} of {gold_path}: case {case_id!r} says split {split!r} but the "
                f"stratified hash puts it in {splits[case_id]!r}; splits are fixed by "
                "evals.dataset.assign_splits, never chosen by hand (rewrite the split fields with it "
                "after adding cases)"
            )
    return {k: replace(c, split=splits[k]) for k, c in cases.items()}


def select_cases(
    cases: dict[str, GoldCase] | list[GoldCase], corpus: str | None = None, split: str | None = None
) -> list[GoldCase]:
    """The cases valid on one evaluation corpus and in one split.

    Args:
        cases: Loaded cases.
        corpus: One of :data:`CORPORA`, or None for all.
        split: ``"dev"``, ``"test"``, or None for both.

    Returns:
        The matching cases in order.

    Raises:
        GoldSetError: An unknown corpus or split.
    """
    if corpus is not None and corpus not in CORPORA:
        raise GoldSetError(f"corpus must be one of {', '.join(CORPORA)}. Currently, corpus is {corpus!r}.")
    if split is not None and split not in SPLITS:
        raise GoldSetError(f"split must be one of {', '.join(SPLITS)}. Currently, split is {split!r}.")
    items = list(cases.values()) if isinstance(cases, dict) else list(cases)
    return [
        c for c in items if (corpus is None or corpus in c.corpora) and (split is None or c.split == split)
    ]


def _parse_case(record: Any, where: str, origin: str = "") -> GoldCase:
    """Validate one decoded JSON line and build its :class:`GoldCase`.

    Args:
        record: The decoded JSON value.
        where: ``"path:line"`` for error messages.
        origin: Name of the set the line is from.

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
    unknown = sorted(set(record) - set(_FIELDS) - set(_OPTIONAL))
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
    extra = {name: record.get(name, default) for name, default in _OPTIONAL.items()}
    style = extra["style"]
    if style != "" and style not in STYLES:
        raise GoldSetError(f"{where}: 'style' is {style!r}; use one of {', '.join(STYLES)}")
    corpora = extra["corpora"]
    if (
        not isinstance(corpora, list)
        or not corpora
        or any(c not in CORPORA for c in corpora)
        or len(set(corpora)) != len(corpora)
    ):
        raise GoldSetError(f"{where}: 'corpora' must be a non-empty list of {', '.join(CORPORA)}")
    for name in ("source", "note"):
        if not isinstance(extra[name], str):
            raise GoldSetError(f"{where}: {name!r} must be a string")
    wave = extra["wave"]
    if isinstance(wave, bool) or not isinstance(wave, int) or wave < 1:
        raise GoldSetError(f"{where}: 'wave' must be a whole number from 1; it is {wave!r}")
    if extra["split"] is not None and extra["split"] not in SPLITS:
        raise GoldSetError(f"{where}: 'split' is {extra['split']!r}; use one of {', '.join(SPLITS)}")

    if answerable:
        if not evidence:
            raise GoldSetError(f"{where}: answerable case {case_id!r} has no evidence quotes")
        if not key_facts:
            raise GoldSetError(f"{where}: answerable case {case_id!r} has no key facts")
        if kind in REFUSAL_KINDS:
            raise GoldSetError(f"{where}: case {case_id!r} of kind {kind!r} must not be answerable")
    else:
        if evidence or key_facts or section:
            raise GoldSetError(
                f"{where}: unanswerable case {case_id!r} must have empty evidence, key_facts and section"
            )
        if kind not in REFUSAL_KINDS:
            raise GoldSetError(
                f"{where}: unanswerable case {case_id!r} must be of kind {', '.join(sorted(REFUSAL_KINDS))}"
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
        style=style,
        corpora=tuple(corpora),
        source=extra["source"],
        note=extra["note"],
        wave=wave,
        origin=origin,
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
