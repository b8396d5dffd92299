"""The shoot-out command: a tiny run writes the results file, resumes without retraining, filters
with --only; unknown names and bad files are clear errors. (Planning, resume and the split over
torchrun ranks, without training: tests/test_experiments_planning.py.)"""

import json

import numpy as np
import pytest

from course.experiments import compare, read_results, resolve, run_shootout, summarise, system_config
from course.experiments import shootout as shootout_module
from course.experiments.__main__ import main
from course.experiments.statistics import bootstrap_system, decode_scores, trial_speakers, weighted_eer
from tests.synthvox_tiny import tiny_corpus


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_SMOKE", "1")
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))  # trained models cached here, not in data/
    return tiny_corpus(tmp_path)


@pytest.fixture
def counted(monkeypatch):
    """Count the runs actually trained."""
    calls = []
    real = shootout_module.train_one

    def train_one(job):
        calls.append((job["system"], job["seed"]))
        return real(job)

    monkeypatch.setattr(shootout_module, "train_one", train_one)
    return calls


@pytest.mark.slow
def test_a_tiny_shootout_writes_resumes_and_filters(tiny, tmp_path, counted, capsys):
    out = tmp_path / "shootout.jsonl"
    args = ["shootout", "--budget", "3", "--seeds", "2", "--only", "TSTP,ACA-Net", "--out", str(out),
            "--corpus", str(tiny)]
    assert main(args) == 0
    records = read_results(out)
    assert sorted((r["system"], r["seed"]) for r in records) == [
        ("ACA-Net", 0), ("ACA-Net", 1), ("ECAPA+TSTP", 0), ("ECAPA+TSTP", 1)]
    assert len(counted) == 4
    for record in records:
        assert record["steps"] == 3 and 0 <= record["eer"] <= 1 and record["min_dcf"] >= 0
        assert record["parameters"] > 0 and record["pooled_dim"] > 0 and record["train_seconds"] > 0
        assert record["provenance"]["command"].startswith("python -m course.experiments shootout --budget 3")
        assert {"commit", "machine", "date"} <= set(record["provenance"])
        assert record["classes"] >= 2 and record["initial_loss"] > 0 and record["final_loss_mean"] > 0
        assert record["protocol"] == {"astp_attention_norm": None}
        scores = decode_scores(record["trials"])  # every trial's score, in the trial list's order
        labels, speaker_a, speaker_b, _ = trial_speakers(tiny)
        assert len(scores) == record["trials"]["count"] == len(labels) == len(speaker_a) == len(speaker_b)
        assert weighted_eer(scores, labels, np.ones(len(labels))) == pytest.approx(record["eer"], abs=2e-3)
    tstp = next(r for r in records if r["system"] == "ECAPA+TSTP")
    assert {r["config"]["pooling"] for r in records if r["system"] == "ACA-Net"} == {None}  # its own pooling
    assert tstp["pooled_dim"] == 2 * 3 * tstp["config"]["model_kwargs"]["channels"]  # mean and std of 3·C channels
    assert "ECAPA+TSTP" in capsys.readouterr().out  # the table is printed
    assert main(["table", "--out", str(out), "--markdown"]) == 2  # the default reference, ECAPA+ASTP, is absent
    assert "reference system 'ECAPA+ASTP' has no runs" in capsys.readouterr().err
    assert main(["table", "--out", str(out), "--markdown", "--reference", "ECAPA+TSTP"]) == 0
    table = capsys.readouterr().out
    assert "| system |" in table and table.count("| ECAPA+TSTP | 2 |") == 1 and "| reference |" in table
    interval = bootstrap_system(records, "ACA-Net", tiny, reference="ECAPA+TSTP", draws=20)
    assert interval["low"] <= interval["high"] and interval["draws"] > 0
    assert main(["table", "--out", str(tmp_path / "none.jsonl")]) == 2
    assert "no runs in" in capsys.readouterr().err

    assert main(args) == 0  # everything is there: nothing retrains, nothing is appended
    assert len(counted) == 4 and len(read_results(out)) == 4

    assert main([*args[:4], "3", *args[5:]]) == 0  # a third seed: only its two runs train
    assert counted[4:] == [("ECAPA+TSTP", 2), ("ACA-Net", 2)] and len(read_results(out)) == 6

    run_shootout(steps=3, seeds=1, only=["TSTP"], out=out, corpus=str(tiny), progress=False)
    run_shootout(steps=4, seeds=1, only=["TSTP"], out=out, corpus=str(tiny), progress=False)
    assert len(counted) == 7  # another budget is another run; the same budget is kept


@pytest.mark.slow
def test_unknown_names_are_a_clear_error(capsys):
    with pytest.raises(ValueError, match="unknown system.*'Pooly'.*known: ECAPA\\+TAP"):
        resolve(["TSTP", "Pooly"])
    assert main(["shootout", "--only", "Pooly"]) == 2
    assert "unknown system(s) 'Pooly'" in capsys.readouterr().err
    assert resolve(["astp", "eres2net"]) == ["ECAPA+ASTP", "ERes2Net"]
    with pytest.raises(ValueError, match="--seeds"):
        run_shootout(seeds=0)


def test_every_system_shares_the_recipe(monkeypatch):
    monkeypatch.setenv("COURSE_SMOKE", "0")
    configs = [system_config(name, seed=1, steps=300, device="cpu") for name in resolve(None)]
    shared = {"steps", "batch_size", "chunk_frames", "lr", "seed", "data", "augment", "head", "head_kwargs",
              "margin_schedule", "warmup_steps", "val_every"}
    for config in configs:
        assert {k: getattr(config, k) for k in shared} == {k: getattr(configs[0], k) for k in shared}
    assert configs[0].steps == 300 and configs[0].margin_schedule["stop"] == 225
    assert {c.model for c in configs} == {"ecapa", "eres2net", "aca_net"}


def test_a_malformed_results_file_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"system": "x"}\n')
    with pytest.raises(ValueError, match="bad.jsonl:1: a run record without seed"):
        read_results(path)
    path.write_text("not json\n")
    with pytest.raises(ValueError, match="bad.jsonl:1: not a JSON line"):
        read_results(path)


def record(system, seed, eer):
    return {"system": system, "seed": seed, "steps": 10, "parameters": 1, "pooled_dim": 2, "eer": eer,
            "min_dcf": 0.5, "train_seconds": 1.0, "train_cpu_seconds": 1.0}


def test_the_paired_test_separates_a_consistent_gap_from_noise():
    seeds = range(5)
    noise = [0.01, -0.02, 0.015, -0.005, 0.0]
    records = [record("ECAPA+ASTP", s, 0.20 + noise[s]) for s in seeds]
    records += [record("clearly worse", s, 0.30 + noise[s] + 0.001 * s) for s in seeds]  # same seed effect
    records += [record("clearly better", s, 0.15 + noise[s] - 0.001 * s) for s in seeds]
    records += [record("noisy", s, 0.20 + 0.03 * (-1) ** s) for s in seeds]
    rows = {row["system"]: row for row in compare(records)}
    assert rows["ECAPA+ASTP"]["verdict"] == "reference"  # fixed in advance, not the lowest mean
    assert rows["clearly worse"]["verdict"] == "worse" and rows["clearly worse"]["p_value"] < 0.001
    assert rows["clearly better"]["verdict"] == "better" and rows["clearly better"]["delta_eer"] < 0
    assert rows["noisy"]["verdict"] == "not distinguishable"
    for name in ("clearly worse", "clearly better", "noisy"):  # Holm over the 3 tested comparisons
        assert rows[name]["p_holm"] >= rows[name]["p_value"]
    assert rows["noisy"]["p_holm"] == pytest.approx(min(1.0, rows["noisy"]["p_value"] * 1))  # largest p: ×1
    assert rows["clearly worse"]["p_sign_flip"] == pytest.approx(2 / 32)  # all 5 differences positive
    assert summarise(records)[0]["seeds"] == 5


def test_diverged_runs_are_counted_not_averaged():
    rows = summarise([record("a", 0, 0.1), record("a", 1, None), record("a", 2, 0.3)])
    assert rows[0]["seeds"] == 2 and rows[0]["diverged"] == 1 and rows[0]["eer_mean"] == pytest.approx(20.0)
    json.dumps(rows)  # serialisable (the notebook writes it)


def test_your_own_pooling_is_checked_registered_and_enters_the_shootout(request):
    import torch

    from course.experiments.own_pooling import check_mean_max, mean_max_twin, register_pooling
    from course.pooling import registry
    from course.pooling.base import Pooling

    class MeanMax(Pooling):
        weights_over, reference = "none", staticmethod(mean_max_twin)

        def __init__(self, in_dim, masked=True):
            super().__init__()
            self.in_dim, self.out_dim, self.masked = in_dim, 2 * in_dim, masked

        def pool(self, x, mask):
            if mask is None or not self.masked:
                return torch.cat([x.mean(-1), x.amax(-1)], 1), None
            peak = x.masked_fill(~mask, float("-inf")).amax(-1)
            return torch.cat([(x * mask).sum(-1) / mask.sum(-1), peak], 1), None

    class Unmasked(MeanMax):
        def __init__(self, in_dim):
            super().__init__(in_dim, masked=False)

    class MaskOnly(MeanMax):
        def pool(self, x, mask):
            peak = x.masked_fill(~mask, float("-inf")).amax(-1)  # fails with mask=None
            return torch.cat([(x * mask).sum(-1) / mask.sum(-1), peak], 1), None

    assert check_mean_max(MeanMax)
    assert not check_mean_max(Unmasked)  # the padding leaks into the mean and the max
    assert not check_mean_max(MaskOnly)  # no lengths: mask=None must work too
    request.addfinalizer(lambda: registry.POOLINGS.remove("MeanMaxTest"))  # removed again after the test
    register_pooling("MeanMaxTest", MeanMax)
    register_pooling("MeanMaxTest", MeanMax)  # a notebook cell run twice: no error
    assert resolve(["meanmaxtest", "TSTP"]) == ["ECAPA+TSTP", "ECAPA+MeanMaxTest"]
    assert system_config("ECAPA+MeanMaxTest", seed=0).pooling == "MeanMaxTest"
