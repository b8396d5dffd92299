"""course.data.trials: one reader and writer for the VoxCeleb and Kaldi trial formats."""

import numpy as np
import pytest

from course.data import trials
from course.data.corpus import load_trials
from course.evaluate import decide

SOME = [(1, "id10270/a/00001.wav", "id10270/b/00002.wav"), (0, "id10270/a/00001.wav", "id10271/c/00001.wav")]


@pytest.mark.parametrize("format", trials.FORMATS)
def test_a_written_list_reads_back_the_same_in_either_format(tmp_path, format):
    path = trials.write_trials(tmp_path / "list.txt", SOME, format)
    assert trials.read_trials(path) == SOME


def test_the_two_formats_are_the_ones_their_toolkits_write(tmp_path):
    trials.write_trials(tmp_path / "vox.txt", SOME)
    trials.write_trials(tmp_path / "kaldi.txt", SOME, "kaldi")
    assert (tmp_path / "vox.txt").read_text().splitlines()[0] == "1 id10270/a/00001.wav id10270/b/00002.wav"
    assert (tmp_path / "kaldi.txt").read_text().splitlines()[1] == \
        "id10270/a/00001.wav id10271/c/00001.wav nontarget"


def test_kaldi_utterance_ids_become_voxceleb_paths_even_with_a_dash_in_the_video_id(tmp_path):
    (tmp_path / "trials").write_text("id10270-x6uYqmx31kE-00001 id10270-8j-EAjG6SegY-00008 target\n"
                                     "id10270-x6uYqmx31kE-00001 id10300-ize_eiCFEg0-00003 nontarget\n")
    assert trials.read_trials(tmp_path / "trials") == [
        (1, "id10270/x6uYqmx31kE/00001.wav", "id10270/8j-EAjG6SegY/00008.wav"),
        (0, "id10270/x6uYqmx31kE/00001.wav", "id10300/ize_eiCFEg0/00003.wav")]


def test_a_corpus_scores_a_kaldi_list_like_its_own(tiny_synthvox, tmp_path):
    corpus = tiny_synthvox
    own = load_trials(corpus)
    relative = [(label, str(a.relative_to(corpus / "wav")), str(b.relative_to(corpus / "wav"))) for label, a, b in own]
    kaldi = trials.write_trials(tmp_path / "trials", relative, "kaldi")
    assert load_trials(corpus, kaldi) == own


def test_malformed_lines_are_counted_and_named_with_the_file(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("1 a.wav b.wav\nmaybe a.wav b.wav\na.wav b.wav same\n")
    with pytest.raises(ValueError, match=r"list.txt: 2 malformed trial line\(s\).*line 2: 'maybe.*line 3: 'a.wav"):
        trials.read_trials(path)


def test_a_list_mixing_the_formats_is_refused_with_the_first_line_of_each(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("1 a.wav b.wav\n0 a.wav c.wav\na.wav c.wav nontarget\n")
    with pytest.raises(ValueError, match=r"mixes VoxCeleb lines \(first at line 1\) and Kaldi lines \(first at line 3"):
        trials.read_trials(path)


@pytest.mark.parametrize("text, message", [("", "no trials"), ("\n \n", "no trials")])
def test_an_empty_list_is_refused(tmp_path, text, message):
    (tmp_path / "list.txt").write_text(text)
    with pytest.raises(ValueError, match=message):
        trials.read_trials(tmp_path / "list.txt")


def test_missing_lists_folders_and_binary_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.txt: trial list not found"):
        trials.read_trials(tmp_path / "nowhere.txt")
    with pytest.raises(ValueError, match="is a folder"):
        trials.read_trials(tmp_path)
    (tmp_path / "bin.txt").write_bytes(bytes(range(128, 256)))
    with pytest.raises(ValueError, match="bin.txt: not a text trial list"):
        trials.read_trials(tmp_path / "bin.txt")


def test_writing_refuses_bad_labels_unknown_formats_and_nothing(tmp_path):
    with pytest.raises(ValueError, match="label must be 1"):
        trials.write_trials(tmp_path / "x.txt", [(2, "a", "b")])
    with pytest.raises(ValueError, match="format='nist'"):
        trials.write_trials(tmp_path / "x.txt", SOME, "nist")
    with pytest.raises(ValueError, match="no trials to write"):
        trials.write_trials(tmp_path / "x.txt", [])
    assert not (tmp_path / "x.txt").exists()  # nothing half-written is left behind


def test_counts_and_files():
    assert trials.counts(SOME) == {"total": 2, "target": 1, "nontarget": 1}
    assert trials.trial_files(SOME) == ["id10270/a/00001.wav", "id10270/b/00002.wav", "id10271/c/00001.wav"]


def test_balanced_trials_are_balanced_seeded_and_prefer_other_sessions():
    utts = {spk: [(s, f"{spk}/{s}/{u}.wav") for s in range(2) for u in range(3)] for spk in range(5)}
    first = trials.balanced_trials(utts, 40, seed=3)
    assert first == trials.balanced_trials(utts, 40, seed=3) != trials.balanced_trials(utts, 40, seed=4)
    assert trials.counts(first) == {"total": 40, "target": 20, "nontarget": 20}
    for label, a, b in first:
        assert (a.split("/")[0] == b.split("/")[0]) == bool(label)
        if label:  # 45 cross-session pairs exist, so no same-session pair is needed for 20 targets
            assert a.split("/")[1] != b.split("/")[1]


def test_decide_uses_the_bayes_threshold_of_a_calibration_and_a_raw_threshold_otherwise():
    calibration = {"a": 10.0, "b": -5.0}  # llr = 10 s - 5
    low_prior = decide([0.5, 0.8, 0.99], calibration, p_target=0.01)  # threshold logit(0.99) = 4.595
    assert low_prior["on"] == "llr" and low_prior["threshold"] == pytest.approx(np.log(99))
    assert low_prior["accept"].tolist() == [False, False, True]
    assert decide([0.5, 0.8], calibration, p_target=0.5)["accept"].tolist() == [True, True]
    raw = decide([0.2, 0.3], threshold=0.25)
    assert raw["on"] == "score" and raw["llr"] is None and raw["accept"].tolist() == [False, True]
    with pytest.raises(ValueError, match="give a calibration"):
        decide([0.2])
    with pytest.raises(ValueError, match="NaN or infinite"):
        decide([float("nan")], threshold=0.0)
