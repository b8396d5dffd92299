"""The STSP and assignment explorers: set the controls, then check the plotted arrays
against direct computations (torch.stft, NumPy statistics, the nearest-centre softmax)."""

import matplotlib
import numpy as np
import pytest
import torch

from course.widgets.assignments import assignment_explorer
from course.widgets.stsp import stsp_explorer

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def frames():
    generator = torch.Generator().manual_seed(0)
    t = torch.arange(240.0)
    x = 0.5 * torch.randn(6, 240, generator=generator) + torch.sin(2 * torch.pi * 5 * t / 100)
    return x


@pytest.mark.parametrize(("window", "window_length", "hop", "bins"),
                         [("hann", 16, 8, 4), ("rectangular", 12, 5, 7), ("rectangular", 8, 8, 2)])
def test_stsp_explorer_draws_the_stft_of_the_chosen_channel(frames, window, window_length, hop, bins):
    w = stsp_explorer(frames)
    for name, value in [("window", window), ("hop", hop), ("window_length", window_length), ("bins", bins),
                        ("channel", 3)]:
        w.controls[name].value = value
    drawn = w.last_plotted
    series = frames[3].double()
    taper = torch.hann_window(window_length, dtype=torch.float64) if window == "hann" else \
        torch.ones(window_length, dtype=torch.float64)
    stft = torch.stft(series, n_fft=window_length, hop_length=hop, window=taper / taper.sum(), center=False,
                      return_complex=True)  # (W // 2 + 1, M)
    np.testing.assert_allclose(drawn["series"], series.numpy())
    np.testing.assert_allclose(drawn["spectrogram"], stft.abs().pow(2).T.numpy(), atol=1e-10)
    np.testing.assert_allclose(drawn["averaged_power"], stft.abs().pow(2).mean(1).numpy(), atol=1e-10)
    np.testing.assert_allclose(drawn["dc_mean"], stft[0].real.mean().item(), atol=1e-10)
    np.testing.assert_allclose(drawn["tstp_mean"], series.numpy().mean())
    np.testing.assert_allclose(drawn["tstp_std"], series.numpy().std())
    assert drawn["kept_bins"] == bins
    np.testing.assert_allclose(drawn["freqs"], np.fft.rfftfreq(window_length, d=1 / 100))


def test_stsp_explorer_dc_values_equal_statistics_pooling_when_the_rectangular_window_tiles(frames):
    w = stsp_explorer(frames, window="rectangular", window_length=8, hop=8)  # 240 = 30 × 8
    drawn = w.last_plotted
    assert drawn["dc_is_statistics"]
    np.testing.assert_allclose(drawn["dc_mean"], drawn["tstp_mean"], atol=1e-10)
    np.testing.assert_allclose(drawn["parseval_std"], drawn["tstp_std"], atol=1e-10)
    assert abs(drawn["dc_std"] - drawn["tstp_std"]) > 1e-2  # the DC bin alone is not enough


def test_stsp_explorer_says_when_the_relation_does_not_hold(frames):
    w = stsp_explorer(frames, window="rectangular", window_length=8, hop=4)
    assert not w.last_plotted["dc_is_statistics"]


@pytest.fixture(scope="module")
def utterances():
    generator = torch.Generator().manual_seed(1)
    return [torch.randn(5, n, generator=generator) + torch.linspace(-2, 2, n) for n in (50, 70)]


@pytest.mark.parametrize("method", ["NetVLAD", "GhostVLAD", "LDE"])
def test_assignment_explorer_draws_the_soft_nearest_centre_rule(utterances, method):
    w = assignment_explorer(utterances)
    w.controls["method"].value = method
    w.controls["clusters"].value = 3
    w.controls["alpha"].value = 0.1
    w.controls["utterance"].value = 1
    drawn = w.last_plotted
    x = utterances[1].numpy().T  # (T, D)
    centres = drawn["centres"]
    logits = -0.1 * ((x[:, None, :] - centres[None]) ** 2).sum(-1)  # −α‖x_t − c_k‖²
    expected = np.exp(logits - logits.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(drawn["assignments"], expected.T, atol=1e-5)
    np.testing.assert_allclose(drawn["counts"], expected.sum(0), atol=1e-4)
    assert centres.shape[0] == 3 + (2 if method == "GhostVLAD" else 0)


def test_ghosts_are_the_lowest_energy_centres(utterances):
    w = assignment_explorer(utterances, method="GhostVLAD", clusters=3)
    energy = w.last_plotted["centres"].mean(1)
    assert energy[3:].max() <= energy[:3].min()


def test_power_share_plot_draws_one_line_per_input_with_its_values():
    from course.viz.spectral import plot_power_shares

    freqs = np.arange(5) * 12.5
    shares = {"a": np.array([0.5, 0.2, 0.1, 0.1, 0.1]), "b": np.array([0.6, 0.1, 0.1, 0.1, 0.1])}
    fig = plot_power_shares(freqs, shares, kept=2)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["a", "b"]
    for line, share in zip(lines, shares.values()):
        np.testing.assert_allclose(line.get_ydata(), share)
        np.testing.assert_allclose(line.get_xdata(), freqs)
