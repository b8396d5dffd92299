"""Each exercise self-check recognises the common wrong answers and names the mistake.

The wrong answers below are written as a learner would write them, independently of the
mistake models inside ``course.checks``.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course.checks import features, heads, models, verification


def _mask(x, lengths):
    return (torch.arange(x.shape[-1])[None, :] < lengths[:, None]).unsqueeze(1).to(x.dtype)


def _res2(x, convs, passthrough, first_end, add):
    splits = list(x.chunk(len(convs) + 1, dim=1))
    kept = splits.pop(0 if first_end else -1)
    outputs = []
    for i, conv in enumerate(convs):
        outputs.append(conv(splits[i] if i == 0 else add(splits, outputs, i)))
    return torch.cat([kept] + outputs if first_end else outputs + [kept], dim=1)


def _count(channels, mfa, embed, flavour, bias=True, bn=True, sb_extra=True):
    def conv(c_in, c_out, k):
        return c_in * c_out * k + (c_out if bias else 0) + (2 * c_out if bn else 0)

    width = channels // 8
    block = 2 * conv(channels, channels, 1) + 7 * conv(width, width, 3) + 2 * channels * 128 + \
        ((128 + channels) if bias else 0)
    sb = flavour == "speechbrain" and sb_extra
    head = (2 * 2 * mfa if bn else 0) + 2 * mfa * embed + (embed if bias else 0)
    mfa_layer = 3 * channels * mfa + (mfa if bias else 0) + (2 * mfa if sb and bn else 0)
    return (conv(80, channels, 5) + 3 * block + mfa_layer
            + 3 * mfa * 128 + 128 * mfa + ((128 + mfa) if bias else 0) + (2 * 128 if sb and bn else 0) + head)


def _psi(theta, m, sign, shift):
    k = torch.floor(m * theta / math.pi)
    return ((-1) ** k if sign else 1) * torch.cos(m * theta) - (2 * k if shift else 0)


def _arc(cos, m, easy=False, fallback=True, sine=None):
    s = sine(cos) if sine else (1 - cos * cos).clamp(min=1e-12).sqrt()
    phi = cos * math.cos(m) - s * math.sin(m)
    if easy:
        return torch.where(cos > 0, phi, cos)
    return torch.where(cos > math.cos(math.pi - m), phi, cos - (1 + math.cos(math.pi - m))) if fallback else phi


def _frames(step_count, hop=None):
    def fn(wave, n, h):
        count, step = step_count(len(wave), n, h), hop(n, h) if hop else h
        return torch.stack([wave[k * step: k * step + n] for k in range(count)]) if count > 0 else torch.zeros(0, n)
    return fn


CASES = {
    # notebook 00
    "cosine: dot product": (verification.check_cosine, lambda a, b: (a * b).sum(-1), "plain dot product"),
    "cosine: one norm": (verification.check_cosine, lambda a, b: (a * b).sum(-1) / a.norm(dim=1), "only one"),
    "cosine: dim 0": (verification.check_cosine, lambda a, b: (F.normalize(a, dim=0) * F.normalize(b, dim=0)).sum(1),
                      "wrong dimension"),
    "rates: strict": (verification.check_error_rates,
                      lambda s, y, t: (np.mean(s[y == 1] <= t), np.mean(s[y == 0] > t)), "strict threshold"),
    "rates: order": (verification.check_error_rates,
                     lambda s, y, t: (np.mean(s[y == 0] >= t), np.mean(s[y == 1] < t)), "wrong order"),
    "rates: counts": (verification.check_error_rates,
                      lambda s, y, t: (np.sum(s[y == 1] < t), np.sum(s[y == 0] >= t)), "counts instead of rates"),
    "eer: percent": (verification.check_eer, lambda s, y: 100 * _hand_eer(s, y), "a percentage"),
    "eer: no interpolation": (verification.check_eer, lambda s, y: _hand_eer(s, y, interpolate=False),
                              "without interpolating with the cut before"),
    # notebook 01
    "mel: 2595 ln": (features.check_hz_to_mel, lambda f: 2595 * torch.log(1 + f / 700), "HTK's 2595"),
    "mel: log10 1127": (features.check_hz_to_mel, lambda f: 1127 * torch.log10(1 + f / 700), "log10 with Kaldi"),
    "mel: no 1 +": (features.check_hz_to_mel, lambda f: 1127 * torch.log(f / 700), "the 1 + forgotten"),
    "frames: unguarded unfold": (features.check_frames, lambda w, n, h: w.unfold(0, n, h), "not guarded"),
    "frames: no + 1": (features.check_frames, _frames(lambda L, n, h: (L - n) // h), "one frame too few"),
    "frames: no overlap": (features.check_frames, _frames(lambda L, n, h: 1 + (L - n) // n if L >= n else 0,
                                                                   hop=lambda n, h: n),
                           "do not overlap"),
    "cmn: cmvn": (features.check_cmn, lambda x: (x - x.mean(1, keepdim=True)) / x.std(1, keepdim=True), "CMVN"),
    "cmn: over bins": (features.check_cmn, lambda x: x - x.mean(0, keepdim=True), "over the mel bins"),
    "cmn: global": (features.check_cmn, lambda x: x - x.mean(), "one global mean"),
    # notebook 02
    "tdnn: no bias": (models.check_tdnn_layer,
                      lambda x, w, b, d: F.conv1d(x, w, None, padding=d * (w.shape[-1] - 1) // 2, dilation=d),
                      "bias b forgotten"),
    "tdnn: causal": (models.check_tdnn_layer,
                     lambda x, w, b, d: F.conv1d(F.pad(x, (d * (w.shape[-1] - 1), 0)), w, b, dilation=d), "one side"),
    "tdnn: no dilation": (models.check_tdnn_layer,
                          lambda x, w, b, d: F.conv1d(x, w, b, padding=(w.shape[-1] - 1) // 2), "dilation ignored"),
    "stats: unbiased": (models.check_masked_stats, lambda x, n: _stats(x, n, unbiased=True), "unbiased variance"),
    "stats: no mask": (models.check_masked_stats, lambda x, n: _stats(x, torch.full_like(n, x.shape[-1])),
                       "mask forgotten: the padded"),
    "stats: stub": (models.check_masked_stats, lambda x, n: torch.cat([x.mean(-1), x.std(-1)], 1),
                    "mask forgotten and the unbiased"),
    "stats: sqrt(v+eps)": (models.check_masked_stats, lambda x, n: _stats(x, n, add_eps=True), "√(v + ε)"),
    "rf: no + 1": (models.check_receptive_field, lambda layers: sum((k - 1) * d for k, d in layers),
                   "the + 1 forgotten"),
    "rf: + 1 each": (models.check_receptive_field, lambda layers: sum((k - 1) * d + 1 for k, d in layers),
                     "added for every layer"),
    "rf: no dilation": (models.check_receptive_field, lambda layers: 1 + sum(k - 1 for k, _ in layers),
                        "dilation forgotten"),
    # notebook 03
    "res2: wrong end": (models.check_res2, lambda x, c, p: _res2(x, c, p, p != "first",
                                                                 lambda s, o, i: s[i] + o[-1]), "wrong end"),
    "res2: no hierarchy": (models.check_res2, lambda x, c, p: _res2(x, c, p, p == "first", lambda s, o, i: s[i]),
                           "no hierarchy"),
    "res2: input added": (models.check_res2,
                          lambda x, c, p: _res2(x, c, p, p == "first", lambda s, o, i: s[i] + s[i - 1]),
                          "previous *input*"),
    "se: padding": (models.check_se_gate, lambda x, n, l1, l2: torch.sigmoid(l2(torch.relu(l1(x.mean(-1))))),
                    "padding averaged too"),
    "se: padded length": (models.check_se_gate, lambda x, n, l1, l2: torch.sigmoid(
        l2(torch.relu(l1((x * _mask(x, n)).sum(-1) / x.shape[-1])))), "divided by the padded length"),
    "se: no sigmoid": (models.check_se_gate, lambda x, n, l1, l2: l2(torch.relu(l1(
        (x * _mask(x, n)).sum(-1) / _mask(x, n).sum(-1)))), "sigmoid forgotten"),
    "count: no bias": (models.check_ecapa_param_count, lambda c, m, e, f: _count(c, m, e, f, bias=False),
                       "biases"),
    "count: no bn": (models.check_ecapa_param_count, lambda c, m, e, f: _count(c, m, e, f, bn=False),
                     "BatchNorm parameters left out"),
    "count: flavour": (models.check_ecapa_param_count, lambda c, m, e, f: _count(c, m, e, f, sb_extra=False),
                       "flavour ignored"),
    # notebook 09
    "am: every class": (heads.check_am_logits, lambda cos, y, s, m: s * (cos - m), "every class"),
    "am: unscaled": (heads.check_am_logits,
                     lambda cos, y, s, m: s * cos - m * F.one_hot(y, cos.shape[1]).to(cos.dtype), "unscaled"),
    "am: added": (heads.check_am_logits,
                  lambda cos, y, s, m: s * (cos + m * F.one_hot(y, cos.shape[1]).to(cos.dtype)), "margin added"),
    "arc: easy": (heads.check_arc_target, lambda c, m: _arc(c, m, easy=True), "easy_margin"),
    "arc: no fallback": (heads.check_arc_target, lambda c, m: _arc(c, m, fallback=False), "no fallback"),
    "arc: unfloored": (heads.check_arc_target, lambda c, m: _arc(c, m, sine=lambda c: (1 - c * c).clamp(0, 1).sqrt()),
                       "infinite slope"),
    "arc: acos": (heads.check_arc_target, lambda c, m: torch.where(
        c > math.cos(math.pi - m), torch.cos(torch.acos(c) + m), c - (1 + math.cos(math.pi - m))), "infinite slope"),
    "psi: stub": (heads.check_sphere_psi, lambda t, m: torch.cos(m * t), "cos(mθ) alone"),
    "psi: no shift": (heads.check_sphere_psi, lambda t, m: _psi(t, m, True, False), "− 2k forgotten"),
    "psi: no sign": (heads.check_sphere_psi, lambda t, m: _psi(t, m, False, True), "sign (−1)^k forgotten"),
}


def _hand_eer(scores, labels, interpolate=True):
    scores, labels = np.asarray(scores, float), np.asarray(labels).astype(bool)
    cuts = np.r_[np.unique(scores), np.inf]
    miss = np.array([np.mean(scores[labels] < t) for t in cuts])
    fa = np.array([np.mean(scores[~labels] >= t) for t in cuts])
    k = int(np.argmax(miss - fa >= 0))
    if not interpolate or k == 0 or miss[k] == fa[k]:
        return miss[k]
    d0, d1 = miss[k - 1] - fa[k - 1], miss[k] - fa[k]
    return miss[k - 1] + (-d0 / (d1 - d0)) * (miss[k] - miss[k - 1])


def _stats(x, lengths, unbiased=False, add_eps=False):
    mask = _mask(x, lengths)
    count = mask.sum(-1)
    mean = (x * mask).sum(-1) / count
    var = ((x - mean[..., None]) ** 2 * mask).sum(-1) / (count - 1 if unbiased else count)
    return torch.cat([mean, (var + 1e-5).sqrt() if add_eps else var.clamp(min=1e-5).sqrt()], 1)


def test_htks_2595_log10_passes_the_mel_check_as_it_equals_kaldis_curve():
    assert features.check_hz_to_mel(lambda f: 2595 * torch.log10(1 + f / 700))


@pytest.mark.parametrize("case", list(CASES))
def test_self_check_fails_and_names_the_mistake(case, capsys):
    check, wrong_answer, phrase = CASES[case]
    assert not check(wrong_answer)
    out = capsys.readouterr().out
    assert "✗" in out
    assert "It looks like" in out and phrase in out, out
