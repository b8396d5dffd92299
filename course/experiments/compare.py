"""From runs to a table: mean and spread over seeds, and each system against a fixed reference.

The reference is fixed before any run: the course default, ECAPA + ASTP
(``course.experiments.statistics.REFERENCE``), not the system with the lowest mean (testing the
others against the winner of the same runs is a selection: every difference is then ≥ 0). Each
other system is compared with it by a **paired t-test over seeds** (runs with the same seed share
the data order and the crops, so the per-seed difference removes what the data order does), the
p-values of all comparisons are **Holm-adjusted**, and the verdict is "better" or "worse" when the
adjusted p is below ``alpha``, else "not distinguishable" (never "equal"). A run whose training loss
never fell is "did not train" and is not tested (``statistics.did_not_train``). The exact sign-flip
permutation p is reported beside the t-test's: with n seeds it cannot go below 2 / 2^n, so at
n = 5 a "better" or "worse" rests on the normality the t-test assumes.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np

from course.experiments.statistics import REFERENCE, detectable_difference, did_not_train, holm, paired_t_p, sign_flip_p

VERDICTS = ("reference", "better", "worse", "not distinguishable", "did not train", "untested")


def summarise(records) -> list[dict]:
    """One row a system, sorted by mean EER: seeds, mean/std/SE of EER (%), mean minDCF, parameters,
    pooled dimension, mean training time, the runs that did not train; runs that diverged are counted,
    not averaged."""
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
            "did_not_train": sum(did_not_train(r) for r in good),
            "eer_mean": float(eers.mean()) if n else math.nan, "eer_std": std,
            "eer_se": std / math.sqrt(n) if n > 1 else math.nan,
            "min_dcf_mean": float(np.mean([r["min_dcf"] for r in good])) if n else math.nan,
            "parameters": good[0]["parameters"] if good else None,
            "pooled_dim": good[0]["pooled_dim"] if good else None,
            "train_seconds": float(np.mean([r["train_seconds"] for r in good])) if n else math.nan,
            "train_cpu_seconds": float(np.mean([r["train_cpu_seconds"] for r in good])) if n else math.nan,
        })
    return sorted(rows, key=lambda row: (math.isnan(row["eer_mean"]), row["eer_mean"]))


def eers_by_seed(records) -> dict[str, dict[int, float]]:
    """{system: {seed: EER in %}} of the runs that did not diverge."""
    out = defaultdict(dict)
    for record in records:
        if record.get("eer") is not None:
            out[record["system"]][int(record["seed"])] = 100 * record["eer"]
    return dict(out)


def paired_differences(a: dict[int, float], b: dict[int, float]) -> np.ndarray:
    """a − b over the seeds both have, in seed order."""
    return np.array([a[s] - b[s] for s in sorted(set(a) & set(b))], dtype=float)


def paired_test(a: dict[int, float], b: dict[int, float]) -> tuple[float, float, int]:
    """(mean difference a − b, two-sided p of the paired t-test, seeds paired) over the seeds both have."""
    diff = paired_differences(a, b)
    if len(diff) < 2:
        return math.nan, math.nan, len(diff)
    return float(diff.mean()), paired_t_p(diff), len(diff)


def compare(records, alpha: float = 0.05, reference: str = REFERENCE, power: float = 0.8) -> list[dict]:
    """``summarise`` rows with, for each, the comparison with ``reference``: ``delta_eer`` (mean
    per-seed difference, EER points), ``delta_low``/``delta_high`` (its 95% t-interval, unadjusted),
    ``sd_diff``, ``p_value`` (paired t), ``p_holm`` (Holm-adjusted over every tested system),
    ``p_sign_flip`` (exact permutation p, unadjusted), ``detectable`` (the true difference found with
    ``power`` at the Holm first-step level alpha / m, from this comparison's s_d) and ``verdict``
    (one of ``VERDICTS``). A system "did not train" when most of its runs did not."""
    from scipy import stats

    rows = summarise(records)
    if not rows:
        return rows
    by_system = eers_by_seed(records)
    if reference not in by_system:
        raise ValueError(f"reference system {reference!r} has no runs in these records; "
                         f"present: {', '.join(sorted(by_system))}")
    tested = []
    for row in rows:
        row.update(delta_eer=math.nan, delta_low=math.nan, delta_high=math.nan, sd_diff=math.nan, pairs=0,
                   p_value=math.nan, p_holm=math.nan, p_sign_flip=math.nan, detectable=math.nan)
        if row["system"] == reference:
            row.update(delta_eer=0.0, verdict="reference")
            continue
        if row["seeds"] and 2 * row["did_not_train"] > row["seeds"]:
            row["verdict"] = "did not train"
            continue
        diff = paired_differences(by_system.get(row["system"], {}), by_system[reference])
        row["pairs"] = len(diff)
        if len(diff) < 2:
            row["verdict"] = "untested"  # fewer than 2 seeds shared with the reference: no spread to test
            continue
        sd = float(diff.std(ddof=1))
        half = stats.t.ppf(0.975, len(diff) - 1) * sd / math.sqrt(len(diff))
        row.update(delta_eer=float(diff.mean()), delta_low=float(diff.mean() - half),
                   delta_high=float(diff.mean() + half), sd_diff=sd, p_value=paired_t_p(diff),
                   p_sign_flip=sign_flip_p(diff))
        tested.append(row)
    adjusted = holm([row["p_value"] for row in tested])
    for row, p in zip(tested, adjusted, strict=True):
        significant = p < alpha
        row.update(p_holm=float(p), detectable=detectable_difference(row["sd_diff"], row["pairs"],
                                                                     alpha / len(tested), power),
                   verdict=("better" if row["delta_eer"] < 0 else "worse") if significant else "not distinguishable")
    return rows


def design_summary(rows, alpha: float = 0.05, power: float = 0.8) -> dict:
    """The design's resolution over the tested comparisons: m (the Holm family), n (seeds paired, the
    most common), the root-mean-square s_d of the paired differences, and the true difference the
    paired t-test finds with ``power`` at the Holm first-step level alpha / m with that s_d."""
    tested = [row for row in rows if not math.isnan(row.get("p_holm", math.nan))]
    if not tested:
        return {"m": 0, "n": 0, "sd": math.nan, "detectable": math.nan, "low": math.nan, "high": math.nan}
    n = Counter(row["pairs"] for row in tested).most_common(1)[0][0]
    sd = float(np.sqrt(np.mean([row["sd_diff"] ** 2 for row in tested])))
    each = [row["detectable"] for row in tested]
    return {"m": len(tested), "n": n, "sd": sd, "level": alpha / len(tested),
            "detectable": detectable_difference(sd, n, alpha / len(tested), power),
            "low": float(np.nanmin(each)), "high": float(np.nanmax(each)), "power": power}


def time_totals(records) -> dict:
    """Training time summed over the runs (minutes of each run's own wall clock and CPU time)."""
    good = [r for r in records if r.get("train_seconds") is not None]
    return {"runs": len(good), "wall_minutes": sum(r["train_seconds"] for r in good) / 60,
            "cpu_minutes": sum(r["train_cpu_seconds"] for r in good) / 60}


def _p(value: float) -> str:
    return "–" if math.isnan(value) else ("< 0.001" if value < 0.001 else f"{value:.3f}")


def _delta(row) -> str:
    if row["verdict"] == "reference":
        return "0 (reference)"
    if math.isnan(row["delta_eer"]):
        return "–"
    return f"{row['delta_eer']:+.2f} [{row['delta_low']:+.2f}, {row['delta_high']:+.2f}]"


def format_table(rows) -> str:
    """A fixed-width text table of ``summarise`` or ``compare`` rows."""
    head = f"{'system':22s} {'seeds':>5s} {'EER % (mean ± std)':>19s} {'minDCF':>7s} {'params':>9s} {'pooled':>6s} " \
           f"{'CPU s':>7s}"
    has_test = bool(rows) and "verdict" in rows[0]
    if has_test:
        head += f" {'Δ vs reference [95% CI]':>24s} {'p (t)':>7s} {'Holm p':>7s} {'p flip':>7s} {'80% Δ':>6s} verdict"
    lines = [head]
    for row in rows:
        line = (f"{row['system']:22s} {row['seeds']:5d} {row['eer_mean']:10.2f} ± {row['eer_std']:6.2f} "
                f"{row['min_dcf_mean']:7.3f} {row['parameters'] or 0:9,d} {row['pooled_dim'] or 0:6d} "
                f"{row['train_cpu_seconds']:7.0f}")
        if has_test:
            detectable = "–" if math.isnan(row["detectable"]) else f"{row['detectable']:.2f}"
            line += (f" {_delta(row):>24s} {_p(row['p_value']):>7s} {_p(row['p_holm']):>7s} "
                     f"{_p(row['p_sign_flip']):>7s} {detectable:>6s} {row['verdict']}")
        if row["diverged"]:
            line += f"  ({row['diverged']} diverged)"
        lines.append(line)
    return "\n".join(lines)


def protocol_sentence(records, steps) -> str:
    """What the runs' protocol does to the comparison, from the protocol and budget they record."""
    equal = bool(records) and all((r.get("protocol") or {}).get("astp_attention_norm") is False for r in records)
    text = ("Protocol: no pooling has a BatchNorm in its attention (`--no-astp-attention-norm`)" if equal else
            "The protocol favours the reference: ASTP alone gets `attention_norm` (`course/models/ecapa.py`)")
    if steps and max(steps) < 800:
        return text + (f", and {max(steps)} steps rank early-training speed (the course model trains 800; "
                       "notebook 11, §1).")
    return text + f"; {' or '.join(map(str, steps))} steps, the course model's budget, on clean cached fbank."


def format_markdown(rows, records=(), alpha: float = 0.05, reference: str = REFERENCE) -> str:
    """``compare`` rows as the README's Markdown: a paragraph on the runs and the test, the table, and
    what the design can detect (every number printed from ``rows`` and ``records``)."""
    design = design_summary(rows, alpha)
    times = time_totals(records)
    provenance = Counter((r.get("provenance") or {}).get("date", "?") for r in records)
    commits = Counter((r.get("provenance") or {}).get("commit", "?")[:7] for r in records)
    seeds = sorted({int(r["seed"]) for r in records})
    steps = sorted({int(r["steps"]) for r in records})
    seed_text = (f"seeds {seeds[0]}–{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2
                 else "seeds " + ", ".join(map(str, seeds)))
    short = reference.removeprefix("ECAPA+")
    verdicts = Counter(row["verdict"] for row in rows)
    lines = [
        f"{len(rows)} systems × {seed_text}, {' or '.join(map(str, steps))} steps a run "
        f"({', '.join(provenance)}; commit {', '.join(commits)}). Training time summed over the "
        f"{times['runs']} runs: {times['cpu_minutes']:.1f} CPU min, {times['wall_minutes']:.1f} min of "
        "per-run wall clock (runs went side by side, so the elapsed time was shorter; validation and "
        "start-up not counted).",
        "",
        f"Every system is compared with **{reference}**, the course default, fixed before the runs (not "
        "the lowest mean): Δ is the mean per-seed EER difference in points with its 95% t-interval; p is "
        f"the paired t-test over seeds, Holm p adjusts it over the {design['m']} tested comparisons, and "
        f"the verdict is \"better\"/\"worse\" at Holm p < {alpha}, else \"not distinguishable\" (not "
        "\"equal\"). p flip is the exact sign-flip permutation test (unadjusted): its smallest possible "
        f"value with {design['n']} seeds is {2 / 2 ** design['n'] if design['n'] else math.nan:.4f}, so no "
        "verdict here survives without the t-test's normality. \"did not train\": final training loss "
        "above 0.9 × the loss of an embedding that carries no speaker information (not tested). 80% Δ: the "
        f"true difference this comparison's paired t-test finds with 80% power at α = {alpha}/{design['m']}.",
        "",
        f"| system | seeds | EER % mean ± std | minDCF | parameters | pooled dim | CPU s a run | Δ EER vs {short} "
        "[95% CI] | p (t) | Holm p | p flip | 80% Δ | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        detectable = "–" if math.isnan(row["detectable"]) else f"{row['detectable']:.2f}"
        lines.append(f"| {row['system']} | {row['seeds']} | {row['eer_mean']:.2f} ± {row['eer_std']:.2f} | "
                     f"{row['min_dcf_mean']:.3f} | {row['parameters'] or 0:,} | {row['pooled_dim'] or 0} | "
                     f"{row['train_cpu_seconds']:.0f} | {_delta(row)} | {_p(row['p_value'])} | "
                     f"{_p(row['p_holm'])} | {_p(row['p_sign_flip'])} | {detectable} | {row['verdict']} |")
    lines += [
        "",
        f"Verdicts: {', '.join(f'{verdicts[v]} {v}' for v in VERDICTS[1:] if verdicts[v])}. "
        f"**Smallest difference the design detects** (80% power, paired t-test, {design['n']} seeds, "
        f"α = {alpha}/{design['m']}, s_d = {design['sd']:.2f} points, the root mean square over the "
        f"comparisons): **{design['detectable']:.1f} EER points** ({design['low']:.1f}–{design['high']:.1f} "
        "comparison by comparison). Only training seeds varied: the test speakers and the trial list are "
        "fixed, so a verdict is about this trial list" + (
            " (notebook 11 resamples the test speakers too, from the trial scores every run stored)."
            if records and all(r.get("trials") for r in records) else ".") + " " + protocol_sentence(records, steps),
    ]
    old = sum(1 for r in records if "eer_interval" not in r)
    if old:
        lines.append(f"{old} of {len(records)} runs were scored before the course's scoring protocol: the mean "
                     "subtracted before cosine came from the test files themselves, not from training data; "
                     "rerun them (`python -m course.experiments shootout`) for numbers under the protocol.")
    return "\n".join(lines)
