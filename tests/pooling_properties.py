"""Helpers for the pooling tests: building a pooling, a padded batch, and the properties that
tests/test_pooling_contract.py checks for every registered pooling (and family files reuse)."""

from __future__ import annotations

import torch

from course import pooling


def build(name: str, in_dim: int, seed: int = 0, **kwargs):
    torch.manual_seed(seed)
    return pooling.build(name, in_dim, **kwargs).eval()


def random_batch(channels: int, frames: int = 23, batch: int = 4, seed: int = 0):
    """Frames (B, C, T) and random lengths in [1, T], the first one full; padding holds garbage."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, channels, frames, generator=generator)
    lengths = torch.randint(1, frames + 1, (batch,), generator=generator)
    lengths[0] = frames
    for i, n in enumerate(lengths.tolist()):
        x[i, :, n:] = 50.0
    return x, lengths


def assert_module_equals_reference(pool, x, lengths, atol=1e-5):
    """The batched, masked module equals its equation-literal twin, utterance by utterance."""
    batched = pool(x, lengths)
    with torch.no_grad():
        for i, n in enumerate(lengths.tolist()):
            expected = pool.reference(x[i, :, :n], **pool.equation_parameters())
            torch.testing.assert_close(batched[i], expected, atol=atol, rtol=1e-5)


def assert_padded_batch_equals_single(pool, x, lengths):
    batched = pool(x, lengths)
    for i, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(batched[i : i + 1], pool(x[i : i + 1, :, :n]), atol=1e-5, rtol=1e-4)


def assert_invariant_to_permuting_time(pool, x, lengths, seed=1):
    """Shuffling the valid frames of each utterance leaves the embedding unchanged."""
    generator = torch.Generator().manual_seed(seed)
    shuffled = x.clone()
    for i, n in enumerate(lengths.tolist()):
        shuffled[i, :, :n] = x[i, :, torch.randperm(n, generator=generator)]
    torch.testing.assert_close(pool(shuffled, lengths), pool(x, lengths), atol=1e-5, rtol=1e-4)


def assert_output_size(pool, expected: int, channels: int):
    assert pool.out_dim == expected
    assert pool(torch.randn(2, channels, 9)).shape == (2, expected)


def assert_gradcheck_float64(pool, channels: int):
    """Analytic gradients (w.r.t. the frames) match finite differences in float64.

    ``fast_mode`` compares u·J·v for random u, v instead of every entry of J: a wrong
    gradient still fails (with probability one), at a fraction of the cost.
    """
    pool = pool.double()
    x = torch.randn(2, channels, 5, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([5, 3])
    assert torch.autograd.gradcheck(lambda frames: pool(frames, lengths), (x,), eps=1e-6, atol=1e-5, fast_mode=True)


def assert_finite_under_autocast(pool, channels: int, dtype: torch.dtype):
    """Values and gradients stay finite under CPU autocast to float16 / bfloat16."""
    x = (3 * torch.randn(3, channels, 40)).requires_grad_(True)
    lengths = torch.tensor([40, 1, 17])
    with torch.autocast("cpu", dtype=dtype):
        out = pool(x, lengths)
    out.float().sum().backward()
    assert torch.isfinite(out).all() and torch.isfinite(x.grad).all()
    assert all(torch.isfinite(p.grad).all() for p in pool.parameters() if p.grad is not None)


def assert_finite_on_edge_cases(pool, channels: int):
    """Constant input, T = 1 and one valid frame: finite values and gradients (training mode)."""
    cases = [(torch.full((2, channels, 20), 0.7), None), (torch.randn(2, channels, 1), None),
             (torch.randn(2, channels, 20), torch.tensor([1, 20]))]
    for x, lengths in cases:
        x.requires_grad_(True)
        out = pool.train()(x, lengths)
        out.sum().backward()
        assert torch.isfinite(out).all() and torch.isfinite(x.grad).all()
        assert all(torch.isfinite(p.grad).all() for p in pool.parameters() if p.grad is not None)
        pool.zero_grad()
    pool.eval()


def zero_(*layers):
    """Zero the weights and biases of the layers that produce the attention scores."""
    with torch.no_grad():
        for layer in layers:
            for parameter in layer.parameters():
                parameter.zero_()
