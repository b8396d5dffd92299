"""The ACA-Net and ERes2Net exercise checks accept the solutions and reject typical mistakes."""

import math

import torch

from course.checks import models_2d as checks


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
