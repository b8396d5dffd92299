"""Self-checks for the statistics and attention pooling exercises (notebook 04).

Each check runs the learner's function on several cases, compares it with the
library (``course.pooling``) and prints ✓ or what is wrong; it returns a bool.
When the answer is wrong, the check also tries the common mistakes of that
exercise (each written out below as a function) and, when the answer agrees with
one of them on every case (``course.checks.diagnose``), says which mistake it looks like.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from course import pooling
from course.checks.engine import COMMON_MISTAKE, Mistake, check_function, exercise, padded_batches
from course.masks import frame_mask


def _batches():
    return padded_batches([(1, 3, 1), (2, 4, 6), (3, 5, 11)])[0]


def _tstp(x, lengths, divide_by=None, unbiased=False, floor=True, masked=True, std=True):
    """TSTP over the valid frames, with switches that reproduce the common mistakes."""
    mask = frame_mask(lengths, x.shape[-1]).to(x.dtype)
    if not masked:
        mask = torch.ones_like(mask)
    count = mask.sum(-1) if divide_by is None else torch.full_like(mask.sum(-1), float(divide_by(x)))
    mean = (x * mask).sum(-1) / count
    var = ((x - mean[..., None]) ** 2 * mask).sum(-1) / (count - 1 if unbiased else count)
    spread = var.clamp(min=1e-5) if floor else var
    return torch.cat([mean, spread.sqrt() if std else spread], dim=1)


TSTP_MISTAKES: list[Mistake] = [
    ("the padding was included (mask forgotten)", lambda x, n: _tstp(x, n, masked=False)),
    ("the masked sums were divided by T, the padded length, not by each utterance's length",
     lambda x, n: _tstp(x, n, divide_by=lambda x: x.shape[-1])),
    ("unbiased variance (÷ (n − 1)): TSTP uses the biased one, ÷ n, defined even for one frame",
     lambda x, n: _tstp(x, n, unbiased=True)),
    ("no floor: sqrt(var) instead of sqrt(max(var, 1e-5)), wrong (and an infinite gradient) at var = 0",
     lambda x, n: _tstp(x, n, floor=False)),
    ("the variance where the standard deviation belongs", lambda x, n: _tstp(x, n, std=False)),
]


def reference_tstp(x, lengths):
    """The library's TSTP."""
    return pooling.build("TSTP", x.shape[1])(x, lengths)


@exercise(reference_tstp, TSTP_MISTAKES)
def check_tstp_with_lengths(fn: Callable) -> bool:
    """``fn(x (B, C, T), lengths (B,)) -> (B, 2C)`` = [mean; biased std] over the valid frames."""
    return check_function(fn, reference_tstp, _batches(), name="your TSTP with lengths", atol=1e-4, grad=True,
                          mistakes=TSTP_MISTAKES, hint=COMMON_MISTAKE)


MQMHASTP_CASES = [dict(in_dim=1536, queries=q, heads=h) for q, h in [(1, 1), (2, 4), (4, 16), (3, 8)]]

OUTPUT_SIZE_MISTAKES: list[Mistake] = [
    ("the standard deviation is missing: each head gives a mean *and* a std", lambda c: c["queries"] * c["in_dim"]),
    ("the queries are missing: each query repeats the whole attention", lambda c: 2 * c["in_dim"]),
    ("each head counted with all D channels: a head has d_h = D / H of them",
     lambda c: 2 * c["queries"] * c["heads"] * c["in_dim"]),
]


def _compare_integers(fn: Callable, cases: list[dict], truth: Callable, what: str,
                      mistakes: Sequence[Mistake] = ()) -> bool:
    for case in cases:
        try:
            answer = fn(**case)
        except Exception as error:  # noqa: BLE001 - the learner's code may raise anything
            print(f"✗ {what} for {case}: raised {type(error).__name__}: {error}")
            return False
        expected = truth(case)
        if not isinstance(answer, int) or answer != expected:
            print(f"✗ {what} for {case}: got {answer!r}, expected an int equal to the library's {expected}")
            label = next((lab for lab, wrong in mistakes if _matches_everywhere(fn, wrong, cases)), None)
            if label is not None:
                print(f"  {COMMON_MISTAKE.format(label)}")
            return False
    print(f"✓ {what} matches the library on {len(cases)} configurations")
    return True


def _matches_everywhere(fn: Callable, wrong: Callable, cases: list[dict]) -> bool:
    try:
        return all(fn(**case) == wrong(case) for case in cases)
    except Exception:  # noqa: BLE001 - the learner's code may raise anything
        return False


def _keywords(mistakes: Sequence[Mistake]) -> list[Mistake]:
    """The mistakes (written on a configuration dict) as the learner's function of keywords."""
    return [(label, lambda wrong=wrong, **case: wrong(case)) for label, wrong in mistakes]


def reference_mqmhastp_output_size(in_dim, queries, heads):
    return pooling.build("MQMHASTP", in_dim=in_dim, queries=queries, heads=heads).out_dim


@exercise(reference_mqmhastp_output_size, _keywords(OUTPUT_SIZE_MISTAKES))
def check_mqmhastp_output_size(fn: Callable) -> bool:
    """``fn(in_dim, queries, heads) -> int``, the embedding size of MQMHASTP."""
    return _compare_integers(fn, MQMHASTP_CASES, lambda case: reference_mqmhastp_output_size(**case),
                             "MQMHASTP output size", OUTPUT_SIZE_MISTAKES)


MQMHASTP_PARAM_CASES = [dict(in_dim=1536, queries=q, heads=h, layers=n, d_s=s, d_k=64)
                        for q, h, n, s in [(1, 1, 2, 1), (2, 4, 2, 1), (2, 4, 1, 1), (1, 8, 2, 192), (4, 2, 1, 768)]]


def _mqmhastp_count(c: dict, biases: bool = True, queries: bool = True, second_layer: bool = True) -> int:
    d_h = c["in_dim"] // c["heads"]
    b = 1 if biases else 0
    if c["layers"] == 1:
        per_head = d_h * c["d_s"] + b * c["d_s"]
    else:
        per_head = d_h * c["d_k"] + b * c["d_k"] + (c["d_k"] * c["d_s"] + b * c["d_s"] if second_layer else 0)
    return (c["queries"] if queries else 1) * c["heads"] * per_head


PARAMETER_MISTAKES: list[Mistake] = [
    ("the biases are missing: every scorer layer has one per output row (even the inert last ones)",
     lambda c: _mqmhastp_count(c, biases=False)),
    ("the queries share their scorers: each query has its own parameters",
     lambda c: _mqmhastp_count(c, queries=False)),
    ("with two layers, only the first one (d_h → d_k) was counted", lambda c: _mqmhastp_count(c, second_layer=False)),
]


def reference_mqmhastp_parameters(**case) -> int:
    return sum(p.numel() for p in pooling.build("MQMHASTP", **case).parameters())


@exercise(reference_mqmhastp_parameters, _keywords(PARAMETER_MISTAKES))
def check_mqmhastp_parameters(fn: Callable) -> bool:
    """``fn(in_dim, queries, heads, layers, d_s, d_k) -> int``, MQMHASTP's parameter count."""
    return _compare_integers(fn, MQMHASTP_PARAM_CASES, lambda case: reference_mqmhastp_parameters(**case),
                             "MQMHASTP parameter count", PARAMETER_MISTAKES)
