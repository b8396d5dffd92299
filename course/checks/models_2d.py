"""Self-checks for the ACA-Net (07) and ERes2Net (08) exercises, and two of notebook 08's derivations.

Each exercise check compares the learner's function with the library on several cases: the
attention of ``course.pooling.cross_attention``, the parameter counts of the ``course.models``
classes, and the number of frames an ERes2Net really produces (each utterance run alone, so the
model's own length bookkeeping is not the referee). Each names the common wrong answers
(``mistakes=``) when the learner's answer reproduces one. ``frames_alone`` measures, for notebook
08, the frames every stage has when each utterance runs alone, against which the model's length
bookkeeping is compared.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from course.checks import IT_LOOKS_LIKE, check, check_function, exercise, is_stub
from course.masks import frame_mask
from course.models.aca_net import ACANet
from course.models.eres2net import ERes2Net, ERes2NetBlock
from course.pooling.cross_attention import multi_head_attention


def _count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _check_integers(fn, cases: list[tuple], expected: list[int], name: str,
                    mistakes: dict[str, Callable] | None = None) -> bool:
    """Call ``fn(*case)`` for each case; compare the integers it returns with ``expected``.

    ``mistakes`` maps a description of a common wrong answer to a function computing it: when
    the answers differ and agree with one mistake on every case, the verdict names it.
    """
    got = []
    for case in cases:
        try:
            value = fn(*case)
        except Exception as error:  # noqa: BLE001 - the learner's code may raise anything
            print(f"✗ {name}{case}: raised {type(error).__name__}: {error}")
            return False
        if not isinstance(value, int | torch.Tensor) or (isinstance(value, torch.Tensor) and value.numel() != 1):
            print(f"✗ {name}{case}: expected an integer, got {type(value).__name__}")
            for description, wrong in (mistakes or {}).items():
                if _agrees(value, wrong, case):
                    print(f"  {IT_LOOKS_LIKE.format(description)}")
                    break
            return False
        got.append(int(value))
    wrong_cases = [(case, g, e) for case, g, e in zip(cases, got, expected, strict=True) if g != e]
    if wrong_cases:
        case, g, e = wrong_cases[0]
        print(f"✗ {name}: {len(wrong_cases)} of {len(cases)} cases differ; first {name}{case} = {g:,}, "
              f"expected {e:,}")
        for description, wrong in (mistakes or {}).items():
            if all(_agrees(value, wrong, c) for c, value in zip(cases, got, strict=True)):
                print(f"  {IT_LOOKS_LIKE.format(description)}")
                break
        return False
    return check(torch.tensor(got), torch.tensor(expected), name=name)


def _agrees(value, wrong: Callable, case: tuple) -> bool:
    try:
        expected = wrong(*case)
    except Exception:  # noqa: BLE001 - a mistake model that does not apply to this case
        return False
    return type(value) is type(expected) and value == expected


# ---- notebook 07: ACA-Net ----

def reference_cross_attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, length: int) -> torch.Tensor:
    """One head: softmax over the first ``length`` frames of q kᵀ/√d, times v → (N, d)."""
    mask = frame_mask(torch.tensor([length]), k.shape[0])  # (1, 1, T)
    out, _ = multi_head_attention(q[None], k[None], v[None], heads=1, mask=mask)
    return out[0]


def _attend(q, k, v, length, scale=None, dim=-1, fill=float("-inf"), masked=True):
    scores = q @ k.T / (math.sqrt(q.shape[-1]) if scale is None else scale)
    if masked:
        scores = scores.masked_fill(torch.arange(k.shape[0]) >= length, fill)
    return torch.softmax(scores, dim=dim) @ v


CROSS_ATTEND_MISTAKES = {
    "the padding not masked: frames from `length` on get attention too (slice k and v, or set their "
    "scores to −∞ before the softmax)": lambda q, k, v, n: _attend(q, k, v, n, masked=False),
    "the padded scores set to 0 instead of −∞: exp(0) = 1 still gives the padding weight":
        lambda q, k, v, n: _attend(q, k, v, n, fill=0.0),
    "the softmax over the latents (dim=0): each latent's weights must sum to one over the frames (dim=-1)":
        lambda q, k, v, n: _attend(q, k, v, n, dim=0),
    "the scores not scaled: divide q kᵀ by √d": lambda q, k, v, n: _attend(q, k, v, n, scale=1.0),
    "the scores divided by d instead of √d": lambda q, k, v, n: _attend(q, k, v, n, scale=q.shape[-1]),
}


@exercise(reference_cross_attend, CROSS_ATTEND_MISTAKES)
def check_cross_attend(fn) -> bool:
    """``fn(q (N, d), k (T, d), v (T, d), length) → (N, d)``: frames from ``length`` on are padding."""
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(n, 8, generator=g, dtype=torch.float64) for n in (5, 12, 12))
    k[9:], v[9:] = 1e3, -1e3  # padding that must not count
    inputs = [(q, k, v, 12), (q, k, v, 9), (q[:1], k, v, 1)]
    if is_stub(fn, inputs[0], "cross_attend"):
        return False
    return check_function(fn, reference_cross_attend, inputs, name="cross_attend", grad=True,
                          mistakes=CROSS_ATTEND_MISTAKES)


ACA_CASES = [(80, 192, 256, 2, 2, 3, 256, 256), (80, 64, 64, 1, 1, 1, 128, 128), (40, 10, 32, 3, 1, 2, 16, 48)]


def _aca_count(in_dim, latents, dim, blocks, cross_layers, latent_layers, mlp_dim, latent_mlp_dim,
               aggregated=None, norms=True, biases=True, with_latents=True, final_norm=True):
    """ACA-Net's parameter count with switches for the mistakes; ``aggregated``: how many E-wide
    tensors the aggregation concatenates (S + 1, the right answer, when None)."""
    bias = 1 if biases else 0

    def layer(mlp):
        return (2 * 2 * dim if norms else 0) + 4 * (dim * dim + bias * dim) + dim * mlp + bias * mlp \
            + mlp * dim + bias * dim

    stacked = latent_layers + 1 if aggregated is None else aggregated(cross_layers, latent_layers)
    block = cross_layers * layer(mlp_dim) + latent_layers * layer(latent_mlp_dim) + stacked * dim * dim + bias * dim
    frames = in_dim * dim + bias * dim + 2 * dim
    embedding = dim + bias + (2 * latents if final_norm else 0)
    return frames + (latents * dim if with_latents else 0) + blocks * block + embedding


ACA_PARAMETER_MISTAKES = {
    "the aggregation convolution from (R + S)·E channels, every layer's latents: it concatenates the last "
    "cross-attention output and each latent layer's output, (S + 1)·E":
        lambda *c: _aca_count(*c, aggregated=lambda r, s: r + s),
    "the aggregation convolution from S·E channels: the last cross-attention output is concatenated too, "
    "(S + 1)·E": lambda *c: _aca_count(*c, aggregated=lambda r, s: s),
    "the aggregation convolution from E channels (a plain E → E layer): it reduces (S + 1)·E to E":
        lambda *c: _aca_count(*c, aggregated=lambda r, s: 1),
    "the LayerNorms left out: two per attention layer, a weight and a bias per channel each":
        lambda *c: _aca_count(*c, norms=False),
    "the biases left out: every linear layer and convolution has one": lambda *c: _aca_count(*c, biases=False),
    "the latents Q left out: N·E learned parameters": lambda *c: _aca_count(*c, with_latents=False),
    "the final BatchNorm over the N embedding dimensions left out": lambda *c: _aca_count(*c, final_norm=False),
}


@exercise(_aca_count, ACA_PARAMETER_MISTAKES)
def check_aca_net_parameters(fn) -> bool:
    """``fn(in_dim, latents, dim, blocks, cross_layers, latent_layers, mlp_dim, latent_mlp_dim) → int``."""
    names = ("in_dim", "latents", "dim", "blocks", "cross_layers", "latent_layers", "mlp_dim", "latent_mlp_dim")
    expected = [_count(ACANet(**dict(zip(names, case, strict=True)), heads=1)) for case in ACA_CASES]
    return _check_integers(fn, ACA_CASES, expected, "aca_net_parameters", mistakes=ACA_PARAMETER_MISTAKES)


# ---- notebook 08: ERes2Net ----

def reference_aff_fuse(x: torch.Tensor, y: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """z = x ⊙ w + y ⊙ (2 − w) with w = 1 + tanh(a)."""
    w = 1 + torch.tanh(a)
    return x * w + y * (2 - w)


AFF_MISTAKES = {
    "Dai et al.'s gate σ(a) ⊙ x + (1 − σ(a)) ⊙ y: ERes2Net's weight 1 + tanh a equals 2σ(2a), the gate "
    "with the logit doubled and the output doubled": lambda x, y, a: x * torch.sigmoid(a) + y * (1 - torch.sigmoid(a)),
    "the gate with logit 2a but not doubled, σ(2a) ⊙ x + (1 − σ(2a)) ⊙ y: that is half of AFF; its weights "
    "w and 2 − w add up to 2": lambda x, y, a: x * torch.sigmoid(2 * a) + y * (1 - torch.sigmoid(2 * a)),
    "x and y swapped: w = 1 + tanh a is the share of x, 2 − w the share of y":
        lambda x, y, a: y * (1 + torch.tanh(a)) + x * (1 - torch.tanh(a)),
    "y weighted by 1 − w instead of 2 − w: the two weights must add up to 2 (w = 1 is the plain sum)":
        lambda x, y, a: x * (1 + torch.tanh(a)) - y * torch.tanh(a),
    "w = tanh a, the 1 + forgotten": lambda x, y, a: x * torch.tanh(a) + y * (2 - torch.tanh(a)),
}


@exercise(reference_aff_fuse, AFF_MISTAKES)
def check_aff_fuse(fn) -> bool:
    """``fn(x, y, a) → z``: the AFF fusion given the attention logits a (same shape as x and y)."""
    g = torch.Generator().manual_seed(1)
    x, y, a = (torch.randn(2, 4, 3, 5, generator=g, dtype=torch.float64) for _ in range(3))
    inputs = [(x, y, a), (x, y, 10 * a), (x, x, a)]
    if is_stub(fn, inputs[0], "aff_fuse"):
        return False
    return check_function(fn, reference_aff_fuse, inputs, name="aff_fuse", grad=True, mistakes=AFF_MISTAKES)


def frames_alone(model: ERes2Net, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(4, B): the frames of stages 1…4 when each utterance ``x[b, :, :lengths[b]]`` runs alone.

    Measured from the width of each stage's output, with no ``lengths`` given: independent of the
    model's length bookkeeping (``strided_lengths``), against which notebook 08 compares it.
    """
    measured = []
    with torch.no_grad():
        for b, n in enumerate(lengths.tolist()):
            trace = model.trace(x[b:b + 1, :, :n])
            measured.append([trace[f"s{j}"].shape[-1] for j in (1, 2, 3, 4)])
    return torch.tensor(measured).T


STRIDE_MISTAKES = {
    "⌊L/8⌋ (floor division): a stride-2 convolution with padding keeps a last partial pair of frames, "
    "⌈L/2⌉, and an utterance shorter than 8 frames would vanish": lambda n: n // 8,
    "L / 8, a float: the frames are a whole number, ⌈L/2⌉ three times (which equals ⌈L/8⌉)": lambda n: n / 8,
    "the strides forgotten: three stride-2 stages (2, 3 and 4) each halve T": lambda n: n,
    "two strides, ⌈L/4⌉: stages 2, 3 and 4 each halve T (the stem and stage 1 keep it)":
        lambda n: math.ceil(n / 4),
    "four strides, ⌈L/16⌉: the stem and stage 1 have stride 1, only stages 2, 3 and 4 halve T":
        lambda n: math.ceil(n / 16),
}


@exercise(lambda n: math.ceil(n / 8), STRIDE_MISTAKES)
def check_frames_after_strides(fn) -> bool:
    """``fn(L) → frames`` the pooling of an ERes2Net receives from an utterance of L frames.

    The expected values are measured: a real ERes2Net runs on an utterance of each L alone and
    the width of its last stage is read, so the model's own length arithmetic is not the referee.
    """
    lengths = torch.arange(1, 70)
    model = ERes2Net(in_dim=8, channels=2, blocks=(1, 1, 1, 1), embed_dim=4).eval()
    measured = frames_alone(model, torch.zeros(len(lengths), 8, int(lengths.max())), lengths)[-1]
    return _check_integers(fn, [(n,) for n in lengths.tolist()], measured.tolist(), "frames_after_strides",
                           mistakes=STRIDE_MISTAKES)


BLOCK_CASES = [(32, 32, 1, False), (64, 64, 2, False), (128, 128, 2, True), (256, 128, 1, True), (512, 256, 2, True)]


def _block_count(in_planes, planes, stride, fuse, shortcut="when needed", bn=True, width=None, aff_bias=True):
    """One ERes2Net block's parameters, with switches for the mistakes."""
    width = planes // 2 if width is None else width(planes)
    out = 2 * planes
    norm = 2 if bn else 0
    count = in_planes * 2 * width + norm * 2 * width + 2 * (9 * width * width + norm * width) + 2 * width * out \
        + norm * out
    if shortcut == "always" or (shortcut == "when needed" and (stride != 1 or in_planes != out)):
        count += in_planes * out + norm * out
    if fuse:
        inner = max(1, width // 4)
        bias = 1 if aff_bias else 0
        count += 2 * width * inner + bias * inner + norm * inner + inner * width + bias * width + norm * width
    return count


BLOCK_MISTAKES = {
    "the shortcut forgotten: a 1×1 convolution + BatchNorm when the stride or the channels change":
        lambda *c: _block_count(*c, shortcut="never"),
    "a shortcut convolution counted in every block: it is the identity when stride = 1 and in_planes = 2·planes":
        lambda *c: _block_count(*c, shortcut="always"),
    "the BatchNorm parameters left out: a weight and a bias per channel": lambda *c: _block_count(*c, bn=False),
    "the width w = planes: it is planes / 2 (base width 32 of 64)": lambda *c: _block_count(*c, width=lambda p: p),
    "the AFF's convolution biases left out (its two 1×1 convolutions have biases, the block's do not)":
        lambda *c: _block_count(*c, aff_bias=False),
}


@exercise(_block_count, BLOCK_MISTAKES)
def check_block_parameters(fn) -> bool:
    """``fn(in_planes, planes, stride, fuse) → int``: parameters of one ERes2Net basic block."""
    expected = [_count(ERes2NetBlock(i, p, s, fuse=f)) for i, p, s, f in BLOCK_CASES]
    return _check_integers(fn, BLOCK_CASES, expected, "block_parameters", mistakes=BLOCK_MISTAKES)
