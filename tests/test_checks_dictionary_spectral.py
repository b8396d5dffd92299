"""The notebook 05/06 self-checks pass on a correct answer and fail, saying why, on a wrong one."""

import torch

from course.checks import dictionary_spectral as checks


def netvlad(x, lengths, W, b, c, intra=True):
    mask = (torch.arange(x.shape[-1])[None] < lengths[:, None]).float()[:, None]
    a = torch.softmax(torch.einsum("kd,bdt->bkt", W, x) + b[None, :, None], dim=1) * mask
    V = torch.einsum("bkt,bdt->bkd", a, x * mask) - a.sum(-1)[..., None] * c
    if intra:
        V = V / V.norm(dim=-1, keepdim=True)
    V = V.flatten(1)
    return V / V.norm(dim=-1, keepdim=True)


def lde_weights(x, lengths, mu, s):
    mask = (torch.arange(x.shape[-1])[None] < lengths[:, None])[:, None]
    distances = ((x[:, None] - mu[None, :, :, None]) ** 2).sum(2)
    return torch.softmax(-s[None, :, None] * distances, dim=1) * mask


def averaged_power(x, window_length):
    B, C, T = x.shape
    segments = x.reshape(B, C, T // window_length, window_length) / window_length
    return torch.fft.rfft(segments, dim=-1).abs().pow(2).mean(2)


def parseval_std(s0, power, window_length, twin=True):
    counts = torch.full((power.shape[-1],), 2.0 if twin else 1.0)
    counts[0] = 1.0
    if window_length % 2 == 0:
        counts[-1] = 1.0
    return ((power * counts).sum(-1) - s0**2).clamp(min=0).sqrt()


def power_normalise(v, eps=1e-5):
    root = torch.sign(v) * ((v.abs() + eps).sqrt() - eps**0.5)
    return root / root.pow(2).sum(-1, keepdim=True).clamp(min=eps).sqrt()


def test_netvlad_check_passes_on_the_solution():
    assert checks.check_netvlad(netvlad)


def test_netvlad_check_fails_without_intra_normalisation(capsys):
    assert not checks.check_netvlad(lambda *args: netvlad(*args, intra=False))
    assert "✗" in capsys.readouterr().out


def test_netvlad_check_fails_when_padding_leaks(capsys):
    assert not checks.check_netvlad(lambda x, n, W, b, c: netvlad(x, torch.full_like(n, x.shape[-1]), W, b, c))
    assert "differ" in capsys.readouterr().out


def test_lde_weights_check_passes_on_the_solution():
    assert checks.check_lde_weights(lde_weights)


def test_lde_weights_check_fails_on_a_softmax_over_time(capsys):
    def over_time(x, lengths, mu, s):
        mask = (torch.arange(x.shape[-1])[None] < lengths[:, None])[:, None]
        distances = ((x[:, None] - mu[None, :, :, None]) ** 2).sum(2)
        return torch.softmax((-s[None, :, None] * distances).masked_fill(~mask, -1e9), dim=2) * mask

    assert not checks.check_lde_weights(over_time)
    assert "✗" in capsys.readouterr().out


def test_averaged_power_check_passes_on_the_solution():
    assert checks.check_averaged_power(averaged_power)


def test_averaged_power_check_fails_without_the_unit_sum_window(capsys):
    assert not checks.check_averaged_power(lambda x, w: averaged_power(x, w) * w * w)
    assert "✗" in capsys.readouterr().out


def test_parseval_check_passes_on_the_solution():
    assert checks.check_parseval_std(parseval_std)


def test_parseval_check_fails_when_the_twin_bins_are_forgotten(capsys):
    assert not checks.check_parseval_std(lambda s0, p, w: parseval_std(s0, p, w, twin=False))
    assert "✗" in capsys.readouterr().out


def test_power_normalise_check_passes_on_the_solution():
    assert checks.check_power_normalise(power_normalise)


def test_power_normalise_check_fails_on_a_plain_signed_sqrt(capsys):
    plain = torch.nn.functional.normalize
    assert not checks.check_power_normalise(lambda v: plain(torch.sign(v) * v.abs().sqrt(), dim=-1))
    assert "✗" in capsys.readouterr().out


def test_a_stub_that_returns_none_fails_without_raising(capsys):
    assert not checks.check_netvlad(lambda *args: None)
    assert "expected a tensor" in capsys.readouterr().out


def test_the_notebook_stubs_are_named(capsys):
    """The stubs of notebook 06's exercises 2 and 3 are two of the common mistakes."""
    assert not checks.check_parseval_std(lambda s0, power, w: (power[..., 0] - s0**2).clamp(min=0).sqrt())
    assert "only the DC bin" in capsys.readouterr().out
    plain = torch.nn.functional.normalize
    assert not checks.check_power_normalise(lambda v: plain(torch.sign(v) * v.abs().sqrt(), dim=-1))
    assert "a plain signed square root" in capsys.readouterr().out


def test_t2_check_needs_the_eps_floor_on_the_norm(capsys):
    """A safe square root with a plain L2 normalisation blows a tiny vector up to norm 1: rejected."""
    def no_floor(v, eps=1e-5):
        root = torch.sign(v) * ((v.abs() + eps).sqrt() - eps**0.5)
        return torch.nn.functional.normalize(root, dim=-1)

    assert not checks.check_power_normalise(no_floor)
    assert "no ε floor" in capsys.readouterr().out
