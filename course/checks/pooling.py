"""Self-checks for the pooling exercises (notebook 04).

Each check runs the learner's function on several cases, compares it with the
library (``course.pooling``) and prints ✓ or what is wrong; it returns a bool.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from course import pooling
from course.checks import check_function


def _batches():
    generator = torch.Generator().manual_seed(0)
    cases = []
    for batch, channels, frames in [(1, 3, 1), (2, 4, 6), (3, 5, 11)]:
        x = torch.randn(batch, channels, frames, generator=generator)
        lengths = torch.randint(1, frames + 1, (batch,), generator=generator)
        lengths[0] = frames
        for i, n in enumerate(lengths.tolist()):
            x[i, :, n:] = 9.0  # padding garbage: must not leak into the statistics
        cases.append((x, lengths))
    return cases


def check_tstp_with_lengths(fn: Callable) -> bool:
    """``fn(x (B, C, T), lengths (B,)) -> (B, 2C)`` = [mean; biased std] over the valid frames."""

    def reference(x, lengths):
        return pooling.build("TSTP", x.shape[1])(x, lengths)

    return check_function(fn, reference, _batches(), name="your TSTP with lengths", atol=1e-4, grad=True)


MQMHASTP_CASES = [dict(in_dim=1536, queries=q, heads=h) for q, h in [(1, 1), (2, 4), (4, 16), (3, 8)]]


def _compare_integers(fn: Callable, cases: list[dict], truth: Callable, what: str) -> bool:
    for case in cases:
        try:
            answer = fn(**case)
        except Exception as error:  # noqa: BLE001 - the learner's code may raise anything
            print(f"✗ {what} for {case}: raised {type(error).__name__}: {error}")
            return False
        expected = truth(case)
        if not isinstance(answer, int) or answer != expected:
            print(f"✗ {what} for {case}: got {answer!r}, expected an int equal to the library's {expected}")
            return False
    print(f"✓ {what} matches the library on {len(cases)} configurations")
    return True


def check_mqmhastp_output_size(fn: Callable) -> bool:
    """``fn(in_dim, queries, heads) -> int``, the embedding size of MQMHASTP."""
    return _compare_integers(fn, MQMHASTP_CASES, lambda c: pooling.build("MQMHASTP", **c).out_dim,
                             "MQMHASTP output size")


MQMHASTP_PARAM_CASES = [dict(in_dim=1536, queries=q, heads=h, layers=n, d_s=s, d_k=64)
                        for q, h, n, s in [(1, 1, 2, 1), (2, 4, 2, 1), (2, 4, 1, 1), (1, 8, 2, 192), (4, 2, 1, 768)]]


def check_mqmhastp_parameters(fn: Callable) -> bool:
    """``fn(in_dim, queries, heads, layers, d_s, d_k) -> int``, MQMHASTP's parameter count."""

    def truth(case):
        return sum(p.numel() for p in pooling.build("MQMHASTP", **case).parameters())

    return _compare_integers(fn, MQMHASTP_PARAM_CASES, truth, "MQMHASTP parameter count")
