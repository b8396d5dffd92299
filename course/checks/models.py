"""Self-checks for the TDNN and ECAPA-TDNN exercises (notebooks 02 and 03).

Each check also recognises the usual wrong answers and names the mistake.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from course.checks import check_function, exercise, is_stub
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


def _causal_tdnn(x, weight, bias, dilation):
    pad = dilation * (weight.shape[-1] - 1)
    return F.conv1d(F.pad(x, (pad, 0)), weight, bias, dilation=dilation)


TDNN_MISTAKES = {
    "the bias b forgotten": lambda x, w, b, d: reference_tdnn_layer(x, w, None, d),
    "all the padding on one side (the taps look only into the past): pad d(k−1)/2 frames on each side":
        _causal_tdnn,
    "the dilation ignored: tap j sits at (j − (k−1)/2)·d, not at j − (k−1)/2":
        lambda x, w, b, d: reference_tdnn_layer(x, w, b, 1),
    "the taps in reverse order (a flipped kernel): W_j multiplies x_{t + (j − (k−1)/2)·d}":
        lambda x, w, b, d: reference_tdnn_layer(x, w.flip(-1), b, d),
}


@exercise(reference_tdnn_layer, TDNN_MISTAKES)
def check_tdnn_layer(fn) -> bool:
    """``fn(x (B, C, T), weight (O, C, k), bias (O,), dilation) -> (B, O, T)``."""
    g = _gen(0)
    cases = []
    for kernel, dilation, frames in ((5, 1, 12), (3, 2, 10), (3, 3, 9), (1, 1, 4)):
        cases.append((torch.randn(2, 6, frames, generator=g), torch.randn(4, 6, kernel, generator=g),
                      torch.randn(4, generator=g), dilation))
    if is_stub(fn, cases[0], "tdnn_layer"):
        return False
    return check_function(fn, reference_tdnn_layer, cases, name="tdnn_layer", atol=1e-5, grad=True,
                          mistakes=TDNN_MISTAKES)


def reference_masked_stats(x, lengths):
    """[μ; σ] over the valid frames, biased variance, σ = sqrt(clamp(var, 1e-5))."""
    return build_pooling("TSTP", x.shape[1])(x, lengths)


def _masked_stats_variant(x, lengths, unbiased=False, masked=True, add_eps=False):
    mask = lengths_mask(x, lengths).to(x.dtype) if masked else torch.ones_like(x[:, :1])
    count = mask.sum(-1)
    mean = (x * mask).sum(-1) / count
    var = ((x - mean[..., None]) ** 2 * mask).sum(-1) / (count - 1 if unbiased else count)
    std = (var + 1e-5).sqrt() if add_eps else var.clamp(min=1e-5).sqrt()
    return torch.cat([mean, std], dim=1)


MASKED_STATS_MISTAKES = {
    "the unbiased variance, 1/(T−1) as torch.var/std compute by default: pooling uses 1/T "
    "(and 1/(T−1) divides by zero for one frame)": lambda x, n: _masked_stats_variant(x, n, unbiased=True),
    "the mask forgotten: the padded frames are averaged too": lambda x, n: _masked_stats_variant(x, n, masked=False),
    "the mask forgotten and the unbiased variance (x.std(-1) is both)":
        lambda x, n: torch.cat([x.mean(-1), x.std(-1)], dim=1),
    "σ = √(v + ε) instead of √max(v, ε): the values agree to about 1e-6, but the slope "
    "1/(2√(v+ε)) differs from 1/(2√v), so the gradients differ": lambda x, n: _masked_stats_variant(x, n, add_eps=True),
}


@exercise(reference_masked_stats, MASKED_STATS_MISTAKES)
def check_masked_stats(fn) -> bool:
    """``fn(x (B, C, T), lengths (B,)) -> (B, 2C)``; gradients must match too, at constant input included."""
    g = _gen(1)
    x = torch.randn(3, 4, 8, generator=g, dtype=torch.float64)
    constant = torch.ones(2, 4, 5, dtype=torch.float64)
    cases = [(x, torch.tensor([8, 5, 1])), (constant, torch.tensor([5, 3])), (x[:, :, :1], torch.tensor([1, 1, 1]))]
    return check_function(fn, reference_masked_stats, cases, name="masked_stats", atol=1e-6, grad=True,
                          mistakes=MASKED_STATS_MISTAKES)


RECEPTIVE_FIELD_MISTAKES = {
    "the + 1 forgotten: the output frame's own input frame counts too":
        lambda layers: sum((k - 1) * d for k, d in layers),
    "(k − 1)·d + 1 added for every layer: only the widening (k − 1)·d adds up, the + 1 comes once":
        lambda layers: sum((k - 1) * d + 1 for k, d in layers),
    "the dilation forgotten: each layer widens the field by (k − 1)·d frames":
        lambda layers: 1 + sum(k - 1 for k, d in layers),
}


@exercise(receptive_field, RECEPTIVE_FIELD_MISTAKES)
def check_receptive_field(fn) -> bool:
    """``fn(layers: list of (kernel, dilation)) -> frames seen by one output frame``."""
    cases = [([(5, 1)],), ([(5, 1), (3, 2), (3, 3), (1, 1), (1, 1)],), ([(3, 4)] * 7,), ([(1, 1)],)]
    if is_stub(fn, cases[0], "receptive_field"):
        return False
    return check_function(fn, receptive_field, cases, name="receptive_field", mistakes=RECEPTIVE_FIELD_MISTAKES)


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


def _res2_variant(x, convs, passthrough, keep="right", hierarchy="output"):
    splits = list(x.chunk(len(convs) + 1, dim=1))
    first = passthrough == "first" if keep == "right" else passthrough != "first"
    kept = splits.pop(0 if first else -1)
    outputs = []
    for i, (conv, x_i) in enumerate(zip(convs, splits, strict=True)):
        if i == 0 or hierarchy == "none":
            outputs.append(conv(x_i))
        else:
            outputs.append(conv(x_i + (outputs[-1] if hierarchy == "output" else splits[i - 1])))
    return torch.cat([kept] + outputs if first else outputs + [kept], dim=1)


RES2_MISTAKES = {
    "the pass-through split taken from the wrong end": lambda x, c, p: _res2_variant(x, c, p, keep="wrong"),
    "no hierarchy: each split convolved alone, y_i = K_i(x_i) without adding y_{i−1}":
        lambda x, c, p: _res2_variant(x, c, p, hierarchy="none"),
    "the previous *input* split added, x_i + x_{i−1}, instead of the previous output y_{i−1}":
        lambda x, c, p: _res2_variant(x, c, p, hierarchy="input"),
}


@exercise(reference_res2, RES2_MISTAKES)
def check_res2(fn) -> bool:
    """``fn(x (B, C, T), convs (s − 1 ConvReluBN), passthrough "first"|"last") -> (B, C, T)``."""
    g = _gen(3)
    cases = [(torch.randn(2, 32, 15, generator=g), _res2(p).convs, p) for p in ("last", "first")]
    if is_stub(fn, cases[0], "res2"):
        return False
    return check_function(fn, reference_res2, cases, name="res2", atol=1e-5, mistakes=RES2_MISTAKES)


def reference_se_gate(x, lengths, linear1, linear2):
    """s = σ(W2 ReLU(W1 mean_t(x) + b1) + b2) over the valid frames."""
    se = SqueezeExcitation(x.shape[1], linear1.out_features)
    se.linear1, se.linear2 = linear1, linear2
    return se.gate(x, lengths_mask(x, lengths))


def _se_gate_variant(x, lengths, linear1, linear2, divide_by_padded=False, sigmoid=True):
    mask = lengths_mask(x, lengths).to(x.dtype)
    z = (x * mask).sum(-1) / (x.shape[-1] if divide_by_padded else mask.sum(-1))
    e = linear2(torch.relu(linear1(z)))
    return torch.sigmoid(e) if sigmoid else e


SE_GATE_MISTAKES = {
    "the padding averaged too: z must be the mean over each utterance's valid frames":
        lambda x, n, l1, l2: torch.sigmoid(l2(torch.relu(l1(x.mean(-1))))),
    "the valid frames summed but divided by the padded length T: divide by each utterance's own length":
        lambda x, n, l1, l2: _se_gate_variant(x, n, l1, l2, divide_by_padded=True),
    "the sigmoid forgotten: s = σ(…) is a gate in (0, 1)":
        lambda x, n, l1, l2: _se_gate_variant(x, n, l1, l2, sigmoid=False),
}


@exercise(reference_se_gate, SE_GATE_MISTAKES)
def check_se_gate(fn) -> bool:
    """``fn(x (B, C, T), lengths (B,), linear1, linear2) -> gates (B, C)`` over valid frames only."""
    g = _gen(4)
    torch.manual_seed(4)
    linear1, linear2 = torch.nn.Linear(16, 4), torch.nn.Linear(4, 16)
    x = torch.randn(3, 16, 10, generator=g)
    x[1, :, 6:] = 100.0  # padding that must not count
    cases = [(x, torch.tensor([10, 6, 1]), linear1, linear2), (x[:1], torch.tensor([10]), linear1, linear2)]
    return check_function(fn, reference_se_gate, cases, name="se_gate", atol=1e-5, mistakes=SE_GATE_MISTAKES)


def reference_ecapa_param_count(channels, mfa_channels, embed_dim, flavour):
    """Parameters of the library's ECAPA_TDNN (80-dim input, scale 8, SE and attention bottleneck 128)."""
    model = ECAPA_TDNN(channels=channels, mfa_channels=mfa_channels, embed_dim=embed_dim, flavour=flavour)
    return sum(p.numel() for p in model.parameters())


def _ecapa_count_without(channels, mfa_channels, embed_dim, flavour, leave_out):
    model = ECAPA_TDNN(channels=channels, mfa_channels=mfa_channels, embed_dim=embed_dim, flavour=flavour,
                       pooling_kwargs={"global_context": leave_out != "global context"})
    total = sum(p.numel() for p in model.parameters())
    for module in model.modules():
        if leave_out == "biases" and isinstance(module, torch.nn.Conv1d | torch.nn.Linear) and module.bias is not None:
            total -= module.bias.numel()
        if leave_out == "batchnorm" and isinstance(module, torch.nn.BatchNorm1d):
            total -= sum(p.numel() for p in module.parameters())
    return total


ECAPA_COUNT_MISTAKES = {
    "the biases of the convolutions and linear layers left out (each has one per output)":
        lambda c, m, e, f: _ecapa_count_without(c, m, e, f, "biases"),
    "the BatchNorm parameters left out (γ and β: 2 per channel)":
        lambda c, m, e, f: _ecapa_count_without(c, m, e, f, "batchnorm"),
    "the flavour ignored: SpeechBrain adds a BatchNorm after the MFA (2·C_mfa) and one in the attention (2·128)":
        lambda c, m, e, f: reference_ecapa_param_count(c, m, e, "wespeaker"),
    "the global context left out: the attention's first layer takes [h_t; μ; σ], 3·C_mfa inputs":
        lambda c, m, e, f: _ecapa_count_without(c, m, e, f, "global context"),
}


@exercise(reference_ecapa_param_count, ECAPA_COUNT_MISTAKES)
def check_ecapa_param_count(fn) -> bool:
    """``fn(channels, mfa_channels, embed_dim, flavour) -> int``: a closed form, checked by counting."""
    cases = [(512, 1536, 192, "wespeaker"), (512, 1536, 192, "speechbrain"), (64, 192, 32, "wespeaker"),
             (128, 256, 96, "speechbrain")]
    return check_function(fn, reference_ecapa_param_count, cases, name="ecapa_param_count",
                          mistakes=ECAPA_COUNT_MISTAKES)
