"""Thumbs up / thumbs down on answers, appended to a local JSONL file.

One line per vote in ``settings.data_dir / "feedback.jsonl"``: the question, the answer,
its citations, the rating (``up`` or ``down``), where the vote came from and a UTC
timestamp. Nothing leaves the machine.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ingest.errors import KezhuanError

logger = logging.getLogger(__name__)

Rating = Literal["up", "down"]
RATINGS: tuple[str, ...] = ("up", "down")
FEEDBACK_FILE = "feedback.jsonl"


class FeedbackStore:
    """Appends feedback records to a JSONL file; safe to share between threads.

    Args:
        path: The JSONL file. Its folder is created on the first write.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> FeedbackStore:
        """The store at ``data_dir / "feedback.jsonl"``."""
        return cls(Path(data_dir) / FEEDBACK_FILE)

    def record(
        self,
        *,
        question: str,
        answer: str,
        citations: list[dict[str, Any]],
        rating: str,
        surface: str = "web",
        refused: bool = False,
    ) -> dict[str, Any]:
        """Append one vote and return the stored record.

        Args:
            question: The question that was asked.
            answer: The answer that was rated.
            citations: The answer's citations, as in ``Reply.to_dict()["citations"]``.
            rating: ``up`` or ``down``.
            surface: Where the vote came from (``web``, ``widget`` or ``api``).
            refused: Whether the rated answer was a refusal.

        Raises:
            KezhuanError: ``rating`` is not ``up`` or ``down``, or the file cannot be written
                (the message names the file).
        """
        if rating not in RATINGS:
            raise KezhuanError(f"rating must be one of {', '.join(RATINGS)}, not {rating!r}.")
        entry = {
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "rating": rating,
            "surface": surface,
            "question": question,
            "answer": answer,
            "refused": refused,
            "citations": citations,
        }
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(line)
        except OSError as e:
            raise KezhuanError(
                f"Cannot write feedback to {self.path}: {e}. Check that KEZHUAN_DATA_DIR is writable."
            ) from e
        logger.info("Feedback %s recorded from %s", rating, surface)
        return entry

    def read_all(self) -> list[dict[str, Any]]:
        """Every stored record, oldest first (empty when nothing was recorded yet)."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
