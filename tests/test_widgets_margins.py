"""The margin explorer, driven by setting its controls; plotted arrays against direct computations."""

import math

import numpy as np
import pytest

from course.heads.toy import train_toy
from course.widgets.margins import margin_explorer


def _unit(a):
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def explorer():
    return margin_explorer(steps=20, grid_size=41)


def _cosines(plotted):
    points = plotted["grid"].reshape(-1, 2)
    return _unit(points) @ _unit(plotted["weights"]).T  # (M, K)


def test_embeddings_are_those_of_a_direct_toy_run(explorer):
    explorer.controls["head"].value = "add_margin"
    explorer.controls["m"].value = 0.3
    explorer.controls["s"].value = 20.0
    direct = train_toy("add_margin", margin=0.3, scale=20.0, steps=20)
    np.testing.assert_allclose(explorer.last_plotted["embeddings"], direct.embeddings, atol=1e-6)
    np.testing.assert_allclose(explorer.last_plotted["losses"], direct.losses, rtol=1e-5)


def test_decision_regions_are_the_argmax_of_the_cosines(explorer):
    explorer.controls["head"].value = "arc_margin"
    explorer.controls["m"].value = 0.4
    plotted = explorer.last_plotted
    expected = _cosines(plotted).argmax(1).reshape(plotted["decision"].shape)
    assert (plotted["decision"] == expected).mean() > 0.999  # ties on exact boundaries aside


def test_arc_margin_regions_are_where_cos_theta_plus_m_still_wins(explorer):
    explorer.controls["head"].value = "arc_margin"
    explorer.controls["m"].value = 0.5
    plotted = explorer.last_plotted
    cos = _cosines(plotted)
    theta = np.arccos(np.clip(cos, -1, 1))
    expected = np.full(len(cos), -1)
    for c in range(cos.shape[1]):
        target = np.where(theta[:, c] + 0.5 < math.pi, np.cos(theta[:, c] + 0.5), cos[:, c] - 1 + math.cos(0.5))
        wins = target > np.delete(cos, c, axis=1).max(1)
        expected[wins] = c
    got = plotted["margin"].reshape(-1)
    assert (got == expected).mean() > 0.999
    assert (got == -1).any()  # a margin zone exists between the classes


def test_a_larger_additive_margin_widens_the_margin_zone(explorer):
    explorer.controls["head"].value = "add_margin"
    explorer.controls["m"].value = 0.1
    narrow = (explorer.last_plotted["margin"] == -1).mean()
    explorer.controls["m"].value = 0.5
    wide = (explorer.last_plotted["margin"] == -1).mean()
    assert wide > narrow


def test_softmax_has_no_margin_zone(explorer):
    explorer.controls["head"].value = "softmax"
    plotted = explorer.last_plotted
    np.testing.assert_array_equal(plotted["margin"], plotted["decision"])


def test_set_changes_several_controls_with_one_redraw(explorer, monkeypatch):
    calls = []
    original = explorer.redraw
    monkeypatch.setattr(explorer, "redraw", lambda: calls.append(1) or original())
    explorer.set(head="add_margin", m=0.25, s=16.0)
    assert len(calls) == 1
    direct = train_toy("add_margin", margin=0.25, scale=16.0, steps=20)
    np.testing.assert_allclose(explorer.last_plotted["embeddings"], direct.embeddings, atol=1e-6)


def test_knobs_the_head_ignores_are_greyed_out(explorer):
    enabled = {}
    for head in ("softmax", "add_margin", "arc_margin", "sphere"):
        explorer.set(head=head)
        enabled[head] = {name for name, c in explorer.controls.items() if not c.disabled}
    assert enabled == {"softmax": {"head"}, "add_margin": {"head", "m", "s"}, "arc_margin": {"head", "m", "s"},
                       "sphere": {"head", "sphere_m"}}
