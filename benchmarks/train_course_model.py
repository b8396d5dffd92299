"""EER of the course model against training time (wall-clock and CPU), on the default SynthVox trials.

    python benchmarks/train_course_model.py [--no-augment] [--set steps=1200 batch_size=32 ...]

Trains ``course.train.course_config()`` from scratch (no cache) with a validation every
``val_every`` steps and prints one JSON line per validation: step, EER (%), wall-clock
seconds and CPU seconds since the start (this process plus its finished DataLoader
workers; the worker of the current epoch is added at the end). On a machine shared with
other jobs wall-clock time overstates the cost; CPU time does not. The target: EER ≤ 5%
(aim 3%) within 5 minutes on 2 CPU cores, i.e. within 600 CPU-seconds and, on an idle
2-core machine, about max(model, loader) time.
"""

from __future__ import annotations

import argparse
import ast
import json
import resource
import time

import torch

from course.env import is_smoke
from course.train import course_config, fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-augment", action="store_true", help="train on clean crops (cached fbank)")
    parser.add_argument("--pooling", default="ASTP")
    parser.add_argument("--set", nargs="*", default=[], help="TrainConfig overrides, key=python-literal")
    args = parser.parse_args()
    overrides = {k: ast.literal_eval(v) for k, v in (item.split("=", 1) for item in args.set)}
    config = course_config(args.pooling, augment=not args.no_augment, **overrides)
    if not config.val_every:
        config = config.replace(val_every=max(1, config.steps // 4))
    print(json.dumps({"mode": "smoke" if is_smoke() else "default", "config": config.to_dict()}), flush=True)
    wall, cpu = time.perf_counter(), time.process_time()

    def report(state):
        if state["history"] and state["history"][-1]["step"] == state["step"]:
            h = state["history"][-1]
            print(json.dumps({"step": h["step"], "eer_%": round(100 * h["eer"], 2), "min_dcf": round(h["min_dcf"], 3),
                              "train_wall_s": h["seconds"], "train_cpu_s": h["cpu_seconds"],
                              "loss_last20": round(sum(state["losses"][-20:]) / len(state["losses"][-20:]), 3)}),
                  flush=True)

    result = fit(config, progress=False, callback=report)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"final_eer_%": round(100 * result.eer, 2), "steps": config.steps,
                      "total_wall_s": round(time.perf_counter() - wall, 1),
                      "main_process_cpu_s": round(time.process_time() - cpu, 1),
                      "workers_cpu_s": round(children.ru_utime + children.ru_stime, 1),
                      "threads": torch.get_num_threads(), "num_workers": config.num_workers,
                      "note": "wall-clock on a shared machine overstates; CPU s = main + workers"}))


if __name__ == "__main__":
    main()
