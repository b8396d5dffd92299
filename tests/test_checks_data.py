"""The self-checks of notebooks 00 and 01 pass on the solutions and fail on wrong answers."""

import numpy as np
import torch

from course.checks.features import check_cmn, check_frames, check_hz_to_mel
from course.checks.verification import check_cosine, check_eer, check_error_rates
from course.metrics import eer


def test_cosine_check_passes_the_solution_and_fails_a_dot_product(capsys):
    assert check_cosine(lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim=-1))
    assert not check_cosine(lambda a, b: (a * b).sum(-1))
    assert "✗" in capsys.readouterr().out


def test_cosine_check_fails_a_stub_returning_none():
    assert not check_cosine(lambda a, b: None)


def _rates(scores, labels, threshold, strict=False):
    scores, labels = np.asarray(scores), np.asarray(labels).astype(bool)
    accept = scores > threshold if strict else scores >= threshold
    return float(np.mean(~accept[labels])), float(np.mean(accept[~labels]))


def test_error_rates_check_passes_the_solution_and_catches_a_strict_threshold():
    assert check_error_rates(_rates)
    assert not check_error_rates(lambda s, y, t: _rates(s, y, t, strict=True))  # ties go the wrong way
    assert not check_error_rates(lambda s, y, t: None)


def test_eer_check_passes_the_library_and_fails_the_nearest_point_without_interpolation():
    assert check_eer(eer)

    def nearest(scores, labels):
        cuts = np.unique(scores)
        rates = [_rates(scores, labels, t) for t in cuts]
        k = int(np.argmin([abs(m - f) for m, f in rates]))
        return rates[k][0]

    assert not check_eer(nearest)
    assert not check_eer(lambda s, y: None)


def test_hz_to_mel_check_passes_kaldis_formula_and_fails_slaneys_constant():
    assert check_hz_to_mel(lambda f: 1127.0 * torch.log1p(f / 700.0))
    assert not check_hz_to_mel(lambda f: 2595.0 * torch.log10(1 + f / 600.0))


def test_frames_check_passes_unfold_and_fails_a_padded_last_frame():
    def solution(w, n, h):
        return w.unfold(0, n, h) if len(w) >= n else torch.zeros(0, n, dtype=w.dtype)

    def padded(w, n, h):
        count = -(-(len(w) - n) // h) + 1
        w = torch.nn.functional.pad(w, (0, (count - 1) * h + n - len(w)))
        return w.unfold(0, n, h)

    assert check_frames(solution)
    assert not check_frames(padded)


def test_cmn_check_passes_the_solution_and_fails_a_global_mean():
    assert check_cmn(lambda f: f - f.mean(dim=1, keepdim=True))
    assert not check_cmn(lambda f: f - f.mean())
