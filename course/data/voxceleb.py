"""VoxCeleb: prepare a local copy for the course (it is never downloaded here; see data/README.md).

``prepare`` reads a VoxCeleb1 tree (``<root>/wav/idXXXXX/<youtube id>/NNNNN.wav``,
or ``<root>`` holding the speaker folders directly) and optionally a VoxCeleb2 dev
tree converted to FLAC, picks a seeded subset of training speakers and
utterances, reads an official trial list (Vox1-O ``veri_test2.txt``, Vox1-E
``list_test_all2.txt``, Vox1-H ``list_test_hard2.txt``: lines ``1|0 enrol test``)
and writes a corpus root the rest of the course reads like SynthVox: ``wav/``
(one symlink per speaker), ``iden_split.txt``, ``veri_test2.txt`` and
``voxceleb.json`` (provenance). Everything is checked before anything long
starts: every trial file exists, the audio headers are readable, and no test
speaker is ever used for training:

* a VoxCeleb1-dev training subset always excludes id10270-id10309 (the Vox1-O test
  speakers) and every speaker named by the trial list;
* Vox1-E and Vox1-H draw on all 1,251 VoxCeleb1 speakers, so evaluating them with a
  model trained on VoxCeleb1 is refused: train on VoxCeleb2 dev (``train_root``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

from course.audio import SAMPLE_RATE
from course.data.corpus import DEV_TRIAL_FILE, SPLIT_FILE, TRIAL_FILE
from course.data.trials import balanced_trials, read_trials, write_trials
from course.data.trials import trial_files as all_trial_files

VOX1_TEST_SPEAKERS = frozenset(f"id{n}" for n in range(10270, 10310))
VOX1_E_H_LISTS = ("list_test_all2.txt", "list_test_all.txt", "list_test_hard2.txt", "list_test_hard.txt")
_SPEAKER = re.compile(r"^id\d{5}$")
AUDIO_SUFFIXES = (".wav", ".flac")


def wav_root(root: str | Path) -> Path:
    """The folder holding the speaker folders: ``root/wav``, ``root/dev/aac`` style, or ``root`` itself."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"--root {root}: folder not found")
    for candidate in (root / "wav", root / "dev" / "flac", root / "dev" / "aac", root / "aac", root / "flac", root):
        if candidate.is_dir() and any(_SPEAKER.match(p.name) for p in candidate.iterdir() if p.is_dir()):
            return candidate
    raise ValueError(f"--root {root}: no speakers found (expected folders named idNNNNN, directly or under wav/)")


def scan(folder: Path) -> dict[str, list[str]]:
    """speaker → sorted relative paths ``idXXXXX/<session>/<file>`` of its audio files."""
    speakers = {}
    for spk_dir in sorted(p for p in folder.iterdir() if p.is_dir() and _SPEAKER.match(p.name)):
        files = sorted(str(f.relative_to(folder)).replace(os.sep, "/") for f in spk_dir.rglob("*")
                       if f.suffix.lower() in AUDIO_SUFFIXES)
        if files:
            speakers[spk_dir.name] = files
    return speakers


def read_trial_list(path: str | Path) -> list[tuple[int, str, str]]:
    """The trials of a VoxCeleb list (``1|0 enrol test``, or Kaldi's ``enrol test target|nontarget``) whose
    paths start with a VoxCeleb speaker id; any other line is an error naming the count and the first ones."""
    return read_trials(path, source=f"--trials {path}", valid_path=lambda p: bool(_SPEAKER.match(p.split("/")[0])))


def prepare(root: str | Path, out: str | Path, speakers: int | None = None, utterances: int | None = None,
            trial_list: str | Path | None = None, train_root: str | Path | None = None, seed: int = 0,
            dev_speakers: int | None = None, dev_trials: int = 4000) -> str:
    """Write a course corpus root under ``out`` from local VoxCeleb data; returns a one-line summary.

    ``dev_speakers`` (default: a tenth of the training speakers, at most 40, none below 20) are held
    out from training and the test list: their utterances are split code 2 and their balanced
    cross-video trials ``veri_dev.txt``, where validation and thresholds look (never the test list).
    """
    from course.data.corpus import check_audio

    for name, count in (("--speakers", speakers), ("--utts", utterances)):
        if count is not None and count < 1:  # 0 would write an empty corpus, -1 fail deep in numpy
            raise ValueError(f"{name}: expected at least 1 (or leave it out for all), got {count}")
    test_folder = wav_root(root)
    if trial_list is None and (Path(root) / TRIAL_FILE).is_file():
        trial_list = Path(root) / TRIAL_FILE
    trials = read_trial_list(trial_list) if trial_list is not None else []
    trial_files = all_trial_files(trials)
    missing = [p for p in trial_files if not (test_folder / p).is_file()]
    if missing:
        raise FileNotFoundError(f"{trial_list}: {len(missing)} of {len(trial_files)} trial files are missing under "
                                f"{test_folder}, e.g. {', '.join(missing[:3])}")
    trial_speakers = {p.split("/")[0] for p in trial_files}
    e_or_h = trial_list is not None and (Path(trial_list).name in VOX1_E_H_LISTS
                                         or bool(trial_speakers - VOX1_TEST_SPEAKERS))
    if e_or_h and train_root is None:
        raise ValueError(f"{trial_list}: this trial list (Vox1-E/H style) uses speakers of VoxCeleb1 dev, so a model "
                         "trained on VoxCeleb1 cannot be evaluated on it; pass --train-root with VoxCeleb2 dev")

    train_folder = wav_root(train_root) if train_root is not None else test_folder
    available = scan(train_folder)
    if not available:
        if any(f.endswith(".m4a") for f in _first_files(train_folder)):
            raise ValueError(f"{train_folder}: holds m4a files; convert them first: "
                             f"python -m course.data voxceleb convert --root {train_folder} --out <flac folder>")
        raise ValueError(f"{train_folder}: no speakers with .wav or .flac files found")
    excluded = trial_speakers | (VOX1_TEST_SPEAKERS if train_root is None else set())
    candidates = sorted(set(available) - excluded)
    if not candidates:
        raise ValueError(f"{train_folder}: no training speakers left after excluding the test speakers")
    r = np.random.default_rng(seed)
    chosen = sorted(candidates if speakers is None or speakers >= len(candidates)
                    else r.choice(candidates, size=speakers, replace=False).tolist())
    if dev_speakers is None:
        dev_speakers = 0 if len(chosen) < 20 else min(40, len(chosen) // 10)
    spare = [c for c in candidates if c not in chosen]
    dev = sorted(r.choice(spare, size=dev_speakers, replace=False).tolist() if len(spare) >= dev_speakers
                 else chosen[-dev_speakers:] if dev_speakers else [])
    chosen = [c for c in chosen if c not in dev]
    if dev_speakers and len(dev) < 2:
        raise ValueError(f"--dev-speakers {dev_speakers}: need at least 2 development speakers (or 0)")
    if not chosen:
        raise ValueError("no training speakers left after holding out the development speakers")
    dev_files = [f for spk in dev for f in available[spk][: utterances or None]]
    train_files = []
    for spk in chosen:
        files = available[spk]
        if utterances is not None and utterances < len(files):
            files = sorted(r.choice(files, size=utterances, replace=False).tolist())
        train_files += files

    check_audio([train_folder / f for f in train_files + dev_files] + [test_folder / f for f in trial_files])
    out = Path(out)
    (out / "wav").mkdir(parents=True, exist_ok=True)
    for spk in sorted(set(chosen) | set(dev) | trial_speakers):
        source = (test_folder if spk in trial_speakers else train_folder) / spk
        link = out / "wav" / spk
        if link.is_symlink() or link.exists():
            if link.resolve() == source.resolve():
                continue
            raise ValueError(f"--out {out}: {link} already points elsewhere; choose an empty folder")
        try:
            os.symlink(source.resolve(), link, target_is_directory=True)
        except OSError as error:
            raise RuntimeError(f"cannot create the symlink {link} ({error}); on Windows, enable developer "
                               "mode") from None
    lines = [f"1 {f}" for f in train_files] + [f"2 {f}" for f in dev_files] + [f"3 {f}" for f in trial_files]
    (out / SPLIT_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    if dev:
        by_speaker = {}
        for f in dev_files:
            by_speaker.setdefault(f.split("/")[0], []).append((f.split("/")[1], f))  # (video, path)
        dev_list = balanced_trials(by_speaker, dev_trials, seed)
        write_trials(out / DEV_TRIAL_FILE, dev_list)
    if trials:
        write_trials(out / TRIAL_FILE, trials)
    info = {"source": str(Path(root).resolve()), "train_source": str(train_folder.resolve()), "seed": seed,
            "speakers": len(chosen), "train_utterances": len(train_files), "dev_speakers": len(dev),
            "trial_list": str(trial_list) if trial_list else None, "trials": len(trials),
            "excluded_speakers": len(excluded & set(available))}
    (out / "voxceleb.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    return (f"prepared {out}: {len(chosen)} training speakers, {len(train_files)} utterances; {len(dev)} "
            f"development speakers; "
            f"{len(trials)} trials over {len(trial_speakers)} test speakers")


def _first_files(folder: Path, limit: int = 50):
    count = 0
    for path in folder.rglob("*"):
        if path.is_file():
            yield path.name
            count += 1
            if count >= limit:
                return


def convert_m4a(root: str | Path, out: str | Path) -> int:
    """Convert every ``.m4a`` under ``root`` to 16 kHz mono FLAC under ``out`` (same relative paths)."""
    root, out = Path(root), Path(out)
    if not root.is_dir():
        raise FileNotFoundError(f"--root {root}: folder not found")
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("FFmpeg is not installed, and VoxCeleb2's m4a (AAC) files need it: install it "
                           "(apt install ffmpeg, conda install ffmpeg, or brew install ffmpeg) and run again")
    sources = sorted(root.rglob("*.m4a"))
    if not sources:
        raise ValueError(f"--root {root}: no .m4a files found")
    from tqdm.auto import tqdm

    for source in tqdm(sources, desc="m4a → flac", unit="file"):
        target = (out / source.relative_to(root)).with_suffix(".flac")
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        result = subprocess.run([ffmpeg, "-loglevel", "error", "-y", "-i", str(source), "-ac", "1",
                                 "-ar", str(SAMPLE_RATE), str(target)], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{source}: FFmpeg failed: {result.stderr.strip()[:200]}")
    return len(sources)
