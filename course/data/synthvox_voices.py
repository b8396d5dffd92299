"""SynthVox speakers: one espeak-ng voice variant per speaker, and the sentences they read.

Every random choice comes from a NumPy generator seeded by ``(seed, speaker)``
(voice) or ``(seed, speaker, session, utterance)`` (text and jitter), so a
speaker's voice never depends on how many speakers a corpus has.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

# espeak-ng 1.52 English accents ("en-gb" itself fails there; "en" is British English).
ACCENTS = ("en", "en-us", "en-029", "en-gb-scotland", "en-gb-x-rp", "en-us-nyc", "en-gb-x-gbclan",
           "en-gb-x-gbcwmd")
# Other espeak-ng languages reading the same English sentences: a synthesis setting the default
# corpus never uses. HELD_OUT_LANGUAGES are kept for the held-out transfer set (never trained on);
# WIDE_LANGUAGES may widen a training corpus's voice space (``SynthVoxConfig(accents=...)``).
HELD_OUT_LANGUAGES = ("de", "fr", "es", "it", "pl", "pt")
WIDE_LANGUAGES = ("nl", "sv", "cs", "hu", "fi", "ro", "da", "hr")
_VOICE, _UTTERANCE, _SESSION = 1, 2, 3


def rng(seed: int, *keys: int) -> np.random.Generator:
    """A generator that depends only on the seed and the keys (SeedSequence hashing)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), *map(int, keys)]))


@dataclass(frozen=True)
class Voice:
    """A speaker's voice: espeak-ng accent, variant parameters and speaking style."""

    gender: str
    accent: str
    pitch_base: int          # Hz
    pitch_range: int         # Hz above the base
    formant_freq: tuple      # percent of the default, formants 0-8
    formant_height: tuple
    formant_width: tuple
    klatt: int               # Klatt voice-source flavour 1-5 (see course.data.espeak for why Klatt)
    breath: tuple            # breathiness per formant 1-8
    roughness: int
    voicing: int             # percent loudness of voiced sounds
    consonants: int          # percent loudness of consonants
    rate: int                # words per minute
    intonation: int          # espeak "range" parameter 0-100

    def variant_text(self) -> str:
        """The espeak-ng variant file for this voice (flutter 0: see course.data.espeak)."""
        lines = ["language variant", f"gender {self.gender}", f"pitch {self.pitch_base} "
                 f"{self.pitch_base + self.pitch_range}", f"klatt {self.klatt}", "flutter 0",
                 f"roughness {self.roughness}", f"voicing {self.voicing}", f"consonants {self.consonants}",
                 "breath " + " ".join(map(str, self.breath))]
        for k, (f, h, w) in enumerate(zip(self.formant_freq, self.formant_height, self.formant_width)):
            lines.append(f"formant {k} {f} {h} {w}")
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict:
        return asdict(self)


def sample_voice(seed: int, speaker: int, spread: float = 1.0, accents: tuple = (), klatt: tuple = ()) -> Voice:
    """Draw speaker ``speaker``'s voice; ``spread`` scales how different speakers are.

    ``accents``: the espeak-ng voices drawn from (default ``ACCENTS``); ``klatt``: the Klatt
    voice-source flavours drawn from (default 1-5). With the defaults the draws are those of
    every corpus generated before these knobs existed."""
    r = rng(seed, _VOICE, speaker)
    female = bool(r.random() < 0.5)
    accents = tuple(accents) or ACCENTS
    accent = accents[int(r.integers(len(accents)))]
    base = r.normal(195, 22 * spread) if female else r.normal(108, 14 * spread)
    base = int(np.clip(base, 150, 260) if female else np.clip(base, 75, 145))
    scale = r.normal(1.08 if female else 0.98, 0.035 * spread)  # vocal-tract length
    freq = tuple(int(round(100 * scale * (1 + r.normal(0, 0.025 * spread)))) for _ in range(9))
    height = tuple(int(np.clip(round(100 * (1 + r.normal(0, 0.15 * spread))), 50, 160)) for _ in range(9))
    width = tuple(int(np.clip(round(100 * (1 + r.normal(0, 0.2 * spread))), 50, 200)) for _ in range(9))
    breath_level = int(r.integers(0, 4))
    breath = tuple(int(max(0, breath_level + r.integers(-1, 2))) if breath_level else 0 for _ in range(8))
    return Voice(
        gender="female" if female else "male", accent=accent, pitch_base=base,
        pitch_range=int(np.clip(r.normal(50 if female else 35, 12 * spread), 10, 110)),
        formant_freq=freq, formant_height=height, formant_width=width,
        klatt=int(r.integers(1, 6)) if not klatt else int(klatt[int(r.integers(len(klatt)))]),
        breath=breath, roughness=int(r.integers(0, 5)), voicing=int(np.clip(r.normal(100, 15 * spread), 60, 150)),
        consonants=int(np.clip(r.normal(100, 15 * spread), 60, 150)),
        rate=int(np.clip(r.normal(165, 15 * spread), 120, 215)), intonation=int(np.clip(r.normal(55, 15), 15, 95)))


_SUBJECTS = ("the old man", "my sister", "a young doctor", "the pilot", "our neighbour", "the teacher",
             "a tired farmer", "the children", "his brother", "the manager", "a quiet student", "the baker",
             "the captain", "her uncle", "the driver", "a clever fox", "the committee", "my best friend",
             "the musician", "a stranger", "the gardener", "the nurse", "our guide", "the engineer")
_VERBS = ("carried", "painted", "found", "opened", "followed", "borrowed", "repaired", "watched", "described",
          "ordered", "cleaned", "remembered", "delivered", "collected", "dropped", "counted", "explained",
          "noticed", "sold", "photographed", "measured", "hid", "wrapped", "visited")
_OBJECTS = ("a wooden box", "the yellow bicycle", "seven letters", "the broken window", "a basket of apples",
            "the heavy suitcase", "an old map", "the silver kettle", "twelve candles", "the garden gate",
            "a large painting", "the kitchen table", "a bag of flour", "the morning paper", "a green umbrella",
            "the last train ticket", "three small boats", "the blue notebook", "a jar of honey", "the new piano")
_PLACES = ("near the river", "in the village", "after lunch", "before the storm", "on Tuesday morning",
           "behind the station", "at the market", "under the bridge", "during the summer", "by the harbour",
           "across the valley", "next to the library", "in the dark", "at half past nine", "on the hill",
           "outside the museum", "in the rain", "at the end of the street", "last winter", "without a word")
_CLAUSES = ("because it was late", "while everyone was sleeping", "and nobody said anything",
            "but the door was locked", "although it was raining", "so we went home early",
            "when the bell rang", "and then laughed loudly", "as the sun went down", "before anyone noticed",
            "and asked for more tea", "though nobody believed it")
_QUESTIONS = ("Did you see where", "Do you know why", "Can you tell me how", "Who told you that")


def sentence(r: np.random.Generator) -> str:
    """A random English sentence of about 8-16 words (text-independent speech)."""
    def pick(words):
        return words[int(r.integers(len(words)))]

    kind = r.random()
    if kind < 0.15:
        text = f"{pick(_QUESTIONS)} {pick(_SUBJECTS)} {pick(_VERBS)} {pick(_OBJECTS)} {pick(_PLACES)}?"
    else:
        text = f"{pick(_SUBJECTS)} {pick(_VERBS)} {pick(_OBJECTS)} {pick(_PLACES)}"
        if kind > 0.55:
            text += f", {pick(_CLAUSES)}"
        text = text[0].upper() + text[1:] + "."
    return text
