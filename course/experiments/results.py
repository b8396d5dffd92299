"""The results file: one JSON line a finished run, appended as it finishes.

A line holds the run (system, seed, steps, parameters, pooled dimension, EER, minDCF,
training wall and CPU time, its full ``TrainConfig``; since issue 19 also the protocol, the number
of training speakers, the training loss at the start and the end, and every trial's score) and the
provenance of the command that produced it (command line, git commit, machine, date), so that a file grown over
several resumed invocations says where each line came from. Appending one short line is
a single write, so worker processes and torchrun ranks can share the file.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from course.paths import REPO_ROOT

DEFAULT_RESULTS = REPO_ROOT / "results" / "shootout.jsonl"
FIELDS = ("system", "seed", "steps", "parameters", "pooled_dim", "eer", "min_dcf", "train_seconds",
          "train_cpu_seconds")


def provenance(command: str) -> dict:
    """``command``, the commit (with a ``+dirty`` mark for uncommitted changes to tracked files), the
    machine and the date of this invocation."""
    import torch

    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                                  timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = git("rev-parse", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += "+dirty"
    if torch.cuda.is_available():
        device = torch.cuda.get_device_name(0)
    else:
        device = f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} logical cores visible)"
    return {"command": command, "commit": commit, "machine": f"{platform.node()} · {device}",
            "torch": torch.__version__, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def read_results(path: str | Path = DEFAULT_RESULTS) -> list[dict]:
    """Every run record of ``path`` ([] when it does not exist); a malformed line is a clear error."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{number}: not a JSON line ({error.msg})") from None
        missing = [name for name in FIELDS if name not in record]
        if missing:
            raise ValueError(f"{path}:{number}: a run record without {', '.join(missing)}")
        records.append(record)
    return records


def append_result(path: str | Path, record: dict) -> None:
    """Append ``record`` as one line, in one write (O_APPEND keeps concurrent lines whole)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)


def same_protocol(record: dict, protocol: dict | None) -> bool:
    """Whether ``record`` was trained under ``protocol`` (records without one: the default protocol)."""
    from course.experiments.systems import DEFAULT_PROTOCOL

    return {**DEFAULT_PROTOCOL, **(record.get("protocol") or {})} == {**DEFAULT_PROTOCOL, **(protocol or {})}


def done_keys(records, steps: int, protocol: dict | None = None) -> set[tuple[str, int]]:
    """(system, seed) of the runs already finished with this budget and protocol: those a resumed
    shoot-out skips."""
    return {(r["system"], int(r["seed"])) for r in records if int(r["steps"]) == steps and same_protocol(r, protocol)}
