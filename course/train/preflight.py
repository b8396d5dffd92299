"""What a run needs, checked before its first step (``python -m course.train`` calls ``check_run``).

A run that fails at validation after an hour of training, or at its first checkpoint,
loses that hour: the device, the model, head and margin schedule the config names, the
run folder, a ``--resume`` checkpoint, the corpus (two speakers at least, every training
file readable and finite) and the trial list used for validation are all checked first.
Each failure is a ``ValueError`` (``CheckpointError`` for a checkpoint, ``FileNotFoundError``
for a missing file) whose message names the key or the file and says what to do.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from torch import nn

from course.train import builders
from course.train.checkpoints import TRAINING_FORMAT, CheckpointError, read_checkpoint
from course.train.config import TrainConfig
from course.train.loop import resolve_device


def check_run(config: TrainConfig, out: Path, resume: str | Path | None = None, validate: bool = True) -> None:
    """Raise before anything is written or trained when the run cannot finish."""
    check_device(config)
    check_model(config)
    check_writable(out)
    if resume is not None:
        check_resume(resume, config)
    check_corpus(config, validate)


def check_device(config: TrainConfig) -> torch.device:
    try:
        device = resolve_device(config)
    except RuntimeError as error:  # torch.device("gpu0")
        raise ValueError(f"device: {config.device!r} is not a device ({error}); use cpu, cuda or cuda:N") from None
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"device: {config.device!r}, but there are {torch.cuda.device_count()} CUDA device(s)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device: 'mps' was asked for but is not available here; use device=cpu")
    return device


def check_model(config: TrainConfig) -> None:
    """Build the model, a head and the margin schedule once: wrong names or keyword arguments fail here."""
    try:
        model = builders.build_model(config)
    except TypeError as error:
        raise ValueError(f"model_kwargs or pooling_kwargs do not fit {config.model!r}: {error}") from None
    head = builders.build_head(config, builders.embed_dim_of(model), 2)  # ValueError naming head/head_kwargs
    try:
        builders.build_margin_scheduler(config, head)
    except TypeError as error:
        raise ValueError(f"margin_schedule: {error}") from None
    if config.batch_size < 2 and any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        raise ValueError(f"batch_size: 1 cannot train {config.model!r}, whose BatchNorm layers need at least "
                         "2 utterances a batch; set batch_size=2 or more")


def check_writable(out: Path) -> None:
    """The run folder exists (or can be made) and takes a file: checkpoints must not fail after training."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as error:
        raise ValueError(f"--out {out}: the run folder is not writable ({error.strerror or error}); "
                         "choose another --out") from None


def check_resume(path: str | Path, config: TrainConfig) -> None:
    """``--resume PATH`` is a readable training checkpoint of this config, checked before the run folder's
    checkpoint is replaced by it."""
    payload = read_checkpoint(path)  # missing, a folder, unreadable, corrupt or not a course file: named
    if payload["format"] != TRAINING_FORMAT:
        raise CheckpointError(f"--resume {path}: a finished model, not a training checkpoint (no optimiser "
                              "state); resume from a run's checkpoint.pt")
    if payload["config"] != config.to_dict():
        differ = sorted(k for k in config.to_dict() if payload["config"].get(k) != getattr(config, k))
        raise CheckpointError(f"--resume {path}: written for another config (differs in {', '.join(differ)}); "
                              "resume with the config it was trained with")


def check_corpus(config: TrainConfig, validate: bool) -> None:
    """Two speakers at least, every training file readable and finite; with ``validate``, the development
    trial list (and the test list, where there is one) parses and its files are readable and finite."""
    from course.data.corpus import DEV_TRIAL_FILE, TRIAL_FILE, check_audio, load_trials, read_split

    root = Path(builders.corpus_root(config))
    if not root.is_dir():
        raise FileNotFoundError(f"corpus: root not found: {root}")
    items = read_split(root, config.split)  # parsed, every file present
    speakers = {spk for spk, _ in items}
    if len(speakers) < 2:
        raise ValueError(f"corpus {root}: the {config.split!r} split has {len(speakers)} speaker; a speaker "
                         "classifier needs at least 2")
    try:  # the validation split, where there is one, is read during training too
        items += read_split(root, "val") if config.split == "train" else []
    except ValueError:
        pass
    check_audio(sorted({p for _, p in items}))  # a NaN sample would stop the run mid-way as a "diverged" loss
    if validate:  # validation reads the development trials; the test trials are scored once at the end
        try:
            trials = load_trials(root, DEV_TRIAL_FILE)
        except FileNotFoundError as error:
            raise FileNotFoundError(f"{error}; the run validates on the development trials: add them, or pass "
                                    "--no-validate") from None
        if (root / TRIAL_FILE).is_file():
            trials += load_trials(root)
        check_audio(sorted({p for _, a, b in trials for p in (a, b)}))
