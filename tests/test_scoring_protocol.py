"""The scoring protocol: nothing an evaluation subtracts or thresholds with comes from the scored files.

Each test poisons the trial list with extra trials of other files. Were the mean (or the threshold)
estimated on the scored files, the scores of the original trials would move; under the protocol
(mean from training utterances, threshold from the development list) they do not.
"""

from __future__ import annotations

import pytest
import torch

from course import baseline
from course.data.corpus import DEV_TRIAL_FILE, TRIAL_FILE, load_trials, read_split
from course.evaluate import embed_and_score, embed_files, mean_embedding, training_files
from course.train.validate import validate
from tests.synthvox_tiny import tiny_corpus
from tests.test_evaluate import MeanStd


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return tiny_corpus(tmp_path_factory.mktemp("protocol"))


def poisoned_copy(root, trial_file, extra: int = 40):
    """A trial list: the original trials, then ``extra`` trials between dev and test files (the poison)."""
    lines = (root / trial_file).read_text().splitlines()
    dev = sorted(p.relative_to(root / "wav") for _, p in read_split(root, "dev"))
    test = sorted(p.relative_to(root / "wav") for _, p in read_split(root, "test"))
    poison = [f"0 {dev[i % len(dev)]} {test[i % len(test)]}" for i in range(extra)]
    path = root / f"poisoned_{trial_file}"
    path.write_text("\n".join(lines + poison) + "\n")
    return path, len(lines)


def test_the_scores_of_the_test_trials_do_not_move_when_other_files_are_scored_with_them(corpus):
    clean = embed_and_score(MeanStd(), corpus)
    path, n = poisoned_copy(corpus, TRIAL_FILE)
    poisoned = embed_and_score(MeanStd(), corpus, trial_file=path)
    torch.testing.assert_close(poisoned["scores"][:n], clean["scores"], rtol=0, atol=0)


def test_the_mean_is_the_mean_of_training_utterances(corpus):
    files = training_files(corpus)
    train_speakers = {spk for spk, _ in read_split(corpus, "train")}
    assert files and {f.parts[-3] for f in files} == train_speakers
    scored = set(p for _, a, b in load_trials(corpus) for p in (a, b))
    assert not scored & set(files)
    mean = mean_embedding(embed_files(MeanStd(), files))
    clean = embed_and_score(MeanStd(), corpus)
    explicit = embed_and_score(MeanStd(), corpus, mean=mean)
    torch.testing.assert_close(explicit["scores"], clean["scores"])


def test_the_baseline_scores_do_not_move_either(corpus):
    clean = baseline.evaluate(corpus)
    trials = load_trials(corpus)
    path, n = poisoned_copy(corpus, TRIAL_FILE)
    from course.evaluate import score_embeddings, trial_files

    poisoned_trials = load_trials(corpus, path)
    mean = mean_embedding(baseline.embed_files(training_files(corpus)))
    poisoned = score_embeddings(baseline.embed_files(trial_files(poisoned_trials)), poisoned_trials, mean)
    torch.testing.assert_close(poisoned["scores"][: len(trials)], clean["scores"], rtol=0, atol=0)


def test_validation_reads_the_development_trials_never_the_test_trials(corpus, tmp_path):
    import shutil

    copy = tmp_path / "corpus"
    shutil.copytree(corpus, copy)
    first = validate(MeanStd(), copy)
    (copy / TRIAL_FILE).unlink()  # validation must not need the test trials at all
    again = validate(MeanStd(), copy)
    assert again["threshold"] == first["threshold"] and again["eer"] == first["eer"]
    torch.testing.assert_close(again["mean"], mean_embedding(embed_files(MeanStd(), training_files(copy))))
    path, _ = poisoned_copy(copy, DEV_TRIAL_FILE)
    shutil.move(path, copy / DEV_TRIAL_FILE)  # more dev trials: the mean must not move
    torch.testing.assert_close(validate(MeanStd(), copy)["mean"], first["mean"], rtol=0, atol=0)


def test_validation_without_development_trials_is_a_clear_error(corpus, tmp_path):
    import shutil

    copy = tmp_path / "corpus"
    shutil.copytree(corpus, copy)
    (copy / DEV_TRIAL_FILE).unlink()
    with pytest.raises(FileNotFoundError, match="development trials"):
        validate(MeanStd(), copy)


def test_every_evaluation_reports_its_interval_and_counts(corpus):
    result = embed_and_score(MeanStd(), corpus)
    interval = result["interval"]
    assert interval["low"] <= result["eer"] <= interval["high"]
    assert interval["targets"] == int(result["labels"].sum())
    assert interval["targets"] + interval["nontargets"] == len(result["labels"])
