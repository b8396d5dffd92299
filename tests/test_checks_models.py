"""The notebook 02/03 self-checks pass on a right answer and fail on a wrong one."""

import torch
import torch.nn.functional as F

from course.checks import models as checks


def masked_stats(x, lengths, eps=1e-5):
    mask = (torch.arange(x.shape[-1])[None] < lengths[:, None]).unsqueeze(1).to(x.dtype)
    n = mask.sum(-1)
    mean = (x * mask).sum(-1) / n
    var = ((x - mean[..., None]) ** 2 * mask).sum(-1) / n
    return torch.cat([mean, var.clamp(min=eps).sqrt()], dim=1)


def res2(x, convs, passthrough):
    splits = list(x.chunk(len(convs) + 1, dim=1))
    kept = splits.pop(0 if passthrough == "first" else -1)
    out = []
    for i, (conv, x_i) in enumerate(zip(convs, splits, strict=True)):
        out.append(conv(x_i if i == 0 else x_i + out[-1]))
    return torch.cat([kept] + out if passthrough == "first" else out + [kept], dim=1)


def se_gate(x, lengths, linear1, linear2):
    mask = (torch.arange(x.shape[-1])[None] < lengths[:, None]).unsqueeze(1).to(x.dtype)
    z = (x * mask).sum(-1) / mask.sum(-1)
    return torch.sigmoid(linear2(torch.relu(linear1(z))))


def param_count(channels, mfa, embed, flavour):
    conv_bn = lambda i, o, k: i * o * k + o + 2 * o  # noqa: E731
    block = 2 * conv_bn(channels, channels, 1) + 7 * conv_bn(channels // 8, channels // 8, 3) \
        + channels * 128 + 128 + 128 * channels + channels
    sb = flavour == "speechbrain"
    attention = 3 * mfa * 128 + 128 + 128 * mfa + mfa + (2 * 128 if sb else 0)
    return (conv_bn(80, channels, 5) + 3 * block + 3 * channels * mfa + mfa + (2 * mfa if sb else 0)
            + attention + 2 * 2 * mfa + 2 * mfa * embed + embed)


def test_tdnn_layer_check_passes_conv1d_and_fails_without_dilation():
    assert checks.check_tdnn_layer(checks.reference_tdnn_layer)
    assert not checks.check_tdnn_layer(lambda x, w, b, d: F.conv1d(x, w, b, padding=(w.shape[-1] - 1) // 2))


def test_masked_stats_check_passes_clamped_and_fails_plain_sqrt():
    assert checks.check_masked_stats(masked_stats)
    assert not checks.check_masked_stats(lambda x, n: masked_stats(x, n, eps=0.0))


def test_masked_stats_check_fails_unbiased_variance():
    def unbiased(x, lengths):
        return torch.cat([x.mean(-1), x.std(-1)], 1)
    assert not checks.check_masked_stats(unbiased)


def test_receptive_field_check():
    assert checks.check_receptive_field(lambda layers: 1 + sum((k - 1) * d for k, d in layers))
    assert not checks.check_receptive_field(lambda layers: sum(k * d for k, d in layers))


def test_res2_check_passes_hand_written_and_fails_without_hierarchy():
    assert checks.check_res2(res2)

    def flat(x, convs, passthrough):
        splits = list(x.chunk(len(convs) + 1, dim=1))
        kept = splits.pop(0 if passthrough == "first" else -1)
        out = [conv(x_i) for conv, x_i in zip(convs, splits, strict=True)]
        return torch.cat([kept] + out if passthrough == "first" else out + [kept], dim=1)
    assert not checks.check_res2(flat)


def test_se_gate_check_fails_when_padding_counts():
    assert checks.check_se_gate(se_gate)
    assert not checks.check_se_gate(lambda x, n, l1, l2: torch.sigmoid(l2(torch.relu(l1(x.mean(-1))))))


def test_param_count_check_passes_closed_form_and_fails_off_by_flavour():
    assert checks.check_ecapa_param_count(param_count)
    assert not checks.check_ecapa_param_count(lambda c, m, e, f: param_count(c, m, e, "wespeaker"))
