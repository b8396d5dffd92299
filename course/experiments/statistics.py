"""The shoot-out's statistics: tests against a fixed reference, Holm, power, "did not train", bootstrap.

- ``REFERENCE``: the system every other is compared with, fixed before any run (the course default,
  ECAPA + ASTP), not the best of the runs: choosing the lowest mean and then testing the others
  against it is a selection, after which every difference is ≥ 0 and the test is one-sided in effect.
- ``paired_t_p`` and ``sign_flip_p``: the two-sided paired t-test over seeds, and the exact sign-flip
  permutation test of the same mean difference (no normality assumed; with n seeds its smallest
  possible p is 2 / 2^n, 0.0625 at n = 5: it cannot reject at 0.05 with five seeds, whatever the data).
- ``holm``: Holm's step-down adjustment of a family of p-values (controls the chance of any false
  verdict at α, under any dependence between the comparisons).
- ``detectable_difference``: the smallest true mean difference the paired t-test finds with the given
  power (80%) at the given level, from the noncentral t distribution; ``simulated_power`` checks it by
  brute force.
- ``did_not_train``: a run whose training loss never fell (the rule is in its docstring).
- ``bootstrap_mean_eer``: an interval for a system's mean EER (or its difference from the reference)
  that resamples the test speakers of the trial list as well as the training seeds.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from course.metrics import trial_weights, weighted_eer

REFERENCE = "ECAPA+ASTP"
DID_NOT_TRAIN_RATIO = 0.9  # final loss above 0.9 × the chance loss: the run did not train
FALLBACK_EER = 0.45  # records without a loss: an EER this close to 50% is taken as "did not train"
DEFAULT_TRAIN_SPEAKERS = 80  # the default SynthVox corpus: 104 speakers, 24 of them test speakers


def paired_t_p(diff) -> float:
    """Two-sided p of the paired t-test that the mean of ``diff`` (per-seed differences) is 0."""
    from scipy import stats

    diff = np.asarray(diff, dtype=float)
    if len(diff) < 2:
        return math.nan
    if np.allclose(diff, diff[0]):  # no spread: the t statistic is undefined
        return 1.0 if diff[0] == 0 else 0.0
    return float(stats.ttest_1samp(diff, 0.0).pvalue)


def sign_flip_p(diff, draws: int = 20000, seed: int = 0) -> float:
    """Two-sided p of the sign-flip permutation test of mean(``diff``) = 0: the share of the 2^n sign
    patterns whose |mean| is at least the observed one (exact up to n = 16, else ``draws`` random ones)."""
    diff = np.asarray(diff, dtype=float)
    n = len(diff)
    if n < 1:
        return math.nan
    observed = abs(diff.mean()) - 1e-12
    if n <= 16:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
    else:
        signs = np.random.default_rng(seed).choice((1.0, -1.0), size=(draws, n))
    return float(np.mean(np.abs(signs @ diff) / n >= observed))


def holm(p_values) -> np.ndarray:
    """Holm-adjusted p-values, in the input order (NaN entries are kept and not counted in the family).

    Sorted ascending, p_(i) is multiplied by m − i + 1 (i = 1..m), a running maximum keeps the adjusted
    values in the same order, and they are capped at 1. Rejecting where adjusted p < α is Holm's test.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    index = np.flatnonzero(~np.isnan(p))
    m = len(index)
    order = index[np.argsort(p[index], kind="stable")]
    running = 0.0
    for rank, k in enumerate(order):
        running = max(running, (m - rank) * p[k])
        out[k] = min(1.0, running)
    return out


def t_power(delta: float, sd: float, n: int, alpha: float) -> float:
    """Power of the two-sided paired t-test at level ``alpha`` with ``n`` pairs when the true mean
    difference is ``delta`` and the per-pair differences have standard deviation ``sd``: the noncentral
    t probability P(|T'| > t_crit), T' = (Z + λ) / sqrt(V / df), λ = delta·√n / sd, V ~ χ²(df), written
    from scipy's ``nct``, or as an integral over V where ``nct`` returns NaN (it does for some arguments)."""
    from scipy import integrate, stats

    df = n - 1
    critical = stats.t.ppf(1 - alpha / 2, df)
    ncp = delta * math.sqrt(n) / sd

    value = stats.nct.sf(critical, df, ncp) + stats.nct.cdf(-critical, df, ncp)
    if np.isfinite(value):
        return float(value)

    def given(v):
        scale = critical * math.sqrt(v / df)
        return (stats.norm.sf(scale - ncp) + stats.norm.cdf(-scale - ncp)) * stats.chi2.pdf(v, df)

    return float(integrate.quad(given, 0, np.inf, limit=200)[0])


def detectable_difference(sd: float, n: int, alpha: float, power: float = 0.8) -> float:
    """The true mean difference the paired t-test (``n`` pairs, level ``alpha``) finds with probability
    ``power``, for differences of standard deviation ``sd`` (same unit as ``sd``; NaN when undefined)."""
    from scipy.optimize import brentq

    if n < 2 or not sd > 0:
        return math.nan
    high = sd
    while t_power(high, sd, n, alpha) < power:
        high *= 2
    return float(brentq(lambda d: t_power(d, sd, n, alpha) - power, 0.0, high, xtol=1e-6 * sd))


def simulated_power(delta: float, sd: float, n: int, alpha: float, sims: int = 20000, seed: int = 0) -> float:
    """The share of ``sims`` simulated experiments (``n`` normal differences, mean ``delta``, std ``sd``)
    in which the two-sided paired t-test rejects at ``alpha``: ``t_power`` by brute force."""
    from scipy import stats

    diff = np.random.default_rng(seed).normal(delta, sd, size=(sims, n))
    t = diff.mean(1) / (diff.std(1, ddof=1) / math.sqrt(n))
    return float(np.mean(np.abs(t) > stats.t.ppf(1 - alpha / 2, n - 1)))


def simulate_identical_systems(systems=18, seeds=5, sims=2000, seed=0):
    """What a scheme says about ``systems`` identical systems (true ties) with ``seeds`` seeds, over
    ``sims`` simulated shoot-outs: (P(at least one "worse") and the share of systems called "worse")
    under the old scheme (the reference is the lowest mean, unadjusted paired t-tests at 0.05), and
    P(at least one "better" or "worse") under this module's (a fixed reference, Holm at 0.05)."""
    from scipy import stats

    rng = np.random.default_rng(seed)
    eers = rng.normal(0.0, 1.0, size=(sims, systems, seeds))  # seed effects cancel in the pairing

    def p_values(reference):
        diff = eers - eers[np.arange(sims), reference][:, None, :]
        t = diff.mean(-1) / (diff.std(-1, ddof=1) / math.sqrt(seeds) + 1e-300)
        return 2 * stats.t.sf(np.abs(t), seeds - 1), diff.mean(-1)

    best = eers.mean(-1).argmin(1)
    p_old, delta_old = p_values(best)
    others = np.ones((sims, systems), bool)
    others[np.arange(sims), best] = False
    worse_old = (p_old < 0.05) & (delta_old > 0) & others
    p_new, _ = p_values(np.zeros(sims, int))
    adjusted = np.array([holm(row[1:]) for row in p_new])
    return (float(worse_old.any(1).mean()), float(worse_old.sum(1).mean() / (systems - 1)),
            float((adjusted < 0.05).any(1).mean()))


def chance_loss(scale: float, margin: float, classes: int) -> float:
    """The AAM-softmax loss of embeddings that say nothing about the speaker (every cosine 0, as a
    random initialisation gives on average): the target logit is s·cos(π/2 + m) = −s·sin m, the
    others 0, so the loss is s·sin m + ln(classes − 1 + e^{−s·sin m}) (ln(classes) without margin)."""
    shift = scale * math.sin(margin)
    return shift + math.log(classes - 1 + math.exp(-shift))


def did_not_train(record: dict) -> bool:
    """Whether a run never learned. The rule: its final training loss (the mean over the last 10% of
    steps where the record has it, ``final_loss_mean``; in older records the last step's,
    ``final_loss``) is above 0.9 × ``chance_loss`` at the head's final margin and scale, for the
    record's number of training speakers (``classes``; older records on the default corpus: 80).

    Why not "final loss > 0.9 × initial loss": the margin is ramped in from 0, which raises the loss of
    a model that learns nothing by s·sin m ≈ 6.4 nats over the run, so a model that learned can end
    above its initial loss; the chance loss at the final margin is the level a model that learned
    nothing sits at. A record without any loss falls back to EER ≥ 45% (documented, not measured).
    A run that diverged (no EER) is not this case: it is counted as diverged.
    """
    if record.get("eer") is None:
        return False
    loss = record.get("final_loss_mean", record.get("final_loss"))
    config = record.get("config") or {}
    head = config.get("head_kwargs") or {}
    classes = record.get("classes") or (DEFAULT_TRAIN_SPEAKERS if config.get("corpus") is None else None)
    if loss is None or classes is None or config.get("head") != "arc_margin":
        return record["eer"] >= FALLBACK_EER
    margin = (config.get("margin_schedule") or {}).get("final", head.get("margin", 0.0))
    return loss > DID_NOT_TRAIN_RATIO * chance_loss(head.get("scale", 32.0), margin, classes)


# ---- the bootstrap over test speakers and seeds ---------------------------------------------------------

def speaker_weights(speaker_a, speaker_b, labels, draw: np.ndarray) -> np.ndarray:
    """How often each trial appears when the test speakers are resampled: ``draw`` counts how often each
    speaker (an index into 0..S−1) was drawn. A speaker drawn twice is two speakers with the same
    voice: a non-target trial (a, b) appears count[a]·count[b] times, a target trial count[a] times
    (pairs across the two copies would be "different speakers" with one voice: left out)."""
    same = np.asarray(labels) == 1
    return trial_weights(np.asarray(speaker_a), np.asarray(speaker_b), np.asarray(draw, dtype=float), same)


def bootstrap_mean_eer(scores_by_seed: dict, labels, speaker_a, speaker_b, reference: dict | None = None,
                       draws: int = 1000, level: float = 0.95, seed: int = 0) -> dict:
    """A percentile interval for the mean EER over seeds (in %), resampling both the seeds and the test
    speakers: each draw picks seeds with replacement and speakers with replacement (``speaker_weights``)
    and averages the weighted EER of the drawn seeds. With ``reference`` (the reference system's scores
    by seed, on the same trials) the interval is of the paired difference, system − reference, each
    draw using the same seeds and speakers for both. ``speaker_a``/``speaker_b``: speaker indices
    0..S−1 of each trial's two sides. Returns {"estimate", "low", "high", "draws"}."""
    rng = np.random.default_rng(seed)
    seeds = sorted(scores_by_seed if reference is None else set(scores_by_seed) & set(reference))
    labels = np.asarray(labels)
    speakers = int(max(np.max(speaker_a), np.max(speaker_b))) + 1

    def value(seed_list, weights):
        eers = [weighted_eer(scores_by_seed[s], labels, weights)
                - (weighted_eer(reference[s], labels, weights) if reference is not None else 0.0)
                for s in seed_list]
        return 100 * float(np.mean(eers))

    estimate = value(seeds, np.ones(len(labels)))
    values = []
    for _ in range(draws):
        chosen = rng.choice(seeds, size=len(seeds), replace=True)
        draw = np.bincount(rng.integers(0, speakers, size=speakers), minlength=speakers)
        values.append(value(chosen, speaker_weights(speaker_a, speaker_b, labels, draw)))
    values = np.array(values)
    values = values[~np.isnan(values)]
    tail = (1 - level) / 2
    return {"estimate": estimate, "low": float(np.quantile(values, tail)),
            "high": float(np.quantile(values, 1 - tail)), "draws": len(values)}


def decode_scores(trials: dict) -> np.ndarray:
    """The scores a record stores (``shootout.test_scores``): float32, in the trial list's order."""
    import base64

    return np.frombuffer(base64.b64decode(trials["scores_f16_base64"]), dtype=np.float16).astype(np.float32)


def trial_speakers(root) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(labels, speaker index of each enrol side, of each test side, speaker names) of ``root``'s trial
    list; a file's speaker is its first folder under ``wav/``."""
    from pathlib import Path

    from course.data.corpus import load_trials

    root = Path(root)
    trials = load_trials(root, check=False)
    speaker = [(a.relative_to(root / "wav").parts[0], b.relative_to(root / "wav").parts[0]) for _, a, b in trials]
    names = sorted({s for pair in speaker for s in pair})
    index = {name: k for k, name in enumerate(names)}
    return (np.array([label for label, _, _ in trials]), np.array([index[a] for a, _ in speaker]),
            np.array([index[b] for _, b in speaker]), names)


def bootstrap_system(records, system: str, root, reference: str | None = None, draws: int = 1000,
                     seed: int = 0) -> dict | None:
    """``bootstrap_mean_eer`` of ``system``'s runs in ``records`` on the trial list of ``root`` (the
    corpus they were validated on), against ``reference`` when given; None when a run lacks its trial
    scores (records written before they were stored) or was scored on another trial list."""
    import hashlib
    from pathlib import Path

    from course.data.corpus import TRIAL_FILE

    digest = hashlib.sha256((Path(root) / TRIAL_FILE).read_bytes()).hexdigest()

    def scores_of(name):
        runs = [r for r in records if r["system"] == name and r.get("eer") is not None]
        if not runs or any((r.get("trials") or {}).get("sha256") != digest for r in runs):
            return None
        return {int(r["seed"]): decode_scores(r["trials"]) for r in runs}

    mine = scores_of(system)
    theirs = scores_of(reference) if reference is not None else None
    if mine is None or (reference is not None and theirs is None):
        return None
    labels, speaker_a, speaker_b, _ = trial_speakers(root)
    return bootstrap_mean_eer(mine, labels, speaker_a, speaker_b, theirs, draws=draws, seed=seed)
