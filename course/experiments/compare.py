"""From runs to a table: mean and spread over seeds, and which differences are ties.

The test that decides: a paired t-test over seeds against the system with the lowest mean
EER. Runs with the same seed share the data order (and the crops), so the per-seed
difference removes the part of the spread that the data order causes. A system is "tied"
with the best unless that test rejects equality at ``alpha`` (two-sided). With 3 seeds the
test has 2 degrees of freedom: only large, consistent differences reach significance, so a
tie means "not distinguishable at this budget", never "equal".
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np


def summarise(records) -> list[dict]:
    """One row a system, sorted by mean EER: seeds, mean/std/SE of EER (%), mean minDCF, parameters,
    pooled dimension, mean training time; runs that diverged are counted, not averaged."""
    groups = defaultdict(list)
    for record in records:
        groups[record["system"]].append(record)
    rows = []
    for system, runs in groups.items():
        good = [r for r in runs if r.get("eer") is not None]
        eers = np.array([100 * r["eer"] for r in good], dtype=float)
        n = len(eers)
        std = float(eers.std(ddof=1)) if n > 1 else math.nan
        rows.append({
            "system": system, "seeds": n, "diverged": len(runs) - n,
            "eer_mean": float(eers.mean()) if n else math.nan, "eer_std": std,
            "eer_se": std / math.sqrt(n) if n > 1 else math.nan,
            "min_dcf_mean": float(np.mean([r["min_dcf"] for r in good])) if n else math.nan,
            "parameters": good[0]["parameters"] if good else None,
            "pooled_dim": good[0]["pooled_dim"] if good else None,
            "train_seconds": float(np.mean([r["train_seconds"] for r in good])) if n else math.nan,
            "train_cpu_seconds": float(np.mean([r["train_cpu_seconds"] for r in good])) if n else math.nan,
        })
    return sorted(rows, key=lambda row: (math.isnan(row["eer_mean"]), row["eer_mean"]))


def paired_test(a: dict[int, float], b: dict[int, float]) -> tuple[float, float, int]:
    """(mean difference a − b, two-sided p of the paired t-test, seeds paired) over the seeds both have."""
    from scipy import stats

    seeds = sorted(set(a) & set(b))
    if len(seeds) < 2:
        return math.nan, math.nan, len(seeds)
    diff = np.array([a[s] - b[s] for s in seeds])
    if np.allclose(diff, diff[0]):  # no spread: the t statistic is undefined
        return float(diff.mean()), (1.0 if diff[0] == 0 else 0.0), len(seeds)
    return float(diff.mean()), float(stats.ttest_rel([a[s] for s in seeds], [b[s] for s in seeds]).pvalue), len(seeds)


def compare(records, alpha: float = 0.05) -> list[dict]:
    """``summarise`` rows with, for each, the paired test against the best system: ``delta_eer``
    (percentage points), ``p_value`` and ``verdict`` ("best", "tie", "worse", or "untested" with
    fewer than two seeds in common)."""
    rows = summarise(records)
    by_system = defaultdict(dict)
    for record in records:
        if record.get("eer") is not None:
            by_system[record["system"]][int(record["seed"])] = 100 * record["eer"]
    if not rows:
        return rows
    best = rows[0]["system"]
    for row in rows:
        if row["system"] == best:
            row.update(delta_eer=0.0, p_value=math.nan, verdict="best")
            continue
        delta, p, _ = paired_test(by_system[row["system"]], by_system[best])
        if math.isnan(p):
            verdict = "untested"  # fewer than 2 seeds shared with the best: no spread to test against
        else:
            verdict = "worse" if p < alpha and delta > 0 else "tie"
        row.update(delta_eer=delta, p_value=p, verdict=verdict)
    return rows


def format_table(rows) -> str:
    """A fixed-width text table of ``summarise`` or ``compare`` rows."""
    head = f"{'system':22s} {'seeds':>5s} {'EER % (mean ± std)':>19s} {'minDCF':>7s} {'params':>9s} {'pooled':>6s} " \
           f"{'CPU s':>7s}"
    has_test = bool(rows) and "verdict" in rows[0]
    if has_test:
        head += f" {'Δ vs best':>9s} {'p':>6s} verdict"
    lines = [head]
    for row in rows:
        line = (f"{row['system']:22s} {row['seeds']:5d} {row['eer_mean']:10.2f} ± {row['eer_std']:6.2f} "
                f"{row['min_dcf_mean']:7.3f} {row['parameters'] or 0:9,d} {row['pooled_dim'] or 0:6d} "
                f"{row['train_cpu_seconds']:7.0f}")
        if has_test:
            line += f" {row['delta_eer']:+9.2f} {row['p_value']:6.3f} {row['verdict']}"
        if row["diverged"]:
            line += f"  ({row['diverged']} diverged)"
        lines.append(line)
    return "\n".join(lines)


def format_markdown(rows) -> str:
    """``compare`` rows as a Markdown table (the README's)."""
    lines = ["| system | seeds | EER % mean ± std | minDCF | parameters | pooled dim | CPU s a run | vs best (p) |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        verdict = "best" if row["verdict"] == "best" else f"{row['verdict']} ({row['p_value']:.3f})"
        lines.append(f"| {row['system']} | {row['seeds']} | {row['eer_mean']:.2f} ± {row['eer_std']:.2f} | "
                     f"{row['min_dcf_mean']:.3f} | {row['parameters'] or 0:,} | {row['pooled_dim'] or 0} | "
                     f"{row['train_cpu_seconds']:.0f} | {verdict} |")
    return "\n".join(lines)
