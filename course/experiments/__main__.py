"""``python -m course.experiments shootout [--budget STEPS] [--seeds N] [--only NAMES] [--out FILE] [--workers N]
[--no-astp-attention-norm]``
and ``python -m course.experiments table [--markdown] [--reference SYSTEM]`` (the comparison of a results file
with a fixed reference; ``--markdown`` prints the README's section)."""

from __future__ import annotations

import argparse
import sys

from course.experiments.results import DEFAULT_RESULTS


def parser() -> argparse.ArgumentParser:
    from course.experiments.systems import SYSTEMS

    main = argparse.ArgumentParser(prog="python -m course.experiments", description="Experiments over many runs.")
    commands = main.add_subparsers(dest="command", required=True)
    shoot = commands.add_parser("shootout", help="every pooling on the course backbone, plus ERes2Net and ACA-Net",
                                description="Train every system with the same steps, data order and seeds; "
                                            "append one JSON line a run to --out (resumable).")
    shoot.add_argument("--budget", type=int, default=None, metavar="STEPS",
                       help="optimiser steps a run (default: small_config's steps)")
    shoot.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 for every system (default 3)")
    shoot.add_argument("--only", default=None, metavar="NAMES",
                       help="comma-separated systems or pooling names (default: all): " + ", ".join(SYSTEMS))
    shoot.add_argument("--out", default=str(DEFAULT_RESULTS), metavar="FILE",
                       help="results file, one JSON line a run (default: results/shootout.jsonl)")
    shoot.add_argument("--workers", type=int, default=1, help="training processes side by side (CPU; default 1)")
    shoot.add_argument("--corpus", default=None, help="corpus root (default: the SynthVox default corpus)")
    shoot.add_argument("--device", default=None, help="cpu, cuda... (default: the best available)")
    shoot.add_argument("--no-astp-attention-norm", action="store_true",
                       help="train ASTP without the BatchNorm in its attention that it alone gets by default "
                            "(an equal protocol; the committed results are from the default one)")
    shoot.add_argument("--list", action="store_true", help="print the systems and exit")
    table = commands.add_parser("table", help="the comparison table of a results file (trains nothing)")
    table.add_argument("--out", default=str(DEFAULT_RESULTS), metavar="FILE", help="results file to read")
    table.add_argument("--markdown", action="store_true", help="a Markdown table (the README's)")
    table.add_argument("--alpha", type=float, default=0.05,
                       help="family-wise level of the Holm-adjusted paired t-tests (default 0.05)")
    table.add_argument("--reference", default=None,
                       help="the system every other is compared with (default: ECAPA+ASTP, the course default)")
    return main


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    from course.experiments.compare import compare, format_markdown, format_table, summarise
    from course.experiments.results import read_results
    from course.experiments.shootout import run_shootout
    from course.experiments.systems import SYSTEMS

    if args.command == "table":
        try:
            records = read_results(args.out)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        if not records:
            print(f"error: no runs in {args.out}", file=sys.stderr)
            return 2
        from course.experiments.statistics import REFERENCE

        reference = args.reference or REFERENCE
        try:
            rows = compare(records, alpha=args.alpha, reference=reference)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(format_markdown(rows, records, args.alpha, reference) if args.markdown else format_table(rows))
        return 0
    if args.list:
        print("\n".join(SYSTEMS))
        return 0
    only = [name for name in args.only.split(",") if name.strip()] if args.only else None
    try:
        records = run_shootout(args.budget, args.seeds, only, args.out, args.workers, args.corpus, args.device,
                               command=" ".join(["python -m course.experiments", *argv]),
                               astp_attention_norm=False if args.no_astp_attention_norm else None)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(format_table(summarise(records)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
