"""PyTorch side of bench/mlp.ts and bench/cnn.ts, as a persistent worker so the benchmark can
alternate rounds between kiln and each PyTorch without paying start-up or warm-up per round.

Usage: python3 bench/torch_worker.py MODEL THREADS SAMPLES   (MODEL: mlp | cnn)
Builds the model (the same layers as the kiln side) and a random dataset of SAMPLES rows, then
answers one line per command read from stdin:
  train BATCH STEPS   -> seconds for STEPS Adam steps on batches streamed through the dataset
  warmup BATCH        -> seconds for one full pass over the dataset (training)
  infer BATCH STEPS   -> seconds for STEPS no-grad forward passes on streamed batches
  rss                 -> peak resident memory of this process in MiB
The first output line is "ready <torch version>".
"""
import resource
import sys
import time

import torch
import torch.nn as nn

kind, threads, samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)
if kind == "mlp":
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    xs = torch.rand(samples, 784)
else:
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10),
    )
    xs = torch.rand(samples, 1, 28, 28)
ys = torch.randint(0, 10, (samples,))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
at = 0


def batch_of(size):
    global at
    if at + size > samples:
        at = 0
    x, y = xs[at:at + size], ys[at:at + size]
    at += size
    return x, y


def train(size, steps):
    model.train()
    start = time.perf_counter()
    for _ in range(steps):
        x, y = batch_of(size)
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return time.perf_counter() - start


def infer(size, steps):
    model.eval()
    start = time.perf_counter()
    with torch.no_grad():
        for _ in range(steps):
            x, _ = batch_of(size)
            model(x)
    return time.perf_counter() - start


print("ready", torch.__version__, flush=True)
for line in sys.stdin:
    cmd, *args = line.split()
    if cmd == "train":
        print(train(int(args[0]), int(args[1])), flush=True)
    elif cmd == "warmup":
        print(train(int(args[0]), samples // int(args[0])), flush=True)
    elif cmd == "infer":
        print(infer(int(args[0]), int(args[1])), flush=True)
    elif cmd == "rss":
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, flush=True)
    else:
        print("error unknown command", cmd, flush=True)
