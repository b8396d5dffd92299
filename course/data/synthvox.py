"""SynthVox: a synthetic speaker-verification corpus generated offline in seconds.

Layout (VoxCeleb1's): ``<root>/wav/<speaker>/<session>/<NNNNN>.wav`` (16 kHz mono
16-bit), ``iden_split.txt`` (``1 path`` for training speakers, ``2 path`` for
development speakers, ``3 path`` for test speakers), ``veri_test2.txt`` (``1|0 enrol test``
over the test speakers, balanced), ``veri_dev.txt`` (the same over the development speakers:
thresholds and calibrations are chosen there, never on the test trials), ``metadata.json``
(the configuration and every speaker's voice and session channels) and ``COMPLETE`` once everything is written.

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
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from course.audio import SAMPLE_RATE
from course.data.corpus import DEV_TRIAL_FILE, SPLIT_FILE, TRIAL_FILE
from course.data.synthvox_voices import _SESSION, _UTTERANCE, HELD_OUT_LANGUAGES, rng, sample_voice, sentence
from course.data.trials import balanced_trials, write_trials
from course.paths import atomic_path
from course.signal import resample

# Bump whenever a change to synthvox*.py or espeak.py changes the bytes generated:
# cached corpora with an older version are then regenerated.
FORMAT_VERSION = 4  # 4: development speakers and veri_dev.txt
METADATA_FILE, COMPLETE_FILE = "metadata.json", "COMPLETE"


@dataclass(frozen=True)
class SynthVoxConfig:
    """What a corpus is made of; the same config always gives the same bytes."""

    speakers: int = 120
    test_speakers: int = 24
    dev_speakers: int = 16        # neither trained on nor tested: where thresholds are chosen
    sessions: int = 3
    utterances: int = 18          # per speaker, spread over its sessions
    trials: int = 5000            # balanced: half target, half non-target
    seed: int = 0
    voice_spread: float = 1.5     # how different speakers' voices are (scales every voice parameter's spread)
    channel_severity: float = 0.3  # how far session channels stray from clean (0 = clean, 1 = harsh)
    rate_jitter: float = 0.06     # per-utterance speaking-rate jitter (fraction)
    pitch_jitter: float = 6.0     # per-utterance pitch jitter (espeak pitch units, 0-100)
    accents: tuple = ()           # espeak-ng voices drawn from (empty: the English ACCENTS)
    klatt: tuple = ()             # Klatt voice-source flavours drawn from (empty: 1-5)

    def __post_init__(self):
        object.__setattr__(self, "accents", tuple(self.accents))
        object.__setattr__(self, "klatt", tuple(int(k) for k in self.klatt))
        if any(k not in range(1, 6) for k in self.klatt):
            raise ValueError(f"klatt={self.klatt}: expected flavours among 1-5 (6 carries state between "
                             "utterances, see course.data.espeak)")
        if self.speakers < 2 or self.test_speakers < 1 or self.dev_speakers < 0 \
                or self.test_speakers + self.dev_speakers >= self.speakers:
            raise ValueError(f"speakers={self.speakers}, test_speakers={self.test_speakers}, dev_speakers="
                             f"{self.dev_speakers}: need at least one training and one test speaker")
        if self.dev_speakers == 1:
            raise ValueError("dev_speakers=1: a development trial list needs two speakers (or 0 for none)")
        if self.sessions < 1 or self.utterances < max(2, self.sessions):
            raise ValueError(f"utterances={self.utterances} must be >= 2 and >= sessions={self.sessions}")
        if self.trials < 2:
            raise ValueError(f"trials={self.trials} must be >= 2")

    def key(self) -> str:
        """Names the corpus: the configuration and the generator's version."""
        values = asdict(self)
        for knob in ("accents", "klatt"):  # left out at their defaults: older corpora keep their key
            if not values[knob]:
                del values[knob]
        blob = json.dumps({"version": FORMAT_VERSION, **values}, sort_keys=True)
        return hashlib.sha1(blob.encode()).hexdigest()[:16]


SMOKE = SynthVoxConfig(speakers=20, test_speakers=4, dev_speakers=4, sessions=3, utterances=6, trials=120)
DEFAULT = SynthVoxConfig()
# Voices from a synthesis setting the default corpus never uses (other espeak-ng languages reading the
# same English sentences, another seed): the held-out set of ``python -m course.experiments transfer``.
# Only its 24 test speakers are scored; the few training speakers exist because a corpus needs one.
HELD_OUT = SynthVoxConfig(speakers=30, test_speakers=24, dev_speakers=4, sessions=3, utterances=12, trials=3000,
                          seed=101, accents=HELD_OUT_LANGUAGES)
HELD_OUT_SMOKE = SynthVoxConfig(speakers=10, test_speakers=4, dev_speakers=2, sessions=2, utterances=4, trials=60,
                                seed=101, accents=HELD_OUT_LANGUAGES)


def voice_of(config: SynthVoxConfig, speaker: int):
    """Speaker ``speaker``'s voice under ``config`` (its seed, spread, accents and Klatt flavours)."""
    return sample_voice(config.seed, speaker, config.voice_spread, config.accents, config.klatt)


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
    from course.data.synthvox_channel import apply_channel, sample_channel

    engine = Espeak.get()
    voice = voice_of(config, speaker)
    r = rng(config.seed, _UTTERANCE, speaker, session, utterance)
    text = sentence(r)
    rate = int(round(voice.rate * (1 + r.uniform(-config.rate_jitter, config.rate_jitter))))
    pitch = int(np.clip(round(50 + r.normal(0, config.pitch_jitter)), 0, 100))
    raw = engine.synth(text, voice.accent, voice.variant_text(), rate=rate, pitch=pitch, pitch_range=voice.intonation,
                       seed=int(r.integers(2**31)))
    speech = resample(raw.astype(np.float64) / 32768.0, engine.sample_rate, SAMPLE_RATE, method="fft")
    lead, tail = (int(r.uniform(0.05, 0.25) * SAMPLE_RATE) for _ in range(2))
    speech = np.concatenate([np.zeros(lead), speech, np.zeros(tail)])
    channel = sample_channel(rng(config.seed, _SESSION, speaker, session), config.channel_severity)
    out = apply_channel(speech, channel, r)
    return np.round(out * 32768.0).clip(-32768, 32767).astype(np.int16)


def split_of(config: SynthVoxConfig, speaker: int) -> str:
    """Test speakers are the last ``test_speakers`` indices (like VoxCeleb1's id10270-id10309), the
    ``dev_speakers`` before them are for development."""
    if speaker >= config.speakers - config.test_speakers:
        return "test"
    return "dev" if speaker >= config.speakers - config.test_speakers - config.dev_speakers else "train"


def generate(root: str | Path, config: SynthVoxConfig = DEFAULT, progress: bool = True, force: bool = False,
             workers: int | None = None) -> Path:
    """Write the corpus under ``root``; reused when already complete with the same configuration.

    ``force=True`` replaces a corpus made with another configuration. ``workers``
    processes share the work (default: the CPU count, at most 8); the bytes do not
    depend on it.
    """
    root = Path(root)
    if is_complete(root, config):
        return root
    root.mkdir(parents=True, exist_ok=True)
    with _lock(root):  # another process may be generating the same corpus: wait for it
        if is_complete(root, config):
            return root
        _check_target(root, config, force)
        _generate(root, config, progress, workers)
    return root


@contextmanager
def _lock(root: Path):
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks, concurrent generation is the user's call
        yield
        return
    with open(root / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _generate(root: Path, config: SynthVoxConfig, progress: bool, workers: int | None) -> None:
    from tqdm.auto import tqdm

    # An existing file is whole (files are written atomically), so an interrupted run resumes.
    jobs = [(root, config, spk, sess, utt) for spk in range(config.speakers) for sess, utt in utterances_of(config, spk)
            if not (root / "wav" / relative_path(config, spk, sess, utt)).exists()]
    if workers is None:  # processes pay off from a few dozen utterances on
        workers = min(8, os.cpu_count() or 1, max(1, len(jobs) // 16))
    workers = max(1, min(workers, len(jobs)))
    bar = tqdm(total=len(jobs), desc="SynthVox", unit="utt", disable=not progress, mininterval=0.5)
    if workers > 1:
        import multiprocessing

        from course.data.espeak import Espeak

        Espeak.get()  # set up the private data folder once, before the workers start

        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        with context.Pool(workers) as pool:
            for _ in pool.imap_unordered(_write_one, jobs, chunksize=8):
                bar.update()
    else:
        for job in jobs:
            _write_one(job)
            bar.update()
    bar.close()
    _write_lists(root, config)
    (root / COMPLETE_FILE).write_text(config.key() + "\n", encoding="utf-8")


def _write_one(job) -> None:
    from course.audio import write

    root, config, spk, sess, utt = job
    path = root / "wav" / relative_path(config, spk, sess, utt)
    with atomic_path(path) as tmp:
        write(tmp, synthesize(config, spk, sess, utt), SAMPLE_RATE)


def regenerate(root: str | Path, relative: str) -> np.ndarray:
    """The samples of one file of the corpus at ``root`` (``speaker/session/NNNNN.wav``), made again alone."""
    config = load_config(root)
    for spk in range(config.speakers):
        for sess, utt in utterances_of(config, spk):
            if relative_path(config, spk, sess, utt) == relative:
                return synthesize(config, spk, sess, utt)
    raise ValueError(f"{relative!r} is not a file of the SynthVox corpus at {root}")


def load_config(root: str | Path) -> SynthVoxConfig:
    """The configuration a corpus was generated with (from its metadata.json)."""
    meta = Path(root) / METADATA_FILE
    if not meta.is_file():
        raise FileNotFoundError(f"{meta} not found: {root} is not a SynthVox corpus")
    return SynthVoxConfig(**json.loads(meta.read_text(encoding="utf-8"))["config"])


def is_complete(root: str | Path, config: SynthVoxConfig) -> bool:
    marker = Path(root) / COMPLETE_FILE
    return marker.is_file() and marker.read_text(encoding="utf-8").strip() == config.key()


def _check_target(root: Path, config: SynthVoxConfig, force: bool) -> None:
    meta = root / METADATA_FILE
    if not meta.is_file():
        if root.exists() and any(p for p in root.iterdir() if p.name != "wav" and not p.name.startswith(".")):
            raise ValueError(f"--out {root}: the folder exists and is not a SynthVox corpus; choose another")
        return
    old = json.loads(meta.read_text(encoding="utf-8")).get("key")
    if old != config.key():
        if not force:
            raise ValueError(f"--out {root}: holds a SynthVox corpus with another configuration; "
                             "pass force=True (CLI --force) to replace it, or choose another folder")
        shutil.rmtree(root / "wav", ignore_errors=True)
        for name in (SPLIT_FILE, TRIAL_FILE, DEV_TRIAL_FILE, METADATA_FILE, COMPLETE_FILE):
            (root / name).unlink(missing_ok=True)


_SPLIT_CODE = {"train": 1, "dev": 2, "test": 3}  # iden_split.txt's codes (VoxCeleb: 2 is validation)


def _write_lists(root: Path, config: SynthVoxConfig) -> None:
    from course.data.synthvox_channel import sample_channel

    split_lines, metadata = [], {}
    held_out: dict[str, dict[int, list[tuple[int, str]]]] = {"dev": {}, "test": {}}
    for spk in range(config.speakers):
        split = split_of(config, spk)
        voice = voice_of(config, spk)
        sessions = {session_id(config, spk, s): sample_channel(rng(config.seed, _SESSION, spk, s),
                                                               config.channel_severity).as_dict()
                    for s in range(config.sessions)}
        metadata[speaker_id(spk)] = {"split": split, "voice": voice.as_dict(), "sessions": sessions}
        for sess, utt in utterances_of(config, spk):
            rel = relative_path(config, spk, sess, utt)
            split_lines.append(f"{_SPLIT_CODE[split]} {rel}")
            if split in held_out:
                held_out[split].setdefault(spk, []).append((sess, rel))
    (root / SPLIT_FILE).write_text("\n".join(split_lines) + "\n", encoding="utf-8")
    lists = ((TRIAL_FILE, held_out["test"], config.seed), (DEV_TRIAL_FILE, held_out["dev"], config.seed + 1))
    for name, utts, seed in lists:
        if utts:
            write_trials(root / name, balanced_trials(utts, config.trials, seed))
    info = {"format_version": FORMAT_VERSION, "key": config.key(), "config": asdict(config),
            "sample_rate": SAMPLE_RATE, "speakers": metadata}
    (root / METADATA_FILE).write_text(json.dumps(info, indent=1), encoding="utf-8")
