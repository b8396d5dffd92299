"""The attention explorer: driven by its controls, it plots exactly what the pooling returns."""

import numpy as np
import pytest
import torch

from course.features import fbank
from course.models.ecapa import ECAPA_TDNN
from course.viz.attention import attention_entropy, entropy_gap, frame_times, plot_entropy_gaps
from course.widgets.attention import attention_explorer, weighted_poolings

NAMES = ["ASTP", "SAP", "MHA", "MQMHASTP"]


def tiny_model(name):
    torch.manual_seed(0)
    return ECAPA_TDNN(channels=16, mfa_channels=48, embed_dim=8, scale=4, se_bottleneck=8, pooling=name).eval()


def utterances():
    rate = 16000
    t = torch.arange(int(0.6 * rate)) / rate
    generator = torch.Generator().manual_seed(0)
    tone = 0.3 * torch.sin(2 * torch.pi * (200 + 300 * t) * t) * (t > 0.2)
    noise = 0.05 * torch.randn(len(t), generator=generator)
    return [("chirp", tone + noise, rate), ("noise", 2 * noise[: int(0.4 * rate)], rate)]


@pytest.fixture(scope="module")
def explorer():
    return attention_explorer(models={name: tiny_model(name) for name in NAMES}, utterances=utterances())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("utterance", [0, 1])
def test_plotted_weights_equal_a_direct_call_of_the_pooling(explorer, name, utterance):
    explorer.controls["utterance"].value = utterance
    explorer.controls["pooling"].value = name
    explorer.controls["row"].value = explorer.controls["row"].max  # the last head / query / channel
    row = explorer.controls["row"].value
    label, wave, rate = utterances()[utterance]
    model = explorer.model(name)
    with torch.no_grad():
        _, weights = model.pooling(model.frame_features(fbank(wave, rate)[None])[0], return_weights=True)
    plotted = explorer.last_plotted
    np.testing.assert_allclose(plotted["row_weights"], weights[0, row].numpy(), atol=1e-6)
    assert plotted["pooling"] == name and plotted["utterance"] == label


@pytest.mark.parametrize("name", NAMES)
def test_row_slider_spans_the_rows_of_the_weights(explorer, name):
    explorer.controls["pooling"].value = name
    assert explorer.controls["row"].max + 1 == explorer.last_plotted["weights"].shape[0]


def test_all_panels_share_one_time_axis(explorer):
    plotted = explorer.last_plotted
    frames = plotted["weights"].shape[-1]
    assert plotted["fbank"].shape[-1] == frames
    duration = len(plotted["waveform"]) / plotted["sample_rate"]
    assert frame_times(frames)[-1] < duration
    axes = explorer.figure.axes
    assert axes[0].get_shared_x_axes().joined(axes[0], axes[3])


def test_weighted_poolings_lists_the_attention_methods_first_and_no_statistics_pooling():
    names = weighted_poolings()
    assert names[:4] == NAMES
    assert {"ASP", "MR-MHA"} <= set(names)
    assert "TSTP" not in names and "TAP" not in names


def test_weighted_poolings_have_weights_summing_to_one_over_time():
    for name in weighted_poolings():
        model = tiny_model(name)
        with torch.no_grad():
            _, weights = model.pooling(torch.randn(2, 48, 13), return_weights=True)
        assert weights.shape[-1] == 13, name
        torch.testing.assert_close(weights.sum(-1), torch.ones_like(weights.sum(-1)), msg=name)


def test_entropy_is_one_for_uniform_and_zero_for_one_frame():
    np.testing.assert_allclose(attention_entropy(np.full((2, 10), 0.1)), [1.0, 1.0])
    np.testing.assert_allclose(attention_entropy(np.eye(10)[:1]), [0.0], atol=1e-12)


def test_entropy_gap_is_zero_for_uniform_and_log_t_for_one_frame():
    np.testing.assert_allclose(entropy_gap(np.full((1, 8), 1 / 8)), [0.0], atol=1e-12)
    np.testing.assert_allclose(entropy_gap(np.eye(8)[:1]), [np.log(8)])


class RecordingOutput:
    """Stands in for the widget's Output: records whether code runs inside it."""

    def __init__(self):
        self.inside = False

    def __enter__(self):
        self.inside = True
        return self

    def __exit__(self, *exc):
        self.inside = False

    def clear_output(self, wait=False):
        pass


def test_a_model_trained_on_first_choice_reports_inside_the_widget_output():
    """Loading (or training) a pooling's model when it is first chosen runs inside the explorer's
    Output, where its messages and progress bar show, not in the log of a widget callback."""
    loaded_inside = {}
    explorer = None

    def loader(name):
        if explorer is not None:
            loaded_inside[name] = explorer.output.inside
        return tiny_model(name)

    explorer = attention_explorer(models=loader, utterances=utterances(), poolings=["ASTP", "SAP"])
    explorer.output = RecordingOutput()
    explorer.controls["pooling"].value = "SAP"
    assert loaded_inside == {"SAP": True}


def test_the_menu_can_be_limited_to_the_poolings_met_so_far():
    explorer = attention_explorer(models=tiny_model, utterances=utterances(), poolings=["ASTP", "MHA"])
    assert list(explorer.controls["pooling"].options) == ["ASTP", "MHA"]


def test_entropy_gap_plot_draws_the_threshold_on_the_mean_bar_only():
    gaps = {"a": 0.3, "b": 0.1}
    fig = plot_entropy_gaps(gaps, threshold=0.15, baseline={"a": 0.01, "b": 0.02})
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "mean over utterances"
    widths = sorted(round(p.get_width(), 6) for p in ax.patches)
    assert round(np.mean(list(gaps.values())), 6) in widths and 0.015 in widths  # both means drawn
    (line,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("asserted")]
    ys = line.get_ydata()
    assert min(ys) >= len(gaps) - 0.5  # only across the mean row
