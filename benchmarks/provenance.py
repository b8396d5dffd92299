"""Write a benchmark's results file with its provenance: the command, the commit, the machine, the date.

    from provenance import command_line, markdown_table, write_results
    write_results("benchmarks/x_results.md", "X", command_line(), {"Results": markdown_table(...)})

Every ``benchmarks/*_results.md`` is written by its script (``--write PATH``), never by hand:
the file opens with a header that says how to regenerate it (``HEADER_FIELDS``, checked by
``tests/test_benchmark_provenance.py``), then the sections the script built from its
measurements. The start of the run (commit, load average, date) is taken when this module is
imported, which the benchmarks do before measuring; ``start()`` takes a later one.
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
HEADER_FIELDS = ("Command", "Commit", "Machine", "Date")
MARKER = "<!-- written by benchmarks/provenance.py from the run below: regenerate it, do not edit by hand -->"


def git_commit(root: Path = REPO_ROOT) -> str:
    """``git rev-parse --short HEAD``, plus " + uncommitted changes" when tracked files differ from it."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = any(not line.startswith("??") for line in git("status", "--porcelain").splitlines())
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + (" + uncommitted changes" if dirty else "")


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "n/a"


def start() -> dict:
    """The state at the start of a run: commit, load average, date, clocks."""
    return {"commit": git_commit(), "load": load_average(), "date": datetime.now(timezone.utc),
            "wall": time.perf_counter(), "cpu": time.process_time()}


STARTED = start()


def command_line(argv: Sequence[str] | None = None) -> str:
    """The command that ran this process, as typed from the repository root: ``python benchmarks/x.py ...``,
    with ``COURSE_SMOKE`` in front when it is set (it changes every number)."""
    argv = list(sys.argv if argv is None else argv)
    script = Path(argv[0]).resolve() if argv else None
    if script is not None and script.is_relative_to(REPO_ROOT):
        argv[0] = str(script.relative_to(REPO_ROOT))
    prefix = f"COURSE_SMOKE={shlex.quote(os.environ['COURSE_SMOKE'])} " if os.environ.get("COURSE_SMOKE") else ""
    return prefix + shlex.join(["python", *argv])


def settings_note(parser, args, ignore=("write",)) -> str:
    """A sentence naming the options of ``args`` that differ from ``parser``'s documented defaults ("" if none)."""
    changed = [f"`--{name.replace('_', '-')} {value}` (default {parser.get_default(name)})"
               for name, value in vars(args).items() if name not in ignore and value != parser.get_default(name)]
    return ("Run with settings other than the documented defaults: " + ", ".join(changed) + ".") if changed else ""


def machine(device: str = "cpu", threads: int | None = None) -> str:
    import torch

    threads = torch.get_num_threads() if threads is None else threads
    return (f"{platform.platform()}; {cpu_model()}, {os.cpu_count()} cores; torch {torch.__version__}, "
            f"device {device}, torch threads {threads}")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence], align: str | None = None) -> str:
    """A markdown table; ``align``: one character per column, "l" or "r" (default: first left, rest right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = [headers, rule, *rows]
    return "\n".join("| " + " | ".join(str(cell) for cell in line) + " |" for line in lines)


def render(title: str, command: str, sections: Mapping[str, str] | Sequence[str], device: str = "cpu",
           started: dict | None = None, threads: int | None = None) -> str:
    """The results file's text: title, provenance header, then ``sections`` ({heading: markdown} or texts)."""
    started = STARTED if started is None else started
    end = datetime.now(timezone.utc)
    wall = time.perf_counter() - started["wall"]
    cpu = time.process_time() - started["cpu"]
    header = [
        f"# {title}",
        "",
        MARKER,
        "",
        f"- Command: `{command}`",
        f"- Commit: `{started['commit']}`",
        f"- Machine: {machine(device, threads)}; load average (1, 5, 15 min) {started['load']} at the start, "
        f"{load_average()} at the end",
        f"- Date: {started['date']:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC "
        f"({wall:.0f} s wall clock, {cpu:.0f} s CPU in the main process)",
    ]
    items = sections.items() if isinstance(sections, Mapping) else ((None, body) for body in sections)
    body = []
    for heading, text in items:
        body += ["", f"## {heading}", ""] if heading else [""]
        body.append(text.strip("\n"))
    return "\n".join(header + body) + "\n"


def write_results(path: str | Path, title: str, command: str, sections: Mapping[str, str] | Sequence[str],
                  device: str = "cpu", started: dict | None = None, threads: int | None = None) -> Path:
    """Write ``render(...)`` to ``path`` atomically (a temporary sibling, then renamed onto it)."""
    path = Path(path)
    text = render(title, command, sections, device, started, threads)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.time_ns()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    print(f"wrote {path}")
    return path


HEADER = re.compile(
    r"\A# .+\n\n" + re.escape(MARKER) + r"\n\n"
    r"- Command: `(COURSE_SMOKE=\S+ )?python benchmarks/[\w./-]+\.py[^`]*`\n"
    r"- Commit: `([0-9a-f]{7,40}( \+ uncommitted changes)?|unknown \(not a git checkout\))`\n"
    r"- Machine: .+; load average .+ at the start, .+ at the end\n"
    r"- Date: \d{4}-\d\d-\d\d \d\d:\d\d – \d{4}-\d\d-\d\d \d\d:\d\d UTC .+\n")


def has_header(text: str) -> bool:
    """True when ``text`` opens with the header ``render`` writes (command, commit, machine, date)."""
    return HEADER.match(text) is not None
