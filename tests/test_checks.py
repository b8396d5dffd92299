import numpy as np
import pytest
import torch

from course import checks


def test_matching_values_pass_and_print_a_tick(capsys):
    assert checks.check(torch.ones(3), np.ones(3), name="mean")
    assert "✓ mean" in capsys.readouterr().out


def test_shape_mismatch_is_named():
    message = checks.describe_difference(torch.ones(2, 3), torch.ones(3, 2), name="stats")
    assert message == "stats: shape (2, 3), expected (3, 2)"


def test_dtype_mismatch_is_named_when_asked():
    message = checks.describe_difference(torch.ones(2), torch.ones(2, dtype=torch.float64), check_dtype=True)
    assert "dtype torch.float32, expected torch.float64" in message


def test_nan_is_reported_with_its_position():
    actual = torch.tensor([[1.0, float("nan")], [0.0, 0.0]])
    message = checks.describe_difference(actual, torch.zeros(2, 2))
    assert "1 NaN value(s), first at index (0, 1)" in message


def test_worst_difference_is_located_with_both_values():
    expected = torch.zeros(2, 3)
    actual = expected.clone()
    actual[1, 2] = 0.5
    actual[0, 0] = 0.1
    message = checks.describe_difference(actual, expected)
    assert "2 of 6 values differ" in message and "index (1, 2)" in message
    assert "got 0.5, expected 0" in message


def test_assert_close_raises_check_failed():
    with pytest.raises(checks.CheckFailed, match="shape"):
        checks.assert_close(torch.ones(1), torch.ones(2))


def test_non_tensor_answer_is_named(capsys):
    assert not checks.check("0.5", torch.ones(1), name="answer")
    assert "answer: expected a tensor or array, got str" in capsys.readouterr().out


def test_check_function_reports_the_failing_example(capsys):
    inputs = [(torch.randn(4),), (torch.randn(5),)]
    assert checks.check_function(torch.sin, torch.sin, inputs)
    assert not checks.check_function(lambda x: x.sum() / 4, torch.mean, inputs, name="my_mean")
    assert "my_mean on example 1" in capsys.readouterr().out


def test_check_function_compares_gradients(capsys):
    detached = lambda x: torch.tanh(x.detach())  # right values, no gradient  # noqa: E731
    assert checks.check_function(torch.tanh, torch.tanh, [(torch.randn(3),)], grad=True)
    assert not checks.check_function(detached, torch.tanh, [(torch.randn(3),)], grad=True)
    assert "not connected" in capsys.readouterr().out


def test_check_function_reports_exceptions(capsys):
    def broken(x):
        raise RuntimeError("boom")

    assert not checks.check_function(broken, torch.sin, [(torch.randn(2),)], name="broken")
    assert "broken on example 0: raised RuntimeError: boom" in capsys.readouterr().out
