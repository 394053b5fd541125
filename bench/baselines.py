#!/usr/bin/python3
"""Gradient-boosted trees on the exact split of kiln table runs, next to kiln's own test scores.

For each run folder given (trained by `kiln train` on a table config: `data: { format: csv,
target }`), reads the CSV the run was trained on, the rows of each split from the run's
split.json and the column kinds kiln inferred (model.json), fits scikit-learn's
HistGradientBoostingClassifier / Regressor (default settings, random_state=0) on the training
rows only, and scores it on the test rows with the metrics kiln reports. kiln's scores come from
`kiln eval <run>` on the same test rows.

With `--bootstrap N` it also resamples the test rows N times (both models' predictions on the
same resampled rows; kiln's from `kiln predict <run>`) and prints a 95% interval of kiln's score
minus HGB's per metric: how far apart two models can read on this many test rows by chance.

Needs Debian's python3-sklearn (1.2) and numpy; no pandas. Usage, from the repository root:

    npx kiln train examples/penguins.yaml && npx kiln train examples/concrete.yaml \
      && npx kiln train examples/churn.yaml
    /usr/bin/python3 bench/baselines.py [--bootstrap 2000] runs/penguins runs/concrete runs/churn
"""

import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRUE_WORDS = {"yes", "true", "y", "t"}


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_rows(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.reader(f) if r]
    return rows[0], rows[1:]


def encode(columns, rows, kinds, features, missing):
    """Numbers as floats, categories as integer codes (NaN when missing), dates left out."""
    used = [c for c in columns if c in features]
    x = np.full((len(rows), len(used)), np.nan)
    categorical = []
    for q, name in enumerate(used):
        j = columns.index(name)
        kind = kinds[name]
        categorical.append(kind == "categorical")
        levels = sorted({r[j] for r in rows if r[j] not in missing})
        for i, r in enumerate(rows):
            cell = r[j]
            if cell in missing:
                continue
            if kind == "numeric":
                x[i, q] = float(cell)
            elif kind == "boolean":
                x[i, q] = 1.0 if cell.lower() in TRUE_WORDS else 0.0
            elif kind == "categorical":
                x[i, q] = levels.index(cell)
    return x, np.array(categorical), used


def kiln_scores(run):
    out = subprocess.run(
        ["node", os.path.join(ROOT, "bin", "kiln.mjs"), "eval", run],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "KILN_QUIET": "1"},
    ).stdout
    first = out.strip().splitlines()[0]
    return {k: float(v) for k, v in re.findall(r"([a-z_0-9]+) (-?[\d.]+(?:e[-+]?\d+)?)", first)}


def baseline(run):
    config = load_json(os.path.join(run, "config.json"))
    record = load_json(os.path.join(run, "model.json"))
    split = load_json(os.path.join(run, "split.json"))
    spec = record["preprocessing"]["table"]
    target = spec["target"]
    missing = set(spec["missingValues"])
    columns, rows = read_rows(split["file"])
    # Every column of the table but the target and dates, whatever kiln's run left out: the
    # baseline is HGB with default settings on the table, not on kiln's choice of columns (an
    # AutoML search may drop a high-cardinality column, which must not change the baseline).
    features = {
        name
        for name, kind in spec["kinds"].items()
        if name != target["column"] and kind != "date"
    }
    x, categorical, _ = encode(columns, rows, spec["kinds"], features, missing)
    t = columns.index(target["column"])
    train, test = np.array(split["train"]), np.array(split["test"])
    common = dict(random_state=0, categorical_features=categorical if categorical.any() else None)
    if target["task"] == "classification":
        classes = target["classes"]
        numeric = all(re.fullmatch(r"-?[\d.]+(e[-+]?\d+)?", c) for c in classes)
        key = (lambda s: str(float(s)).removesuffix(".0")) if numeric else (lambda s: s)
        index = {key(c): i for i, c in enumerate(classes)}
        y = np.array([index[key(r[t])] for r in rows])
        model = HistGradientBoostingClassifier(**common).fit(x[train], y[train])
        pred = model.predict(x[test])
        proba = model.predict_proba(x[test])
        scores = classification_scores(y[test], pred, proba, len(classes))
        outputs = {"truth": y[test], "pred": pred, "proba": proba, "classes": classes}
    else:
        y = np.array([float(r[t]) for r in rows])
        model = HistGradientBoostingRegressor(**common).fit(x[train], y[train])
        pred = model.predict(x[test])
        scores = regression_scores(y[test], pred)
        outputs = {"truth": y[test], "pred": pred, "proba": None, "classes": None}
    return config["name"], len(train), len(test), scores, {**outputs, "file": split["file"], "test": test}


def classification_scores(truth, pred, proba, n_classes):
    scores = {
        "accuracy": accuracy_score(truth, pred),
        "f1": f1_score(truth, pred, average="binary" if n_classes == 2 else "macro"),
    }
    if n_classes == 2:
        scores["roc_auc"] = roc_auc_score(truth, proba[:, 1])
    return scores


def regression_scores(truth, pred):
    return {
        "rmse": math.sqrt(mean_squared_error(truth, pred)),
        "mae": mean_absolute_error(truth, pred),
        "r2": r2_score(truth, pred),
    }


def kiln_predictions(run, outputs):
    """kiln's test-row predictions (class indices and probabilities, or values) from `kiln predict`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "pred.csv")
        subprocess.run(
            ["node", os.path.join(ROOT, "bin", "kiln.mjs"), "predict", run, outputs["file"], "--out", out],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "KILN_QUIET": "1"},
        )
        header, rows = read_rows(out)
    rows = [rows[i] for i in outputs["test"]]
    if outputs["classes"] is None:
        return np.array([float(r[0]) for r in rows]), None
    classes = [str(c) for c in outputs["classes"]]
    pred = np.array([classes.index(r[0]) for r in rows])
    proba = np.array([[float(v) for v in r[1 : 1 + len(classes)]] for r in rows])
    if header[1 : 1 + len(classes)] != [f"p_{c}" for c in classes]:
        raise SystemExit(f"baselines: unexpected columns {header} from kiln predict {run}")
    return pred, proba


def bootstrap(run, outputs, rounds):
    """95% interval of kiln minus HGB per metric over test rows drawn with replacement."""
    kiln_pred, kiln_proba = kiln_predictions(run, outputs)
    truth, n = outputs["truth"], len(outputs["truth"])
    rng = np.random.default_rng(0)

    def scores(idx, pred, proba):
        if outputs["classes"] is None:
            return regression_scores(truth[idx], pred[idx])
        return classification_scores(truth[idx], pred[idx], proba[idx], len(outputs["classes"]))

    every = np.arange(n)
    point = scores(every, kiln_pred, kiln_proba)
    diffs = {}
    for _ in range(rounds):
        idx = rng.integers(0, n, n)
        ours = scores(idx, kiln_pred, kiln_proba)
        theirs = scores(idx, outputs["pred"], outputs["proba"])
        for k in ours:
            diffs.setdefault(k, []).append(ours[k] - theirs[k])
    return point, {k: np.percentile(v, [2.5, 97.5]) for k, v in diffs.items()}


def main(args):
    rounds = 0
    if args[:1] == ["--bootstrap"]:
        if len(args) < 2 or not args[1].isdigit() or int(args[1]) < 100:
            raise SystemExit("baselines: --bootstrap needs a count of at least 100, e.g. --bootstrap 2000")
        rounds, args = int(args[1]), args[2:]
    runs = args
    if not runs or any(r.startswith("--") for r in runs):
        print(__doc__)
        return 1
    extra = " | kiln - HGB, 95% interval over resampled test rows |" if rounds else " |"
    print("| run | train / test rows | metric | kiln (MLP) | HistGradientBoosting" + extra)
    print("| --- | --- | --- | ---: | ---:" + (" | ---: |" if rounds else " |"))
    for run in runs:
        name, n_train, n_test, scores, outputs = baseline(run)
        ours = kiln_scores(run)
        point, intervals = bootstrap(run, outputs, rounds) if rounds else ({}, {})
        for metric, value in point.items():
            # The resampled figures must rest on the predictions `kiln eval` scored.
            if metric in ours and abs(value - ours[metric]) > 5e-4:
                raise SystemExit(
                    f"baselines: {run}: {metric} from kiln predict is {value:.4f}, kiln eval says {ours[metric]:.4f}"
                )
        for metric, value in scores.items():
            mine = ours.get(metric)
            shown = f"{mine:.4f}" if mine is not None else "-"
            row = f"| {name} | {n_train} / {n_test} | {metric} | {shown} | {value:.4f} |"
            if rounds:
                lo, hi = intervals[metric]
                row += f" {lo:+.4f} to {hi:+.4f} |"
            print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
