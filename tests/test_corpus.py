import numpy as np
import pytest
import soundfile

from course.data import corpus as corpus_module
from course.data import default_corpus, synthvox
from course.data.corpus import check_audio, load_trials, read_split, speakers
from tests.synthvox_tiny import TINY, tiny_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return tiny_corpus(tmp_path_factory.mktemp("corpus"))


def test_test_utterances_are_the_files_the_trials_name(corpus):
    named = {p for _, a, b in load_trials(corpus) for p in (a, b)}
    assert corpus_module.test_utterances(corpus) == sorted(named)


def test_speakers_are_sorted_ids_of_the_split(corpus):
    assert speakers(corpus, "test") == [synthvox.speaker_id(i) for i in range(TINY.speakers - TINY.test_speakers,
                                                                               TINY.speakers)]


def test_malformed_split_line_is_named_with_its_number(corpus, tmp_path):
    (tmp_path / "wav").mkdir()
    (tmp_path / "iden_split.txt").write_text("1 sv0001/a/00001.wav\n7 nonsense\n")
    with pytest.raises(ValueError, match="iden_split.txt, line 2"):
        read_split(tmp_path)


def test_malformed_trial_line_is_named_with_its_number(tmp_path):
    (tmp_path / "veri_test2.txt").write_text("1 a.wav b.wav\nmaybe a.wav b.wav\n")
    with pytest.raises(ValueError, match=r"veri_test2.txt: 1 malformed trial line\(s\).*line 2"):
        load_trials(tmp_path)


def test_trials_naming_missing_files_report_the_count_and_the_first(tmp_path):
    (tmp_path / "veri_test2.txt").write_text("1 s/a/1.wav s/a/2.wav\n0 s/a/1.wav t/b/3.wav\n")
    with pytest.raises(FileNotFoundError, match=r"3 of 3 referenced files are missing, e\.g\."):
        load_trials(tmp_path)


def test_missing_root_and_missing_lists_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="corpus root not found"):
        load_trials(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="veri_test2.txt: trial list not found"):
        load_trials(tmp_path)


def test_empty_audio_is_refused_with_its_name(tmp_path):
    soundfile.write(str(tmp_path / "empty.wav"), np.zeros(0, np.float32), 16000)
    with pytest.raises(ValueError, match="empty.wav: the file holds no samples"):
        check_audio([tmp_path / "empty.wav"])


def test_default_corpus_in_smoke_mode_is_generated_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    monkeypatch.setenv("COURSE_SMOKE", "1")
    root = default_corpus(progress=False)
    assert root == tmp_path / "synthvox-smoke" and synthvox.is_complete(root, synthvox.SMOKE)
    stamp = (root / "COMPLETE").stat().st_mtime_ns
    assert default_corpus(progress=False) == root and (root / "COMPLETE").stat().st_mtime_ns == stamp
