"""Self-checks for the ACA-Net (07) and ERes2Net (08) exercises.

Each compares the learner's function with the library on several cases: the
attention of ``course.pooling.cross_attention``, the parameter counts of the
``course.models`` classes, and the lengths an ERes2Net really produces.
"""

from __future__ import annotations

import torch

from course.checks import check, check_function
from course.masks import frame_mask
from course.models.aca_net import ACANet
from course.models.eres2net import ERes2Net, ERes2NetBlock
from course.pooling.cross_attention import multi_head_attention


def _count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _check_integers(fn, cases: list[tuple], expected: list[int], name: str) -> bool:
    """Call ``fn(*case)`` for each case; compare the integers it returns with ``expected``."""
    got = []
    for case in cases:
        try:
            value = fn(*case)
        except Exception as error:  # noqa: BLE001 - the learner's code may raise anything
            print(f"✗ {name}{case}: raised {type(error).__name__}: {error}")
            return False
        if not isinstance(value, int | torch.Tensor) or (isinstance(value, torch.Tensor) and value.numel() != 1):
            print(f"✗ {name}{case}: expected an integer, got {type(value).__name__}")
            return False
        got.append(int(value))
    wrong = [(case, g, e) for case, g, e in zip(cases, got, expected, strict=True) if g != e]
    if wrong:
        case, g, e = wrong[0]
        print(f"✗ {name}: {len(wrong)} of {len(cases)} cases differ; first {name}{case} = {g:,}, expected {e:,}")
        return False
    return check(torch.tensor(got), torch.tensor(expected), name=name)


# ---- notebook 07: ACA-Net ----

def reference_cross_attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, length: int) -> torch.Tensor:
    """One head: softmax over the first ``length`` frames of q kᵀ/√d, times v → (N, d)."""
    mask = frame_mask(torch.tensor([length]), k.shape[0])  # (1, 1, T)
    out, _ = multi_head_attention(q[None], k[None], v[None], heads=1, mask=mask)
    return out[0]


def check_cross_attend(fn) -> bool:
    """``fn(q (N, d), k (T, d), v (T, d), length) → (N, d)``: frames from ``length`` on are padding."""
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(n, 8, generator=g, dtype=torch.float64) for n in (5, 12, 12))
    k[9:], v[9:] = 1e3, -1e3  # padding that must not count
    inputs = [(q, k, v, 12), (q, k, v, 9), (q[:1], k, v, 1)]
    return check_function(fn, reference_cross_attend, inputs, name="cross_attend", grad=True)


ACA_CASES = [(80, 192, 256, 2, 2, 3, 256, 256), (80, 64, 64, 1, 1, 1, 128, 128), (40, 10, 32, 3, 1, 2, 16, 48)]


def check_aca_net_parameters(fn) -> bool:
    """``fn(in_dim, latents, dim, blocks, cross_layers, latent_layers, mlp_dim, latent_mlp_dim) → int``."""
    names = ("in_dim", "latents", "dim", "blocks", "cross_layers", "latent_layers", "mlp_dim", "latent_mlp_dim")
    expected = [_count(ACANet(**dict(zip(names, case, strict=True)), heads=1)) for case in ACA_CASES]
    return _check_integers(fn, ACA_CASES, expected, "aca_net_parameters")


# ---- notebook 08: ERes2Net ----

def reference_aff_fuse(x: torch.Tensor, y: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """z = x ⊙ w + y ⊙ (2 − w) with w = 1 + tanh(a)."""
    w = 1 + torch.tanh(a)
    return x * w + y * (2 - w)


def check_aff_fuse(fn) -> bool:
    """``fn(x, y, a) → z``: the AFF fusion given the attention logits a (same shape as x and y)."""
    g = torch.Generator().manual_seed(1)
    x, y, a = (torch.randn(2, 4, 3, 5, generator=g, dtype=torch.float64) for _ in range(3))
    inputs = [(x, y, a), (x, y, 10 * a), (x, x, a)]
    return check_function(fn, reference_aff_fuse, inputs, name="aff_fuse", grad=True)


def check_frames_after_strides(fn) -> bool:
    """``fn(L) → frames`` the pooling of an ERes2Net receives from an utterance of L frames."""
    lengths = list(range(1, 70))
    model = ERes2Net(in_dim=8, channels=2, blocks=(1, 1, 1, 1), embed_dim=4).eval()
    with torch.no_grad():
        _, measured = model.frame_features(torch.zeros(len(lengths), 8, max(lengths)), torch.tensor(lengths))
    return _check_integers(fn, [(n,) for n in lengths], measured.tolist(), "frames_after_strides")


BLOCK_CASES = [(32, 32, 1, False), (64, 64, 2, False), (128, 128, 2, True), (256, 128, 1, True), (512, 256, 2, True)]


def check_block_parameters(fn) -> bool:
    """``fn(in_planes, planes, stride, fuse) → int``: parameters of one ERes2Net basic block."""
    expected = [_count(ERes2NetBlock(i, p, s, fuse=f)) for i, p, s, f in BLOCK_CASES]
    return _check_integers(fn, BLOCK_CASES, expected, "block_parameters")
