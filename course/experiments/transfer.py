"""The transfer benchmark: does a model learn voices, or the synthesizer?

``python -m course.experiments transfer`` scores every system on four trial lists, by the course's
protocol (``course.evaluate``: whole utterances, the mean subtracted before cosine from each system's
**own training data**, never from the scored files; the pretrained model, trained on VoxCeleb, scores
plain cosine), each EER with its 95% interval from a bootstrap over speakers and its trial counts:

- ``synthvox``: the default SynthVox corpus's test trials (24 speakers never trained on);
- ``held_out``: SynthVox voices from a synthesis setting no training corpus here uses
  (``course.data.synthvox.HELD_OUT``: other espeak-ng languages reading the English sentences,
  another seed; only its test speakers are scored);
- ``council``: recorded speech, 9 council members, cross-meeting trials (``course.data.council``);
- ``council_phone``: the same trials, every clip through ``course.data.degrade.telephone``
  (300-3400 Hz, 8 kHz, μ-law); the training mean stays the clean one (a system does not know the channel).

Systems: the no-training baseline (mean+std of log-mel, ``course.baseline``), the pretrained VoxCeleb
ECAPA (``course.pretrained.speechbrain_ecapa``), and each trained variant of ``VARIANTS`` (the course
model first), trained once through ``course.train.cached_fit``. One JSON line per (system, set) goes to
``results/transfer.jsonl`` with the provenance of the command (``course.experiments.results``).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from course.experiments.transfer_table import DEFAULT_OUT, SETS

DISTILL = {"weight": 1.0, "teacher": "speechbrain_ecapa", "per_speaker": 6}
CHANNEL_AUGMENT = {"channel_prob": 0.3, "spec_masks": {"freq_masks": 2, "freq_width": 8, "time_masks": 2,
                                                       "time_width": 20}}


@dataclass
class EvalSet:
    """A trial list to score: ``trials`` of ``root``, every clip passed through ``transform`` first."""

    name: str
    root: Path
    trials: list
    transform: object = None  # wave → wave, or None


@dataclass
class System:
    """Something that embeds waveforms: ``embed(waves dict) → embeddings dict``, with the mean of its own
    training data (None: plain cosine) and what it cost to make (CPU seconds by ingredient)."""

    name: str
    embed: object
    mean: torch.Tensor | None
    cost: dict = field(default_factory=dict)
    config: dict | None = None
    cache: str | None = None  # embeddings of this system are cached on disk under this name (slow systems)


# -- the corpora --------------------------------------------------------------------------------------

def larger_corpus_config(speakers: int = 400, utterances: int = 8):
    """A SynthVox corpus with ``speakers`` training speakers and fewer utterances each, on another seed
    (so none of its voices is a default test voice); 24 test and 16 dev speakers as the default."""
    from course.data.synthvox import SynthVoxConfig

    return SynthVoxConfig(speakers=speakers + 40, test_speakers=24, dev_speakers=16, utterances=utterances,
                          seed=7)


GENERATION_CPU_S: dict = {}  # corpus root → CPU seconds its generation took in this process (``timed_corpus``)


def timed_corpus(config) -> tuple[Path, float | None]:
    """(root of the SynthVox corpus of ``config``, CPU seconds spent generating it now, or None when cached)."""
    from course.data import synthvox, synthvox_corpus
    from course.paths import data_root
    from course.train.loop import cpu_time

    cached = synthvox.is_complete(data_root() / f"synthvox-{config.key()}", config)
    start = cpu_time()
    root = synthvox_corpus(config, progress=False)
    if not cached:
        GENERATION_CPU_S[str(root)] = round(cpu_time() - start, 1)
    return root, GENERATION_CPU_S.get(str(root))


def evaluation_sets(names=SETS, smoke: bool = False) -> list[EvalSet]:
    """The benchmark's trial lists (smoke: the smoke SynthVox corpora and the stand-in council)."""
    from course.data import default_corpus
    from course.data.corpus import load_trials
    from course.data.degrade import telephone
    from course.data.synthvox import HELD_OUT, HELD_OUT_SMOKE

    sets = []
    for name in names:
        if name == "synthvox":
            root = Path(default_corpus(progress=False))
        elif name == "held_out":
            root = timed_corpus(HELD_OUT_SMOKE if smoke else HELD_OUT)[0]
        elif name in ("council", "council_phone"):
            if smoke:
                from course.pretrained import stand_ins

                root = Path(stand_ins()[3])
            else:
                from course.data.council import corpus

                root = Path(corpus(max_seconds=8))
        else:
            raise ValueError(f"set {name!r}: expected some of {SETS}")
        sets.append(EvalSet(name, root, load_trials(root), telephone if name == "council_phone" else None))
    return sets


# -- the systems --------------------------------------------------------------------------------------

def variants() -> dict:
    """name → a function returning the ``TrainConfig`` of a trained variant (the ablation's rows).

    ``course``: the course model as configured today (``course_config()``); the others change one or
    more ingredients: ``+distill`` (``DISTILL``), ``+channel`` (``CHANNEL_AUGMENT``: random band and μ-law
    30% of crops, SpecAugment masks), ``+400spk`` (``larger_corpus_config()``: 400 training speakers of
    8 utterances instead of 80 of 18), and their combinations; ``×10``: the distillation loss weighted 10
    instead of 1 (so that it, not the SynthVox classification, dominates the loss); with 400 speakers the
    teacher embeds 2 utterances of each (800 files, against 480 for the default corpus's 6 of each);
    ``centred``: the teacher's targets with their training mean subtracted (``course.train.distill``);
    ``+1000spk``: 1,000 training speakers of 6 utterances, the teacher on 1 utterance of each;
    ``+1400 steps``: 1,400 steps instead of 800 (the course model's 800 take about 165 s of wall clock on
    2 idle cores, so 1,400 still fit the 5-minute budget): do more speakers need more steps?"""
    from course.env import pick
    from course.train.config import course_config

    def config(distill=False, channel=False, speakers=False, distill_weight=None, per_speaker=None, center=False,
               corpus=None, steps=None):
        def make():  # the larger corpus is generated only when its variant is asked for
            overrides = {} if steps is None else {"steps": pick(steps, course_config().steps)}  # smoke: its own
            if distill:
                overrides["distill"] = dict(DISTILL)
                if distill_weight is not None:
                    overrides["distill"]["weight"] = distill_weight
                if per_speaker is not None:
                    overrides["distill"]["per_speaker"] = per_speaker
                if center:
                    overrides["distill"]["center"] = True
            if speakers:
                overrides["corpus"] = str(timed_corpus(corpus or larger_corpus_config())[0])
            config = course_config(**overrides)
            if channel:  # course_config's own ``augment`` argument is a switch: replace the dict after
                config = config.replace(augment={**config.augment, **CHANNEL_AUGMENT})
            return config
        return make

    return {"course": config(), "+distill": config(distill=True), "+channel": config(channel=True),
            "+400spk": config(speakers=True), "+channel+distill": config(distill=True, channel=True),
            "+400spk+channel": config(speakers=True, channel=True),
            "+400spk+channel+distill": config(True, True, True),
            "+distill×10": config(distill=True, distill_weight=10.0),
            "+400spk+distill×10": config(distill=True, speakers=True, distill_weight=10.0, per_speaker=2),
            "+centred distill×10": config(distill=True, distill_weight=10.0, center=True),
            "+400spk+centred distill×10": config(distill=True, speakers=True, distill_weight=10.0, per_speaker=2,
                                                 center=True),
            "+1000spk+centred distill×10": config(distill=True, speakers=True, distill_weight=10.0, per_speaker=1,
                                                  center=True, corpus=larger_corpus_config(1000, 6)),
            "+1400 steps": config(steps=1400),
            "+1000spk+centred distill×10+1400 steps": config(distill=True, speakers=True, distill_weight=10.0,
                                                             per_speaker=1, center=True,
                                                             corpus=larger_corpus_config(1000, 6), steps=1400)}


def baseline_system(train_root) -> System:
    from course.baseline import stats_embedding
    from course.evaluate import mean_embedding, training_files

    def embed(waves):
        return {k: stats_embedding(w) for k, w in waves.items()}

    mean = mean_embedding(embed(_read(training_files(train_root))))
    return System("no-training baseline", embed, mean, {"train_cpu_s": 0.0})


def pretrained_system(model=None, features=None) -> System:
    """SpeechBrain's VoxCeleb ECAPA (or a stand-in ``model``), plain cosine (its training data is not here)."""
    from course.evaluate import embed_waves

    if model is None:
        from course.pretrained import speechbrain_ecapa

        model, features = speechbrain_ecapa(progress=False)
    name = "pretrained VoxCeleb ECAPA" if "stand-in" not in getattr(model, "source", "") else "pretrained (stand-in)"
    return System(name, lambda waves: embed_waves(model, waves, features=features), None,
                  {"train_cpu_s": None}, cache=name.replace(" ", "_"))


def trained_system(name: str, config, progress: bool = False) -> System:
    """A variant trained once (``cached_fit``), scored with the mean of its own training utterances."""
    from course.evaluate import embed_waves, mean_embedding, training_files
    from course.train import builders
    from course.train.cache import cached_fit
    from course.train.loop import cpu_time

    cost = {}
    if config.distill is not None:
        from course.train.distill import teacher_embeddings

        start = cpu_time()
        teacher = teacher_embeddings(builders.corpus_root(config), config.split, config.distill.get("teacher"),
                                     config.distill.get("per_speaker"))
        cost["teacher_cpu_s"] = round(teacher["cpu_seconds"], 1)
        cost["teacher_files"] = teacher["files"]
        if not teacher["from_cache"]:
            cost["teacher_cpu_s_now"] = round(cpu_time() - start, 1)
    if str(builders.corpus_root(config)) in GENERATION_CPU_S:
        cost["corpus_generation_cpu_s"] = GENERATION_CPU_S[str(builders.corpus_root(config))]
    result = cached_fit(config, progress=progress)
    cost["train_cpu_s"] = round(result.cpu_seconds, 1)
    if result.seconds:  # wall clock of the training, when this run trained it (0 from an older cache)
        cost["train_wall_s"] = round(result.seconds, 1)
    model = result.model

    def embed(waves):
        return embed_waves(model, waves)

    mean = mean_embedding(embed(_read(training_files(builders.corpus_root(config)))))
    return System(name, embed, mean, cost, config.to_dict())


# -- scoring ------------------------------------------------------------------------------------------

def _read(paths) -> dict:
    from course.audio import read

    return {p: read(p)[0] for p in paths}


def embeddings_of(system: System, evalset: EvalSet) -> dict:
    """path → embedding of every file of the set's trials (through its transform), from the disk cache
    for systems that ask for one."""
    from course.evaluate import trial_files

    files = trial_files(evalset.trials)
    path = None
    if system.cache is not None:
        from course.paths import cache_dir

        digest = hashlib.sha1("|".join([evalset.name, *map(str, files)]).encode()).hexdigest()[:16]
        path = cache_dir("transfer") / f"{system.cache}-{evalset.name}-{digest}.pt"
        if path.is_file():
            return torch.load(path, weights_only=False)
    waves = _read(files)
    if evalset.transform is not None:
        waves = {k: evalset.transform(w) for k, w in waves.items()}
    out = system.embed(waves)
    if path is not None:
        from course.paths import atomic_path

        with atomic_path(path) as tmp:
            torch.save(out, tmp)
    return out


def score(system: System, evalset: EvalSet) -> dict:
    """The set's EER with its interval and counts (``course.metrics.eer_interval``) and minDCF."""
    from course.evaluate import score_embeddings

    start = time.process_time()
    scored = score_embeddings(embeddings_of(system, evalset), evalset.trials, system.mean)
    return {**scored["interval"], "min_dcf": scored["min_dcf"], "score_cpu_s": round(time.process_time() - start, 1),
            "scores": [round(float(x), 5) for x in scored["scores"]], "labels": [int(y) for y in scored["labels"]]}


def paired_difference(scores, reference_scores, labels, trials, n_boot: int = 1000, level: float = 0.95) -> dict:
    """EER(system) − EER(reference) on the same trials, paired over speakers
    (``course.metrics.eer_difference_interval``), in fractions, in the records' format."""
    from course.data.corpus import speaker_of
    from course.metrics import eer_difference_interval

    d = eer_difference_interval(reference_scores, scores, labels, [speaker_of(a) for _, a, _ in trials],
                                [speaker_of(b) for _, _, b in trials], n_boot=n_boot, level=level)
    return {"diff": d["difference"], "low": d["low"], "high": d["high"], "level": level}


def run_transfer(names=None, sets=SETS, out=DEFAULT_OUT, command: str = "", smoke: bool = False,
                 systems: list[System] | None = None, progress: bool = True,
                 evalsets: list[EvalSet] | None = None) -> list[dict]:
    """Score the baseline, the pretrained model and the ``names`` variants (default: all of ``variants()``;
    the course model always) on ``sets``; append one record per (system, set) to ``out`` (None: write
    nothing) and return them. Every system after the baseline gets its paired difference to the baseline
    (``vs_no-training_baseline``), every system after the course model its difference to that
    (``vs_course``): the same trials and bootstrap draws of speakers, so the run itself says whether an
    ingredient moves the course model.
    ``systems`` and ``evalsets`` replace the defaults (tests: tiny corpora and stand-ins)."""
    from tqdm.auto import tqdm

    from course.data import default_corpus
    from course.experiments.results import append_result, provenance

    origin = provenance(command)  # the code that runs: taken before anything trains
    evalsets = evaluation_sets(sets, smoke) if evalsets is None else evalsets
    if systems is None:
        table = variants()
        names = list(table) if names is None else list(names)
        unknown = [n for n in names if n not in table]
        if unknown:
            raise ValueError(f"unknown variant(s) {unknown}; known: {', '.join(table)}")
        names = ["course", *[n for n in names if n != "course"]]  # every variant is compared with it
        systems = [baseline_system(default_corpus(progress=False)), pretrained_system()]
        systems += [trained_system(n, table[n](), progress) for n in names]
    references = [systems[0], *[s for s in systems[1:] if s.name == "course"]]
    records, reference_scores = [], {}
    for system in tqdm(systems, desc="systems", disable=not progress):
        for evalset in evalsets:
            record = {"benchmark": "transfer", "system": system.name, "set": evalset.name,
                      "mean": "training" if system.mean is not None else "none (plain cosine)",
                      **score(system, evalset), "cost": system.cost, "config": system.config, **origin}
            for reference in references:
                if (reference.name, evalset.name) in reference_scores:
                    record["vs_" + reference.name.replace(" ", "_")] = paired_difference(
                        record["scores"], reference_scores[reference.name, evalset.name], record["labels"],
                        evalset.trials)
            if system in references:
                reference_scores[system.name, evalset.name] = record["scores"]
            records.append(record)
            if out is not None:
                append_result(out, record)
    return records
