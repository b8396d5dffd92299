"""Parameters, FLOPs, forward and training-step time of ECAPA-TDNN (C=512), ERes2Net base and ACA-Net.

    python benchmarks/models.py [--batch 8] [--frames 200] [--repeats 5] [--threads N] [--device cpu] [--write PATH]

All three models run on the same input (batch × 80 fbank bins × frames) in one process;
every number is also given as a ratio to ECAPA measured in the same run. FLOPs come
from torch's FlopCounterMode (matrix products and convolutions), times are medians of
``--repeats`` runs after a warm-up, wall clock and process CPU time (the steadier one on
a shared machine; on CUDA only the wall time, synchronised, means anything).

``--write PATH`` writes the results file (``benchmarks/models_results.md``) with its provenance
(``benchmarks/provenance.py``); without it the table is only printed.
"""

from __future__ import annotations

import argparse
import platform

import provenance
import torch

from course import models
from course.models.cost import count_parameters, forward_flops, median_seconds, training_step

MODELS = {
    "ECAPA-TDNN C=512": ("ecapa", {"channels": 512}),
    "ERes2Net base": ("eres2net", {"channels": 32}),
    "ACA-Net example": ("aca_net", {}),
}


def synchronised(fn, device):
    def run():
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
    return run


def measure(batch: int, frames: int, repeats: int, device: torch.device) -> list[dict]:
    torch.manual_seed(0)
    x = torch.randn(batch, 80, frames, device=device)
    rows = []
    for label, (name, kwargs) in MODELS.items():
        model = models.build(name, **kwargs).to(device)
        row = {"model": label, "params": count_parameters(model), "flops": forward_flops(model.eval(), x)}
        with torch.no_grad():
            row["forward"] = median_seconds(synchronised(lambda m=model: m(x), device), repeats)
        row["train_step"] = median_seconds(synchronised(training_step(model.train(), x), device), repeats)
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    base = rows[0]
    lines = ["| model | params | × | GFLOPs | × | forward wall s | × | forward CPU s | × "
             "| train step wall s | × | train step CPU s | × |", "| --- |" + " ---: |" * 12]
    for r in rows:
        cells = [r["model"], f"{r['params']:,}", f"{r['params'] / base['params']:.2f}",
                 f"{r['flops'] / 1e9:.2f}", f"{r['flops'] / base['flops']:.2f}"]
        for key in ("forward", "train_step"):
            for i in (0, 1):
                cells += [f"{r[key][i]:.3f}", f"{r[key][i] / base[key][i]:.2f}" if base[key][i] > 0 else "–"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--write", metavar="PATH", help="write the results file (markdown) here")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    rows = measure(args.batch, args.frames, args.repeats, device)
    print(f"input ({args.batch}, 80, {args.frames}); device {device}; torch {torch.__version__}; "
          f"{torch.get_num_threads()} threads; {platform.processor() or platform.machine()}")
    print(table(rows))
    if args.write:
        note = (f"Input {args.batch} × 80 fbank bins × {args.frames} frames, one process, median of {args.repeats} "
                "runs after a warm-up; every ratio (×) is against ECAPA-TDNN measured in the same run. FLOPs: "
                "torch's FlopCounterMode (matrix products and convolutions) of one forward pass. On a shared "
                "machine wall times are inflated and noisy; the CPU-time columns are the steadier ones"
                + (" (on CUDA only the synchronised wall times mean anything)." if device.type == "cuda" else ".")
                + " " + provenance.settings_note(parser, args))
        provenance.write_results(args.write, "Model cost: ECAPA-TDNN C=512, ERes2Net base, ACA-Net",
                                 provenance.command_line(), {"Parameters, FLOPs and time": note + "\n\n" + table(rows)},
                                 device=str(device))
    return rows


if __name__ == "__main__":
    main()
