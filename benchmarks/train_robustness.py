"""Robustness of the course model: EER (%) on the default SynthVox test trials re-rendered through
channels that training never produced, for the no-training baseline and the course model trained
with and without augmentation.

    python benchmarks/train_robustness.py

Conditions (``course.data.degrade``, each from a generator training does not have): clean,
telephone (300-3400 Hz band, 8 kHz, 8-bit μ-law), reverb (a Schroeder reverberator at RT60 1.2 s;
training uses noise impulse responses at RT60 ≤ 0.6 s), noise (mains hum and crackle at SNR 0-5 dB;
training adds white, pink or babble noise at 5-20 dB). The two course models are
trained through the cache (``course.train.cached_fit``): the first run trains them.
"""

from __future__ import annotations

import json
import time

from course.baseline import stats_embedding
from course.data import default_corpus
from course.data.degrade import CONDITION_TITLES, CONDITIONS
from course.env import is_smoke
from course.train import cached_fit, course_config
from course.train.robustness import format_table, model_embedder, robustness_table


def main() -> None:
    root = default_corpus()
    start = time.perf_counter()
    augmented = cached_fit(course_config(augment=True), progress=False)
    clean = cached_fit(course_config(augment=False), progress=False)
    systems = {"baseline (mean+std log-mel)": stats_embedding,
               "course model, no augmentation": model_embedder(clean.model),
               "course model, augmented": model_embedder(augmented.model)}
    table = robustness_table(systems, root)
    print(format_table(table))
    for condition in CONDITIONS:
        print(f"  {condition}: {CONDITION_TITLES[condition]}")
    ours, theirs = table["course model, augmented"], table["baseline (mean+std log-mel)"]
    beaten = all(ours[c]["high"] < theirs[c]["low"] for c in CONDITIONS)  # intervals apart, not point values
    print(json.dumps({"mode": "smoke" if is_smoke() else "default", "eer": table,
                      "augmented_beats_baseline_everywhere_by_its_interval": beaten,
                      "seconds": round(time.perf_counter() - start, 1)}))


if __name__ == "__main__":
    main()
