"""SynthVox: a synthetic speaker-verification corpus generated offline in seconds.

Layout (VoxCeleb1's): ``<root>/wav/<speaker>/<session>/<NNNNN>.wav`` (16 kHz mono
16-bit), ``iden_split.txt`` (``1 path`` for training speakers, ``3 path`` for
test speakers), ``veri_test2.txt`` (``1|0 enrol test`` over the test speakers,
balanced), ``metadata.json`` (the configuration and every speaker's voice and
session channels) and ``COMPLETE`` once everything is written.

Each utterance is a pure function of ``(seed, speaker, session, utterance)``:
``synthesize(config, speaker, session, utterance)`` regenerates any one file
byte for byte, and a second ``generate`` with the same configuration reuses
the files on disk.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from course.data.synthvox_channel import SAMPLE_RATE, apply_channel, sample_channel
from course.data.synthvox_voices import _SESSION, _UTTERANCE, rng, sample_voice, sentence

FORMAT_VERSION = 1
SPLIT_FILE, TRIAL_FILE, METADATA_FILE, COMPLETE_FILE = "iden_split.txt", "veri_test2.txt", "metadata.json", "COMPLETE"


@dataclass(frozen=True)
class SynthVoxConfig:
    """What a corpus is made of; the same config always gives the same bytes."""

    speakers: int = 104
    test_speakers: int = 24
    sessions: int = 3
    utterances: int = 18          # per speaker, spread over its sessions
    trials: int = 5000            # balanced: half target, half non-target
    seed: int = 0
    voice_spread: float = 1.0     # how different speakers' voices are
    channel_severity: float = 1.0  # how far session channels stray from clean
    rate_jitter: float = 0.06     # per-utterance speaking-rate jitter (fraction)
    pitch_jitter: float = 6.0     # per-utterance pitch jitter (espeak pitch units, 0-100)

    def __post_init__(self):
        if self.speakers < 2 or not 1 <= self.test_speakers < self.speakers:
            raise ValueError(f"speakers={self.speakers}, test_speakers={self.test_speakers}: need at least one "
                             "training and one test speaker")
        if self.sessions < 1 or self.utterances < max(2, self.sessions):
            raise ValueError(f"utterances={self.utterances} must be >= 2 and >= sessions={self.sessions}")
        if self.trials < 2:
            raise ValueError(f"trials={self.trials} must be >= 2")

    def key(self) -> str:
        """Names the corpus: the configuration and the generator's source code."""
        blob = json.dumps({"version": FORMAT_VERSION, "code": _code_hash(), **asdict(self)}, sort_keys=True)
        return hashlib.sha1(blob.encode()).hexdigest()[:16]


def _code_hash() -> str:
    here = Path(__file__).parent
    sources = sorted(here.glob("synthvox*.py")) + [here / "espeak.py"]
    return hashlib.sha1(b"".join(p.read_bytes() for p in sources)).hexdigest()[:12]


SMOKE = SynthVoxConfig(speakers=20, test_speakers=6, sessions=3, utterances=8, trials=300)
DEFAULT = SynthVoxConfig()


def speaker_id(index: int) -> str:
    return f"sv{index + 1:04d}"


def session_id(config: SynthVoxConfig, speaker: int, session: int) -> str:
    """An 11-character YouTube-like id, as in VoxCeleb, stable for (seed, speaker, session)."""
    digest = hashlib.sha1(f"{config.seed}/{speaker}/{session}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:11]


def utterances_of(config: SynthVoxConfig, speaker: int) -> list[tuple[int, int]]:
    """(session, utterance number) pairs of a speaker: round-robin over sessions, numbered from 1."""
    return [(u % config.sessions, u + 1) for u in range(config.utterances)]


def relative_path(config: SynthVoxConfig, speaker: int, session: int, utterance: int) -> str:
    return f"{speaker_id(speaker)}/{session_id(config, speaker, session)}/{utterance:05d}.wav"


def synthesize(config: SynthVoxConfig, speaker: int, session: int, utterance: int) -> np.ndarray:
    """The int16 samples (16 kHz) of one utterance: a pure function of its arguments."""
    from course.data.espeak import Espeak

    engine = Espeak.get()
    voice = sample_voice(config.seed, speaker, config.voice_spread)
    name = engine.add_variant(voice.variant_text())
    r = rng(config.seed, _UTTERANCE, speaker, session, utterance)
    text = sentence(r)
    rate = int(round(voice.rate * (1 + r.uniform(-config.rate_jitter, config.rate_jitter))))
    pitch = int(np.clip(round(50 + r.normal(0, config.pitch_jitter)), 0, 100))
    raw = engine.synth(text, f"{voice.accent}+{name}", rate=rate, pitch=pitch, pitch_range=voice.intonation,
                       seed=int(r.integers(2**31)))
    speech = resample(raw.astype(np.float64) / 32768.0, engine.sample_rate, SAMPLE_RATE)
    lead, tail = (int(r.uniform(0.05, 0.4) * SAMPLE_RATE) for _ in range(2))
    speech = np.concatenate([np.zeros(lead), speech, np.zeros(tail)])
    channel = sample_channel(rng(config.seed, _SESSION, speaker, session), config.channel_severity)
    out = apply_channel(speech, channel, r)
    return np.round(out * 32768.0).clip(-32768, 32767).astype(np.int16)


def resample(x: np.ndarray, orig_rate: int, new_rate: int) -> np.ndarray:
    """FFT resampling (ideal low-pass), padded to a length that makes both FFTs fast."""
    from math import gcd

    from scipy import fft

    up, down = new_rate // gcd(orig_rate, new_rate), orig_rate // gcd(orig_rate, new_rate)
    blocks = fft.next_fast_len(-(-len(x) // down))
    while not _smooth(blocks * down) or not _smooth(blocks * up):
        blocks += 1
    spectrum = fft.rfft(x, blocks * down)
    out = fft.irfft(spectrum[: blocks * up // 2 + 1], blocks * up) * (up / down)
    return out[: -(-len(x) * up // down)]


def _smooth(n: int) -> bool:
    for p in (2, 3, 5, 7):
        while n % p == 0:
            n //= p
    return n == 1


def split_of(config: SynthVoxConfig, speaker: int) -> str:
    """Test speakers are the last ``test_speakers`` indices (like VoxCeleb1's id10270-id10309)."""
    return "test" if speaker >= config.speakers - config.test_speakers else "train"


def generate(root: str | Path, config: SynthVoxConfig = DEFAULT, progress: bool = True, force: bool = False) -> Path:
    """Write the corpus under ``root`` (reused when already complete with the same config)."""
    from tqdm.auto import tqdm

    from course.audio import write

    root = Path(root)
    if is_complete(root, config) and not force:
        return root
    _check_target(root, config, force)
    root.mkdir(parents=True, exist_ok=True)
    jobs = [(spk, sess, utt) for spk in range(config.speakers) for sess, utt in utterances_of(config, spk)]
    for spk, sess, utt in tqdm(jobs, desc="SynthVox", unit="utt", disable=not progress, mininterval=0.5):
        path = root / "wav" / relative_path(config, spk, sess, utt)
        if path.exists() and not force:
            continue  # resumed run: files are written atomically, so an existing one is whole
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.wav")
        write(tmp, synthesize(config, spk, sess, utt), SAMPLE_RATE)
        os.replace(tmp, path)
    _write_lists(root, config)
    (root / COMPLETE_FILE).write_text(config.key() + "\n", encoding="utf-8")
    return root


def is_complete(root: str | Path, config: SynthVoxConfig) -> bool:
    marker = Path(root) / COMPLETE_FILE
    return marker.is_file() and marker.read_text(encoding="utf-8").strip() == config.key()


def _check_target(root: Path, config: SynthVoxConfig, force: bool) -> None:
    meta = root / METADATA_FILE
    if not meta.is_file():
        if root.exists() and any(p for p in root.iterdir() if p.name != "wav"):
            raise ValueError(f"--out {root}: the folder exists and is not a SynthVox corpus; choose another")
        return
    old = json.loads(meta.read_text(encoding="utf-8")).get("key")
    if old != config.key():
        if not force:
            raise ValueError(f"--out {root}: holds a SynthVox corpus with another configuration; "
                             "pass force=True (CLI --force) to replace it, or choose another folder")
        shutil.rmtree(root / "wav", ignore_errors=True)
        for name in (SPLIT_FILE, TRIAL_FILE, METADATA_FILE, COMPLETE_FILE):
            (root / name).unlink(missing_ok=True)


def _write_lists(root: Path, config: SynthVoxConfig) -> None:
    split_lines, metadata = [], {}
    test_utts: dict[int, list[tuple[int, str]]] = {}
    for spk in range(config.speakers):
        split = split_of(config, spk)
        voice = sample_voice(config.seed, spk, config.voice_spread)
        sessions = {session_id(config, spk, s): sample_channel(rng(config.seed, _SESSION, spk, s),
                                                               config.channel_severity).as_dict()
                    for s in range(config.sessions)}
        metadata[speaker_id(spk)] = {"split": split, "voice": voice.as_dict(), "sessions": sessions}
        for sess, utt in utterances_of(config, spk):
            rel = relative_path(config, spk, sess, utt)
            split_lines.append(f"{3 if split == 'test' else 1} {rel}")
            if split == "test":
                test_utts.setdefault(spk, []).append((sess, rel))
    (root / SPLIT_FILE).write_text("\n".join(split_lines) + "\n", encoding="utf-8")
    trials = make_trials(test_utts, config.trials, config.seed)
    (root / TRIAL_FILE).write_text("".join(f"{lab} {a} {b}\n" for lab, a, b in trials), encoding="utf-8")
    info = {"format_version": FORMAT_VERSION, "key": config.key(), "config": asdict(config),
            "sample_rate": SAMPLE_RATE, "speakers": metadata}
    (root / METADATA_FILE).write_text(json.dumps(info, indent=1), encoding="utf-8")


def make_trials(utts: dict[int, list[tuple[int, str]]], n_trials: int, seed: int) -> list[tuple[int, str, str]]:
    """Balanced trials: target pairs from different sessions first, then same-session ones;
    as many random different-speaker pairs. Fewer when the speakers cannot fill ``n_trials``."""
    r = rng(seed, 7)
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
