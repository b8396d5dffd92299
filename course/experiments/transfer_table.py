"""The transfer benchmark's results: read ``results/transfer.jsonl``, keep the latest record of each
(system, set), and print the table (EER with intervals, trial counts, the paired differences to the
baseline and to the course model of the same run, the CPU cost of each system). Trains and scores
nothing (``course.experiments.transfer`` does)."""

from __future__ import annotations

from pathlib import Path

from course.paths import REPO_ROOT

DEFAULT_OUT = REPO_ROOT / "results" / "transfer.jsonl"
SETS = ("synthvox", "held_out", "council", "council_phone")
SET_TITLES = {"synthvox": "SynthVox test", "held_out": "held-out voices", "council": "council",
              "council_phone": "council, telephone"}


def read_transfer(path: str | Path = DEFAULT_OUT) -> list[dict]:
    """The transfer records of ``path`` ([] when it does not exist); a malformed line is a clear error."""
    import json

    path = Path(path)
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            record = json.loads(line) if line.strip() else None
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{number}: not a JSON line ({error.msg})") from None
        if record is not None and record.get("benchmark") == "transfer":
            records.append(record)
    return records


def latest(records: list[dict]) -> list[dict]:
    """The last record of each (system, set), in the order systems first appear."""
    by = {}
    for r in records:
        by.pop((r["system"], r["set"]), None)
        by[(r["system"], r["set"])] = r
    order = list(dict.fromkeys(r["system"] for r in records))
    return sorted(by.values(), key=lambda r: order.index(r["system"]))


def format_table(records: list[dict]) -> str:
    """One row per system: the EER [95% interval] of each set, then the trial counts of each set and
    the CPU cost of each system."""
    from course.metrics import format_eer

    sets = [s for s in SETS if any(r["set"] == s for r in records)]
    systems = list(dict.fromkeys(r["system"] for r in records))
    by = {(r["system"], r["set"]): r for r in records}
    width = max(len(s) for s in systems) + 2
    head = "system".ljust(width) + "".join(SET_TITLES[s].ljust(22) for s in sets)
    lines = [head, "-" * len(head)]
    for system in systems:
        cells = []
        for s in sets:
            r = by.get((system, s))
            text = f"{100 * r['eer']:5.2f} [{100 * r['low']:.1f}–{100 * r['high']:.1f}]" if r else "-"
            cells.append(text.ljust(22))
        lines.append(system.ljust(width) + "".join(cells))
    lines.append("")
    lines.append("EER % [95% interval over speakers]; trials per set:")
    first = systems[0]
    for s in sets:
        r = by.get((first, s))
        if r:
            lines.append(f"  {SET_TITLES[s]}: {format_eer(r)}")
    for key, whose in (("vs_no-training_baseline", "the baseline's"), ("vs_course", "the course model's")):
        if any(key in r for r in records):
            lines.append(f"EER minus {whose}, points [paired 95% interval over speakers] (< 0: better):")
            for system in systems:
                diffs = [by.get((system, s), {}).get(key) for s in sets]
                if any(diffs):
                    cells = "".join(_difference_cell(d) for d in diffs)
                    lines.append(system.ljust(width) + cells + _verdict(sets, diffs))
    lines += _course_model_by_run(records, sets, width)
    lines.append("CPU cost by system (seconds):")
    for system in systems:
        cost = next(r["cost"] for r in records if r["system"] == system)
        lines.append(f"  {system}: " + (", ".join(f"{k} {v}" for k, v in cost.items() if v is not None) or "-"))
    return "\n".join(lines)


def _difference_cell(d: dict | None) -> str:
    return (f"{100 * d['diff']:+6.2f} [{100 * d['low']:+.1f}, {100 * d['high']:+.1f}]" if d else "-").ljust(22)


def _verdict(sets: list, diffs: list) -> str:
    """What the paired intervals support: better (or worse) on every set, else on the sets named."""
    if all(d and d["high"] < 0 for d in diffs):
        return "  better on every set"
    better = [SET_TITLES[s] for s, d in zip(sets, diffs) if d and d["high"] < 0]
    worse = [SET_TITLES[s] for s, d in zip(sets, diffs) if d and d["low"] > 0]
    return "".join(f"  {word} on: {'; '.join(names)}" for word, names in (("better", better), ("worse", worse))
                   if names)


def _course_model_by_run(records: list[dict], sets: list, width: int) -> list[str]:
    """When the rows compared with the course model come from several runs, the course model's EER in
    each (a variant's EER minus its paired difference): each run retrained it, and the table's course
    row is only the latest run's."""
    runs: dict = {}
    for r in records:
        if "vs_course" in r:
            run = f"{r.get('commit', '?')[:7]} {r.get('date', '')}"
            runs.setdefault(run, {})[r["set"]] = r["eer"] - r["vs_course"]["diff"]
    if len(runs) < 2:
        return []
    lines = ["Each paired difference is within its own run, against the course model that run retrained:"]
    for run, eers in runs.items():
        label = f"course, run {run}"
        cells = "".join((f"{100 * eers[s]:5.2f}" if s in eers else "-").ljust(22) for s in sets)
        lines.append(label.ljust(max(width, len(label) + 2)) + cells)
    return lines
