"""The ACA-Net and ERes2Net exercise checks accept the solutions and reject typical mistakes."""

import math

import pytest
import torch
import torch.nn.functional as F

from course.checks import CheckFailed, assert_close
from course.checks import models_2d as checks
from course.models import eres2net


def cross_attend(q, k, v, length):
    scores = q @ k[:length].T / math.sqrt(q.shape[-1])
    return torch.softmax(scores, dim=-1) @ v[:length]


def test_cross_attention_check_accepts_masked_attention_and_rejects_unmasked():
    assert checks.check_cross_attend(cross_attend)
    assert not checks.check_cross_attend(lambda q, k, v, n: torch.softmax(q @ k.T / math.sqrt(q.shape[-1]), -1) @ v)


def aca_net_parameters(in_dim, latents, dim, blocks, cross_layers, latent_layers, mlp_dim, latent_mlp_dim):
    def layer(mlp):
        return 4 * (dim * dim + dim) + 2 * 2 * dim + dim * mlp + mlp + mlp * dim + dim

    block = cross_layers * layer(mlp_dim) + latent_layers * layer(latent_mlp_dim) \
        + (latent_layers + 1) * dim * dim + dim
    return in_dim * dim + dim + 2 * dim + latents * dim + blocks * block + dim + 1 + 2 * latents


def test_aca_parameter_check_accepts_the_count_and_rejects_a_missing_bias():
    assert checks.check_aca_net_parameters(aca_net_parameters)
    assert not checks.check_aca_net_parameters(lambda *a: aca_net_parameters(*a) - 1)


def test_aff_check_accepts_the_fusion_and_rejects_a_plain_sigmoid_gate():
    assert checks.check_aff_fuse(lambda x, y, a: x * (1 + torch.tanh(a)) + y * (1 - torch.tanh(a)))
    assert not checks.check_aff_fuse(lambda x, y, a: x * torch.sigmoid(a) + y * (1 - torch.sigmoid(a)))


@pytest.mark.slow
def test_stride_check_accepts_ceil_and_rejects_floor():
    assert checks.check_frames_after_strides(lambda n: math.ceil(math.ceil(math.ceil(n / 2) / 2) / 2))
    assert not checks.check_frames_after_strides(lambda n: n // 8)


def block_parameters(in_planes, planes, stride, fuse, shortcut=True):
    width, out = planes // 2, 2 * planes
    count = in_planes * 2 * width + 2 * 2 * width + 2 * (9 * width * width + 2 * width) + 2 * width * out + 2 * out
    if shortcut and (stride != 1 or in_planes != out):
        count += in_planes * out + 2 * out
    if fuse:
        inner = max(1, width // 4)
        count += 2 * width * inner + inner + 2 * inner + inner * width + width + 2 * width
    return count


def test_block_check_accepts_the_count_and_rejects_forgetting_the_shortcut():
    assert checks.check_block_parameters(block_parameters)
    assert not checks.check_block_parameters(lambda *case: block_parameters(*case, shortcut=False))


# ---- hand-written mistakes are named (each listed mistake: tests/test_checks_contract.py) ----

def _named(capsys, check, answer, phrase):
    assert not check(answer)
    out = capsys.readouterr().out
    assert "It looks like" in out and phrase in out, out


@pytest.mark.slow
def test_the_notebook_stubs_and_hand_written_mistakes_are_named(capsys):
    # written as a learner would, independently of the mistake models in course.checks
    _named(capsys, checks.check_cross_attend,  # notebook 07's stub
           lambda q, k, v, n: torch.softmax(q @ k.T / math.sqrt(q.shape[-1]), dim=-1) @ v, "padding not masked")
    _named(capsys, checks.check_cross_attend,
           lambda q, k, v, n: torch.softmax(q @ k[:n].T, dim=-1) @ v[:n], "not scaled")
    _named(capsys, checks.check_cross_attend,
           lambda q, k, v, n: F.softmax(q @ k[:n].T / math.sqrt(q.shape[-1]), dim=0) @ v[:n], "over the latents")
    _named(capsys, checks.check_aff_fuse,  # notebook 08's stub
           lambda x, y, a: x * torch.sigmoid(a) + y * (1 - torch.sigmoid(a)), "Dai et al.'s gate")
    _named(capsys, checks.check_frames_after_strides, lambda n: n // 8, "floor division")  # notebook 08's stub
    _named(capsys, checks.check_frames_after_strides, lambda n: -(-n // 4), "two strides")

    def aca_without_the_cross_output(in_dim, latents, dim, blocks, cross_layers, latent_layers, mlp, latent_mlp):
        # the aggregation written from the prose "the latents of every layer are concatenated"
        layer = lambda m: 2 * 2 * dim + 4 * (dim * dim + dim) + dim * m + m + m * dim + dim  # noqa: E731
        block = cross_layers * layer(mlp) + latent_layers * layer(latent_mlp) \
            + (cross_layers + latent_layers) * dim * dim + dim
        return in_dim * dim + 3 * dim + latents * dim + blocks * block + dim + 1 + 2 * latents

    _named(capsys, checks.check_aca_net_parameters, aca_without_the_cross_output, "(R + S)·E")
    _named(capsys, checks.check_block_parameters, lambda *case: block_parameters(*case, shortcut=False),
           "shortcut forgotten")


def test_a_stub_returning_none_or_zero_fails_without_raising(capsys):
    for check, stub in ((checks.check_cross_attend, lambda *a: None), (checks.check_aff_fuse, lambda *a: None),
                        (checks.check_aca_net_parameters, lambda *a: 0), (checks.check_block_parameters, lambda *a: 0)):
        assert not check(stub)
    assert "✗" in capsys.readouterr().out


# ---- notebook 08's derivations can fail ----

@pytest.mark.slow
def test_frames_after_strides_check_is_measured_not_the_models_bookkeeping(monkeypatch):
    right, floor = (lambda n: math.ceil(n / 8)), (lambda n: n // 8)
    assert checks.check_frames_after_strides(right)
    # with the model's length bookkeeping broken (floor), the expected values do not move
    monkeypatch.setattr(eres2net, "strided_lengths", lambda lengths, stride=2: None if lengths is None
                        else lengths // stride)
    assert checks.check_frames_after_strides(right)
    assert not checks.check_frames_after_strides(floor)


def _padded_batch():
    lengths = torch.tensor([64, 48, 33, 13, 3])
    batch = torch.randn(len(lengths), 80, 64)
    return batch, lengths


def test_bookkept_lengths_equal_the_frames_each_utterance_has_alone():
    model = eres2net.ERes2Net(channels=4, blocks=(1, 1, 1, 1), embed_dim=8).eval()
    batch, lengths = _padded_batch()
    with torch.no_grad():
        traced = model.trace(batch, lengths)
    bookkept = torch.stack([traced[f"lengths{j}"] for j in (1, 2, 3, 4)])
    assert_close(bookkept, checks.frames_alone(model, batch, lengths))


def test_the_lengths_check_fails_when_the_bookkeeping_floors(monkeypatch):
    """Notebook 08's lengths check compares the bookkeeping with measured frames: a floor fails it."""
    model = eres2net.ERes2Net(channels=4, blocks=(1, 1, 1, 1), embed_dim=8).eval()
    batch, lengths = _padded_batch()
    measured = checks.frames_alone(model, batch, lengths)
    monkeypatch.setattr(eres2net, "strided_lengths", lambda lengths, stride=2: None if lengths is None
                        else lengths // stride)
    with torch.no_grad():
        traced = model.trace(batch, lengths)
    bookkept = torch.stack([traced[f"lengths{j}"] for j in (1, 2, 3, 4)])
    with pytest.raises(CheckFailed):
        assert_close(bookkept, measured)


def test_the_stem_check_compares_with_the_model_and_can_fail():
    """Notebook 08 compares its stem by hand with the model's traced stem: a wrong order fails."""
    model = eres2net.ERes2Net(channels=8, embed_dim=32)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.normal_(0, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    model.eval()
    image = torch.randn(2, 1, 80, 64)
    with torch.no_grad():
        traced = model.trace(image[:, 0])["stem"]
        conv = F.conv2d(image, model.stem.weight, padding=1)
        bn = model.stem_bn
        right = torch.relu(F.batch_norm(conv, bn.running_mean, bn.running_var, bn.weight, bn.bias, eps=bn.eps))
        relu_first = F.batch_norm(torch.relu(conv), bn.running_mean, bn.running_var, bn.weight, bn.bias, eps=bn.eps)
    assert_close(right, traced)
    with pytest.raises(CheckFailed):
        assert_close(relu_first, traced)
    with pytest.raises(CheckFailed):
        assert_close(torch.relu(conv), traced)  # the BatchNorm forgotten
