"""Reading a corpus in the VoxCeleb1 layout (SynthVox or a prepared VoxCeleb subset).

A corpus root holds ``wav/<speaker>/<session>/<utt>.wav`` (or ``.flac``),
``iden_split.txt`` (``1|2|3 path``: 1 train, 2 validation, 3 test) and
``veri_test2.txt`` (``1|0 enrol test``, the test trials) and, where the corpus has development
speakers, ``veri_dev.txt`` (their trials: where thresholds and calibrations are chosen); paths
are relative to ``wav/``. Trial lists are read by ``course.data.trials`` (Kaldi's format too).
Every reader checks what it reads and names the file and line when it is wrong.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from course.audio import SAMPLE_RATE
from course.data.trials import read_trials, trial_files

SPLIT_FILE, TRIAL_FILE, DEV_TRIAL_FILE = "iden_split.txt", "veri_test2.txt", "veri_dev.txt"
SPLIT_CODES = {"train": ("1",), "val": ("2",), "dev": ("2",), "test": ("3",), "train+val": ("1", "2")}


def _root(root: str | Path) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"corpus root not found: {root}")
    return root


def _lines(path: Path):
    if not path.is_file():
        raise FileNotFoundError(f"{path.name} not found in {path.parent} (is this a corpus root?)")
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield number, line.split()


def read_split(root: str | Path, split: str = "train", check: bool = True) -> list[tuple[str, Path]]:
    """(speaker id, wav path) of every utterance in ``split`` ("train", "val", "test", "train+val")."""
    root = _root(root)
    if split not in SPLIT_CODES:
        raise ValueError(f"split={split!r}: expected one of {sorted(SPLIT_CODES)}")
    items = []
    for number, fields in _lines(root / SPLIT_FILE):
        if len(fields) != 2 or fields[0] not in ("1", "2", "3") or fields[1].count("/") < 1:
            raise ValueError(f"{root / SPLIT_FILE}, line {number}: expected '1|2|3 speaker/.../utt.wav', "
                             f"got {' '.join(fields)!r}")
        if fields[0] in SPLIT_CODES[split]:
            items.append((fields[1].split("/")[0], root / "wav" / fields[1]))
    if not items:
        raise ValueError(f"{root / SPLIT_FILE}: no speakers found in split {split!r}")
    if check:
        check_files_exist([p for _, p in items], f"{root / SPLIT_FILE} ({split})")
    return items


def load_trials(root: str | Path, trial_file: str | Path = TRIAL_FILE,
                check: bool = True) -> list[tuple[int, Path, Path]]:
    """(label, enrol path, test path) of each trial of ``root``'s list (either format of
    ``course.data.trials``), the paths resolved under ``root/wav``."""
    root = _root(root)
    path = trial_file if Path(trial_file).is_absolute() else root / trial_file
    trials = [(label, root / "wav" / a, root / "wav" / b) for label, a, b in read_trials(path)]
    if check:
        check_files_exist(trial_files(trials), str(path))
    return trials


def test_utterances(root: str | Path) -> list[Path]:
    """Every file the trial list names, sorted and without duplicates."""
    return trial_files(load_trials(root))


def speaker_of(path: str | Path) -> str:
    """The speaker of a file in the VoxCeleb layout ``<speaker>/<session>/<utt>.wav``."""
    return Path(path).parts[-3]


def speakers(root: str | Path, split: str = "train") -> list[str]:
    """Sorted speaker ids of ``split``."""
    return sorted({spk for spk, _ in read_split(root, split, check=False)})


def check_files_exist(paths, source: str) -> None:
    """Raise FileNotFoundError with the count and the first few missing files."""
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        first = ", ".join(str(p) for p in missing[:3])
        raise FileNotFoundError(f"{source}: {len(missing)} of {len(paths)} referenced files are missing, e.g. {first}")


def check_audio(paths, sample_rate: int = SAMPLE_RATE) -> dict:
    """Open every file's header: raise on unreadable, empty or non-finite (float WAV with NaN) ones,
    naming them, before any training starts; warn once about other rates or stereo."""
    from course.audio import AudioError, info, non_finite_samples

    other_rate, stereo, bad = [], [], []
    for p in paths:
        try:
            rate, frames, channels = info(p)
        except (AudioError, FileNotFoundError) as error:
            bad.append(str(error))
            continue
        if frames == 0:
            bad.append(f"{p}: the file holds no samples")
        elif non_finite_samples(p):  # a NaN sample would poison the loss, or every score
            bad.append(f"{p}: {non_finite_samples(p)} NaN or infinite sample(s)")
        if rate != sample_rate:
            other_rate.append(p)
        if channels > 1:
            stereo.append(p)
    if bad:
        raise ValueError(f"{len(bad)} unusable audio file(s): " + "; ".join(bad[:3]))
    if other_rate:
        warnings.warn(f"{len(other_rate)} file(s) are not at {sample_rate} Hz and will be resampled "
                      f"(first: {other_rate[0]})", stacklevel=2)
    if stereo:
        warnings.warn(f"{len(stereo)} file(s) have several channels and will be downmixed (first: {stereo[0]})",
                      stacklevel=2)
    return {"resampled": len(other_rate), "downmixed": len(stereo)}
