"""The notebook-09 self-checks pass on the solution and fail on a wrong answer."""

import math

import torch

from course.checks import heads as checks


def test_am_logits_check_passes_on_the_formula():
    def solution(cos, labels, scale, margin):
        return scale * (cos - margin * torch.nn.functional.one_hot(labels, cos.shape[1]))

    assert checks.check_am_logits(solution)


def test_am_logits_check_fails_when_the_margin_hits_every_class(capsys):
    assert not checks.check_am_logits(lambda cos, labels, s, m: s * (cos - m))
    assert "✗" in capsys.readouterr().out


def test_am_logits_check_fails_on_a_stub(capsys):
    assert not checks.check_am_logits(lambda *args: None)
    assert "returned None; write the function first" in capsys.readouterr().out


def test_arc_target_check_passes_on_a_safe_sine():
    def solution(cos, m):
        sine = (1 - cos * cos).clamp(min=1e-12).sqrt()
        phi = cos * math.cos(m) - sine * math.sin(m)
        return torch.where(cos > math.cos(math.pi - m), phi, cos - 1 - math.cos(math.pi - m))

    assert checks.check_arc_target(solution)


def test_arc_target_check_fails_on_arccos_whose_gradient_is_infinite_at_one(capsys):
    def naive(cos, m):
        theta = cos.acos()
        return torch.where(theta + m < math.pi, (theta + m).cos(), cos - 1 - math.cos(math.pi - m))

    assert not checks.check_arc_target(naive)
    assert "gradient" in capsys.readouterr().out


def test_arc_target_check_fails_without_the_fallback():
    def no_fallback(cos, m):
        return (cos.clamp(-1 + 1e-7, 1 - 1e-7).acos() + m).cos()

    assert not checks.check_arc_target(no_fallback)


def test_sphere_psi_check_passes_on_the_formula():
    def solution(theta, m):
        k = torch.floor(m * theta / math.pi)
        return (-1) ** k * torch.cos(m * theta) - 2 * k

    assert checks.check_sphere_psi(solution)


def test_sphere_psi_check_fails_without_the_sign_flip():
    assert not checks.check_sphere_psi(lambda theta, m: torch.cos(m * theta) - 2 * torch.floor(m * theta / math.pi))
