import numpy as np
import pytest
import torch

from course import env


def test_smoke_flag_follows_the_environment_variable(monkeypatch):
    monkeypatch.setenv("COURSE_SMOKE", "1")
    assert env.is_smoke() and env.pick(100, 3) == 3
    monkeypatch.setenv("COURSE_SMOKE", "0")
    assert not env.is_smoke() and env.pick(100, 3) == 100
    monkeypatch.delenv("COURSE_SMOKE")
    assert not env.is_smoke()


def test_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert env.device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert env.device().type == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert env.device().type == "cpu"
    assert env.device("cpu").type == "cpu"


def test_seed_everything_makes_draws_repeatable():
    env.seed_everything(7)
    first = (torch.rand(3), np.random.rand(3))
    env.seed_everything(7)
    again = (torch.rand(3), np.random.rand(3))
    assert torch.equal(first[0], again[0]) and np.array_equal(first[1], again[1])


def test_report_names_versions_device_and_mode(monkeypatch):
    monkeypatch.setenv("COURSE_SMOKE", "1")
    text = env.report()
    assert torch.__version__ in text and "device:" in text and "smoke" in text


def test_set_smoke_writes_the_variable_is_smoke_reads(monkeypatch):
    monkeypatch.delenv("COURSE_SMOKE", raising=False)
    env.set_smoke(True)
    assert env.is_smoke()
    env.set_smoke(False)
    assert not env.is_smoke()


def test_torch_threads_sets_the_count_and_restores_it_even_on_error():
    before = torch.get_num_threads()
    with env.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    try:
        with env.torch_threads(1):
            raise RuntimeError("inside")
    except RuntimeError:
        pass
    assert torch.get_num_threads() == before


def test_torch_threads_none_leaves_the_count_unchanged():
    before = torch.get_num_threads()
    with env.torch_threads(None):
        assert torch.get_num_threads() == before


def test_torch_threads_refuses_zero():
    with pytest.raises(ValueError, match="count: expected at least one thread"):
        with env.torch_threads(0):
            pass
