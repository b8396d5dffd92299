"""Command line: ``python -m course build`` and ``python -m course notebooks sync|check``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="prepare the data and execute every notebook into build/")
    build.add_argument("--smoke", action="store_true", help="the tiny configuration CI uses (or COURSE_SMOKE=1)")
    build.add_argument("--only", nargs="+", metavar="NN", help="run only notebooks whose name starts with NN")
    build.add_argument("--out", type=Path, default=None, help="output folder (default: build/)")
    build.add_argument("--timeout", type=int, default=None, help="seconds allowed per notebook cell")
    build.add_argument("--student", action="store_true",
                       help="only write the notebooks without exercise solutions to <out>/student/ (nothing runs)")

    shots = commands.add_parser("screenshots", help="retake the README's screenshots with the browser test")
    shots.add_argument("--no-test", action="store_true", help="only shrink the screenshots already in build/screens")
    shots.add_argument("--default", action="store_true",
                       help="run the notebooks in default mode (trained models; slow) instead of smoke mode")

    nbs = commands.add_parser("notebooks", help="regenerate or check the paired .ipynb files")
    nbs.add_argument("action", choices=["sync", "check"])

    args = parser.parse_args(argv)
    if args.command == "build":
        from course import build as build_module
        from course.env import is_smoke

        if args.student:
            return build_module.build_student(args.only, args.out)
        return build_module.build(args.smoke or is_smoke(), args.only, args.out, args.timeout)

    if args.command == "screenshots":
        from course import screens

        return screens.main(skip_test=args.no_test, mode="default" if args.default else "smoke")

    from course import notebooks

    if args.action == "sync":
        for path in notebooks.sync():
            print(f"wrote {path.relative_to(notebooks.ROOT)}")
        if notebooks.sync_readme():
            print("wrote the notebook table in README.md")
        return 0
    stale = notebooks.drifted()
    for path in stale:
        print(f"{path.relative_to(notebooks.ROOT)}: its .ipynb has drifted; run python -m course notebooks sync")
    readme_stale = notebooks.readme_with_table(notebooks.README.read_text()) != notebooks.README.read_text()
    if readme_stale:
        print("README.md: the notebook table is out of date; run python -m course notebooks sync")
    return 1 if stale or readme_stale else 0


if __name__ == "__main__":
    sys.exit(main())
