"""One training step of a stacked sweep against one step of a single model.

Explains the sweep benchmark's CPU figures: prints the matrix-multiply
throughput of one plain SGD step of the MLP, of the stacked step of all
points (with and without the gradient-matched parameter layout), and the
machine's batched matrix-multiply peak for the same shapes, measured side by
side in one process.

    python benchmarks/bench_stacked_step.py [--points 22] [--features 100]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from sklearn_bc._stack import _Stack
from sklearn_bc.modules import MLPModule


def _time(step, repeats):
    for _ in range(5):  # warm-up
        step()
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) / repeats


def _step_flops(features, hidden, classes, batch):
    """Forward and backward matrix-multiply FLOPs of one step of one model."""
    widths = [features, *hidden, classes]
    forward = sum(2 * batch * a * b for a, b in zip(widths, widths[1:], strict=False))
    first = 2 * batch * widths[0] * widths[1]  # no gradient for the input
    return 3 * forward - first


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=22)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    torch.manual_seed(0)
    hidden = (256, 256)
    x = torch.randn(args.batch, args.features)
    y = torch.randint(0, args.classes, (args.batch,))
    module = MLPModule(args.features, args.classes, hidden=hidden)
    flops = _step_flops(args.features, hidden, args.classes, args.batch)
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"MLP {args.features}-256-256-{args.classes}, batch {args.batch}, "
          f"{args.points} points")  # fmt: skip

    optimizer = torch.optim.SGD(module.parameters(), lr=0.01)

    def single():
        optimizer.zero_grad()
        nn.functional.cross_entropy(module(x), y).backward()
        optimizer.step()

    def stacked_step(stack):
        opt = torch.optim.SGD(list(stack.params.values()), lr=0.01)
        target = y.repeat(args.points)

        def step():
            out = stack.forward(x)
            loss = nn.functional.cross_entropy(
                out.reshape(-1, args.classes), target, reduction="sum"
            )
            opt.zero_grad()
            loss.backward()
            opt.step()

        return step

    plain = _Stack([module] * args.points)
    matched = _Stack([module] * args.points)
    matched.match_gradient_layout(x)
    a = torch.randn(args.points, args.batch, 256)
    b = torch.randn(args.points, 256, 256)
    peak = 2 * args.points * args.batch * 256 * 256 / _time(
        lambda: torch.bmm(a, b), args.repeats
    )
    rows = [
        ("one model, plain step", _time(single, args.repeats), 1),
        ("stacked, parameters as stacked",
         _time(stacked_step(plain), max(args.repeats // 5, 5)), args.points),
        ("stacked, gradient-matched layout",
         _time(stacked_step(matched), max(args.repeats // 5, 5)), args.points),
    ]  # fmt: skip
    print(f"batched matmul peak (bmm {args.points}x{args.batch}x256x256): "
          f"{peak / 1e9:.0f} GFLOP/s")  # fmt: skip
    header = ("step", "ms/step", "ms/model", "GFLOP/s", "of peak")
    print(f"{header[0]:34s}" + "".join(f"{h:>9s}" for h in header[1:]))
    for label, seconds, models in rows:
        rate = models * flops / seconds
        print(f"{label:34s}{seconds * 1e3:9.2f}{seconds * 1e3 / models:9.3f}"
              f"{rate / 1e9:9.0f}{rate / peak:9.0%}")  # fmt: skip


if __name__ == "__main__":
    main()
