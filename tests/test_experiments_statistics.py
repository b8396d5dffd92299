"""The shoot-out's statistics (``course.experiments.statistics``, ``compare``) on hand-computed cases and
against brute force: Holm, the sign-flip test, "did not train", the 80%-power difference, the selection
bias of the old scheme, the bootstrap over test speakers; and the shoot-out's planning and resume
bookkeeping with the training stubbed out."""

import math

import numpy as np
import pytest

from course.experiments import compare, read_results
from course.experiments.results import DEFAULT_RESULTS
from course.experiments.statistics import (
    bootstrap_mean_eer,
    chance_loss,
    detectable_difference,
    did_not_train,
    holm,
    sign_flip_p,
    simulate_identical_systems,
    simulated_power,
    speaker_weights,
    t_power,
    weighted_eer,
)
from course.metrics import eer


def test_holm_matches_a_hand_computed_case():
    # sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → running max 0.06
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    with_nan = holm([0.01, math.nan, 0.02])  # NaN is not in the family: m = 2
    assert with_nan[0] == pytest.approx(0.02) and math.isnan(with_nan[1]) and with_nan[2] == pytest.approx(0.02)


def test_holm_matches_statsmodels_where_installed():
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    p = np.random.default_rng(3).uniform(0, 0.2, size=17)
    assert holm(p) == pytest.approx(multitest.multipletests(p, method="holm")[1])


def test_the_sign_flip_test_counts_sign_patterns():
    assert sign_flip_p([1.0, 2.0, 3.0]) == pytest.approx(2 / 8)  # only all-plus and all-minus reach |mean| 2
    assert sign_flip_p([1.0, 1.0, 1.0, 1.0, 1.0]) == pytest.approx(2 / 32)  # its floor at n = 5
    assert sign_flip_p([1.0, -1.0]) == pytest.approx(1.0)


def test_chance_loss_and_the_did_not_train_rule():
    assert chance_loss(32.0, 0.0, 80) == pytest.approx(math.log(80))
    assert chance_loss(32.0, 0.2, 80) == pytest.approx(10.7269, abs=1e-3)
    config = {"head": "arc_margin", "head_kwargs": {"margin": 0.2, "scale": 32.0}, "corpus": None,
              "margin_schedule": {"final": 0.2}}
    threshold = 0.9 * chance_loss(32.0, 0.2, 80)
    assert did_not_train({"eer": 0.3, "final_loss_mean": threshold + 0.01, "classes": 80, "config": config})
    assert not did_not_train({"eer": 0.3, "final_loss_mean": threshold - 0.01, "classes": 80, "config": config})
    assert did_not_train({"eer": 0.3, "final_loss": threshold + 0.01, "config": config})  # older record: 80
    assert not did_not_train({"eer": 0.3, "final_loss": 5.0, "config": config})
    assert did_not_train({"eer": 0.47, "config": {}}) and not did_not_train({"eer": 0.40, "config": {}})  # fallback
    assert not did_not_train({"eer": None, "final_loss": 99.0, "config": config})  # diverged: counted elsewhere


def test_only_ecapa_aca_did_not_train_in_the_committed_results():
    flagged = {r["system"] for r in read_results(DEFAULT_RESULTS) if did_not_train(r)}
    assert flagged == {"ECAPA+ACA"}
    rows = {row["system"]: row for row in compare(read_results(DEFAULT_RESULTS))}
    assert rows["ECAPA+ACA"]["verdict"] == "did not train" and math.isnan(rows["ECAPA+ACA"]["p_holm"])


def test_the_power_formula_agrees_with_brute_force():
    assert t_power(0.0, 1.0, 5, 0.05) == pytest.approx(0.05, abs=1e-6)
    for sd, n, alpha in ((1.4, 5, 0.05 / 16), (3.0, 5, 0.05), (2.0, 10, 0.01)):
        delta = detectable_difference(sd, n, alpha, 0.8)
        assert t_power(delta, sd, n, alpha) == pytest.approx(0.8, abs=1e-4)
        assert simulated_power(delta, sd, n, alpha, sims=20000, seed=1) == pytest.approx(0.8, abs=0.015)
    # larger than the half-width of the CI (the old "smallest significant difference")
    from scipy import stats

    assert detectable_difference(1.0, 5, 0.05) > stats.t.ppf(0.975, 4) / math.sqrt(5) * 1.3


def test_the_old_scheme_flags_false_worse_often_and_holm_does_not():
    any_old, share_old, any_new = simulate_identical_systems()
    assert 0.7 < any_old < 0.9  # the reader's ~80%: not "about one in twenty"
    assert 0.10 < share_old < 0.20  # ~14% of true ties called "worse"
    assert any_new < 0.065  # family-wise error at most α (plus simulation noise)


def test_weighted_eer_is_the_eer_of_repeated_trials():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 300)
    scores = rng.normal(labels * 1.0, 1.0)
    assert weighted_eer(scores, labels, np.ones(300)) == pytest.approx(eer(scores, labels), abs=1e-9)
    counts = rng.integers(0, 3, 300)
    repeated = np.repeat(np.arange(300), counts)
    assert weighted_eer(scores, labels, counts) == pytest.approx(eer(scores[repeated], labels[repeated]), abs=1e-9)


def test_speaker_weights_count_duplicated_speakers():
    # trials: target (0, 0), non-target (0, 1), non-target (1, 2), target (2, 2)
    a, b, labels = np.array([0, 0, 1, 2]), np.array([0, 1, 2, 2]), np.array([1, 0, 0, 1])
    draw = np.array([2, 1, 0])  # speaker 0 twice, speaker 1 once, speaker 2 not drawn
    assert speaker_weights(a, b, labels, draw).tolist() == [2.0, 2.0, 0.0, 0.0]


def test_the_speaker_bootstrap_on_a_tiny_case():
    rng = np.random.default_rng(1)
    speakers = 6
    a, b = rng.integers(0, speakers, 400), rng.integers(0, speakers, 400)
    labels = (a == b).astype(int)
    system = {s: rng.normal(labels * 2.0, 1.0) for s in range(3)}
    out = bootstrap_mean_eer(system, labels, a, b, draws=200, seed=0)
    assert out["estimate"] == pytest.approx(100 * np.mean([eer(system[s], labels) for s in range(3)]))
    assert out["low"] < out["estimate"] < out["high"]
    same = bootstrap_mean_eer(system, labels, a, b, reference=system, draws=50)
    assert same["low"] == same["high"] == same["estimate"] == 0.0  # a system against itself: Δ = 0 in every draw


def test_the_equal_protocol_takes_attention_norm_from_astp():
    from course.experiments import system_config

    assert system_config("ECAPA+ASTP", 0, device="cpu").pooling_kwargs == {}
    assert system_config("ECAPA+ASTP", 0, device="cpu", astp_attention_norm=False).pooling_kwargs == {
        "attention_norm": False}
    assert system_config("ECAPA+TSTP", 0, device="cpu", astp_attention_norm=False).pooling_kwargs == {}


def test_aca_net_enters_without_a_pooling_and_its_old_records_still_count():
    """ACA-Net's attention is its own pooling: its system carries pooling=None (records written before
    carry the "ASTP" it ignored). The system name is the key, so those records are still read and
    a resumed shoot-out does not train them again."""
    from course.experiments import system_config
    from course.experiments.results import done_keys
    from course.train.builders import build_model

    config = system_config("ACA-Net", 0, device="cpu")
    assert config.pooling is None and config.pooling_kwargs == {}
    assert type(build_model(config)).__name__ == "ACANet"
    old = [r for r in read_results(DEFAULT_RESULTS) if r["system"] == "ACA-Net"]
    assert old and {r["config"]["pooling"] for r in old} <= {"ASTP", None}
    steps = int(old[0]["steps"])
    assert ("ACA-Net", int(old[0]["seed"])) in done_keys(old, steps, old[0].get("protocol"))


def test_the_readme_table_is_the_table_command_output(capsys):
    from course.experiments.__main__ import main
    from course.paths import REPO_ROOT

    assert main(["table", "--markdown"]) == 0
    printed = capsys.readouterr().out.strip()
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- shootout-table -->\n", 1)[1].split("\n<!-- /shootout-table -->", 1)[0]
    assert block.strip() == printed, "README's shoot-out section is stale: paste `python -m course.experiments " \
                                     "table --markdown` between its markers"


def test_spread_labels_keeps_labels_apart():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course.viz.labels import spread_labels

    fig, ax = plt.subplots()
    xs, ys = [1.0, 1.01, 1.02, 5.0], [1.0, 1.0, 1.01, 3.0]
    ax.plot(xs, ys, "o")
    notes = spread_labels(ax, xs, ys, ["alpha", "beta", "gamma", "far"], fontsize=7)
    fig.canvas.draw()
    from matplotlib.text import Text

    boxes = [Text.get_window_extent(note) for note in notes]  # the text alone, not its connecting line
    assert not any(a.overlaps(b) for k, a in enumerate(boxes) for b in boxes[k + 1:])
    plt.close(fig)
