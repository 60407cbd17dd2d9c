"""Fit the calibrated refusal decision on the dev split and store it in assistant/refusal_model.json.

    PYTHONPATH=. python scripts/fit_refusal.py --corpus seed,multi,holdout,holdout2 --half 0

``--half 0`` fits on one half of the dev cases only, so that the other half checks it (the
stored model is fitted so: half 1 of every corpus is held out). ``--features`` names the
signals the model weighs (default :data:`assistant.refusal.MODEL_FEATURES`, the ones whose
scale does not depend on the document).

Runs the assistant (fixed thresholds off: every question's signals are recorded) on the dev
cases of the corpus, fits scikit-learn's LogisticRegression on the signals of
:mod:`assistant.refusal` with "the documents answer it" as the label, and writes the
coefficients with the SHA-256 of the fitting data. Not-a-question and injection cases, and
those the unknown-topic rule refuses, never reach the decision and are left out. The test split is never read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant.chat import Assistant
from assistant.refusal import FEATURES, MODEL_FEATURES, MODEL_PATH
from core.settings import Settings
from evals.dataset import dev_half, load_gold, select_cases
from evals.run import corpus_settings, ensure_index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        default="seed,multi,holdout,holdout2",
        help="comma-separated corpora (evals.dataset.CORPORA)",
    )
    parser.add_argument(
        "--features",
        default=",".join(MODEL_FEATURES),
        help=f"comma-separated signals the model weighs, of {', '.join(FEATURES)}",
    )
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument(
        "--half",
        choices=("0", "1", "both"),
        default="both",
        help="fit on one half of the dev split (hash of the case id) to check the other, or both",
    )
    parser.add_argument("--out", default=str(MODEL_PATH), help="where to write the model")
    args = parser.parse_args(argv)
    features = tuple(args.features.split(","))
    if not set(features) <= set(FEATURES):
        parser.error(f"--features must name signals of {', '.join(FEATURES)}; got {args.features!r}")
    rows: list[list[float]] = []
    labels: list[int] = []
    ids: list[str] = []
    for corpus in args.corpus.split(","):
        settings = corpus_settings(Settings.from_env(), corpus)
        ensure_index(settings, progress=False)
        bot = Assistant.load(settings)
        bot.answerer.refusal_model = None
        limit = bot.answerer.foreign_limit
        bot.answerer.foreign_limit = 2.0  # record, never veto
        bot.answerer.refusal_threshold = 0.0
        for case in select_cases(load_gold(), corpus=corpus, split="dev"):
            if args.half != "both" and dev_half(case.id) != int(args.half):
                continue
            reply = bot.ask(case.question, [dict(m) for m in case.history])  # type: ignore[misc]
            notes = reply.notes
            if f"signal_{FEATURES[0]}" not in notes:
                continue  # not a question, injection, nothing to look for
            if float(notes["signal_foreign"]) > limit or str(notes.get("decided_by", "")).startswith("veto"):
                continue  # refused by a veto (unknown topic, missing type or place) whatever the signals
            rows.append([float(notes[f"signal_{f}"]) for f in features])
            labels.append(0 if case.expects_refusal else 1)
            ids.append(f"{corpus}:{case.id}:{labels[-1]}")
    x = np.asarray(rows)
    y = np.asarray(labels)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=args.c, max_iter=1000).fit((x - mean) / scale, y)
    accuracy = float(model.score((x - mean) / scale, y))
    data_hash = hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()
    Path(args.out).write_text(
        json.dumps(
            {
                "features": list(features),
                "coef": model.coef_[0].round(6).tolist(),
                "intercept": round(float(model.intercept_[0]), 6),
                "mean": mean.round(6).tolist(),
                "scale": scale.round(6).tolist(),
                "data_hash": data_hash,
                "fitted_on": f"dev split of {args.corpus}, half {args.half} ({len(y)} cases, {int(y.sum())} answerable)",
                "train_accuracy": round(accuracy, 4),
                "C": args.c,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(
        f"{len(y)} cases, train accuracy {accuracy:.3f}, coefficients {dict(zip(features, model.coef_[0].round(3), strict=True))}"
    )
    # What each answer_probability would refuse of the fitting cases (clipped as the assistant
    # clips them), to choose the setting on the same half.
    settings = Settings.from_env()
    clip = settings.refusal_clip_sd
    p = model.predict_proba(np.clip((x - mean) / scale, -clip, clip))[:, 1]
    for threshold in (0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8):
        refused = p < threshold
        print(
            f"answer_probability {threshold:.2f}: refuses {int((refused & (y == 1)).sum())} of "
            f"{int(y.sum())} answerable, {int((refused & (y == 0)).sum())} of {int((y == 0).sum())} unanswerable"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
