"""SynthVox generation speed: utterances per second and times real time, stage by stage.

    python benchmarks/synthvox_speed.py [--utterances 120 --workers 2]

Synthesises ``--utterances`` utterances of the default configuration one at a time
(one process), timing each stage (espeak-ng, resampling 22.05 → 16 kHz, the session
channel, WAV encoding), then generates a corpus of the same size with ``--workers``
processes. Ratios are against espeak-ng alone, measured in the same run; CPU time is
reported beside wall time because the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from course.audio import write
from course.data import synthvox
from course.data.espeak import Espeak
from course.data.synthvox_channel import apply_channel, sample_channel
from course.data.synthvox_voices import _SESSION, _UTTERANCE, rng, sample_voice, sentence
from course.signal import resample


def stage_times(config, jobs) -> tuple[dict, float]:
    engine = Espeak.get()
    totals = dict.fromkeys(("espeak-ng", "resample", "channel", "wav encode"), 0.0)
    audio_seconds = 0.0
    for spk, sess, utt in jobs:
        voice = sample_voice(config.seed, spk, config.voice_spread)
        r = rng(config.seed, _UTTERANCE, spk, sess, utt)
        text = sentence(r)
        t0 = time.perf_counter()
        raw = engine.synth(text, voice.accent, voice.variant_text(), rate=voice.rate, seed=1)
        t1 = time.perf_counter()
        speech = resample(raw / 32768.0, engine.sample_rate, synthvox.SAMPLE_RATE, method="fft")
        t2 = time.perf_counter()
        out = apply_channel(speech, sample_channel(rng(config.seed, _SESSION, spk, sess), config.channel_severity), r)
        t3 = time.perf_counter()
        write(Path(tempfile.gettempdir()) / "_synthvox_bench.wav", out)
        t4 = time.perf_counter()
        for key, dt in zip(totals, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            totals[key] += dt
        audio_seconds += len(out) / synthvox.SAMPLE_RATE
    return totals, audio_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--utterances", type=int, default=120)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    config = synthvox.DEFAULT
    jobs = [(spk, sess, utt) for spk in range(config.speakers) for sess, utt in synthvox.utterances_of(config, spk)]
    jobs = jobs[:: max(1, len(jobs) // args.utterances)][: args.utterances]
    Espeak.get()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")

    cpu0, wall0 = time.process_time(), time.perf_counter()
    totals, audio = stage_times(config, jobs)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    base = totals["espeak-ng"]
    print(f"\none process, {len(jobs)} utterances, {audio:.0f} s of audio: {len(jobs) / wall:.1f} utt/s, "
          f"{audio / wall:.0f}x real time (wall {wall:.1f} s, CPU {cpu:.1f} s)")
    print(f"{'stage':<12}{'ms/utt':>9}{'× espeak':>10}")
    for key, value in totals.items():
        print(f"{key:<12}{1000 * value / len(jobs):>9.1f}{value / base:>10.2f}")

    small = replace(config, speakers=max(2, len(jobs) // config.utterances), test_speakers=1)
    with tempfile.TemporaryDirectory() as folder:
        wall0 = time.perf_counter()
        synthvox.generate(Path(folder) / "c", small, progress=False, workers=args.workers)
        wall = time.perf_counter() - wall0
        count = small.speakers * small.utterances
    print(f"\ngenerate() with {args.workers} workers, {count} utterances: {count / wall:.1f} utt/s "
          f"(wall {wall:.1f} s); the default corpus has {config.speakers * config.utterances} utterances → "
          f"≈ {config.speakers * config.utterances / (count / wall):.0f} s at this rate")


if __name__ == "__main__":
    main()
