"""The notebook-04 self-checks pass on the solutions and fail on typical mistakes."""

import torch

from course.checks import statistics_attention as checks


def tstp_solution(x, lengths):
    mask = (torch.arange(x.shape[-1])[None, None, :] < lengths[:, None, None]).float()
    n = mask.sum(-1)
    mean = (x * mask).sum(-1) / n
    var = (((x - mean[..., None]) ** 2) * mask).sum(-1) / n
    return torch.cat([mean, var.clamp(min=1e-5).sqrt()], dim=1)


def test_tstp_check_passes_on_the_solution():
    assert checks.check_tstp_with_lengths(tstp_solution)


def test_tstp_check_fails_when_lengths_are_ignored(capsys):
    def ignores_lengths(x, lengths):
        return torch.cat([x.mean(-1), x.std(-1, unbiased=False)], dim=1)

    assert not checks.check_tstp_with_lengths(ignores_lengths)
    assert "✗" in capsys.readouterr().out


def test_tstp_check_fails_on_a_stub_returning_none():
    assert not checks.check_tstp_with_lengths(lambda x, lengths: None)


def test_output_size_check_passes_on_2qd_and_fails_on_2d():
    assert checks.check_mqmhastp_output_size(lambda in_dim, queries, heads: 2 * queries * in_dim)
    assert not checks.check_mqmhastp_output_size(lambda in_dim, queries, heads: 2 * in_dim)


def mqmhastp_params(in_dim, queries, heads, layers, d_s, d_k):
    d_h = in_dim // heads
    per_head = (d_h * d_s + d_s) if layers == 1 else (d_h * d_k + d_k + d_k * d_s + d_s)
    return queries * heads * per_head


def test_parameter_check_passes_on_the_formula_and_fails_without_biases():
    assert checks.check_mqmhastp_parameters(mqmhastp_params)
    assert not checks.check_mqmhastp_parameters(
        lambda in_dim, queries, heads, layers, d_s, d_k: queries * heads * (in_dim // heads) * d_s)


def test_an_unknown_wrong_answer_is_not_given_a_name(capsys):
    assert not checks.check_tstp_with_lengths(lambda x, lengths: 2 * tstp_solution(x, lengths))
    out = capsys.readouterr().out
    assert "✗" in out and "looks like" not in out
