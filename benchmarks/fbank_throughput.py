"""Fbank throughput: Kaldi-compatible, one utterance at a time, against the batched MelSpectrogram path.

    python benchmarks/fbank_throughput.py [--utterances 64 --seconds 4 --batch 32 --repeats 5 --device cpu]

Both paths get the same random 16 kHz waveforms; the median of ``--repeats`` runs is
reported as seconds of audio per second and as a ratio against the Kaldi path
measured in the same run. On a GPU the batched path runs on the device (input
transfer included).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch

from course.audio import SAMPLE_RATE
from course.features import BatchFbank, fbank


def timed(fn, repeats: int, sync) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--utterances", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    g = torch.Generator().manual_seed(0)
    waves = 0.1 * torch.randn(args.utterances, int(args.seconds * SAMPLE_RATE), generator=g)
    audio = args.utterances * args.seconds
    batched = BatchFbank().to(device)

    def kaldi():
        for w in waves:
            fbank(w)

    def batch():
        with torch.no_grad():
            for start in range(0, len(waves), args.batch):
                batched(waves[start:start + args.batch].to(device))

    t_kaldi = timed(kaldi, args.repeats, sync)
    t_batch = timed(batch, args.repeats, sync)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {torch.get_num_threads()} threads, "
          f"batched on {device}; {args.utterances} × {args.seconds:g} s")
    print(f"{'path':<34}{'audio s / s':>12}{'× Kaldi':>9}")
    print(f"{'Kaldi fbank, one utterance':<34}{audio / t_kaldi:>12.0f}{1.0:>9.2f}")
    print(f"{'MelSpectrogram, batch ' + str(args.batch):<34}{audio / t_batch:>12.0f}{t_kaldi / t_batch:>9.2f}")


if __name__ == "__main__":
    main()
