"""benchmarks/teacher_targets.py: the pair cosines it reports, on targets whose answer is known."""

import importlib.util
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "teacher_targets.py"


def load(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))  # the script imports benchmarks/provenance.py
    spec = importlib.util.spec_from_file_location("teacher_targets", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pair_cosines_split_pairs_by_speaker_and_centring_removes_a_shared_direction(monkeypatch):
    module = load(monkeypatch)
    shared, a, b = torch.eye(3)
    targets = torch.stack([shared + a, shared + a, shared + b, shared + b])
    different, same = module.pair_cosines(targets, ["s1", "s1", "s2", "s2"])
    assert same == pytest.approx(1.0) and different == pytest.approx(0.5)  # the shared axis: cos 1/2
    different, same = module.pair_cosines(targets - targets.mean(0), ["s1", "s1", "s2", "s2"])
    assert same == pytest.approx(1.0) and different == pytest.approx(-1.0)
