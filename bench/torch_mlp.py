"""PyTorch side of bench/mlp.ts: prints samples/s of the same MLP training step (or, with
--rss, the peak resident memory in MiB after fresh random batches each step)."""
import resource
import sys
import time

import torch

batch, steps, threads = (int(a) for a in sys.argv[1:4])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.rand(batch, 784)
y = torch.randint(0, 10, (batch,))


def step():
    opt.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()


if "--rss" in sys.argv:
    for _ in range(steps):
        x = torch.rand(batch, 784)
        y = torch.randint(0, 10, (batch,))
        step()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    sys.exit(0)

for _ in range(50):
    step()
start = time.perf_counter()
for _ in range(steps):
    step()
print(steps * batch / (time.perf_counter() - start))
