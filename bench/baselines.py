#!/usr/bin/python3
"""Gradient-boosted trees on the exact split of kiln table runs, next to kiln's own test scores.

For each run folder given (trained by `kiln train` on a table config: `data: { format: csv,
target }`), reads the CSV the run was trained on, the rows of each split from the run's
split.json and the column kinds kiln inferred (model.json), fits scikit-learn's
HistGradientBoostingClassifier / Regressor (default settings, random_state=0) on the training
rows only, and scores it on the test rows with the metrics kiln reports. kiln's scores come from
`kiln eval <run>` on the same test rows.

Needs Debian's python3-sklearn (1.2) and numpy; no pandas. Usage, from the repository root:

    npx kiln train examples/penguins.yaml && npx kiln train examples/concrete.yaml \
      && npx kiln train examples/churn.yaml
    /usr/bin/python3 bench/baselines.py runs/penguins runs/concrete runs/churn
"""

import csv
import json
import math
import os
import re
import subprocess
import sys

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
        scores = {
            "accuracy": accuracy_score(y[test], pred),
            "f1": f1_score(y[test], pred, average="binary" if len(classes) == 2 else "macro"),
        }
        if len(classes) == 2:
            scores["roc_auc"] = roc_auc_score(y[test], model.predict_proba(x[test])[:, 1])
    else:
        y = np.array([float(r[t]) for r in rows])
        model = HistGradientBoostingRegressor(**common).fit(x[train], y[train])
        pred = model.predict(x[test])
        scores = {
            "rmse": math.sqrt(mean_squared_error(y[test], pred)),
            "mae": mean_absolute_error(y[test], pred),
            "r2": r2_score(y[test], pred),
        }
    return config["name"], len(train), len(test), scores


def main(runs):
    if not runs:
        print(__doc__)
        return 1
    print("| run | train / test rows | metric | kiln (MLP) | HistGradientBoosting |")
    print("| --- | --- | --- | ---: | ---: |")
    for run in runs:
        name, n_train, n_test, scores = baseline(run)
        ours = kiln_scores(run)
        for metric, value in scores.items():
            mine = ours.get(metric)
            shown = f"{mine:.4f}" if mine is not None else "-"
            print(f"| {name} | {n_train} / {n_test} | {metric} | {shown} | {value:.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
