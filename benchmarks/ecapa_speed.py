"""Our ECAPA-TDNN against SpeechBrain's, same size, same process, same threads.

    python benchmarks/ecapa_speed.py [--channels 512 --batch 32 --frames 200 --repeats 5 --threads N] [--write PATH]

Times a training step (forward, a loss, backward, SGD step) and an inference batch
(eval mode, no autograd) of:

- ``speechbrain``: speechbrain.lobes.models.ECAPA_TDNN (reflect padding), without lengths
  and with relative lengths;
- ``ours``: course.models.ecapa.ECAPA_TDNN (WeSpeaker flavour, zero padding), without
  and with ``lengths`` (masked SE means, masked pooling, padded frames re-zeroed);
- ``ours (speechbrain flavour, reflect)``: the configuration that matches SpeechBrain exactly.

Runs are interleaved (one of each case per round in a shuffled order, after a warm-up round) and the median
of ``--repeats`` rounds is reported, as ratios against SpeechBrain measured in the same
run. On a shared, busy machine pass ``--threads 1 --clock cpu``: the process's CPU time
is then close to the compute it did, whatever else runs (wall-clock time is the default).
The FLOPs of one training step come from ``torch.utils.flop_counter``; achieved
GFLOP/s are shown as a fraction of the fp32 matmul rate measured here.

``--write PATH`` writes the results file (``benchmarks/ecapa_speed_results.md``) with its provenance
(``benchmarks/provenance.py``); without it the results are only printed.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time

import provenance
import torch
from torch.utils.flop_counter import FlopCounterMode

from course.models.ecapa import ECAPA_TDNN


def matmul_gflops(n: int = 1024, repeats: int = 10) -> float:
    """The fp32 matmul rate of this machine and thread count, GFLOP/s (median of ``repeats``)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    times = []
    for _ in range(repeats):
        start = CLOCK()
        a @ b
        times.append(CLOCK() - start)
    return 2 * n**3 / statistics.median(times) / 1e9


CLOCK = time.perf_counter  # or time.process_time with --clock cpu


class Case:
    """One model and how to call it: ``forward(x (B, F, T), lengths (B,) or None) → (B, E)``."""

    def __init__(self, name, model, call, use_lengths):
        self.name, self.model, self.call, self.use_lengths = name, model, call, use_lengths
        self.optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
        self.train_times, self.infer_times = [], []

    def step(self, x, lengths):
        self.model.train()
        start = CLOCK()
        loss = self.call(self.model, x, lengths if self.use_lengths else None).pow(2).mean()
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return CLOCK() - start

    def infer(self, x, lengths):
        self.model.eval()
        with torch.inference_mode():
            start = CLOCK()
            self.call(self.model, x, lengths if self.use_lengths else None)
            return CLOCK() - start

    def step_flops(self, x, lengths) -> int:
        self.model.train()
        with FlopCounterMode(display=False) as counter:
            self.call(self.model, x, lengths if self.use_lengths else None).pow(2).mean().backward()
        self.optimizer.zero_grad(set_to_none=True)
        return counter.get_total_flops()


def speechbrain_call(model, x, lengths):
    relative = None if lengths is None else lengths.float() / x.shape[-1]
    return model(x.transpose(1, 2), relative).squeeze(1)


def ours_call(model, x, lengths):
    return model(x, lengths)


def build_cases(channels: int) -> list[Case]:
    from speechbrain.lobes.models.ECAPA_TDNN import ECAPA_TDNN as SpeechBrainECAPA

    torch.manual_seed(0)
    cases = []
    for use_lengths in (False, True):
        suffix = " + lengths" if use_lengths else ""
        sb = SpeechBrainECAPA(80, channels=[channels] * 4 + [3 * channels], lin_neurons=192)
        cases.append(Case("speechbrain" + suffix, sb, speechbrain_call, use_lengths))
        cases.append(Case("ours" + suffix, ECAPA_TDNN(80, channels), ours_call, use_lengths))
    reflect = ECAPA_TDNN(80, channels, flavour="speechbrain", padding_mode="reflect")
    cases.append(Case("ours (speechbrain flavour, reflect)", reflect, ours_call, False))
    return cases


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=512)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall-clock time, or this process's CPU time (with --threads 1 on a busy machine)")
    parser.add_argument("--write", metavar="PATH", help="write the results file (markdown) here")
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.randn(args.batch, 80, args.frames)
    lengths = torch.randint(args.frames // 2, args.frames + 1, (args.batch,))
    lengths[0] = args.frames
    cases = build_cases(args.channels)

    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} threads; batch {args.batch} × {args.frames} frames, C = {args.channels}, "
          f"lengths uniform in [{args.frames // 2}, {args.frames}]; median of {args.repeats} interleaved rounds, "
          f"{args.clock} clock")
    order = random.Random(0)
    for round_ in range(args.repeats + 1):  # round 0 warms up
        shuffled = order.sample(cases, len(cases))  # no case always runs first (or after the same one)
        for case in shuffled:
            seconds = case.step(x, lengths)
            if round_:
                case.train_times.append(seconds)
        for case in shuffled:
            seconds = case.infer(x, lengths)
            if round_:
                case.infer_times.append(seconds)
    rate = matmul_gflops()

    reference = {True: cases[2], False: cases[0]}  # SpeechBrain with / without lengths
    results = {"matmul_gflops": rate, "cases": {}}
    print(f"\nfp32 matmul rate: {rate:.1f} GFLOP/s\n")
    print(f"{'case':38s} {'step s':>8s} {'× SB':>6s} {'infer s':>8s} {'× SB':>6s} {'GFLOP/step':>11s} "
          f"{'GFLOP/s':>8s} {'of matmul':>9s}")
    for case in cases:
        train, infer = statistics.median(case.train_times), statistics.median(case.infer_times)
        ref = reference[case.use_lengths]
        ref_train, ref_infer = statistics.median(ref.train_times), statistics.median(ref.infer_times)
        flops = case.step_flops(x, lengths)
        achieved = flops / train / 1e9
        results["cases"][case.name] = dict(train_s=train, infer_s=infer, train_ratio=train / ref_train,
                                           infer_ratio=infer / ref_infer, step_gflop=flops / 1e9,
                                           gflops=achieved, matmul_fraction=achieved / rate)
        print(f"{case.name:38s} {train:8.3f} {train / ref_train:6.2f} {infer:8.3f} {infer / ref_infer:6.2f} "
              f"{flops / 1e9:11.1f} {achieved:8.1f} {achieved / rate:9.0%}")
    by_name = results["cases"]
    print(f"\nmasking cost (ours + lengths / ours): training step "
          f"{by_name['ours + lengths']['train_s'] / by_name['ours']['train_s']:.2f}×, inference "
          f"{by_name['ours + lengths']['infer_s'] / by_name['ours']['infer_s']:.2f}×")
    if args.write:
        provenance.write_results(args.write, f"ECAPA-TDNN speed: ours vs SpeechBrain (C={args.channels}, batch "
                                 f"{args.batch} × {args.frames} frames)", provenance.command_line(),
                                 sections(results, args, provenance.settings_note(parser, args)))
    return results


def sections(results: dict, args, note: str = "") -> dict:
    rows = [[name, f"{c['train_s']:.3f}", f"{c['train_ratio']:.2f}", f"{c['infer_s']:.3f}", f"{c['infer_ratio']:.2f}",
             f"{c['step_gflop']:.1f}", f"{c['gflops']:.1f}", f"{c['matmul_fraction']:.0%}"]
            for name, c in results["cases"].items()]
    by_name = results["cases"]
    masking = (f"Masking cost (ours + lengths / ours): training step "
               f"{by_name['ours + lengths']['train_s'] / by_name['ours']['train_s']:.2f}×, inference "
               f"{by_name['ours + lengths']['infer_s'] / by_name['ours']['infer_s']:.2f}×.")
    import speechbrain

    return {"Times": (
        f"SpeechBrain {speechbrain.__version__}, float32, {torch.get_num_threads()} torch threads, "
        f"{'process CPU' if args.clock == 'cpu' else 'wall-clock'} time. Medians of {args.repeats} interleaved "
        "rounds (shuffled order, after one warm-up round); × SB: against SpeechBrain in the same run (with lengths: "
        f"against SpeechBrain with relative lengths; lengths uniform in [{args.frames // 2}, {args.frames}]). "
        "GFLOP per training step (forward + backward) from `torch.utils.flop_counter`; fp32 matmul rate measured "
        f"here: {results['matmul_gflops']:.1f} GFLOP/s. {note}\n\n"
        + provenance.markdown_table(["case", "step s", "× SB", "infer s", "× SB", "GFLOP/step", "GFLOP/s",
                                     "of matmul"], rows) + "\n\n" + masking)}


if __name__ == "__main__":
    main()
