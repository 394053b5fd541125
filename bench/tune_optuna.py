"""Optuna's side of bench/tune-compare.ts: the same functions, budgets and seeds, default TPE.

Prints one JSON object: {"version", "best": {fn: {budget: [best per seed]}}, "overheadMs"}.
Usage: python bench/tune_optuna.py --budgets 50,200 --seeds 10 [--seed-start 0] --overhead 1000
"""
import argparse
import json
import math
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)

H6_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H6_P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
        [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.665], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]
H6_ALPHA = [1.0, 1.2, 3.0, 3.2]


def branin(t):
    x = t.suggest_float("x", -5, 10)
    y = t.suggest_float("y", 0, 15)
    b = 5.1 / (4 * math.pi ** 2)
    return (y - b * x * x + (5 / math.pi) * x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10


def hartmann6(t):
    x = [t.suggest_float(f"x{i}", 0, 1) for i in range(6)]
    s = 0.0
    for i in range(4):
        inner = sum(H6_A[i][j] * (x[j] - H6_P[i][j]) ** 2 for j in range(6))
        s += H6_ALPHA[i] * math.exp(-inner)
    return -s


def rosenbrock10(t):
    x = [t.suggest_float(f"x{i}", -5, 10) for i in range(10)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(9))


def mixed(t):
    model = t.suggest_categorical("model", ["linear", "tree", "knn"])
    if model == "linear":
        alpha = t.suggest_float("alpha", 1e-4, 1, log=True)
        l1 = t.suggest_categorical("l1", [True, False])
        return (math.log10(alpha) + 2) ** 2 / 4 + (0 if l1 else 0.5)
    if model == "tree":
        depth = t.suggest_int("depth", 1, 20)
        min_leaf = t.suggest_int("minLeaf", 1, 64, log=True)
        return 0.3 + (depth - 8) ** 2 / 50 + (math.log2(min_leaf) - 3) ** 2 / 20
    k = t.suggest_int("k", 1, 50)
    weights = t.suggest_categorical("weights", ["uniform", "distance"])
    return 0.6 + abs(k - 12) / 20 + (0 if weights == "distance" else 0.2)


FUNCTIONS = {"branin": branin, "hartmann6": hartmann6, "rosenbrock10": rosenbrock10, "mixed": mixed}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--budgets", default="50,200")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--seed-start", type=int, default=0)
    ap.add_argument("--functions", default=",".join(FUNCTIONS))
    ap.add_argument("--overhead", type=int, default=1000)
    args = ap.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    best = {}
    for name in args.functions.split(","):
        fn = FUNCTIONS[name]
        best[name] = {}
        for budget in budgets:
            vals = []
            for seed in range(args.seed_start, args.seed_start + args.seeds):
                study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
                study.optimize(fn, n_trials=budget)
                vals.append(study.best_value)
            best[name][str(budget)] = vals
    overhead = None
    if args.overhead > 0:
        # Time per trial (ask, sample 6 parameters, tell) once the study holds `overhead` trials.
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
        study.optimize(hartmann6, n_trials=args.overhead)
        n = 50
        t0 = time.perf_counter()
        study.optimize(hartmann6, n_trials=n)
        overhead = (time.perf_counter() - t0) * 1000 / n
    print(json.dumps({"version": optuna.__version__, "best": best, "overheadMs": overhead}))


if __name__ == "__main__":
    main()
