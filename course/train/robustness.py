"""Does the embedding transfer? EER on the test trials re-rendered through harsh channels.

Each test utterance is passed through a condition of ``course.data.degrade.degrade``
(telephone band, strong reverberation, SNR 0-5 dB), seeded per file, and every
system embeds the same degraded audio; trials are scored by cosine after
subtracting each system's mean embedding of clean *training* utterances
(``course.evaluate.training_files``), the protocol of ``course.evaluate``: nothing is
estimated on the files being scored.
"""

from __future__ import annotations

from pathlib import Path

import torch

from course.audio import read
from course.data.corpus import load_trials
from course.data.degrade import CONDITIONS, degrade
from course.evaluate import score_embeddings, training_files, trial_files


def degraded_waves(root: str | Path, condition: str, seed: int = 0) -> dict[Path, torch.Tensor]:
    """path → waveform of every trial file under ``condition`` (file ``i`` drawn from (seed, i))."""
    files = trial_files(load_trials(root))
    return {p: degrade(read(p)[0], condition, torch.Generator().manual_seed(seed * 1_000_003 + i))
            for i, p in enumerate(files)}


def model_embedder(model):
    """A function waveform → embedding for a trained model (eval mode, its own features, whole utterance)."""
    from course.features import for_model

    model.eval()
    features = for_model(model)

    @torch.no_grad()
    def embed(wave):
        return model(features(wave).unsqueeze(0)).squeeze(0).float()

    return embed


def training_mean_of(embed, root: str | Path) -> torch.Tensor:
    """The mean of ``embed`` over the clean training utterances of ``root`` (``training_files``)."""
    return torch.stack([embed(read(p)[0]) for p in training_files(root)]).mean(0)


def condition_eer(embed, waves: dict, trials, mean: torch.Tensor | None) -> dict:
    """EER of ``embed`` on ``trials`` with the given waveforms, ``mean`` subtracted, with its interval
    over speakers (``course.metrics.eer_interval``: eer, low, high as fractions, and the counts)."""
    return score_embeddings({p: embed(w) for p, w in waves.items()}, trials, mean)["interval"]


def robustness_table(systems: dict, root: str | Path, conditions=CONDITIONS, progress: bool = False) -> dict:
    """{system name: {condition: ``condition_eer``'s result}} for ``systems`` = {name: waveform → embedding}.

    Runs on one CPU thread: one utterance at a time is many small operations, which a second
    thread slows down on a busy machine (measured here on the smoke corpus: 25 s of CPU and 73 s
    of wall-clock with two threads, 2.3 s and 5.8 s with one).
    """
    from tqdm.auto import tqdm

    from course.env import torch_threads

    trials = load_trials(root)
    table = {name: {} for name in systems}
    with torch_threads(1):
        means = {name: training_mean_of(embed, root) for name, embed in systems.items()}
        for condition in tqdm(conditions, desc="conditions", disable=not progress):
            waves = degraded_waves(root, condition)
            for name, embed in systems.items():
                table[name][condition] = condition_eer(embed, waves, trials, means[name])
    return table


def format_table(table: dict, conditions=CONDITIONS) -> str:
    """A plain-text table: one row per system, one column per condition: EER % [95% CI]."""
    width = max(len(name) for name in table) + 2
    cell = 22
    lines = ["".ljust(width) + "".join(c.rjust(cell) for c in conditions)]
    for name, row in table.items():
        lines.append(name.ljust(width) + "".join(
            f"{100 * row[c]['eer']:.2f} [{100 * row[c]['low']:.1f}–{100 * row[c]['high']:.1f}]".rjust(cell)
            for c in conditions))
    first = next(iter(next(iter(table.values())).values()))
    lines.append(f"EER % [95% CI over speakers]; {first['targets']} target / {first['nontargets']} non-target "
                 f"trials, {first['speakers']} speakers")
    return "\n".join(lines)
