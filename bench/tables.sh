#!/bin/sh
# Trains the real-world table and forecast examples, then fits gradient-boosted trees on the same
# splits and prints both scores side by side (docs/realworld.md). Run from the repository root:
#   npm run bench:tables            (runs go to runs-bench/, replaced each time)
set -e
out=runs-bench
rm -rf "$out"
for example in penguins concrete churn drinks-forecast; do
  node bin/kiln.mjs train "examples/$example.yaml" --out "$out" | grep -E '^(test|seconds per epoch):' | sed "s/^/$example /"
done
/usr/bin/python3 bench/baselines.py "$out/penguins" "$out/concrete" "$out/churn"
