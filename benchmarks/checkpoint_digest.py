"""What the SHA-256 digest inside checkpoints costs (``course.train.integrity``).

    python benchmarks/checkpoint_digest.py [--classes 312] [--repeats 5] [--channels 64]

Builds a training checkpoint the size of the course model's (``course_config()``: ECAPA C=64,
its head, Adam state after one step, history, random states), then times, median of
``--repeats``: ``integrity.digest`` of the payload, ``torch.save`` to a file, and ``torch.load``
of it. The digest is paid once on every save and once on every load.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch


def payload(classes: int, channels: int) -> dict:
    from course.env import set_smoke
    from course.train import builders
    from course.train.config import course_config

    set_smoke(False)
    config = course_config()
    config.model_kwargs = {**config.model_kwargs, "channels": channels}
    model = builders.build_model(config)
    head = builders.build_head(config, builders.embed_dim_of(model), classes)
    optimiser, schedule = builders.build_optimiser([*model.parameters(), *head.parameters()], config)
    model(torch.randn(2, 80, 200)).sum().backward()
    optimiser.step()  # Adam's two moments per parameter: the checkpoint's bulk
    state = {"step": 1, "losses": [1.0] * 800, "accuracies": [0.5] * 800, "lrs": [1e-3] * 800, "seconds": 1.0,
             "cpu_seconds": 1.0, "history": [{"step": 200, "eer": 0.1, "mean": torch.zeros(64)}]}
    return {"format": "course.train/1", "config": config.to_dict(), "state": state, "torch_rng": torch.get_rng_state(),
            "model": model.state_dict(), "head": head.state_dict(), "optimiser": optimiser.state_dict(),
            "lr_schedule": schedule.state_dict()}


def median_seconds(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classes", type=int, default=312, help="head classes (104 speakers x 3 speeds)")
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    from course.train import integrity

    data = payload(args.classes, args.channels)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "checkpoint.pt"
        sealed = integrity.seal(data)
        digest = median_seconds(lambda: integrity.digest(data), args.repeats)
        save = median_seconds(lambda: torch.save(sealed, path), args.repeats)
        load = median_seconds(lambda: torch.load(path, weights_only=False), args.repeats)
        size = path.stat().st_size
    print(f"checkpoint: {size / 1e6:.2f} MB (C={args.channels}, {args.classes} classes, Adam state)")
    print(f"digest {1e3 * digest:.1f} ms, torch.save {1e3 * save:.1f} ms, torch.load {1e3 * load:.1f} ms "
          f"(median of {args.repeats}; the digest adds {100 * digest / save:.0f}% to a save, "
          f"{100 * digest / load:.0f}% to a load)")


if __name__ == "__main__":
    main()
