import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile

from course.data import synthvox
from course.data.corpus import load_trials, read_split
from course.data.synthvox_voices import sample_voice
from tests.synthvox_tiny import TINY, tiny_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return tiny_corpus(tmp_path_factory.mktemp("synthvox"))


def _digest(root):
    files = sorted((root / "wav").rglob("*.wav"))
    return {str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest() for p in files}


def test_layout_is_voxceleb1_wav_speaker_session_utterance(corpus):
    files = sorted((corpus / "wav").rglob("*.wav"))
    assert len(files) == TINY.speakers * TINY.utterances
    speaker, session, name = files[0].relative_to(corpus / "wav").parts
    assert speaker.startswith("sv") and len(session) == 11 and name == "00001.wav"


def test_audio_is_16khz_mono_16bit(corpus):
    info = soundfile.info(str(next((corpus / "wav").rglob("*.wav"))))
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")


def test_each_speaker_has_the_configured_number_of_sessions(corpus):
    for speaker in (corpus / "wav").iterdir():
        assert len(list(speaker.iterdir())) == TINY.sessions


def test_train_dev_and_test_speakers_are_disjoint(corpus):
    train = {spk for spk, _ in read_split(corpus, "train")}
    dev = {spk for spk, _ in read_split(corpus, "dev")}
    test = {spk for spk, _ in read_split(corpus, "test")}
    assert len(train) == TINY.speakers - TINY.test_speakers - TINY.dev_speakers
    assert len(test) == TINY.test_speakers and len(dev) == TINY.dev_speakers
    assert not train & test and not train & dev and not dev & test


def test_development_trials_are_balanced_and_only_over_development_speakers(corpus):
    from course.data.corpus import DEV_TRIAL_FILE

    trials = load_trials(corpus, DEV_TRIAL_FILE)
    dev = {spk for spk, _ in read_split(corpus, "dev")}
    labels = [label for label, _, _ in trials]
    assert labels.count(1) == labels.count(0) > 0
    assert all({a.parts[-3], b.parts[-3]} <= dev for _, a, b in trials)


def test_trials_are_balanced_and_only_over_test_speakers(corpus):
    trials = load_trials(corpus)
    test = {spk for spk, _ in read_split(corpus, "test")}
    labels = [label for label, _, _ in trials]
    assert labels.count(1) == labels.count(0) == TINY.trials // 2
    for label, a, b in trials:
        spk_a, spk_b = a.parent.parent.name, b.parent.parent.name
        assert {spk_a, spk_b} <= test and (spk_a == spk_b) == bool(label)


def test_target_trials_prefer_different_sessions(corpus):
    targets = [(a, b) for label, a, b in load_trials(corpus) if label == 1]
    assert all(a.parent != b.parent for a, b in targets)  # 2 speakers x 2x2 cross pairs = 8 = trials // 2


def test_metadata_records_every_speakers_voice_and_sessions(corpus):
    meta = json.loads((corpus / "metadata.json").read_text())
    assert meta["config"]["seed"] == TINY.seed and len(meta["speakers"]) == TINY.speakers
    first = meta["speakers"]["sv0001"]
    assert first["voice"] == json.loads(json.dumps(sample_voice(TINY.seed, 0, TINY.voice_spread).as_dict()))
    assert len(first["sessions"]) == TINY.sessions


def test_same_seed_gives_byte_identical_files(corpus, tmp_path):
    again = synthvox.generate(tmp_path / "again", TINY, progress=False, workers=2)
    assert _digest(again) == _digest(corpus)
    for name in ("iden_split.txt", "veri_test2.txt", "metadata.json"):
        assert (again / name).read_bytes() == (corpus / name).read_bytes()


def test_another_seed_gives_other_audio():
    a = synthvox.synthesize(TINY, 0, 0, 1)
    b = synthvox.synthesize(synthvox.SynthVoxConfig(**{**TINY.__dict__, "seed": 4}), 0, 0, 1)
    assert not np.array_equal(a, b)


@pytest.mark.slow
def test_a_file_regenerated_alone_in_a_fresh_process_equals_the_full_run(corpus):
    relative = "sv0005/" + synthvox.session_id(TINY, 4, 1) + "/00004.wav"
    code = ("import sys, hashlib; from course.data.synthvox import regenerate; "
            f"sys.stdout.write(hashlib.sha1(regenerate({str(corpus)!r}, {relative!r}).tobytes()).hexdigest())")
    alone = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    samples, _ = soundfile.read(str(corpus / "wav" / relative), dtype="int16")
    assert alone == hashlib.sha1(samples.tobytes()).hexdigest()


def test_a_file_regenerated_after_other_voices_is_unchanged(corpus):
    synthvox.synthesize(TINY, 2, 1, 2)  # another speaker first: espeak must not carry state over
    relative = synthvox.relative_path(TINY, 0, 0, 1)
    samples, _ = soundfile.read(str(corpus / "wav" / relative), dtype="int16")
    np.testing.assert_array_equal(synthvox.regenerate(corpus, relative), samples)


def test_second_run_reuses_the_cache(corpus):
    before = {p: p.stat().st_mtime_ns for p in (corpus / "wav").rglob("*.wav")}
    synthvox.generate(corpus, TINY, progress=False)
    assert {p: p.stat().st_mtime_ns for p in (corpus / "wav").rglob("*.wav")} == before


def test_other_configuration_in_the_same_folder_needs_force(corpus):
    other = synthvox.SynthVoxConfig(**{**TINY.__dict__, "trials": 8})
    with pytest.raises(ValueError, match="another configuration"):
        synthvox.generate(corpus, other, progress=False)


def test_voice_depends_only_on_seed_and_speaker_index():
    assert sample_voice(0, 7) == sample_voice(0, 7)
    assert sample_voice(0, 7) != sample_voice(0, 8) and sample_voice(0, 7) != sample_voice(1, 7)


@pytest.mark.parametrize("kwargs", [dict(speakers=3, test_speakers=3), dict(utterances=1),
                                    dict(sessions=5, utterances=4), dict(speakers=30, dev_speakers=1),
                                    dict(speakers=40, test_speakers=24, dev_speakers=16)])
def test_impossible_configurations_are_refused(kwargs):
    with pytest.raises(ValueError):
        synthvox.SynthVoxConfig(**kwargs)


def test_default_configuration_meets_the_corpus_targets():
    c = synthvox.DEFAULT
    assert c.speakers - c.test_speakers - c.dev_speakers >= 80 and c.test_speakers >= 20 and c.dev_speakers >= 16
    assert c.sessions >= 3 and c.trials >= 5000


def test_default_trials_can_be_filled_with_cross_session_targets():
    c = synthvox.DEFAULT
    per_session = c.utterances // c.sessions
    cross_pairs = (c.utterances * (c.utterances - 1) // 2 - c.sessions * per_session * (per_session - 1) // 2)
    assert c.test_speakers * cross_pairs >= c.trials // 2


def test_cli_writes_a_corpus(tmp_path):
    from course.data.__main__ import main

    assert main(["synthvox", "--out", str(tmp_path / "cli"), "--speakers", "3", "--test-speakers", "1",
                 "--sessions", "2", "--utts", "3", "--trials", "4", "--seed", "1", "--quiet"]) == 0
    assert len(list((tmp_path / "cli" / "wav").rglob("*.wav"))) == 9
