"""Training throughput of the course model on the CPU: the model alone, the loader alone, the whole pipeline.

    python benchmarks/train_throughput.py [--steps 30] [--no-augment] [--write PATH]

Utterances (2 s crops) per second of CPU time and of wall-clock time, at the default course
configuration (``course.train.course_config()``: model on one thread, one DataLoader worker):

- model: forward + backward + optimiser step on one fixed batch (no loading);
- loader: the training crops (read, speed perturbation, augmentation, fbank) made in this process,
  one thread: what one DataLoader worker delivers;
- pipeline: ``course.train.fit`` for ``--steps`` steps, loader and model together.

The loader keeps up when loader/model ≥ 1 (one worker per model thread); the issue's target is
≥ 3. Peak memory is this process's maximum resident set size (and its finished workers').
On a shared machine wall-clock rates are low; CPU-time rates are the comparable ones.

``--write PATH`` writes the results file (``benchmarks/train_throughput_results.md``) with its
provenance (``benchmarks/provenance.py``); without it the results are only printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import provenance
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


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--no-augment", action="store_true")
    parser.add_argument("--write", metavar="PATH", help="write the results file (markdown) here")
    args = parser.parse_args(argv)
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

    wall, cpu = time.perf_counter(), time.process_time()
    fit(config, progress=False)
    pipeline_wall, main_cpu = time.perf_counter() - wall, time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pipeline's worker, joined when fit returns
    workers_cpu = children.ru_utime + children.ru_stime
    summary = {
        "augment": not args.no_augment, "batch_size": config.batch_size, "num_workers": config.num_workers,
        "model_utt_per_cpu_s": round(model_rate, 1),
        "model_utt_per_wall_s": round(config.batch_size * max(3, args.steps // 3) / model_wall, 1),
        "loader_utt_per_cpu_s": round(loader_rate, 1), "loader_utt_per_wall_s": round(loads / loader_wall, 1),
        "loader_over_model": round(loader_rate / model_rate, 2),
        "pipeline_steps": args.steps,
        "pipeline_utt_per_wall_s": round(args.steps * config.batch_size / pipeline_wall, 1),
        "pipeline_utt_per_cpu_s": round(args.steps * config.batch_size / (main_cpu + workers_cpu), 1),
        "pipeline_main_cpu_s": round(main_cpu, 1), "pipeline_workers_cpu_s": round(workers_cpu, 1),
        "pipeline_utt_per_main_cpu_s": round(args.steps * config.batch_size / main_cpu, 1),
        "pipeline_over_model_cpu": round(args.steps * config.batch_size / main_cpu / model_rate, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_workers_mb": round(children.ru_maxrss / 1024, 1),
        "note": "shared machine: compare CPU-time rates; wall-clock ones are lower bounds"}
    print(json.dumps(summary))
    if args.write:
        provenance.write_results(args.write, "Training throughput of the course model (CPU)",
                                 provenance.command_line(), sections(summary, config), threads=config.threads or 1)
    return summary


def sections(s: dict, config) -> dict:
    rows = [["model alone (forward, backward, Adam; one fixed batch)", s["model_utt_per_cpu_s"],
             s["model_utt_per_wall_s"]],
            ["loader alone (read, speed, noise/reverb/gain, fbank; this process)" if s["augment"]
             else "loader alone (clean crops of cached fbank; this process)",
             s["loader_utt_per_cpu_s"], s["loader_utt_per_wall_s"]],
            [f"whole pipeline (`fit`, {s['num_workers']} worker(s)), per CPU s of the main process",
             s["pipeline_utt_per_main_cpu_s"], s["pipeline_utt_per_wall_s"]],
            [f"whole pipeline, CPU of main process ({s['pipeline_main_cpu_s']:.0f} s) + worker(s) "
             f"({s['pipeline_workers_cpu_s']:.0f} s)", s["pipeline_utt_per_cpu_s"], "–"]]
    ratios = [["loader / model (CPU rates; target ≥ 3, ≥ 1 keeps up)", f"{s['loader_over_model']:.2f}"],
              ["pipeline (main process) / model alone (CPU rates)", f"{s['pipeline_over_model_cpu']:.2f}"],
              ["peak resident memory, main process (MB)", f"{s['peak_rss_mb']:,.0f}"],
              ["peak resident memory, largest finished worker (MB)", f"{s['peak_rss_workers_mb']:,.0f}"]]
    return {
        "Utterances per second": (
            f"Batch {s['batch_size']}, {config.chunk_frames}-frame crops, augmentation "
            f"{'on' if s['augment'] else 'off'}, model on {config.threads or 1} thread(s); the pipeline runs "
            f"{s['pipeline_steps']} steps. CPU-time rates are the comparable ones on a shared machine; "
            "wall-clock rates are lower bounds.\n\n"
            + provenance.markdown_table(["", "utterances / CPU s", "utterances / wall s"], rows)),
        "Ratios and memory": provenance.markdown_table(["", "value"], ratios),
    }


if __name__ == "__main__":
    main()
