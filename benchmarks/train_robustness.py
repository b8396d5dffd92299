"""Robustness of the course model: EER (%) on the default SynthVox test trials re-rendered through
channels that training never produced, for the no-training baseline and the course model trained
with and without augmentation, each with several training seeds.

    python benchmarks/train_robustness.py [--seeds 3] [--write benchmarks/train_robustness_results.md]

Conditions (``course.data.degrade``, each from a generator training does not have): clean,
telephone (300-3400 Hz band, 8 kHz, 8-bit μ-law), reverb (a Schroeder reverberator at RT60 1.2 s;
training uses noise impulse responses at RT60 ≤ 0.6 s), noise (mains hum and crackle at SNR 0-5 dB;
training adds white, pink or babble noise at 5-20 dB). The two course models are trained through
the cache (``course.train.cached_fit``): the first run trains them (``benchmarks/train_course_model.py``
stores them there too). Every cell is the EER with its 95% interval from a bootstrap over speakers
(``course.metrics.eer_interval``); a claim ("augmented beats the baseline", "augmentation helps")
is counted per seed, so one lucky seed cannot make it.

``--write PATH`` writes the results file with its provenance (``benchmarks/provenance.py``);
without it the table is only printed.
"""

from __future__ import annotations

import argparse
import json
import time

import provenance

from course.baseline import stats_embedding
from course.data import default_corpus
from course.data.degrade import CONDITION_TITLES, CONDITIONS
from course.env import is_smoke
from course.train import cached_fit, course_config
from course.train.robustness import format_table, model_embedder, robustness_table

BASELINE, CLEAN, AUGMENTED = "baseline (mean+std log-mel)", "course model, no augmentation", "course model, augmented"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="training seeds 0..N-1 of each course model (default 3)")
    parser.add_argument("--write", metavar="PATH", help="write the results file (markdown) here")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds: expected at least 1, got {args.seeds}")
    root = default_corpus()
    start = time.perf_counter()
    models = {}
    for seed in range(args.seeds):  # seed 0 is the course model itself (notebook 10's, cached)
        models[AUGMENTED, seed] = cached_fit(course_config(augment=True, seed=seed), progress=False)
        models[CLEAN, seed] = cached_fit(course_config(augment=False, seed=seed), progress=False)
    trained = time.perf_counter() - start
    systems = {BASELINE: stats_embedding, **{name_of(kind, seed): model_embedder(r.model)
                                             for (kind, seed), r in models.items()}}
    table = robustness_table(systems, root)
    print(format_table(table))
    for condition in CONDITIONS:
        print(f"  {condition}: {CONDITION_TITLES[condition]}")
    theirs = table[BASELINE]
    beaten = {c: sum(table[name_of(AUGMENTED, s)][c]["high"] < theirs[c]["low"] for s in range(args.seeds))
              for c in CONDITIONS}  # seeds whose interval lies wholly below the baseline's
    helps = {c: [round(100 * (table[name_of(CLEAN, s)][c]["eer"] - table[name_of(AUGMENTED, s)][c]["eer"]), 2)
                 for s in range(args.seeds)] for c in CONDITIONS}
    summary = {"mode": "smoke" if is_smoke() else "default", "seeds": args.seeds, "eer": table,
               "seeds_where_augmented_beats_baseline_by_its_interval": beaten,
               "augmentation_gain_points_by_seed": helps,
               "models_from_cache": {f"{k}, seed {s}": r.from_cache for (k, s), r in models.items()},
               "models_seconds": round(trained, 1), "seconds": round(time.perf_counter() - start, 1)}
    print(json.dumps(summary))
    if args.write:
        provenance.write_results(args.write, "Robustness of the course model: EER on degraded test trials",
                                 provenance.command_line(), sections(table, summary, models), threads=1)
    return summary


def name_of(kind: str, seed: int) -> str:
    return f"{kind}, seed {seed}"


def cell(r: dict) -> str:
    return f"{100 * r['eer']:.2f} [{100 * r['low']:.1f}–{100 * r['high']:.1f}]"


def spread(values) -> str:
    """mean [min–max] of a few per-seed EERs (fractions), in %."""
    return f"{100 * sum(values) / len(values):.2f} [{100 * min(values):.1f}–{100 * max(values):.1f}]"


def sections(table: dict, summary: dict, models: dict) -> dict:
    seeds = summary["seeds"]
    rows = [[name, *(cell(row[c]) for c in CONDITIONS)] for name, row in table.items()]
    counts = {(r["targets"], r["nontargets"], r["speakers"]) for row in table.values() for r in row.values()}
    count_text = "; ".join(f"{t:,} target / {n:,} non-target trials, {s} speakers" for t, n, s in sorted(counts))
    over_seeds = [[kind, *(spread([table[name_of(kind, s)][c]["eer"] for s in range(seeds)]) for c in CONDITIONS)]
                  for kind in (CLEAN, AUGMENTED)]
    gains = [[c, " ".join(f"{g:+.2f}" for g in summary["augmentation_gain_points_by_seed"][c]),
              f"{sum(g > 0 for g in summary['augmentation_gain_points_by_seed'][c])} of {seeds}",
              f"{summary['seeds_where_augmented_beats_baseline_by_its_interval'][c]} of {seeds}"] for c in CONDITIONS]
    trained = [[name_of(kind, seed), "loaded from the cache" if r.from_cache else "trained in this run",
                f"{100 * r.test['eer']:.2f} [{100 * r.test['low']:.2f}–{100 * r.test['high']:.2f}]" if r.test else "–"]
               for (kind, seed), r in models.items()]
    return {
        "EER (%) [95% CI over speakers]": (
            "Every system embeds the same degraded audio (seeded per file); trials are scored by cosine after "
            "subtracting the system's mean embedding of clean training utterances. Trials per cell: "
            f"{count_text}.\n\n" + provenance.markdown_table(["system", *CONDITIONS], rows)),
        "Over the training seeds": (
            f"Mean EER (%) over seeds 0-{seeds - 1} [lowest–highest seed]: how much of a difference between "
            "the two models is the seed's.\n\n" + provenance.markdown_table(["model", *CONDITIONS], over_seeds)),
        "Conditions": "\n".join(f"- {c}: {CONDITION_TITLES[c]}" for c in CONDITIONS) + (
            "\n\nTraining never produced these: no telephone band; reverberation RT60 0.2-0.6 s with the tail at "
            "the direct path's level (here 1.2 s, tail 6 dB above); noise at SNR 5-20 dB (here 0-5 dB)."),
        "Augmentation's effect": (
            "EER of the clean-trained model minus the augmented one of the same seed (points; positive: "
            "augmentation helps), the seeds where it helps, and the seeds whose augmented model's interval "
            "lies wholly below the baseline's:\n\n"
            + provenance.markdown_table(["condition", "no augmentation − augmented, by seed", "helps",
                                         "augmented beats baseline"], gains, "lrrr")),
        "Models": (
            f"`course_config(augment=..., seed=...)` through `cached_fit` ({summary['models_seconds']:.0f} s to "
            f"obtain them; {summary['seconds']:.0f} s in all). Test EER stored with each model (clean trials, "
            "scored once after training, batch embedding):\n\n"
            + provenance.markdown_table(["model", "source", "test EER (%) [95% CI]"], trained, "llr")),
    }


if __name__ == "__main__":
    main()
