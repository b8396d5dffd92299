import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402

from course.features import fbank  # noqa: E402
from course.widgets.features import fbank_explorer  # noqa: E402


def _wave():
    t = torch.arange(16000) / 16000
    noise = torch.randn(16000, generator=torch.Generator().manual_seed(0))
    return 0.2 * torch.sin(2 * torch.pi * 300 * t) + 0.01 * noise


def test_explorer_plots_the_library_fbank_for_its_settings():
    w = fbank_explorer(_wave())
    w.controls["mel_bins"].value = 40
    w.controls["window_ms"].value = 50.0
    w.controls["hop_ms"].value = 20.0
    expected = fbank(_wave(), num_mel_bins=40, frame_length=50.0, frame_shift=20.0, mean_norm=False)
    torch.testing.assert_close(torch.from_numpy(w.last_plotted["features"]), expected)


def test_explorer_cmn_checkbox_switches_to_normalised_features():
    w = fbank_explorer(_wave())
    w.controls["cmn"].value = True
    torch.testing.assert_close(torch.from_numpy(w.last_plotted["features"]), fbank(_wave()))


def test_explorer_reports_impossible_settings_instead_of_raising():
    w = fbank_explorer(_wave()[:300])  # shorter than a 25 ms window
    assert w.last_plotted == {}
