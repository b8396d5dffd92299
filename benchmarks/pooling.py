"""Forward+backward time, parameters and output size of every registered pooling.

    python benchmarks/pooling.py [--batch 32 --channels 1536 --frames 200 --repeats 10 --device cpu]

Each pooling is built with its default arguments for D = --channels and timed on
frames (B, D, T) with random lengths; times are medians over --repeats runs after
one warm-up and are printed relative to TSTP measured in the same run.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

from course import pooling
from course.env import device as pick_device
from course.env import pick


def measure(pool: torch.nn.Module, x: torch.Tensor, lengths: torch.Tensor, repeats: int) -> float:
    """Median seconds of one forward and backward pass."""
    times = []
    for step in range(repeats + 1):
        frames = x.detach().requires_grad_(True)
        if x.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        pool(frames, lengths).sum().backward()
        if x.device.type == "cuda":
            torch.cuda.synchronize()
        if step:  # the first run is the warm-up
            times.append(time.perf_counter() - start)
        pool.zero_grad(set_to_none=True)
    return statistics.median(times)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=pick(32, 4))
    parser.add_argument("--channels", type=int, default=pick(1536, 96))
    parser.add_argument("--frames", type=int, default=pick(200, 50))
    parser.add_argument("--repeats", type=int, default=pick(10, 2))
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    dev = pick_device(args.device)
    torch.manual_seed(0)
    x = torch.randn(args.batch, args.channels, args.frames, device=dev)
    lengths = torch.randint(args.frames // 2, args.frames + 1, (args.batch,), device=dev)
    lengths[0] = args.frames
    rows = []
    for name in pooling.available():
        try:
            pool = pooling.build(name, args.channels).to(dev)
            seconds = measure(pool, x, lengths, args.repeats)
        except Exception as error:  # noqa: BLE001 - report a broken pooling, keep measuring the others
            rows.append({"name": name, "error": f"{type(error).__name__}: {error}"})
            continue
        rows.append({"name": name, "seconds": seconds, "params": sum(p.numel() for p in pool.parameters()),
                     "out_dim": pool.out_dim})
    base = next(r["seconds"] for r in rows if r["name"] == "TSTP")
    print(f"pooling forward+backward on (B, D, T) = ({args.batch}, {args.channels}, {args.frames}), {dev}, "
          f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} threads, median of {args.repeats}")
    print(f"{'pooling':<14} {'ms':>9} {'× TSTP':>8} {'params':>11} {'out dim':>8}")
    for r in rows:
        if "error" in r:
            print(f"{r['name']:<14} failed: {r['error']}")
            continue
        r["relative"] = r["seconds"] / base
        print(f"{r['name']:<14} {1e3 * r['seconds']:9.2f} {r['relative']:8.2f} {r['params']:11,d} {r['out_dim']:8d}")
    return rows


if __name__ == "__main__":
    main()
