"""Self-checks for the TDNN and ECAPA-TDNN exercises (notebooks 02 and 03)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from course.checks import check_function
from course.models.blocks import Res2Conv, SqueezeExcitation
from course.models.ecapa import ECAPA_TDNN
from course.models.masking import lengths_mask
from course.models.receptive_field import receptive_field
from course.pooling import build as build_pooling


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --- notebook 02 -------------------------------------------------------------------------

def reference_tdnn_layer(x, weight, bias, dilation):
    """y_t = Σ_j W_j x_{t + (j − (k−1)/2)·d} + b, zero outside the utterance."""
    return F.conv1d(x, weight, bias, padding=dilation * (weight.shape[-1] - 1) // 2, dilation=dilation)


def check_tdnn_layer(fn) -> bool:
    """``fn(x (B, C, T), weight (O, C, k), bias (O,), dilation) -> (B, O, T)``."""
    g = _gen(0)
    cases = []
    for kernel, dilation, frames in ((5, 1, 12), (3, 2, 10), (3, 3, 9), (1, 1, 4)):
        cases.append((torch.randn(2, 6, frames, generator=g), torch.randn(4, 6, kernel, generator=g),
                      torch.randn(4, generator=g), dilation))
    return check_function(fn, reference_tdnn_layer, cases, name="tdnn_layer", atol=1e-5, grad=True)


def reference_masked_stats(x, lengths):
    """[μ; σ] over the valid frames, biased variance, σ = sqrt(clamp(var, 1e-5))."""
    return build_pooling("TSTP", x.shape[1])(x, lengths)


def check_masked_stats(fn) -> bool:
    """``fn(x (B, C, T), lengths (B,)) -> (B, 2C)``; gradients must match too, at constant input included."""
    g = _gen(1)
    x = torch.randn(3, 4, 8, generator=g, dtype=torch.float64)
    constant = torch.ones(2, 4, 5, dtype=torch.float64)
    cases = [(x, torch.tensor([8, 5, 1])), (constant, torch.tensor([5, 3])), (x[:, :, :1], torch.tensor([1, 1, 1]))]
    return check_function(fn, reference_masked_stats, cases, name="masked_stats", atol=1e-6, grad=True)


def check_receptive_field(fn) -> bool:
    """``fn(layers: list of (kernel, dilation)) -> frames seen by one output frame``."""
    cases = [([(5, 1)],), ([(5, 1), (3, 2), (3, 3), (1, 1), (1, 1)],), ([(3, 4)] * 7,), ([(1, 1)],)]
    return check_function(fn, receptive_field, cases, name="receptive_field")


# --- notebook 03 -------------------------------------------------------------------------

def _res2(passthrough: str, seed: int = 2) -> Res2Conv:
    torch.manual_seed(seed)
    module = Res2Conv(32, kernel_size=3, dilation=2, scale=8, passthrough=passthrough).eval()
    with torch.no_grad():
        for conv in module.convs:
            conv.bn.running_mean.normal_()
            conv.bn.running_var.uniform_(0.5, 2.0)
    return module


def reference_res2(x, convs, passthrough):
    """The library's Res2Conv with the same convolutions."""
    module = Res2Conv(x.shape[1], scale=len(convs) + 1, passthrough=passthrough)
    module.convs = convs
    return module(x)


def check_res2(fn) -> bool:
    """``fn(x (B, C, T), convs (s − 1 ConvReluBN), passthrough "first"|"last") -> (B, C, T)``."""
    g = _gen(3)
    cases = [(torch.randn(2, 32, 15, generator=g), _res2(p).convs, p) for p in ("last", "first")]
    return check_function(fn, reference_res2, cases, name="res2", atol=1e-5)


def reference_se_gate(x, lengths, linear1, linear2):
    """s = σ(W2 ReLU(W1 mean_t(x) + b1) + b2) over the valid frames."""
    se = SqueezeExcitation(x.shape[1], linear1.out_features)
    se.linear1, se.linear2 = linear1, linear2
    return se.gate(x, lengths_mask(x, lengths))


def check_se_gate(fn) -> bool:
    """``fn(x (B, C, T), lengths (B,), linear1, linear2) -> gates (B, C)`` over valid frames only."""
    g = _gen(4)
    torch.manual_seed(4)
    linear1, linear2 = torch.nn.Linear(16, 4), torch.nn.Linear(4, 16)
    x = torch.randn(3, 16, 10, generator=g)
    x[1, :, 6:] = 100.0  # padding that must not count
    cases = [(x, torch.tensor([10, 6, 1]), linear1, linear2), (x[:1], torch.tensor([10]), linear1, linear2)]
    return check_function(fn, reference_se_gate, cases, name="se_gate", atol=1e-5)


def reference_ecapa_param_count(channels, mfa_channels, embed_dim, flavour):
    """Parameters of the library's ECAPA_TDNN (80-dim input, scale 8, SE and attention bottleneck 128)."""
    model = ECAPA_TDNN(channels=channels, mfa_channels=mfa_channels, embed_dim=embed_dim, flavour=flavour)
    return sum(p.numel() for p in model.parameters())


def check_ecapa_param_count(fn) -> bool:
    """``fn(channels, mfa_channels, embed_dim, flavour) -> int``: a closed form, checked by counting."""
    cases = [(512, 1536, 192, "wespeaker"), (512, 1536, 192, "speechbrain"), (64, 192, 32, "wespeaker"),
             (128, 256, 96, "speechbrain")]
    return check_function(fn, reference_ecapa_param_count, cases, name="ecapa_param_count")
