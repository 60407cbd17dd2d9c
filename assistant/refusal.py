"""Refusal as one calibrated decision from a few measured signals.

The signals of a question (see :func:`signals`):

* ``support``: how well the best sentence supports the focus (0-1, see the answerer);
* ``coverage``: the share of the focus's term weight the best sentence holds;
* ``dense``: cosine similarity of the question and the best sentence;
* ``foreign``: the share of the focus's term weight in topical words no document uses;
* ``type_ok``: 1 when the best sentence is of the kind asked for (a year for 哪一年), else 0;
* ``margin``: how far the best sentence's score is ahead of the fifth best.

A logistic regression over them (fitted on the dev split by ``scripts/fit_refusal.py`` with
scikit-learn, stored in ``assistant/refusal_model.json`` with the hash of the data it was
fitted on) gives the probability that the documents answer the question; below
:data:`ANSWER_PROBABILITY` the assistant refuses. Without the file, the fixed thresholds of
the answerer decide. The trace names the signal that moved the decision most.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The signals, in the order of the model's coefficients.
FEATURES: tuple[str, ...] = ("support", "coverage", "dense", "foreign", "type_ok", "margin")
#: Where the fitted model lives.
MODEL_PATH = Path(__file__).with_name("refusal_model.json")
#: Answer when the fitted probability that the documents hold the answer is at least this.
ANSWER_PROBABILITY = 0.5


@dataclass(frozen=True)
class RefusalModel:
    """A fitted logistic regression over :data:`FEATURES`.

    Attributes:
        coef: One coefficient per feature.
        intercept: The intercept.
        mean: Feature means used to standardise (from the fitting data).
        scale: Feature standard deviations used to standardise.
        data_hash: SHA-256 of the fitting data (case ids and labels).
    """

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    data_hash: str = ""

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> RefusalModel | None:
        """The stored model, or None when there is none (or it lists other features)."""
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data.get("features", ())) != FEATURES:
            return None
        return cls(
            coef=np.asarray(data["coef"], dtype=np.float64),
            intercept=float(data["intercept"]),
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            data_hash=str(data.get("data_hash", "")),
        )

    def decide(self, values: Mapping[str, float]) -> tuple[bool, float, str]:
        """Whether to answer, the probability, and the signal that weighed most against the other side.

        Args:
            values: The signals by name (:func:`signals`).
        """
        x = (np.asarray([float(values[f]) for f in FEATURES]) - self.mean) / self.scale
        parts = self.coef * x
        z = float(parts.sum() + self.intercept)
        p = 1.0 / (1.0 + math.exp(-z))
        answer = p >= ANSWER_PROBABILITY
        # The signal that pushed hardest towards the decision taken.
        decisive = FEATURES[int(np.argmax(parts if answer else -parts))]
        return answer, p, decisive


def signals(
    support: float, coverage: float, dense: float, foreign: float, type_ok: bool, margin: float
) -> dict[str, float]:
    """The signals as a dict keyed by :data:`FEATURES`."""
    return {
        "support": round(support, 4),
        "coverage": round(coverage, 4),
        "dense": round(dense, 4),
        "foreign": round(foreign, 4),
        "type_ok": 1.0 if type_ok else 0.0,
        "margin": round(margin, 4),
    }
