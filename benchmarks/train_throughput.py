"""Training throughput of the course model on the CPU: the model alone, the loader alone, the whole pipeline.

    python benchmarks/train_throughput.py [--steps 30] [--no-augment]

Utterances (2 s crops) per second of CPU time and of wall-clock time, at the default course
configuration (``course.train.course_config()``: model on one thread, one DataLoader worker):

- model: forward + backward + optimiser step on one fixed batch (no loading);
- loader: the training crops (read, speed perturbation, augmentation, fbank) made in this process,
  one thread: what one DataLoader worker delivers;
- pipeline: ``course.train.fit`` for ``--steps`` steps, loader and model together.

The loader keeps up when loader/model ≥ 1 (one worker per model thread); the issue's target is
≥ 3. Peak memory is this process's maximum resident set size (and its finished workers').
On a shared machine wall-clock rates are low; CPU-time rates are the comparable ones.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import torch
from torch import nn

from course.data.dataset import collate
from course.train import builders, course_config, fit


def timed(fn, repeats: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) for ``repeats`` calls of ``fn``."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(repeats):
        fn()
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--no-augment", action="store_true")
    args = parser.parse_args()
    config = course_config(augment=not args.no_augment).replace(val_every=0, steps=args.steps)
    torch.set_num_threads(config.threads or 1)
    dataset = builders.build_dataset(config)
    batch = collate([dataset[i] for i in range(config.batch_size)])
    model = builders.build_model(config)
    head = builders.build_head(config, builders.embed_dim_of(model), dataset.num_speakers)
    optimiser, _ = builders.build_optimiser([*model.parameters(), *head.parameters()], config)

    def model_step():
        feats, lengths, labels = batch
        loss = nn.functional.cross_entropy(head(model(feats, lengths), labels), labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    model_step()  # warm-up
    model_cpu, model_wall = timed(model_step, max(3, args.steps // 3))
    model_rate = config.batch_size * max(3, args.steps // 3) / model_cpu

    items = iter(range(10**9))
    dataset[0]  # warm-up

    def load_one():
        dataset[next(items) % len(dataset)]

    loads = config.batch_size * max(3, args.steps // 3)
    loader_cpu, loader_wall = timed(load_one, loads)
    loader_rate = loads / loader_cpu

    wall = time.perf_counter()
    result = fit(config, progress=False)
    pipeline_wall = time.perf_counter() - wall
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "augment": not args.no_augment, "batch_size": config.batch_size, "num_workers": config.num_workers,
        "model_utt_per_cpu_s": round(model_rate, 1), "model_utt_per_wall_s": round(loads / model_wall, 1),
        "loader_utt_per_cpu_s": round(loader_rate, 1), "loader_utt_per_wall_s": round(loads / loader_wall, 1),
        "loader_over_model": round(loader_rate / model_rate, 2),
        "pipeline_steps": args.steps,
        "pipeline_utt_per_wall_s": round(args.steps * config.batch_size / pipeline_wall, 1),
        "pipeline_utt_per_cpu_s": round(args.steps * config.batch_size / result.cpu_seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_workers_mb": round(children.ru_maxrss / 1024, 1),
        "note": "shared machine: compare CPU-time rates; wall-clock ones are lower bounds"}))


if __name__ == "__main__":
    main()
