"""The transfer benchmark on a tiny corpus with stand-ins: records, protocol, cache, table."""

import json

import pytest
import torch

from course.data.corpus import load_trials
from course.data.degrade import telephone
from course.experiments import transfer, transfer_table
from tests.synthvox_tiny import tiny_corpus


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))
    return tiny_corpus(tmp_path)


def sets_of(root):
    trials = load_trials(root)
    return [transfer.EvalSet("synthvox", root, trials), transfer.EvalSet("council_phone", root, trials, telephone)]


def stand_in_pretrained():
    from course.features import speechbrain_fbank
    from course.pretrained import stand_in_model

    return transfer.pretrained_system(stand_in_model(), speechbrain_fbank)


def test_every_system_and_set_gets_one_record_with_interval_counts_and_provenance(corpus, tmp_path):
    out = tmp_path / "transfer.jsonl"
    systems = [transfer.baseline_system(corpus), stand_in_pretrained()]
    records = transfer.run_transfer(out=out, command="test", systems=systems, evalsets=sets_of(corpus),
                                    progress=False)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == len(lines) == 4
    assert {(r["system"], r["set"]) for r in lines} == {(s.name, e) for s in systems
                                                        for e in ("synthvox", "council_phone")}
    for r in lines:
        assert 0 <= r["low"] <= r["eer"] <= r["high"] <= 1
        assert r["targets"] > 0 and r["nontargets"] > 0 and r["speakers"] == 2
        assert r["command"] == "test" and r["commit"] and r["machine"]
    assert {r["mean"] for r in lines if r["system"] == "pretrained (stand-in)"} == {"none (plain cosine)"}


def test_the_scoring_mean_is_that_of_the_training_files_never_the_scored_ones(corpus):
    from course.baseline import stats_embedding
    from course.evaluate import training_files

    system = transfer.baseline_system(corpus)
    expected = torch.stack([stats_embedding(w) for w in transfer._read(training_files(corpus)).values()]).mean(0)
    assert torch.allclose(system.mean, expected)
    scored = {p for _, a, b in load_trials(corpus) for p in (a, b)}
    assert not scored & set(training_files(corpus))


def test_a_slow_systems_embeddings_are_cached_per_set(corpus):
    system = stand_in_pretrained()
    evalset = sets_of(corpus)[0]
    first = transfer.embeddings_of(system, evalset)
    system.embed = lambda waves: pytest.fail("embedded again")
    second = transfer.embeddings_of(system, evalset)
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def test_the_telephone_set_embeds_the_degraded_clips(corpus):
    system = transfer.baseline_system(corpus)
    clean, phone = (transfer.embeddings_of(system, s) for s in sets_of(corpus))
    assert clean.keys() == phone.keys()
    assert not any(torch.allclose(clean[k], phone[k]) for k in clean)


def test_the_table_names_every_system_and_keeps_the_latest_record():
    base = {"low": 0.1, "high": 0.3, "level": 0.95, "targets": 5, "nontargets": 5, "speakers": 6, "cost": {}}
    records = [{**base, "system": "a", "set": "council", "eer": 0.5}, {**base, "system": "b", "set": "council",
                                                                       "eer": 0.2},
               {**base, "system": "a", "set": "council", "eer": 0.25}]
    latest = transfer_table.latest(records)
    assert [(r["system"], r["eer"]) for r in latest] == [("a", 0.25), ("b", 0.2)]
    table = transfer_table.format_table(latest)
    assert "25.00" in table and "50.00" not in table and "council" in table


def test_the_variants_are_the_course_model_and_its_ablations():
    table = transfer.variants()
    assert list(table)[0] == "course"
    from course.train.config import course_config

    assert table["course"]().to_dict() == course_config().to_dict()
    assert table["+distill"]().distill == transfer.DISTILL
    channel = table["+channel"]()
    assert channel.augment["channel_prob"] > 0 and channel.augment["spec_masks"] and channel.data == "waves"
    assert channel.replace(augment={}).to_dict() == course_config().to_dict()
    longer = table["+1400 steps"]()
    from course.env import pick

    assert longer.steps == pick(1400, course_config().steps)
    assert longer.replace(steps=course_config().steps).to_dict() == course_config().to_dict()


@pytest.mark.slow
def test_a_trained_variant_is_scored_with_its_own_training_mean(corpus, tmp_path):
    from test_train import tiny_config

    config = tiny_config(corpus=str(corpus), chunk_frames=40, steps=2)
    system = transfer.trained_system("tiny", config)
    assert system.cost["train_cpu_s"] >= 0 and system.mean.shape == (16,)
    records = transfer.run_transfer(out=None, systems=[system], evalsets=sets_of(corpus)[:1], progress=False)
    assert records[0]["config"]["steps"] == 2


def test_the_readme_transfer_table_is_the_table_command_output(capsys):
    from course.experiments.__main__ import main
    from course.paths import REPO_ROOT

    assert main(["transfer", "--table"]) == 0
    printed = "\n".join(line.rstrip() for line in capsys.readouterr().out.strip().splitlines())
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- transfer-table -->\n```\n", 1)[1].split("\n```\n<!-- /transfer-table -->", 1)[0]
    assert block.strip() == printed, "README's transfer table is stale: paste `python -m course.experiments " \
                                     "transfer --table` between its markers"


def test_systems_after_the_course_model_get_their_paired_difference_to_it(corpus):
    base = transfer.baseline_system(corpus)
    course = transfer.System("course", base.embed, base.mean)
    shifted = transfer.System("+other", lambda waves: {k: v + 1.0 for k, v in base.embed(waves).items()}, base.mean)
    records = transfer.run_transfer(out=None, systems=[base, course, shifted], evalsets=sets_of(corpus)[:1],
                                    progress=False)
    by = {r["system"]: r for r in records}
    assert "vs_course" not in by["no-training baseline"] and "vs_course" not in by["course"]
    assert by["course"]["vs_no-training_baseline"]["diff"] == 0
    d = by["+other"]["vs_course"]
    assert d["low"] <= d["diff"] <= d["high"] and d["diff"] == pytest.approx(by["+other"]["eer"] - by["course"]["eer"])


def test_the_table_prints_both_paired_blocks_and_names_the_sets_a_claim_holds_on():
    base = {"low": 0.1, "high": 0.3, "level": 0.95, "targets": 5, "nontargets": 5, "speakers": 6, "cost": {},
            "eer": 0.2}
    better, worse, open_ = ({"diff": -0.1, "low": -0.2, "high": -0.05}, {"diff": 0.1, "low": 0.05, "high": 0.2},
                            {"diff": 0.0, "low": -0.1, "high": 0.1})
    records = [{**base, "system": "b", "set": "synthvox"}, {**base, "system": "b", "set": "council"},
               {**base, "system": "course", "set": "synthvox", "vs_no-training_baseline": better},
               {**base, "system": "course", "set": "council", "vs_no-training_baseline": better},
               {**base, "system": "+x", "set": "synthvox", "vs_no-training_baseline": better, "vs_course": worse},
               {**base, "system": "+x", "set": "council", "vs_no-training_baseline": open_, "vs_course": open_}]
    table = transfer_table.format_table(records)
    lines = table.splitlines()
    assert any(line.startswith("course") and line.endswith("better on every set") for line in lines)
    assert any(line.startswith("+x") and line.endswith("better on: SynthVox test") for line in lines)
    assert "EER minus the course model's" in table
    assert any(line.startswith("+x") and line.endswith("worse on: SynthVox test") for line in lines)


def test_the_table_shows_the_course_model_of_each_run_the_paired_differences_come_from():
    base = {"low": 0.1, "high": 0.3, "level": 0.95, "targets": 5, "nontargets": 5, "speakers": 6, "cost": {}}
    diff = {"diff": -0.05, "low": -0.1, "high": 0.0}
    one_run = [{**base, "system": "course", "set": "council", "eer": 0.20, "commit": "a" * 40, "date": "d1"},
               {**base, "system": "+x", "set": "council", "eer": 0.15, "vs_course": diff, "commit": "a" * 40,
                "date": "d1"}]
    assert "course, run" not in transfer_table.format_table(one_run)
    two_runs = one_run + [{**base, "system": "+y", "set": "council", "eer": 0.30, "vs_course": diff,
                           "commit": "b" * 40, "date": "d2"}]
    lines = transfer_table.format_table(two_runs).splitlines()
    rows = {line.split()[2]: line.split()[-1] for line in lines if line.startswith("course, run")}
    assert rows == {"aaaaaaa": "20.00", "bbbbbbb": "35.00"}  # each variant's EER minus its difference
