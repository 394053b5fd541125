"""How often a comparison over a few seeds shows kiln's TPE at least as good as Optuna's.

Reads the JSON lines printed by bench/tune.ts (kiln) and bench/tune_optuna.py (Optuna), each
run over any seed sets, pools the best values per (function, budget), prints the pooled medians
and, by drawing `--draw` seeds of each side at random (`--rounds` times), the share of draws in
which kiln's median is at least as good: per row and for all rows at once. Standard library only.
Usage: python3 bench/tune_seedsets.py --kiln k0.json k1000.json --optuna o0.json o1000.json [--draw 10]
"""
import argparse
import json
import random
import statistics


def pooled(paths):
    rows = {}
    for path in paths:
        with open(path) as f:
            best = json.loads(f.read().strip().splitlines()[-1])["best"]
        for fn, by_budget in best.items():
            for budget, values in by_budget.items():
                rows.setdefault((fn, int(budget)), []).extend(values)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln", nargs="+", required=True)
    ap.add_argument("--optuna", nargs="+", required=True)
    ap.add_argument("--draw", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    kiln, optuna = pooled(args.kiln), pooled(args.optuna)
    rows = sorted(set(kiln) & set(optuna))
    if not rows:
        raise SystemExit("tune_seedsets: no (function, budget) row is in both sides' files")
    rng = random.Random(args.seed)
    hits = {row: 0 for row in rows}
    all_hits = 0
    for _ in range(args.rounds):
        every = True
        for row in rows:
            k = statistics.median(rng.sample(kiln[row], args.draw))
            o = statistics.median(rng.sample(optuna[row], args.draw))
            if k <= o:
                hits[row] += 1
            else:
                every = False
        all_hits += every
    print(f"| function | trials | kiln pooled median | Optuna pooled median | seeds (kiln, Optuna) | {args.draw}-seed medians with kiln at least as good |")
    print("|---|---:|---:|---:|---:|---:|")
    for fn, budget in rows:
        k, o = kiln[(fn, budget)], optuna[(fn, budget)]
        print(f"| {fn} | {budget} | {statistics.median(k):.6g} | {statistics.median(o):.6g} | {len(k)}, {len(o)} | {hits[(fn, budget)] / args.rounds:.3f} |")
    print(f"\nall {len(rows)} rows at once: {all_hits / args.rounds:.3f} of {args.rounds} draws of {args.draw} seeds per side")


if __name__ == "__main__":
    main()
