"""The check engine: compare an answer with a reference and say precisely what differs.

Each check compares a learner's answer with a reference and says precisely what
differs: the type, the shape, the dtype, NaN or inf, how many values, where the
worst one is and its two values. ``check`` prints the verdict and returns a bool
(for the learner's exercises: a wrong answer must not stop the notebook);
``derive`` prints ✓ or raises (for a notebook's own by-hand-vs-library derivations:
a mismatch there is a bug in the course and must stop the build); ``assert_close``
raises ``CheckFailed`` with the same message (for tests). ``check_function`` also
names a common mistake (``diagnose``) when the wrong answer reproduces it on every case;
``is_stub`` spots an exercise not written yet, ``assert_passes`` makes a worked solution's
check raise. Exercise-specific checks live in the topic modules of this package;
``course.checks`` re-exports this module's public names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import torch

from course.masks import frame_mask


class CheckFailed(AssertionError):
    """A self-check found a difference; the message says which."""


def _as_tensor(value, name: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, np.ndarray | float | int | list | tuple | np.generic):
        return torch.as_tensor(np.asarray(value))
    raise CheckFailed(f"{name}: expected a tensor or array, got {type(value).__name__}")


def describe_difference(actual, expected, name: str = "result", atol: float = 1e-5,
                        rtol: float = 1e-4, check_dtype: bool = False) -> str | None:
    """None when ``actual`` matches ``expected`` within tolerance, else what differs."""
    a = _as_tensor(actual, name)
    e = _as_tensor(expected, "reference")
    if tuple(a.shape) != tuple(e.shape):
        return f"{name}: shape {tuple(a.shape)}, expected {tuple(e.shape)}"
    if check_dtype and a.dtype != e.dtype:
        return f"{name}: dtype {a.dtype}, expected {e.dtype}"
    if a.is_floating_point() or e.is_floating_point():
        a64, e64 = a.to(torch.float64).cpu(), e.to(torch.float64).cpu()
        for label, test in (("NaN", torch.isnan), ("inf", torch.isinf)):
            bad = test(a64) & ~test(e64)
            if bad.any():
                where = tuple(int(i) for i in bad.nonzero()[0])
                return f"{name}: {int(bad.sum())} {label} value(s), first at index {where}"
        close = torch.isclose(a64, e64, atol=atol, rtol=rtol, equal_nan=True)
    else:
        a64, e64 = a.cpu(), e.cpu()
        close = a64 == e64
    if bool(close.all()):
        return None
    diff = (a64 - e64).abs().nan_to_num(0.0) if a64.is_floating_point() else (~close).to(torch.float64)
    diff = torch.where(close, torch.zeros_like(diff, dtype=torch.float64), diff.to(torch.float64))
    flat = int(diff.flatten().argmax())
    where = tuple(int(i) for i in np.unravel_index(flat, tuple(a.shape))) if a.dim() else ()
    return (f"{name}: {int((~close).sum())} of {close.numel()} values differ "
            f"(atol={atol:g}, rtol={rtol:g}); worst at index {where}: "
            f"got {a64[where].item():.6g}, expected {e64[where].item():.6g}")


def assert_close(actual, expected, name: str = "result", atol: float = 1e-5,
                 rtol: float = 1e-4, check_dtype: bool = False) -> None:
    """Raise ``CheckFailed`` naming what differs; return quietly when they match."""
    message = describe_difference(actual, expected, name, atol, rtol, check_dtype)
    if message is not None:
        raise CheckFailed(message)


def check(actual, expected, name: str = "result", atol: float = 1e-5, rtol: float = 1e-4,
          check_dtype: bool = False) -> bool:
    """Print ✓ or what differs, and return whether the answer is right."""
    try:
        assert_close(actual, expected, name, atol, rtol, check_dtype)
    except CheckFailed as failure:
        print(f"✗ {failure}")
        return False
    print(f"✓ {name} matches the reference")
    return True


def derive(actual, expected, name: str = "result", atol: float = 1e-5, rtol: float = 1e-4,
           check_dtype: bool = False) -> None:
    """A derivation check in a notebook: print ✓ when it holds, raise ``CheckFailed`` when not."""
    assert_close(actual, expected, name, atol, rtol, check_dtype)
    print(f"✓ {name} matches the reference")


Mistake = tuple[str, Callable]  # (what the learner probably did, a function that does exactly that)
Mistakes = dict[str, Callable] | Sequence[Mistake]  # pairs allow one description for several wrong answers
IT_LOOKS_LIKE = "It looks like {}."  # how ``check_function`` names a mistake, by default
COMMON_MISTAKE = "→ this looks like a common mistake: {}"  # the pooling exercises' wording (notebooks 04-06)


def check_function(fn: Callable, reference: Callable, inputs: Iterable[tuple],
                   name: str | None = None, atol: float = 1e-5, rtol: float = 1e-4,
                   grad: bool = False, mistakes: Mistakes | None = None, hint: str = IT_LOOKS_LIKE) -> bool:
    """Call ``fn`` and ``reference`` on each tuple of inputs and compare the outputs.

    With ``grad=True`` the gradients of the summed output with respect to every
    floating-point tensor input are compared too (autograd as the referee).
    ``mistakes`` maps a description of a common wrong answer ("the unbiased
    variance, 1/(T−1)") to a function computing that wrong answer: when ``fn``
    fails and agrees with one of them (``diagnose``), the verdict names the mistake,
    worded by ``hint``.
    """
    name = name or getattr(fn, "__name__", "your function")
    inputs = list(inputs)
    for case, args in enumerate(inputs):
        label = f"{name} on example {case}"
        try:
            _compare(fn, reference, args, label, atol, rtol, grad)
        except CheckFailed as failure:
            print(f"✗ {failure}")
            description = diagnose(fn, inputs, mistakes, atol, rtol, grad, failed=case)
            if description:
                print(f"  {hint.format(description)}")
            return False
    print(f"✓ {name} matches the reference on every example")
    return True


def diagnose(fn: Callable, cases: Sequence[tuple], mistakes: Mistakes | None, atol: float = 1e-5,
             rtol: float = 1e-4, grad: bool = False, failed: int | None = None) -> str | None:
    """The description of the mistake ``fn`` reproduces, if any: the first one it reproduces on every
    case, else (``failed`` given) the first one it reproduces on ``cases[failed]``, the case it got wrong.

    Every case first, so that of two mistakes that agree where ``fn`` first fails, the one that also
    agrees elsewhere is named (T2's plain root with or without the norm's floor); the failing case alone
    next, since a learner's version of a mistake may part from its model on an edge case (a softmax
    over a single latent)."""
    pairs = list(mistakes.items() if isinstance(mistakes, dict) else (mistakes or ()))
    for subset in ([cases] if failed is None else [cases, [cases[failed]]]):
        for description, wrong in pairs:
            try:
                for args in subset:
                    _compare(fn, wrong, args, "", atol, rtol, grad)
            except Exception:  # noqa: BLE001 - not this mistake (or the learner's code raised)
                continue
            return description
    return None


def is_stub(fn: Callable, args: tuple, name: str) -> bool:
    """True (with a hint printed) when ``fn`` is still the exercise's stub: it returns None or raises
    NotImplementedError. Any other error is the learner's code at work: the full check reports it."""
    try:
        result = fn(*args)
    except NotImplementedError:
        result = None
    except Exception:  # noqa: BLE001 - a real error: let the full check report it
        return False
    if result is None:
        print(f"✗ {name}: returned None; write the function first")
        return True
    return False


def exercise(solution: Callable, mistakes: Mistakes = ()) -> Callable:
    """Decorator for an exercise's check: its worked solution and the mistakes it names, both written as
    the learner's function. tests/test_checks_contract.py finds every check and holds it to accepting
    the one and naming each of the others."""

    def declare(check: Callable) -> Callable:
        check.solution = solution
        check.mistakes = list(mistakes.items() if isinstance(mistakes, dict) else mistakes)
        return check

    return declare


def assert_passes(result: bool) -> None:
    """For solution cells: raise when a self-check printed ✗."""
    if not result:
        raise CheckFailed("the self-check failed on the worked solution")


def _compare(fn, reference, args, label, atol, rtol, grad) -> None:
    mine_args = _fresh(args, grad)
    ref_args = _fresh(args, grad)
    try:
        mine = fn(*mine_args)
    except Exception as error:  # noqa: BLE001 - the learner's code may raise anything
        raise CheckFailed(f"{label}: raised {type(error).__name__}: {error}") from None
    ref = reference(*ref_args)
    assert_close(mine, ref, label, atol, rtol)
    if grad:
        _compare_grads(mine, ref, mine_args, ref_args, label, atol, rtol)


def _fresh(args: tuple, grad: bool) -> tuple:
    out = []
    for arg in args:
        if isinstance(arg, torch.Tensor):
            arg = arg.detach().clone()
            if grad and arg.is_floating_point():
                arg.requires_grad_(True)
        out.append(arg)
    return tuple(out)


def _compare_grads(mine, ref, mine_args, ref_args, label, atol, rtol) -> None:
    if not (isinstance(mine, torch.Tensor) and mine.requires_grad):
        raise CheckFailed(f"{label}: the output is not connected to the inputs by autograd")
    mine.sum().backward()
    ref.sum().backward()
    for index, (a, r) in enumerate(zip(mine_args, ref_args, strict=True)):
        if isinstance(a, torch.Tensor) and a.requires_grad:
            grad_a = a.grad if a.grad is not None else torch.zeros_like(a)
            grad_r = r.grad if r.grad is not None else torch.zeros_like(r)
            assert_close(grad_a, grad_r, f"{label}, gradient of argument {index}", atol, rtol)


def padded_batches(shapes: Sequence[tuple[int, int, int]], seed: int = 0, garbage: float = 9.0):
    """Cases ``(x (B, C, T), lengths (B,))`` for each (B, C, T), the first utterance full and the
    padding holding ``garbage`` (it must not leak); also the generator, for more inputs."""
    generator = torch.Generator().manual_seed(seed)
    cases = []
    for batch, channels, frames in shapes:
        x = torch.randn(batch, channels, frames, generator=generator)
        lengths = torch.randint(1, frames + 1, (batch,), generator=generator)
        lengths[0] = frames
        x = x.masked_fill(~frame_mask(lengths, frames), garbage)
        cases.append((x, lengths))
    return cases, generator
