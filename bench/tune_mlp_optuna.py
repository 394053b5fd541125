"""Optuna's side of the iris MLP tuning in bench/tune-mlp.ts: the same PyTorch MLP, split, search
space and fixed budget, tuned by Optuna's default TPE.

Prints one JSON object: {"version", "best": [best validation loss per seed], "accuracy": [...]}.
Usage: python bench/tune_mlp_optuna.py [--trials 30] [--seeds 10] [--seed-start 0]
"""
import argparse
import json
import math

import optuna
import torch
from torch import nn

optuna.logging.set_verbosity(optuna.logging.WARNING)
torch.set_num_threads(1)

EPOCHS = 30
BATCH = 16


def load_split():
    """Every fifth row (0, 5, ...) is validation; standardized by the training rows (population std)."""
    with open("datasets/iris/iris.csv") as f:
        rows = [[float(v) for v in line.split(",")] for line in f.read().strip().split("\n")[1:]]
    train = [r for i, r in enumerate(rows) if i % 5 != 0]
    val = [r for i, r in enumerate(rows) if i % 5 == 0]
    mean = [sum(r[j] for r in train) / len(train) for j in range(4)]
    std = [math.sqrt(sum((r[j] - mean[j]) ** 2 for r in train) / len(train)) for j in range(4)]

    def x(s):
        return torch.tensor([[(r[j] - mean[j]) / std[j] for j in range(4)] for r in s], dtype=torch.float32)

    def y(s):
        return torch.tensor([int(r[4]) for r in s], dtype=torch.long)

    return x(train), y(train), x(val), y(val)


X_TRAIN, Y_TRAIN, X_VAL, Y_VAL = load_split()


def make_optimizer(name, params, lr, weight_decay):
    if name == "Adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "RMSprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)


def objective(study_seed):
    def run(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        hidden = trial.suggest_int("hidden", 4, 128, log=True)
        dropout = trial.suggest_float("dropout", 0, 0.5)
        weight_decay = trial.suggest_float("weightDecay", 1e-6, 1e-2, log=True)
        opt = trial.suggest_categorical("optimizer", ["Adam", "SGD", "RMSprop"])
        torch.manual_seed(study_seed * 1000 + trial.number)
        model = nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 3))
        optimizer = make_optimizer(opt, model.parameters(), lr, weight_decay)
        gen = torch.Generator().manual_seed(study_seed * 1000 + trial.number)
        n = X_TRAIN.shape[0]
        for _ in range(EPOCHS):
            model.train()
            order = torch.randperm(n, generator=gen)
            for i in range(0, n, BATCH):
                idx = order[i:i + BATCH]
                optimizer.zero_grad()
                nn.functional.cross_entropy(model(X_TRAIN[idx]), Y_TRAIN[idx]).backward()
                optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(X_VAL)
            loss = nn.functional.cross_entropy(logits, Y_VAL).item()
            accuracy = (logits.argmax(1) == Y_VAL).float().mean().item()
        trial.set_user_attr("accuracy", accuracy)
        # A diverged run (lr too high) scores as a bad, finite loss, as on the kiln side.
        return loss if math.isfinite(loss) else 10.0

    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--seed-start", type=int, default=0)
    args = ap.parse_args()
    best, accuracy = [], []
    for seed in range(args.seed_start, args.seed_start + args.seeds):
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
        study.optimize(objective(seed), n_trials=args.trials)
        best.append(study.best_value)
        accuracy.append(study.best_trial.user_attrs["accuracy"])
    print(json.dumps({"version": f"optuna {optuna.__version__}, torch {torch.__version__}", "best": best, "accuracy": accuracy}))


if __name__ == "__main__":
    main()
