"""``python -m course.data``: generate SynthVox, or prepare a local VoxCeleb copy.

    python -m course.data synthvox --out data/synthvox --speakers 104 --utts 18 --seed 0
    python -m course.data voxceleb prepare --root /data/VoxCeleb1 --out data/voxceleb-subset --speakers 200
    python -m course.data voxceleb convert --root /data/VoxCeleb2/dev/aac --out /data/VoxCeleb2/dev/flac
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    from course.data.synthvox import DEFAULT

    sv = commands.add_parser("synthvox", help="generate a SynthVox corpus")
    sv.add_argument("--out", type=Path, required=True, help="output folder (the corpus root)")
    sv.add_argument("--speakers", type=int, default=DEFAULT.speakers)
    sv.add_argument("--test-speakers", type=int, default=None,
                    help=f"speakers kept for the trials (default: {DEFAULT.test_speakers} of {DEFAULT.speakers}, "
                         "scaled with --speakers)")
    sv.add_argument("--dev-speakers", type=int, default=None,
                    help=f"development speakers, for thresholds (default: {DEFAULT.dev_speakers} of "
                         f"{DEFAULT.speakers}, scaled with --speakers)")
    sv.add_argument("--sessions", type=int, default=DEFAULT.sessions, help="sessions (channels) per speaker")
    sv.add_argument("--utts", type=int, default=DEFAULT.utterances, help="utterances per speaker")
    sv.add_argument("--trials", type=int, default=DEFAULT.trials, help="trials, half of them target")
    sv.add_argument("--seed", type=int, default=DEFAULT.seed)
    sv.add_argument("--workers", type=int, default=None, help="processes (default: the CPU count, at most 8)")
    sv.add_argument("--force", action="store_true", help="replace a corpus with another configuration")
    sv.add_argument("--quiet", action="store_true", help="no progress bar")

    vox = commands.add_parser("voxceleb", help="prepare a local VoxCeleb copy (see data/README.md)")
    actions = vox.add_subparsers(dest="action", required=True)
    prep = actions.add_parser("prepare", help="select a seeded subset and write manifests")
    prep.add_argument("--root", type=Path, required=True, help="VoxCeleb1 root (holds wav/) or VoxCeleb2 dev root")
    prep.add_argument("--out", type=Path, required=True, help="folder for the manifests (a corpus root)")
    prep.add_argument("--speakers", type=int, default=None, help="training speakers to keep (default: all)")
    prep.add_argument("--utts", type=int, default=None, help="utterances per training speaker (default: all)")
    prep.add_argument("--trials", type=Path, default=None,
                      help="official trial list (veri_test2.txt, list_test_all2.txt, list_test_hard2.txt), "
                           "or a Kaldi trials file (enrol test target|nontarget)")
    prep.add_argument("--train-root", type=Path, default=None,
                      help="a VoxCeleb2 dev root to train on instead of VoxCeleb1 dev (needed for Vox1-E/H)")
    prep.add_argument("--dev-speakers", type=int, default=None,
                      help="speakers held out for validation and thresholds (default: a tenth, at most 40)")
    prep.add_argument("--seed", type=int, default=0)
    conv = actions.add_parser("convert", help="convert VoxCeleb2 m4a files to flac (needs FFmpeg)")
    conv.add_argument("--root", type=Path, required=True)
    conv.add_argument("--out", type=Path, required=True)

    args = parser.parse_args(argv)
    try:
        if args.command == "synthvox":
            return _synthvox(args)
        return _voxceleb(args)
    except (ValueError, OSError, RuntimeError) as error:  # OSError: a full disk, a read-only --out
        print(f"error: {error}", file=sys.stderr)
        return 2


def _synthvox(args) -> int:
    from course.data.synthvox import DEFAULT, SynthVoxConfig, generate

    if args.out.exists() and not args.out.is_dir():
        raise ValueError(f"--out {args.out}: is a file; give a folder for the corpus")
    test = args.test_speakers
    if test is None:
        test = max(1, round(args.speakers * DEFAULT.test_speakers / DEFAULT.speakers))
    dev = args.dev_speakers
    if dev is None:
        dev = round(args.speakers * DEFAULT.dev_speakers / DEFAULT.speakers)
        dev = 0 if dev < 2 or args.speakers - test - dev < 1 else dev
    config = SynthVoxConfig(speakers=args.speakers, test_speakers=test, dev_speakers=dev, sessions=args.sessions,
                            utterances=args.utts, trials=args.trials, seed=args.seed)
    root = generate(args.out, config, progress=not args.quiet, force=args.force, workers=args.workers)
    print(f"SynthVox corpus ready in {root}")
    return 0


def _voxceleb(args) -> int:
    from course.data import voxceleb

    if args.action == "convert":
        count = voxceleb.convert_m4a(args.root, args.out)
        print(f"converted {count} files into {args.out}")
        return 0
    summary = voxceleb.prepare(args.root, args.out, speakers=args.speakers, utterances=args.utts,
                               trial_list=args.trials, train_root=args.train_root, seed=args.seed,
                               dev_speakers=args.dev_speakers)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
