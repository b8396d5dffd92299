"""The shoot-out's planning and resume bookkeeping, with training replaced by a stand-in: which runs
are due, which a resumed shoot-out skips (same budget and protocol only), how runs split over
torchrun ranks. No model is trained here (tests/test_experiments.py keeps one real end-to-end run)."""

import pytest

import course.data
from course.experiments import read_results, run_shootout
from course.experiments import shootout as shootout_module
from course.experiments.results import append_result, done_keys
from course.experiments.shootout import plan


@pytest.fixture
def corpus_made(monkeypatch):
    """Replace generating the default corpus by a count of the calls."""
    calls = []
    monkeypatch.setattr(course.data, "default_corpus", lambda progress=True: calls.append(progress))
    return calls


@pytest.fixture
def trained(monkeypatch, corpus_made):
    """Replace training by a record of the job: the list of jobs given to train_one."""
    jobs = []

    def train_one(job):
        jobs.append(job)
        return {"system": job["system"], "seed": job["seed"], "steps": job["steps"], "parameters": 1,
                "pooled_dim": 2, "eer": 0.1, "min_dcf": 0.5, "train_seconds": 1.0, "train_cpu_seconds": 1.0,
                "protocol": job["protocol"], "config": {"device": job["device"]}}

    monkeypatch.setattr(shootout_module, "train_one", train_one)
    return jobs


def ran(jobs):
    return [(job["system"], job["seed"]) for job in jobs]


def test_the_default_corpus_is_made_before_the_workers_start_and_only_when_runs_are_due(
        tmp_path, trained, corpus_made):
    # pool workers are daemonic: each one generating SynthVox itself failed on a fresh machine
    out = tmp_path / "runs.jsonl"
    run_shootout(steps=5, seeds=1, only=["TAP"], out=out, progress=False)
    assert len(corpus_made) == 1 and ran(trained) == [("ECAPA+TAP", 0)]
    run_shootout(steps=5, seeds=1, only=["TAP"], out=out, progress=False)
    assert len(corpus_made) == 1  # nothing due: nothing generated
    run_shootout(steps=5, seeds=2, only=["TAP"], out=out, progress=False, corpus=str(tmp_path))
    assert len(corpus_made) == 1 and len(trained) == 2  # a named corpus is the caller's


def test_the_plan_is_seed_major_and_skips_what_is_done():
    assert plan(["A", "B"], 2, 10, done=set()) == [("A", 0), ("B", 0), ("A", 1), ("B", 1)]
    assert plan(["A", "B"], 2, 10, done={("B", 0)}) == [("A", 0), ("A", 1), ("B", 1)]


def test_only_runs_of_the_same_budget_and_protocol_count_as_done():
    records = [{"system": "A", "seed": 0, "steps": 10}, {"system": "A", "seed": 1, "steps": 20},
               {"system": "B", "seed": 0, "steps": 10, "protocol": {"astp_attention_norm": False}}]
    assert done_keys(records, 10) == {("A", 0)}  # a record without a protocol is the default protocol
    assert done_keys(records, 10, {"astp_attention_norm": False}) == {("B", 0)}
    assert done_keys(records, 20) == {("A", 1)}


def test_a_resumed_shootout_trains_only_the_missing_runs(tmp_path, trained):
    out = tmp_path / "runs.jsonl"
    run_shootout(steps=5, seeds=1, only=["TAP"], out=out, progress=False)
    assert ran(trained) == [("ECAPA+TAP", 0)]
    records = run_shootout(steps=5, seeds=2, only=["TAP", "TSTP"], out=out, progress=False)
    assert ran(trained)[1:] == [("ECAPA+TSTP", 0), ("ECAPA+TAP", 1), ("ECAPA+TSTP", 1)]
    assert sorted((r["system"], r["seed"]) for r in records) == [
        ("ECAPA+TAP", 0), ("ECAPA+TAP", 1), ("ECAPA+TSTP", 0), ("ECAPA+TSTP", 1)]
    assert len(read_results(out)) == 4  # nothing written twice


def test_another_budget_or_protocol_is_trained_again_and_kept_apart(tmp_path, trained):
    out = tmp_path / "runs.jsonl"
    run_shootout(steps=5, seeds=1, only=["ASTP"], out=out, progress=False)
    other_budget = run_shootout(steps=6, seeds=1, only=["ASTP"], out=out, progress=False)
    other_protocol = run_shootout(steps=5, seeds=1, only=["ASTP"], out=out, progress=False,
                                  astp_attention_norm=False)
    assert len(trained) == 3 and len(read_results(out)) == 3
    assert [r["steps"] for r in other_budget] == [6]
    assert [r["protocol"]["astp_attention_norm"] for r in other_protocol] == [False]


def test_runs_are_split_over_torchrun_ranks_and_each_trains_alone(tmp_path, trained, monkeypatch):
    for name, value in (("RANK", "1"), ("WORLD_SIZE", "2"), ("LOCAL_RANK", "1")):
        monkeypatch.setenv(name, value)
    run_shootout(steps=2, seeds=2, only=["TAP", "TSTP"], out=tmp_path / "rank1.jsonl", progress=False)
    # seed-major order (TAP 0, TSTP 0, TAP 1, TSTP 1): rank 1 takes the 2nd and the 4th
    assert ran(trained) == [("ECAPA+TSTP", 0), ("ECAPA+TSTP", 1)]
    assert {job["device"] for job in trained} <= {"cpu", "cuda:0", "cuda:1"}


def test_as_single_process_forgets_torchrun(monkeypatch):
    for name in shootout_module.TORCHRUN_VARIABLES:
        monkeypatch.setenv(name, "1")
    shootout_module.as_single_process()
    assert shootout_module.torchrun_rank() == (0, 1, 0)


def test_appended_records_read_back_whole_and_in_order(tmp_path):
    out = tmp_path / "runs.jsonl"
    for seed in range(3):
        append_result(out, {"system": "A", "seed": seed, "steps": 1, "parameters": 1, "pooled_dim": 1, "eer": 0.1,
                            "min_dcf": 0.1, "train_seconds": 1, "train_cpu_seconds": 1})
    assert [r["seed"] for r in read_results(out)] == [0, 1, 2]
