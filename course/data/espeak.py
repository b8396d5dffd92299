"""espeak-ng through ctypes, from the PyPI wheel ``espeakng-loader`` (no system install).

One engine per process (espeak-ng keeps global state). Speakers are voice
*variant* files (pitch, formants, voice quality) written into a private copy of
the bundled data folder, whose other entries are symlinks (copies where symlinks
are not allowed). Measured with espeak-ng 1.52: the default wave generator
carries state from one utterance to the next (flutter phase, and more that
``flutter 0`` does not remove: en-us voices still changed with what was spoken
before), and so does Klatt flavour 6. Klatt flavours 1-5 with ``flutter 0``,
with the random seed set before each utterance (``espeak_ng_SetRandSeed``),
give the same samples whatever ran before: SynthVox voices use only those
(tests/test_synthvox.py checks it, across processes too).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE, _PITCH, _RANGE = 1, 3, 4
# espeak-ng copies the data path into a 160-byte buffer.
_MAX_PATH = 120


class Espeak:
    """Synthesise text with a named voice; returns int16 samples at ``sample_rate`` (22,050 Hz)."""

    _instance: Espeak | None = None
    _lock = threading.Lock()

    @classmethod
    def get(cls) -> Espeak:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def __init__(self):
        try:
            import espeakng_loader
        except ImportError:  # pragma: no cover - a declared dependency
            raise ImportError("SynthVox needs the PyPI package espeakng-loader: pip install espeakng-loader") from None
        self.data_dir = _private_data_dir(Path(espeakng_loader.get_data_path()))
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        self.sample_rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, str(self.data_dir).encode(), 0)
        if self.sample_rate <= 0:
            raise RuntimeError(f"espeak-ng failed to initialise with data folder {self.data_dir}")
        self._chunks: list[np.ndarray] = []
        callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
        self._callback = callback_type(self._collect)  # keep a reference: espeak holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)
        self._synth_lock = threading.Lock()

    def _collect(self, wav, num_samples, events):
        if num_samples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(num_samples,)).copy())
        return 0

    def synth(self, text: str, accent: str = "en", variant: str | None = None, rate: int = 175, pitch: int = 50,
              pitch_range: int = 50, seed: int = 0) -> np.ndarray:
        """Samples (int16) of ``text`` in ``accent`` (e.g. ``"en-us"``) with an optional variant file's text.

        The variant file lives only while it is loaded: espeak-ng lists at most 349
        voice files, so a folder that collected every speaker would overflow.
        """
        with self._synth_lock:
            voice, path = accent, None
            if variant is not None:
                name = f"sv{os.getpid()}"
                path = self.data_dir / "voices" / "!v" / name
                body = "\n".join(line for line in variant.splitlines() if not line.startswith("name "))
                path.write_text(f"name {name}\n{body}\n", encoding="utf-8")
                voice = f"{accent}+{name}"
            try:
                if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                    raise ValueError(f"espeak-ng does not know the voice {accent!r}")
            finally:
                if path is not None:
                    path.unlink(missing_ok=True)
            for parameter, value in ((_RATE, rate), (_PITCH, pitch), (_RANGE, pitch_range)):
                self.lib.espeak_SetParameter(parameter, int(value), 0)
            self.lib.espeak_ng_SetRandSeed(int(seed) & 0x7FFFFFFF)
            self._chunks.clear()
            data = text.encode("utf-8")
            status = self.lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            if status != 0:
                raise RuntimeError(f"espeak-ng failed (status {status}) on {text!r}")
            out = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
            self._chunks.clear()
            return out


def _private_data_dir(source: Path) -> Path:
    from course.paths import cache_dir

    base = cache_dir("espeak-ng-data")
    if len(str(base)) > _MAX_PATH:
        base = Path(tempfile.gettempdir()) / f"course-espeak-{os.getuid() if hasattr(os, 'getuid') else 0}"
    target = base / "espeak-ng-data"
    (target / "voices" / "!v").mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        link = target / entry.name
        if entry.name == "voices" or link.exists() or link.is_symlink():
            continue
        try:
            os.symlink(entry, link, target_is_directory=entry.is_dir())
        except FileExistsError:  # another process made it meanwhile
            continue
        except OSError:  # no symlinks (Windows without developer mode): copy instead
            (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, link)
    return target
