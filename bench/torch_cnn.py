"""PyTorch side of bench/cnn.ts: prints samples/s of the same MNIST CNN training step
(Conv 32 3x3 - ReLU - MaxPool 2 - Conv 64 3x3 - ReLU - MaxPool 2 - Flatten - Linear 128 - ReLU -
Linear 10, Adam, cross-entropy) on random 28x28 inputs.
Usage: python3 bench/torch_cnn.py BATCH STEPS THREADS"""
import sys
import time

import torch
import torch.nn as nn

batch, steps, threads = (int(a) for a in sys.argv[1:4])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10),
)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.rand(batch, 1, 28, 28)
y = torch.randint(0, 10, (batch,))


def step():
    opt.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()


for _ in range(5):
    step()
start = time.perf_counter()
for _ in range(steps):
    step()
print(steps * batch / (time.perf_counter() - start))
