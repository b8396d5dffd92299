"""EER of the course model against training time (wall-clock and CPU), on the default SynthVox trials.

    python benchmarks/train_course_model.py [--no-augment] [--set steps=1200 batch_size=32 ...] [--write PATH]

Trains ``course.train.course_config()`` from scratch (no cache is read) with a validation on the
development trials (``veri_dev.txt``) every ``val_every`` steps and prints one JSON line per
validation: step, dev EER (%), wall-clock seconds and CPU seconds since the start (this process
plus its finished DataLoader workers; the worker of the current epoch is added at the end). The
test trials are scored once, at the end (EER with its 95% interval over speakers), and the result
is stored in the training cache as ``cached_fit`` would, so ``train_robustness.py`` and notebook 10
reuse it. On a machine shared with other jobs wall-clock time overstates the cost; CPU time does
not. The target: EER ≤ 5% (aim 3%) within 5 minutes on 2 CPU cores, i.e. within 600 CPU-seconds
and, on an idle 2-core machine, about max(model, loader) time.

``--write PATH`` writes the results file (``benchmarks/train_course_model_results.md`` for the
augmented run, ``benchmarks/train_course_model_no_augment_results.md`` for ``--no-augment``)
with its provenance (``benchmarks/provenance.py``); without it the results are only printed.
"""

from __future__ import annotations

import argparse
import ast
import json
import resource
import time

import provenance
import torch

from course.data.corpus import DEV_TRIAL_FILE, TRIAL_FILE, load_trials
from course.env import is_smoke
from course.metrics import format_eer
from course.train import builders, course_config, fit
from course.train.cache import cache_path, save_result, test_evaluation


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-augment", action="store_true", help="train on clean crops (cached fbank)")
    parser.add_argument("--pooling", default="ASTP")
    parser.add_argument("--set", nargs="*", default=[], help="TrainConfig overrides, key=python-literal")
    parser.add_argument("--write", metavar="PATH", help="write the results file (markdown) here")
    args = parser.parse_args(argv)
    overrides = {k: ast.literal_eval(v) for k, v in (item.split("=", 1) for item in args.set)}
    config = course_config(args.pooling, augment=not args.no_augment, **overrides)
    if not config.val_every:
        config = config.replace(val_every=max(1, config.steps // 4))
    print(json.dumps({"mode": "smoke" if is_smoke() else "default", "config": config.to_dict()}), flush=True)
    wall, cpu = time.perf_counter(), time.process_time()

    def report(state):
        if state["history"] and state["history"][-1]["step"] == state["step"]:
            h = state["history"][-1]
            print(json.dumps({"step": h["step"], "dev_eer_%": round(100 * h["eer"], 2),
                              "min_dcf": round(h["min_dcf"], 3),
                              "train_wall_s": h["seconds"], "train_cpu_s": h["cpu_seconds"],
                              "loss_last20": round(sum(state["losses"][-20:]) / len(state["losses"][-20:]), 3)}),
                  flush=True)

    result = fit(config, progress=False, callback=report)
    train_wall = time.perf_counter() - wall
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    main_cpu, workers_cpu = time.process_time() - cpu, children.ru_utime + children.ru_stime
    root = builders.corpus_root(config)
    result.test = test_evaluation(result.model, root)
    save_result(cache_path(config), result)
    summary = {"test": {k: v for k, v in (result.test or {}).items()}, "steps": config.steps,
               "train_wall_s": round(train_wall, 1), "total_wall_s": round(time.perf_counter() - wall, 1),
               "main_process_cpu_s": round(main_cpu, 1), "workers_cpu_s": round(workers_cpu, 1),
               "threads": config.threads or torch.get_num_threads(), "num_workers": config.num_workers,
               "history": result.history,
               "note": "wall-clock on a shared machine overstates; CPU s = main + workers"}
    print(json.dumps({k: v for k, v in summary.items() if k != "history"}))
    if result.test:
        print(format_eer(result.test))
    if args.write:
        dev, test = load_trials(root, DEV_TRIAL_FILE), load_trials(root, TRIAL_FILE)
        provenance.write_results(args.write, title(args.no_augment), provenance.command_line(),
                                 sections(config, summary, dev, test), threads=summary["threads"])
    return summary


def title(no_augment: bool) -> str:
    return ("Course model trained on clean crops (`course_config(augment=False)`): EER against training time"
            if no_augment else "Course model (`course_config()`, augmented): EER against training time")


def trial_counts(trials) -> str:
    from course.data.corpus import speaker_of

    targets = sum(1 for label, _, _ in trials if int(label) == 1)
    speakers = {speaker_of(p) for _, a, b in trials for p in (a, b)}
    return f"{targets:,} target / {len(trials) - targets:,} non-target trials, {len(speakers)} speakers"


def sections(config, summary: dict, dev, test) -> dict:
    rows = [[h["step"], f"{100 * h['eer']:.2f}", f"{h['min_dcf']:.3f}", f"{h['cpu_seconds']:.0f}",
             f"{h['seconds']:.0f}"] for h in summary["history"]]
    curve = provenance.markdown_table(
        ["step", "dev EER (%)", "dev minDCF 0.01", "train CPU s (main + finished workers)", "train wall s"], rows)
    t = summary["test"]
    final = [
        f"Test trials (`{TRIAL_FILE}`), scored once after the last step (mean embedding of the training "
        "utterances subtracted; interval: bootstrap over speakers, `course.metrics.eer_interval`):",
        "",
        provenance.markdown_table(
            ["", "value"],
            [["test EER (%) [95% CI]", f"{100 * t['eer']:.2f} [{100 * t['low']:.2f}–{100 * t['high']:.2f}]"],
             ["trials", f"{t['targets']:,} target / {t['nontargets']:,} non-target, {t['speakers']} speakers"],
             ["test minDCF 0.01", f"{t['min_dcf']:.3f}"],
             ["test minDCF 0.05", f"{t['min_dcf_0.05']:.3f}"],
             ["steps", f"{summary['steps']:,}"],
             ["train wall s", f"{summary['train_wall_s']:.0f}"],
             ["main process CPU s (training and validations)", f"{summary['main_process_cpu_s']:.0f}"],
             ["DataLoader workers CPU s", f"{summary['workers_cpu_s']:.0f}"],
             ["model threads / DataLoader workers", f"{summary['threads']} / {summary['num_workers']}"]]),
    ] if t else ["The corpus has no test trials."]
    return {
        "Test EER": "\n".join(final),
        "Development EER during training": (
            f"Validations on the development trials (`{DEV_TRIAL_FILE}`: {trial_counts(dev)}; speakers "
            "disjoint from training and test), point values: these choose nothing here, they show the curve.\n\n"
            + curve),
        "Configuration": f"Test trials: {trial_counts(test)}.\n\n```json\n{json.dumps(config.to_dict())}\n```",
    }


if __name__ == "__main__":
    main()
