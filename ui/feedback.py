"""Votes on answers, appended to a local JSONL file, and the report for the corpus maintainer.

Every answer has an id (``reply_id``: the chat page's turn id, the ``id`` of an
``/api/ask`` or ``/v1/chat/completions`` reply). Each line of
``settings.data_dir / "feedback.jsonl"`` is one event against such an id:

* ``vote``: the first thumbs up/down on the answer;
* ``change``: a later, different vote (``previous`` says what it was);
* ``withdraw``: the vote was taken back (``rating`` is ``null``);
* ``reason``: what the visitor wrote after a thumbs down.

with the question, the answer, its citations, where the vote came from and a UTC timestamp.
Nothing leaves the machine. ``kezhuan feedback`` (:func:`summarize`, :func:`format_report`)
reads the file: each answer counts with its latest vote.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from core.errors import KezhuanError
from core.settings import Settings

logger = logging.getLogger(__name__)

Rating = Literal["up", "down"]
RATINGS: tuple[str, ...] = ("up", "down")
FEEDBACK_FILE = "feedback.jsonl"


#: The key answer ids are signed with, beside the feedback file (created on first use).
REPLY_KEY_FILE = "reply-ids.key"


class ReplyIds:
    """Answer ids the server can recognise later without keeping a list of them.

    An id is ``<prefix>-<16 random hex digits>-<8 hex digits>``, the last part an HMAC-SHA256
    of the rest under a key kept in the data folder (``reply-ids.key``, made on first use, mode
    0600): every worker and every restart sharing the folder recognises the ids the others gave,
    and an id nobody gave (``"nonexistent"``, a typo) is not taken for an answer.

    Args:
        key: The signing key.
    """

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def in_folder(cls, folder: Path) -> ReplyIds:
        """The ids signed with ``folder / REPLY_KEY_FILE``, made there first if missing.

        Raises:
            KezhuanError: the key cannot be read or written (the message names the file).
        """
        path = Path(folder) / REPLY_KEY_FILE
        try:
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                fresh = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
                fresh.write_bytes(secrets.token_bytes(32))
                fresh.chmod(0o600)
                with contextlib.suppress(FileExistsError):  # another worker made it first: use theirs
                    os.link(fresh, path)
                fresh.unlink()
            key = path.read_bytes()
        except OSError as e:
            raise KezhuanError(
                f"Cannot read or create the answer-id key {path}: {e}. Check the folder's permissions."
            ) from e
        if len(key) < 16:
            raise KezhuanError(
                f"The answer-id key {path} is damaged (too short): delete it; a new one is made."
            )
        return cls(key)

    def _mac(self, body: str) -> str:
        return hmac.new(self._key, body.encode("utf-8"), hashlib.sha256).hexdigest()[:8]

    def issue(self, prefix: str = "reply") -> str:
        """A fresh id for an answer: ``<prefix>-<16 hex>-<8 hex>``."""
        body = f"{prefix}-{secrets.token_hex(8)}"
        return f"{body}-{self._mac(body)}"

    def knows(self, reply_id: str) -> bool:
        """Whether ``reply_id`` is an id :meth:`issue` gave (under this key)."""
        body, _, mac = reply_id.rpartition("-")
        return bool(body) and hmac.compare_digest(mac, self._mac(body))


class FeedbackStore:
    """Appends feedback events to a JSONL file; safe to share between threads.

    Args:
        path: The JSONL file. Its folder is created on the first write.
        max_reason_chars: Longest reason kept, in characters; a longer one is cut, not refused
            (``Settings.max_reason_chars``).
    """

    def __init__(self, path: Path, max_reason_chars: int = Settings.max_reason_chars) -> None:
        self.path = path
        self.max_reason_chars = max_reason_chars
        self._lock = threading.Lock()
        self._latest: dict[str, str | None] | None = None  # reply_id -> latest rating
        self._ids: ReplyIds | None = None

    @property
    def ids(self) -> ReplyIds:
        """The answer ids of this store's server (signed with a key beside the file)."""
        if self._ids is None:
            self._ids = ReplyIds.in_folder(self.path.parent)
        return self._ids

    def new_reply_id(self, prefix: str = "reply") -> str:
        """A fresh answer id that :meth:`knows` later (:class:`ReplyIds`)."""
        return self.ids.issue(prefix)

    def knows(self, reply_id: str) -> bool:
        """Whether ``reply_id`` is an id this server (or another sharing its data folder) gave."""
        return self.ids.knows(reply_id)

    @classmethod
    def in_data_dir(cls, data_dir: Path, max_reason_chars: int = Settings.max_reason_chars) -> FeedbackStore:
        """The store at ``data_dir / "feedback.jsonl"``."""
        return cls(Path(data_dir) / FEEDBACK_FILE, max_reason_chars)

    def record(
        self,
        *,
        question: str,
        answer: str,
        citations: list[dict[str, Any]],
        rating: str | None,
        surface: str = "web",
        refused: bool = False,
        reply_id: str = "",
    ) -> dict[str, Any]:
        """Append a vote, a changed vote or a withdrawal, and return the stored record.

        Args:
            question: The question that was asked.
            answer: The answer that was rated.
            citations: The answer's citations, as in ``Reply.to_dict()["citations"]``.
            rating: ``up`` or ``down``; ``None`` withdraws the answer's vote.
            surface: Where the vote came from (``web``, ``widget`` or ``api``).
            refused: Whether the rated answer was a refusal.
            reply_id: The answer's id; votes with the same id are one visitor's changing mind.
                Without one, each vote stands alone.

        Raises:
            KezhuanError: ``rating`` is not ``up``, ``down`` or ``None``; a withdrawal has no
                ``reply_id``; or the file cannot be written (the message names the file).
        """
        if rating is not None and rating not in RATINGS:
            raise KezhuanError(
                f"rating must be one of {', '.join(RATINGS)} (or null to withdraw), not {rating!r}."
            )
        if rating is None and not reply_id:
            raise KezhuanError("Withdrawing a vote needs the answer's reply_id.")
        with self._lock:
            previous = self._latest_ratings().get(reply_id) if reply_id else None
            if rating is None:
                event = "withdraw"
            elif previous is not None and previous != rating:
                event = "change"
            else:
                event = "vote"
            entry = {
                "timestamp": _now(),
                "reply_id": reply_id,
                "event": event,
                "rating": rating,
                "previous": previous,
                "surface": surface,
                "question": question,
                "answer": answer,
                "refused": refused,
                "citations": citations,
            }
            self._append(entry)
            if reply_id:
                self._latest_ratings()[reply_id] = rating
        logger.info("Feedback %s (%s) on %s from %s", event, rating, reply_id or "an answer", surface)
        return entry

    def record_reason(
        self, *, reply_id: str, reason: str, question: str = "", surface: str = "web"
    ) -> dict[str, Any]:
        """Append what a visitor wrote about an answer (after a thumbs down).

        Raises:
            KezhuanError: no ``reply_id``, an empty reason, or the file cannot be written.
        """
        reason = reason.strip()[: self.max_reason_chars]
        if not reply_id:
            raise KezhuanError("A reason needs the answer's reply_id.")
        if not reason:
            raise KezhuanError("The reason is empty: write what was wrong with the answer.")
        entry = {
            "timestamp": _now(),
            "reply_id": reply_id,
            "event": "reason",
            "reason": reason,
            "surface": surface,
            "question": question,
        }
        with self._lock:
            self._append(entry)
        logger.info("Feedback reason on %s from %s", reply_id, surface)
        return entry

    def read_all(self) -> list[dict[str, Any]]:
        """Every stored record, oldest first (empty when nothing was recorded yet)."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def _latest_ratings(self) -> dict[str, str | None]:
        if self._latest is None:
            self._latest = {}
            for entry in self.read_all():
                if entry.get("reply_id") and entry.get("event", "vote") != "reason":
                    self._latest[entry["reply_id"]] = entry.get("rating")
        return self._latest

    def _append(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            # Lone surrogates (``"\\ud800"`` is valid JSON) cannot be written as UTF-8: keep them
            # as JSON escapes, so the entry is stored whole and reads back as it was sent.
            line = json.dumps(entry, ensure_ascii=True) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)
        except OSError as e:
            raise KezhuanError(
                f"Cannot write feedback to {self.path}: {e}. Check that KEZHUAN_DATA_DIR is writable."
            ) from e


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class DislikedAnswer:
    """An answer whose latest vote is a thumbs down, with what the visitor wrote."""

    reply_id: str
    question: str
    answer: str
    refused: bool
    surface: str
    timestamp: str
    reasons: list[str] = field(default_factory=list)


@dataclass
class FeedbackReport:
    """What ``feedback.jsonl`` says, each answer counted with its latest vote.

    Attributes:
        answers: Answers voted on (an answer without an id counts once per vote).
        up / down / withdrawn: Answers whose latest vote is up, down, or was withdrawn.
        changed: Answers whose vote changed at least once (up to down or back).
        by_surface: Latest up/down counts per surface (``web``, ``widget``, ``api``).
        disliked: The thumbs-down answers, newest first, with their reasons.
    """

    answers: int = 0
    up: int = 0
    down: int = 0
    withdrawn: int = 0
    changed: int = 0
    by_surface: dict[str, dict[str, int]] = field(default_factory=dict)
    disliked: list[DislikedAnswer] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``kezhuan feedback --json``)."""
        return {
            "answers": self.answers,
            "up": self.up,
            "down": self.down,
            "withdrawn": self.withdrawn,
            "changed": self.changed,
            "by_surface": self.by_surface,
            "disliked": [vars(d) for d in self.disliked],
        }


def summarize(records: list[dict[str, Any]]) -> FeedbackReport:
    """Fold feedback events into a :class:`FeedbackReport` (latest vote per ``reply_id``)."""
    latest: dict[str, dict[str, Any]] = {}
    changed: set[str] = set()
    reasons: dict[str, list[str]] = {}
    for i, entry in enumerate(records):
        key = entry.get("reply_id") or f"#{i}"  # old lines without an id stand alone
        if entry.get("event") == "reason":
            reasons.setdefault(key, []).append(entry.get("reason", ""))
            continue
        if entry.get("event") == "change":
            changed.add(key)
        latest[key] = entry
    report = FeedbackReport(answers=len(latest), changed=len(changed))
    surfaces: dict[str, Counter[str]] = {}
    for key, entry in latest.items():
        rating = entry.get("rating")
        if rating == "up":
            report.up += 1
        elif rating == "down":
            report.down += 1
            report.disliked.append(
                DislikedAnswer(
                    reply_id=entry.get("reply_id", ""),
                    question=entry.get("question", ""),
                    answer=entry.get("answer", ""),
                    refused=bool(entry.get("refused")),
                    surface=entry.get("surface", ""),
                    timestamp=entry.get("timestamp", ""),
                    reasons=reasons.get(key, []),
                )
            )
        else:
            report.withdrawn += 1
        if rating in RATINGS:
            surfaces.setdefault(entry.get("surface", "web"), Counter())[rating] += 1
    report.by_surface = {s: dict(c) for s, c in sorted(surfaces.items())}
    report.disliked.sort(key=lambda d: d.timestamp, reverse=True)
    return report


def format_report(report: FeedbackReport, path: Path) -> str:
    """The report as text for the terminal (Chinese headings, as the corpus maintainer reads them)."""
    lines = [
        f"回饋報告：{path}",
        f"已評分的回答 {report.answers} 則：👍 {report.up}、👎 {report.down}、撤回 {report.withdrawn}"
        f"（改變心意 {report.changed} 則）",
    ]
    for surface, counts in report.by_surface.items():
        lines.append(f"  {surface}: 👍 {counts.get('up', 0)}、👎 {counts.get('down', 0)}")
    if report.disliked:
        lines += ["", "👎 的問題（新到舊）："]
        for d in report.disliked:
            kind = "（拒答）" if d.refused else ""
            lines.append(f"- {d.timestamp} [{d.surface}] {d.question}{kind}  id={d.reply_id or '-'}")
            lines.append(f"    回答：{d.answer[:80]}{'…' if len(d.answer) > 80 else ''}")
            for reason in d.reasons:
                lines.append(f"    理由：{reason}")
    return "\n".join(lines)
