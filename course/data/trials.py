"""Trial lists: the one reader and writer of every format the course meets.

A trial is ``(label, enrol, test)``: label 1 when both recordings are of one speaker, 0 when not.
Two formats are read (and written):

- **VoxCeleb** (the course's own, ``veri_test2.txt``): ``1 idA/x/1.wav idB/y/2.wav``, label first;
- **Kaldi** (Kaldi's and WeSpeaker's ``trials``): ``idA/x/1.wav idB/y/2.wav target``, label last as
  ``target`` or ``nontarget``. Kaldi's VoxCeleb recipe names utterances ``id10270-x6uYqmx31kE-00001``
  instead of paths; those are read as the path ``id10270/x6uYqmx31kE/00001.wav``.

A file holds one format; a malformed line is an error that names the file, the count and the first
few lines, so a list is never scored half-read.
"""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import numpy as np

from course.paths import atomic_path

FORMATS = ("voxceleb", "kaldi")
KALDI_LABELS = {"target": 1, "nontarget": 0}
_KALDI_UTTERANCE = re.compile(r"^(id\d+)-(.+)-(\d+)$")  # speaker-video-segment; a video id may hold '-'
_EXPECTED = "'1|0 enrol.wav test.wav' (VoxCeleb) or 'enrol.wav test.wav target|nontarget' (Kaldi)"


def kaldi_utterance_path(name: str, suffix: str = ".wav") -> str:
    """``id10270-x6uYqmx31kE-00001`` → ``id10270/x6uYqmx31kE/00001.wav``; a path is returned as it is."""
    match = _KALDI_UTTERANCE.match(name)
    if "/" in name or match is None:
        return name
    speaker, video, segment = match.groups()
    return f"{speaker}/{video}/{segment}{suffix}"


def parse_line(fields: list[str]) -> tuple[str, tuple[int, str, str]] | None:
    """(format, trial) of one line's fields, or None when it is neither format."""
    if len(fields) != 3:
        return None
    if fields[0] in ("0", "1"):
        return "voxceleb", (int(fields[0]), fields[1], fields[2])
    if fields[2] in KALDI_LABELS:
        return "kaldi", (KALDI_LABELS[fields[2]], kaldi_utterance_path(fields[0]), kaldi_utterance_path(fields[1]))
    return None


def read_trials(path: str | Path, source: str | None = None, valid_path=None) -> list[tuple[int, str, str]]:
    """Every trial ``(label, enrol, test)`` of the list at ``path``, paths as written (relative).

    ``source`` names the list in errors (default: its path; a CLI passes ``"--trials <path>"``);
    ``valid_path(field) -> bool`` refuses lines whose paths a corpus cannot hold.
    """
    path = Path(path)
    source = source or str(path)
    if path.is_dir():
        raise ValueError(f"{source}: is a folder; pass the trial list file (e.g. veri_test2.txt)")
    if not path.is_file():
        raise FileNotFoundError(f"{source}: trial list not found (is {path.parent} a corpus root?)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{source}: not a text trial list ({error.reason} at byte {error.start}); "
                         f"expected lines {_EXPECTED}") from None
    trials, bad, formats = [], [], {}
    for number, line in enumerate(text.split("\n"), 1):
        fields = line.split()
        if not fields:
            continue
        parsed = parse_line(fields)
        if parsed is None or (valid_path is not None and not all(valid_path(p) for p in parsed[1][1:])):
            bad.append(f"line {number}: {line.strip()[:80]!r}")
            continue
        formats.setdefault(parsed[0], number)
        trials.append(parsed[1])
    if bad:
        raise ValueError(f"{source}: {len(bad)} malformed trial line(s) (expected {_EXPECTED}); " + "; ".join(bad[:3]))
    if len(formats) > 1:
        raise ValueError(f"{source}: mixes VoxCeleb lines (first at line {formats['voxceleb']}) and Kaldi lines "
                         f"(first at line {formats['kaldi']}); a list holds one format")
    if not trials:
        raise ValueError(f"{source}: no trials")
    return trials


def format_line(trial: tuple[int, str, str], format: str = "voxceleb") -> str:
    label, a, b = trial
    if label not in (0, 1):
        raise ValueError(f"trial {trial!r}: the label must be 1 (target) or 0 (non-target)")
    if format == "voxceleb":
        return f"{label} {a} {b}"
    if format == "kaldi":
        return f"{a} {b} {'target' if label else 'nontarget'}"
    raise ValueError(f"format={format!r}: expected one of {FORMATS}")


def write_trials(path: str | Path, trials, format: str = "voxceleb") -> Path:
    """Write ``trials`` at ``path`` in ``format`` (whole or not at all: readers never see half a list)."""
    lines = [format_line((int(label), str(a), str(b)), format) for label, a, b in trials]
    if not lines:
        raise ValueError(f"{path}: no trials to write")
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def trial_files(trials) -> list:
    """Every file a trial list ``[(label, a, b), ...]`` names, once, sorted."""
    return sorted({p for _, a, b in trials for p in (a, b)})


def counts(trials) -> dict:
    """{"total", "target", "nontarget"} of a trial list."""
    targets = sum(int(label) for label, _, _ in trials)
    return {"total": len(trials), "target": targets, "nontarget": len(trials) - targets}


def balanced_trials(utts: dict, n_trials: int, seed: int) -> list[tuple[int, str, str]]:
    """Balanced trials from ``utts`` = {speaker: [(session, path), ...]}: target pairs from different
    sessions first, then same-session ones; as many random different-speaker pairs. Fewer when the
    speakers cannot fill ``n_trials``. The draws depend only on ``seed``."""
    r = np.random.default_rng(np.random.SeedSequence([int(seed), 7]))
    cross, same = [], []
    for items in utts.values():
        for (s1, a), (s2, b) in combinations(items, 2):
            (cross if s1 != s2 else same).append((a, b))
    r.shuffle(cross)
    r.shuffle(same)
    targets = (cross + same)[: n_trials // 2]
    flat = [(spk, path) for spk, items in utts.items() for _, path in items]
    nontargets, seen = [], set()
    budget = 50 * len(targets) + 100
    while len(nontargets) < len(targets) and budget:
        budget -= 1
        i, j = r.integers(len(flat), size=2)
        (si, a), (sj, b) = flat[i], flat[j]
        if si != sj and (a, b) not in seen and (b, a) not in seen:
            seen.add((a, b))
            nontargets.append((a, b))
    trials = [(1, a, b) for a, b in targets] + [(0, a, b) for a, b in nontargets]
    order = r.permutation(len(trials))
    return [trials[k] for k in order]
