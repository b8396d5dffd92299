"""The EER interval: a bootstrap over speakers, checked against resampling by brute force."""

from __future__ import annotations

import numpy as np
import pytest

from course import metrics


def small_case(seed=0, speakers=6, per_pair=3, spread=0.2):
    """Scores of a toy system: targets of each speaker and non-targets of each speaker pair."""
    rng = np.random.default_rng(seed)
    names = [f"s{i}" for i in range(speakers)]
    a, b, y, s = [], [], [], []
    for i, x in enumerate(names):
        for _ in range(per_pair):
            a.append(x), b.append(x), y.append(1), s.append(rng.normal(1.0 + spread * (i - speakers / 2), 1))
        for z in names[i + 1:]:
            for _ in range(per_pair):
                a.append(x), b.append(z), y.append(0), s.append(rng.normal(0, 1))
    return np.array(s), np.array(y), a, b


def test_weighted_eer_equals_eer_of_the_list_with_trials_repeated():
    s, y, _, _ = small_case()
    w = np.random.default_rng(1).integers(0, 4, size=s.size)
    repeated = metrics.eer(np.repeat(s, w), np.repeat(y, w))
    assert metrics.weighted_eer(s, y, w) == pytest.approx(repeated, abs=1e-12)


def test_weighted_eer_with_unit_weights_is_the_eer_even_with_ties():
    s, y, _, _ = small_case()
    s = np.round(s, 1)  # many ties
    assert metrics.weighted_eer(s, y, np.ones_like(s)) == pytest.approx(metrics.eer(s, y), abs=1e-12)


def brute_force_sample(s, y, a, b, draw, names):
    """One bootstrap replicate built explicitly: every drawn copy of a speaker is kept apart, a target
    trial is kept once per copy, a non-target trial once per pair of copies of its two speakers."""
    copies = {n: int((draw == k).sum()) for k, n in enumerate(names)}
    keep_s, keep_y = [], []
    for si, yi, ai, bi in zip(s, y, a, b):
        times = copies[ai] if ai == bi else copies[ai] * copies[bi]
        keep_s += [si] * times
        keep_y += [yi] * times
    return np.array(keep_s), np.array(keep_y)


def test_the_speaker_bootstrap_matches_brute_force_resampling():
    s, y, a, b = small_case()
    names = sorted(set(a) | set(b))
    n_boot, seed = 200, 7
    draws = np.random.default_rng(seed).integers(len(names), size=(n_boot, len(names)))  # the same draws
    brute = []
    for draw in draws:
        bs, by = brute_force_sample(s, y, a, b, draw, names)
        if by.any() and not by.all():
            brute.append(metrics.eer(bs, by))
    low, high = np.quantile(brute, [0.025, 0.975])
    result = metrics.eer_interval(s, y, a, b, n_boot=n_boot, seed=seed)
    assert result["low"] == pytest.approx(low, abs=1e-12) and result["high"] == pytest.approx(high, abs=1e-12)
    assert result["targets"] == int(y.sum()) and result["nontargets"] == int((1 - y).sum())
    assert result["speakers"] == len(names)


def test_the_interval_holds_the_eer_and_is_wider_than_a_binomial_one_when_speakers_differ():
    # Speakers of very different difficulty: trials of one speaker move together, so resampling
    # speakers must give a wider interval than treating every trial as independent.
    s, y, a, b = small_case(speakers=8, per_pair=40, spread=0.8)
    result = metrics.eer_interval(s, y, a, b, n_boot=300)
    assert result["low"] <= result["eer"] <= result["high"]
    e, n = result["eer"], result["targets"]
    binomial_half_width = 1.96 * np.sqrt(e * (1 - e) / n)
    assert result["high"] - result["low"] > 2 * binomial_half_width


def test_eer_interval_names_mismatched_speaker_lists():
    s, y, a, b = small_case()
    with pytest.raises(ValueError, match="speakers_a, speakers_b"):
        metrics.eer_interval(s, y, a[:-1], b)


def test_min_dcf_resolvable_follows_the_one_false_alarm_rule():
    assert not metrics.min_dcf_resolvable(211, 0.01)  # notebook 12: one false alarm costs 0.47
    assert metrics.min_dcf_resolvable(990, 0.01) and not metrics.min_dcf_resolvable(989, 0.01)
    assert metrics.min_dcf_resolvable(211, 0.05)


def test_format_eer_carries_the_interval_and_the_counts():
    text = metrics.format_eer({"eer": 0.0192, "low": 0.012, "high": 0.0288, "level": 0.95, "targets": 2500,
                               "nontargets": 2500, "speakers": 24})
    assert text == "EER 1.92% [95% CI 1.20–2.88] (2,500 target / 2,500 non-target trials, 24 speakers)"


def test_the_paired_difference_is_narrower_than_the_two_intervals_when_systems_share_speakers():
    s, y, a, b = small_case(speakers=8, per_pair=40, spread=0.8)
    worse = s - 0.4 * y  # the same system with every target pulled down: worse on every speaker
    diff = metrics.eer_difference_interval(s, worse, y, a, b, n_boot=300)
    one, two = metrics.eer_interval(s, y, a, b, n_boot=300), metrics.eer_interval(worse, y, a, b, n_boot=300)
    assert diff["low"] > 0  # the paired test sees it
    assert diff["high"] - diff["low"] < (one["high"] - one["low"]) + (two["high"] - two["low"])
    assert diff["difference"] == pytest.approx(two["eer"] - one["eer"])


def test_the_paired_difference_of_a_system_with_itself_is_zero():
    s, y, a, b = small_case()
    diff = metrics.eer_difference_interval(s, s, y, a, b, n_boot=50)
    assert diff["difference"] == diff["low"] == diff["high"] == 0
