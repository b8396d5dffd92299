"""Robustness of the course model: EER (%) on the default SynthVox test trials re-rendered through
channels that training never produced, for the no-training baseline and the course model trained
with and without augmentation.

    python benchmarks/train_robustness.py [--write benchmarks/train_robustness_results.md]

Conditions (``course.data.degrade``, each from a generator training does not have): clean,
telephone (300-3400 Hz band, 8 kHz, 8-bit μ-law), reverb (a Schroeder reverberator at RT60 1.2 s;
training uses noise impulse responses at RT60 ≤ 0.6 s), noise (mains hum and crackle at SNR 0-5 dB;
training adds white, pink or babble noise at 5-20 dB). The two course models are trained through
the cache (``course.train.cached_fit``): the first run trains them (``benchmarks/train_course_model.py``
stores them there too). Every cell is the EER with its 95% interval from a bootstrap over speakers
(``course.metrics.eer_interval``).

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
    parser.add_argument("--write", metavar="PATH", help="write the results file (markdown) here")
    args = parser.parse_args(argv)
    root = default_corpus()
    start = time.perf_counter()
    augmented = cached_fit(course_config(augment=True), progress=False)
    clean = cached_fit(course_config(augment=False), progress=False)
    trained = time.perf_counter() - start
    systems = {BASELINE: stats_embedding, CLEAN: model_embedder(clean.model),
               AUGMENTED: model_embedder(augmented.model)}
    table = robustness_table(systems, root)
    print(format_table(table))
    for condition in CONDITIONS:
        print(f"  {condition}: {CONDITION_TITLES[condition]}")
    ours, theirs = table[AUGMENTED], table[BASELINE]
    beaten = {c: ours[c]["high"] < theirs[c]["low"] for c in CONDITIONS}  # intervals apart, not point values
    summary = {"mode": "smoke" if is_smoke() else "default", "eer": table,
               "augmented_beats_baseline_by_its_interval": beaten,
               "models_from_cache": {AUGMENTED: augmented.from_cache, CLEAN: clean.from_cache},
               "models_seconds": round(trained, 1), "seconds": round(time.perf_counter() - start, 1)}
    print(json.dumps(summary))
    if args.write:
        provenance.write_results(args.write, "Robustness of the course model: EER on degraded test trials",
                                 provenance.command_line(), sections(table, summary, augmented, clean), threads=1)
    return summary


def cell(r: dict) -> str:
    return f"{100 * r['eer']:.2f} [{100 * r['low']:.1f}–{100 * r['high']:.1f}]"


def sections(table: dict, summary: dict, augmented, clean) -> dict:
    rows = [[name, *(cell(row[c]) for c in CONDITIONS)] for name, row in table.items()]
    counts = {(r["targets"], r["nontargets"], r["speakers"]) for row in table.values() for r in row.values()}
    count_text = "; ".join(f"{t:,} target / {n:,} non-target trials, {s} speakers" for t, n, s in sorted(counts))
    gains = [[c, f"{100 * (table[CLEAN][c]['eer'] - table[AUGMENTED][c]['eer']):+.2f}",
              "yes" if summary["augmented_beats_baseline_by_its_interval"][c] else "no"] for c in CONDITIONS]
    models = [[name, "loaded from the cache" if r.from_cache else "trained in this run",
               f"{100 * r.test['eer']:.2f} [{100 * r.test['low']:.2f}–{100 * r.test['high']:.2f}]" if r.test else "–"]
              for name, r in ((CLEAN, clean), (AUGMENTED, augmented))]
    return {
        "EER (%) [95% CI over speakers]": (
            "Every system embeds the same degraded audio (seeded per file); trials are scored by cosine after "
            "subtracting the system's mean embedding of clean training utterances. Trials per cell: "
            f"{count_text}.\n\n" + provenance.markdown_table(["system", *CONDITIONS], rows)),
        "Conditions": "\n".join(f"- {c}: {CONDITION_TITLES[c]}" for c in CONDITIONS) + (
            "\n\nTraining never produced these: no telephone band; reverberation RT60 0.2-0.6 s with the tail at "
            "the direct path's level (here 1.2 s, tail 6 dB above); noise at SNR 5-20 dB (here 0-5 dB)."),
        "Augmentation's effect": (
            "EER of the clean-trained model minus the augmented one (points; positive: augmentation helps), "
            "and whether the augmented model's interval lies wholly below the baseline's:\n\n"
            + provenance.markdown_table(["condition", "no augmentation − augmented", "augmented beats baseline"],
                                        gains, "lrl")),
        "Models": (
            f"`course_config(augment=...)` through `cached_fit` ({summary['models_seconds']:.0f} s to obtain both; "
            f"{summary['seconds']:.0f} s in all). Test EER stored with the model (clean trials, scored once after "
            "training, batch embedding):\n\n" + provenance.markdown_table(["model", "source", "test EER (%) [95% CI]"],
                                                                         models, "llr")),
    }


if __name__ == "__main__":
    main()
