"""Margin heads: each logit formula against a direct float64 computation."""

import math

import numpy as np
import pytest
import torch

from course import heads
from course.heads.sphere import lambda_at, psi


def _inputs(seed=0, batch=6, dim=5, classes=4):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, dim, generator=g, dtype=torch.float64)
    y = torch.randint(0, classes, (batch,), generator=g)
    return x, y


def _direct_cos(x, w):
    x, w = x.detach().numpy(), w.detach().double().numpy()
    return (x / np.linalg.norm(x, axis=1, keepdims=True)) @ (w / np.linalg.norm(w, axis=1, keepdims=True)).T


def _onehot(y, classes):
    return np.eye(classes, dtype=bool)[y.numpy()]


def test_build_knows_the_four_heads():
    assert heads.available() == ["softmax", "add_margin", "arc_margin", "sphere"]
    for name in heads.available():
        assert heads.build(name, 5, 4)(torch.randn(3, 5), torch.tensor([0, 1, 3])).shape == (3, 4)


def test_build_rejects_unknown_name_and_bad_kwargs():
    with pytest.raises(ValueError, match="unknown name 'cosface'"):
        heads.build("cosface", 5, 4)
    with pytest.raises(ValueError, match="bad keyword"):
        heads.build("add_margin", 5, 4, easy_margin=True)


def test_scale_defaults_to_32_where_a_scale_applies():
    assert heads.build("add_margin", 5, 4).scale == 32.0
    assert heads.build("arc_margin", 5, 4).scale == 32.0


def test_plain_softmax_is_w_x_plus_b():
    x, y = _inputs()
    head = heads.build("softmax", 5, 4).double()
    expected = x.numpy() @ head.linear.weight.detach().numpy().T + head.linear.bias.detach().numpy()
    np.testing.assert_allclose(head(x, y).detach().numpy(), expected, atol=1e-12)


def test_wespeaker_softmax_is_batchnorm_relu_linear():
    x, y = _inputs()
    head = heads.build("softmax", 5, 4, style="wespeaker").double().eval()
    bn = head.pre[0]
    bn.running_mean.uniform_(-1, 1)
    bn.running_var.uniform_(0.5, 2)
    bn.weight.data.uniform_(0.5, 2)
    bn.bias.data.uniform_(-1, 1)
    p = {k: v.detach().numpy() for k, v in head.state_dict().items()}
    normed = (x.numpy() - p["pre.0.running_mean"]) / np.sqrt(p["pre.0.running_var"] + bn.eps)
    hidden = np.maximum(normed * p["pre.0.weight"] + p["pre.0.bias"], 0)
    expected = hidden @ p["linear.weight"].T + p["linear.bias"]
    np.testing.assert_allclose(head(x, y).detach().numpy(), expected, atol=1e-12)


def test_add_margin_logits_are_s_times_cos_minus_m_on_the_target():
    x, y = _inputs()
    head = heads.build("add_margin", 5, 4, scale=30.0, margin=0.35).double()
    cos = _direct_cos(x, head.weight)
    expected = 30.0 * np.where(_onehot(y, 4), cos - 0.35, cos)
    np.testing.assert_allclose(head(x, y).detach().numpy(), expected, atol=1e-12)


def test_arc_margin_logits_are_s_times_cos_theta_plus_m_on_the_target():
    x, y = _inputs(1)
    head = heads.build("arc_margin", 5, 4, margin=0.3).double()
    cos = _direct_cos(x, head.weight)
    theta = np.arccos(cos)
    target = np.where(theta + 0.3 < math.pi, np.cos(theta + 0.3), cos - (1 + math.cos(math.pi - 0.3)))
    expected = 32.0 * np.where(_onehot(y, 4), target, cos)
    np.testing.assert_allclose(head(x, y).detach().numpy(), expected, atol=1e-9)


def test_arc_easy_margin_applies_only_where_cos_is_positive():
    head = heads.build("arc_margin", 2, 2, margin=0.5, easy_margin=True).double()
    cos = torch.linspace(-1, 1, 201, dtype=torch.float64)
    theta = np.arccos(cos.numpy())
    expected = np.where(cos.numpy() > 0, np.cos(theta + 0.5), cos.numpy())
    np.testing.assert_allclose(head.target(cos).numpy(), expected, atol=1e-6)  # sin θ floored at 1e-6


def test_arc_fallback_meets_cos_pi_and_keeps_decreasing_past_pi_minus_m():
    m = 0.5
    head = heads.build("arc_margin", 2, 2, margin=m).double()
    theta = torch.linspace(0, math.pi, 2001, dtype=torch.float64)
    target = head.target(theta.cos())
    assert (target.diff() < 0).all()
    at_edge = head.target(torch.tensor([math.cos(math.pi - m) - 1e-12], dtype=torch.float64))
    assert abs(float(at_edge) + 1.0) < 1e-9


def test_sphere_psi_is_the_piecewise_continuation_of_cos_m_theta():
    theta = np.linspace(0, math.pi, 1001)
    for m in (1, 2, 3, 4):
        k = np.minimum(np.floor(m * theta / math.pi), m - 1)
        expected = (-1.0) ** k * np.cos(m * theta) - 2 * k
        got = psi(torch.from_numpy(np.cos(theta)), m).numpy()
        np.testing.assert_allclose(got, expected, atol=1e-9)
        assert (np.diff(got) < 0).all()


def test_sphere_lambda_follows_the_wespeaker_schedule():
    for it in (0, 1, 10, 100, 10000):
        assert lambda_at(it) == pytest.approx(max(5.0, 1000.0 / (1 + 0.12 * it)))


def test_sphere_logits_blend_psi_with_lambda_and_scale_by_the_norm():
    x, y = _inputs(2)
    head = heads.build("sphere", 5, 4).double().train()
    head.iteration.fill_(40)
    head.step()
    logits = head(x, y)  # the 41st training step
    lam = max(5.0, 1000.0 / (1 + 0.12 * 41))
    cos = _direct_cos(x, head.weight)
    theta = np.arccos(np.clip(cos, -1, 1))
    k = np.minimum(np.floor(4 * theta / math.pi), 3)
    psi_direct = (-1.0) ** k * np.cos(4 * theta) - 2 * k
    target = cos + (psi_direct - cos) / (1 + lam)
    expected = np.linalg.norm(x.numpy(), axis=1, keepdims=True) * np.where(_onehot(y, 4), target, cos)
    np.testing.assert_allclose(logits.detach().numpy(), expected, atol=1e-9)


def test_sphere_counts_steps_not_forward_passes():
    head = heads.build("sphere", 5, 4)
    x, y = torch.randn(3, 5), torch.tensor([0, 1, 2])
    head.train()(x, y)
    head(x)
    head.eval()(x, y)
    assert int(head.iteration) == 0
    head.step()
    head.step()
    assert int(head.iteration) == 2


@pytest.mark.parametrize("name", ["softmax", "add_margin", "arc_margin", "sphere"])
def test_every_head_has_a_step_that_leaves_its_logits_to_the_schedule(name):
    head = heads.build(name, 5, 4).train()
    x, y = torch.randn(3, 5), torch.tensor([0, 1, 2])
    before = head(x, y)
    torch.testing.assert_close(head(x, y), before)  # a forward pass changes nothing
    head.step()


@pytest.mark.parametrize("name", ["add_margin", "arc_margin", "sphere", "softmax"])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_values_and_gradients_are_finite_at_cos_plus_minus_one(name, sign):
    head = heads.build(name, 4, 3)
    if name == "softmax":
        weight = head.linear.weight
    else:
        weight = head.weight
    x = (sign * 2.5 * weight.detach().clone()).requires_grad_(True)  # cos θ_y = ±1 exactly
    y = torch.arange(3)
    logits = head(x, y)
    torch.nn.functional.cross_entropy(logits, y).backward()
    assert torch.isfinite(logits).all()
    assert torch.isfinite(x.grad).all()
    assert torch.isfinite(weight.grad).all()


def test_arc_margin_gradient_is_finite_in_float32_at_cos_one():
    head = heads.build("arc_margin", 3, 2)
    cos = torch.tensor([1.0, -1.0, 0.999999], requires_grad=True)
    head.target(cos).sum().backward()
    assert torch.isfinite(cos.grad).all()


@pytest.mark.parametrize("name", ["add_margin", "arc_margin"])
def test_without_labels_the_logits_have_no_margin(name):
    x, _ = _inputs()
    head = heads.build(name, 5, 4).double()
    np.testing.assert_allclose(head(x).detach().numpy(), 32.0 * _direct_cos(x, head.weight), atol=1e-12)


def test_bad_labels_raise_a_clear_error():
    head = heads.build("arc_margin", 5, 4)
    with pytest.raises(ValueError, match=r"labels: every label must be in \[0, 3\]"):
        head(torch.randn(2, 5), torch.tensor([0, 4]))
    with pytest.raises(ValueError, match=r"embeddings: expected shape \(B, 5\)"):
        head(torch.randn(2, 6), torch.tensor([0, 1]))


@pytest.mark.parametrize("kind", ["linear", "exp"])
def test_margin_scheduler_ramps_from_initial_to_final(kind):
    head = heads.build("arc_margin", 5, 4, margin=0.2)
    scheduler = heads.MarginScheduler(head, initial=0.0, final=0.2, start=10, stop=50, kind=kind)
    assert head.margin == 0.0
    margins = [scheduler.step() for _ in range(60)]
    assert margins[:10] == [0.0] * 10
    assert all(b >= a for a, b in zip(margins, margins[1:]))
    assert margins[-1] == pytest.approx(0.2)
    assert head.margin == margins[-1]
    if kind == "linear":
        assert margins[29] == pytest.approx(0.2 * (30 - 10) / 40)
    else:
        assert margins[29] == pytest.approx(0.2 * (1 - math.exp(0.5 * math.log(1e-3))))


def test_every_head_takes_a_margin_scheduler_at_a_constant_margin_it_supports():
    for name, margin in (("softmax", 0.0), ("add_margin", 0.2), ("arc_margin", 0.2), ("sphere", 4)):
        head = heads.build(name, 5, 4)
        scheduler = heads.MarginScheduler(head, initial=margin, final=margin, start=0, stop=10)
        assert scheduler.step() == margin and head.margin == margin


def test_ramping_the_sphere_margin_is_a_clear_error_not_a_silent_m_of_one():
    head = heads.build("sphere", 5, 4)
    with pytest.raises(ValueError, match="integer m ≥ 1, got 0.2.*λ schedule"):
        heads.MarginScheduler(head, initial=0.0, final=0.2, start=0, stop=100)
    with pytest.raises(ValueError, match="integer m ≥ 1"):  # an integer ramp passes through fractions
        heads.MarginScheduler(head, initial=1, final=4, start=0, stop=100)
    with pytest.raises(ValueError, match="got 0.2"):
        head.update(0.2)
    assert head.margin == 4


def test_a_margin_schedule_on_the_plain_softmax_fails_at_construction():
    head = heads.build("softmax", 5, 4)
    with pytest.raises(ValueError, match="plain softmax head has no margin"):
        heads.MarginScheduler(head, initial=0.0, final=0.2, start=100, stop=200)
