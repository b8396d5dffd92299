"""course.models.cost: FLOPs and saved activations measured, on layers whose cost is known."""

import torch

from course.models.cost import count_parameters, forward_flops, median_seconds, saved_activation_bytes


class Wrapped(torch.nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x, lengths=None):
        return self.layer(x)


def test_flops_of_a_linear_layer_are_two_per_multiply_add():
    model = Wrapped(torch.nn.Linear(16, 8))
    assert forward_flops(model, torch.randn(5, 16)) == 2 * 5 * 16 * 8
    assert count_parameters(model) == 16 * 8 + 8


def test_saved_activations_of_attention_scores_grow_with_t_squared():
    def scores(frames):
        x = torch.randn(frames, 4, requires_grad=True)
        return lambda: torch.softmax(x @ x.T, dim=-1).sum().backward()

    small, large = saved_activation_bytes(scores(100)), saved_activation_bytes(scores(200))
    assert small >= 100 * 100 * 4  # the softmax output (T × T float32) is saved
    assert 3.5 < large / small <= 4.0


def test_median_seconds_reports_wall_and_cpu_time():
    wall, cpu = median_seconds(lambda: sum(range(10_000)), repeats=3)
    assert wall > 0 and cpu >= 0
