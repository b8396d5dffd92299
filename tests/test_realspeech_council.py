"""course.data.council: the layout, the trials and the metadata, on a small synthetic zip of the
same shape (offline), then on the real speakerbox clips (network, cached after the first run)."""

import io
import itertools
import json
import zipfile
from collections import Counter

import numpy as np
import pytest
import soundfile
import torch

from course import baseline, fetch
from course.data import corpus as corpus_files
from course.data import council
from course.data.corpus import load_trials, read_split
from course.evaluate import embed_and_score

# meeting → speaker → clip seconds (one clip per speaker and meeting, plus one too short)
LAYOUT = {"m1": {"ann": [2.0, 0.5], "bob": [1.5], "cat": [1.2]},
          "m2": {"ann": [1.1], "bob": [3.0], "cat": [1.0]},
          "m3": {"ann": [1.4], "dan": [2.5]}}


def tone(seconds, f0, seed):
    t = np.arange(int(seconds * 16000)) / 16000
    noise = np.random.default_rng(seed).normal(0, 0.01, len(t))
    return (0.3 * np.sin(2 * np.pi * f0 * t) + noise).astype(np.float32)


def make_zip(path):
    with zipfile.ZipFile(path, "w") as zipped:
        for (m, meeting), (s, speaker) in itertools.product(enumerate(LAYOUT), enumerate(["ann", "bob", "cat", "dan"])):
            for k, seconds in enumerate(LAYOUT[meeting].get(speaker, [])):
                data = io.BytesIO()
                soundfile.write(data, tone(seconds, 120 + 40 * s, m * 10 + k), 16000, subtype="PCM_16", format="WAV")
                zipped.writestr(f"{meeting}/{speaker}/{1000 * k}-{1000 * k + int(seconds * 1000)}.wav", data.getvalue())
    return path


@pytest.fixture
def built(tmp_path):
    return council.build(make_zip(tmp_path / "diarized.zip"), tmp_path / "council", progress=False)


def test_clips_are_laid_out_like_voxceleb_and_short_ones_dropped_and_counted(built):
    clips = sorted(p.relative_to(built / "wav").as_posix() for p in (built / "wav").rglob("*.wav"))
    assert len(clips) == 8 and all(len(c.split("/")) == 3 for c in clips)
    assert "ann/m1/0-2000.wav" in clips  # speaker/meeting/clip
    meta = council.metadata(built)
    assert meta["dropped"] == {"ann/m1/1000-1500.wav": 0.5}
    assert sorted(meta["clips"]) == clips and meta["speakers"] == ["ann", "bob", "cat", "dan"]
    assert {s for s, _ in read_split(built, "test")} == set(meta["speakers"])


def test_every_trial_compares_two_meetings_and_targets_are_every_such_pair(built):
    every = load_trials(built, council.ALL_TRIALS_FILE)
    meeting = lambda p: p.parent.name  # noqa: E731
    speaker = lambda p: p.parent.parent.name  # noqa: E731
    assert all(meeting(a) != meeting(b) for _, a, b in every)
    assert all(label == (speaker(a) == speaker(b)) for label, a, b in every)
    # ann: m1, m2, m3 → 3 cross-meeting pairs; bob: m1, m2 → 1; cat: m1, m2 → 1
    assert sum(label for label, _, _ in every) == 5
    assert len({(a, b) for _, a, b in every}) == len(every)


def test_default_trials_are_balanced_and_spread_over_speaker_pairs(built):
    trials = load_trials(built)
    labels = Counter(label for label, _, _ in trials)
    assert labels[1] == labels[0] == 5
    pairs = Counter(frozenset((a.parent.parent.name, b.parent.parent.name)) for label, a, b in trials if not label)
    assert max(pairs.values()) - min(pairs.values()) <= 1


def test_trials_are_deterministic_by_seed():
    clips = [f"s{s}/m{m}/{k}.wav" for s in range(4) for m in range(3) for k in range(2)]
    assert council.make_trials(clips, 0) == council.make_trials(clips, 0)
    assert council.make_trials(clips, 0)[0] != council.make_trials(clips, 1)[0]


def test_max_seconds_keeps_the_middle_of_long_clips(tmp_path):
    root = council.build(make_zip(tmp_path / "d.zip"), tmp_path / "c", max_seconds=1.25, progress=False)
    data, rate = soundfile.read(root / "wav" / "bob" / "m2" / "0-3000.wav")
    full = tone(3.0, 160, 10)
    start = (len(full) - 20000) // 2
    assert len(data) == 20000 and np.allclose(data, full[start:start + 20000], atol=1 / 32768)
    assert council.metadata(root)["clips"]["cat/m2/0-1000.wav"] == 1.0  # short clips untouched


def test_an_interrupted_build_is_incomplete_and_resumes(built, tmp_path):
    assert council.is_complete(built)
    (built / "wav" / "bob" / "m2" / "0-3000.wav").unlink()
    assert not council.is_complete(built)
    council.build(tmp_path / "diarized.zip", built, progress=False)
    assert council.is_complete(built)


def test_every_evaluation_function_takes_the_root(built):
    class MeanStd(torch.nn.Module):
        def forward(self, x, lengths=None):
            return torch.cat([x.mean(-1), x.std(-1)], dim=1)

    MeanStd.parameters = lambda self: iter([torch.zeros(1)])
    assert len(corpus_files.test_utterances(built)) == 8
    assert 0 <= embed_and_score(MeanStd(), built, mean=None)["eer"] <= 1  # council has no training data: plain cosine
    assert 0 <= baseline.evaluate(built, mean=None)["eer"] <= 1


def test_a_wrong_zip_is_refused_with_its_checksum(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))
    with pytest.raises(fetch.FetchError, match="ChecksumError"):
        council.corpus(tmp_path / "c", path=make_zip(tmp_path / "diarized.zip"), fetch_missing=False)


@pytest.mark.network
def test_the_real_clips_make_the_documented_corpus():
    root = council.corpus()  # cached in data/ after the first run
    meta = council.metadata(root)
    assert len(meta["clips"]) == 70 and len(meta["dropped"]) == 3
    assert len(meta["speakers"]) == 9 and len(meta["meetings"]) == 5
    assert meta["all_trials"] == {"total": 1929, "target": 211, "nontarget": 1718}
    assert meta["trials"] == {"total": 422, "target": 211, "nontarget": 211}
    assert all(soundfile.info(str(p)).samplerate == 16000 for p in list((root / "wav").rglob("*.wav"))[:5])
    assert json.loads((root / council.METADATA_FILE).read_text())["sha256"] == council.SOURCE.files["diarized.zip"]


def test_evaluation_feeds_a_model_its_recorded_features_and_warns_on_others(built):
    from course.evaluate import embed_files
    from course.features import fbank

    class FrameCount(torch.nn.Module):
        feature_type = "speechbrain"

        def forward(self, x, lengths=None):
            return torch.stack([lengths.float(), torch.ones(len(lengths))], dim=1)

    FrameCount.parameters = lambda self: iter([torch.zeros(1)])
    path = corpus_files.test_utterances(built)[0]
    samples = soundfile.info(str(path)).frames
    assert embed_files(FrameCount(), [path])[path][0] == 1 + samples // 160  # SpeechBrain's centred frames
    with pytest.warns(UserWarning, match="expects speechbrain_fbank"):
        assert embed_files(FrameCount(), [path], features=fbank)[path][0] == 1 + (samples - 400) // 160
