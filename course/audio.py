"""Reading audio and cutting it to a fixed length.

Audio is read with ``soundfile`` (torchaudio 2.9's ``load`` needs torchcodec and
FFmpeg). Every reader returns float32 mono in [-1, 1]: stereo is averaged, and a
file at another rate is resampled to ``sample_rate`` (``course.signal.resample``; callers
that read many files count those and warn once, see ``course.data.corpus``). A file holding NaN or
infinite samples (possible in float WAV) is refused with an ``AudioError`` naming
it: one such file would otherwise give a NaN embedding that poisons every score.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from course.signal import resample

SAMPLE_RATE = 16000


class AudioError(ValueError):
    """An audio file that cannot be used; the message names the file."""


def check_file(path: str | Path) -> Path:
    """``path`` when it is a regular file; else an error that says what it is instead."""
    path = Path(path)
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    if path.is_symlink() and not path.exists():
        raise AudioError(f"{path}: a broken symbolic link (its target {path.readlink()} is missing)")
    if not path.exists():
        raise FileNotFoundError(f"audio file not found: {path}")
    if not path.is_file():
        raise AudioError(f"{path}: not a regular file (a pipe or a device?)")
    return path


def unreadable(path: Path, error: Exception) -> AudioError:
    """libsndfile's message for a file it cannot parse ("File does not exist or is not a regular file
    (possibly a pipe?)" for a text file named .mp3) replaced by what it means for a regular file."""
    reason = str(error)
    if "possibly a pipe" in reason or "Format not recognised" in reason:
        reason = f"format not recognised ({path.suffix or 'no suffix'}); is it really audio?"
    return AudioError(f"{path}: unreadable or corrupt audio ({reason})")


def info(path: str | Path) -> tuple[int, int, int]:
    """(sample_rate, frames, channels) of ``path`` without reading the samples."""
    import soundfile

    path = check_file(path)
    try:
        meta = soundfile.info(str(path))
    except Exception as error:  # noqa: BLE001 - libsndfile raises several types
        raise unreadable(path, error) from None
    return meta.samplerate, meta.frames, meta.channels


def non_finite_samples(path: str | Path) -> int:
    """How many NaN or infinite samples ``path`` holds; only float WAV can, so integer PCM is not read."""
    import soundfile

    if soundfile.info(str(path)).subtype not in ("FLOAT", "DOUBLE"):
        return 0
    data, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    return int((~np.isfinite(data)).sum())


def read(path: str | Path, sample_rate: int | None = SAMPLE_RATE, warn: bool = True) -> tuple[torch.Tensor, int]:
    """Read ``path`` as a float32 mono waveform ``(samples,)`` and its sample rate.

    With ``sample_rate`` set (16 kHz by default) other rates are resampled to it
    (with a warning unless ``warn=False``); ``sample_rate=None`` keeps the file's rate.
    """
    import soundfile

    path = check_file(path)
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except Exception as error:  # noqa: BLE001
        raise unreadable(path, error) from None
    if data.shape[0] == 0:
        raise AudioError(f"{path}: the file holds no samples")
    finite = np.isfinite(data)
    if not finite.all():
        first = int(np.argmin(finite.all(axis=1)))
        raise AudioError(f"{path}: {int((~finite).sum())} NaN or infinite sample(s), the first at {first} "
                         f"({first / rate:.3f} s); repair or drop the file")
    wave = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    wave = torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32))
    if sample_rate is not None and rate != sample_rate:
        if warn:
            warnings.warn(f"{path}: {rate} Hz resampled to {sample_rate} Hz", stacklevel=2)
        wave = resample(wave, rate, sample_rate)
        rate = sample_rate
    return wave, rate


def write(path: str | Path, wave, sample_rate: int = SAMPLE_RATE) -> None:
    """Write a mono waveform as 16-bit PCM WAV (float input in [-1, 1], or int16)."""
    import soundfile

    array = wave.detach().cpu().numpy() if isinstance(wave, torch.Tensor) else np.asarray(wave)
    if array.dtype != np.int16:
        array = np.clip(np.round(array * 32767.0), -32768, 32767).astype(np.int16)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), array, sample_rate, subtype="PCM_16", format="WAV")


def fix_length(x: torch.Tensor, length: int, start: int | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """Cut or extend ``x`` along its last axis to exactly ``length`` items.

    Longer input: a window starting at ``start`` (random from ``generator`` when
    None and a generator is given, else centred). Shorter input is repeated
    (tiled) until long enough, which keeps the statistics of real speech where
    zero padding would add silence.
    """
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    total = x.shape[-1]
    if total == 0:
        raise ValueError("cannot fix the length of an empty signal")
    if total < length:
        repeats = -(-length // total)
        x = x.repeat(*([1] * (x.dim() - 1)), repeats)
        return x[..., :length]
    slack = total - length
    if start is None:
        start = int(torch.randint(0, slack + 1, (1,), generator=generator)) if generator is not None else slack // 2
    if not 0 <= start <= slack:
        raise ValueError(f"start {start} outside [0, {slack}] for a signal of {total} and a crop of {length}")
    return x[..., start:start + length]
