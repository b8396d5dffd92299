"""``python -m course.experiments transfer [--only VARIANTS] [--sets SETS] [--out FILE] [--table] [--smoke]`` (the
transfer benchmark: ``course.experiments.transfer``),
``python -m course.experiments shootout [--budget STEPS] [--seeds N] [--only NAMES] [--out FILE] [--workers N]
[--no-astp-attention-norm]``
and ``python -m course.experiments table [--markdown] [--reference SYSTEM]`` (the comparison of a results file
with a fixed reference; ``--markdown`` prints the README's section)."""

from __future__ import annotations

import argparse
import sys

from course.experiments.results import DEFAULT_RESULTS
from course.experiments.transfer_table import DEFAULT_OUT as TRANSFER_OUT
from course.experiments.transfer_table import SETS as TRANSFER_SETS


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
                            "(the equal protocol, which the committed results/shootout.jsonl used)")
    shoot.add_argument("--list", action="store_true", help="print the systems and exit")
    table = commands.add_parser("table", help="the comparison table of a results file (trains nothing)")
    table.add_argument("--out", default=str(DEFAULT_RESULTS), metavar="FILE", help="results file to read")
    table.add_argument("--markdown", action="store_true", help="a Markdown table (the README's)")
    table.add_argument("--alpha", type=float, default=0.05,
                       help="family-wise level of the Holm-adjusted paired t-tests (default 0.05)")
    table.add_argument("--reference", default=None,
                       help="the system every other is compared with (default: ECAPA+ASTP, the course default)")
    transfer = commands.add_parser("transfer", help="SynthVox test, held-out voices, council, council by phone",
                                   description="Score the no-training baseline, the pretrained VoxCeleb ECAPA and "
                                               "each trained variant on the four transfer sets; append one JSON "
                                               "line per (system, set) to --out and print the table.")
    transfer.add_argument("--only", default=None, metavar="VARIANTS",
                          help="comma-separated trained variants (default: all; 'none' for the references only)")
    transfer.add_argument("--sets", default=",".join(TRANSFER_SETS), help="comma-separated sets (default: all)")
    transfer.add_argument("--out", default=str(TRANSFER_OUT), metavar="FILE",
                          help="results file (default: results/transfer.jsonl)")
    transfer.add_argument("--table", action="store_true", help="print the table of --out (latest line of each "
                                                               "system and set) and exit")
    transfer.add_argument("--smoke", action="store_true", help="smoke-sized held-out corpus and stand-in council")
    transfer.add_argument("--list", action="store_true", help="print the variants and exit")
    return main


def transfer_main(args, argv) -> int:
    from course.experiments.transfer import run_transfer, variants
    from course.experiments.transfer_table import format_table, latest, read_transfer

    if args.list:
        print("\n".join(variants()))
        return 0
    if args.table:
        records = read_transfer(args.out)
        if not records:
            print(f"error: no transfer results in {args.out}", file=sys.stderr)
            return 2
        print(format_table(latest(records)))
        return 0
    only = None if args.only is None else [n.strip() for n in args.only.split(",") if n.strip() and n != "none"]
    try:
        records = run_transfer(only, [s.strip() for s in args.sets.split(",") if s.strip()], args.out,
                               command=" ".join(["python -m course.experiments", *argv]), smoke=args.smoke)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(format_table(records))
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if args.command == "transfer":
        return transfer_main(args, argv)
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
