"""The VoxCeleb path, on a fake VoxCeleb1 (and VoxCeleb2) tree built from generated audio."""

import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile

from course.audio import write
from course.data import voxceleb
from course.data.corpus import load_trials, read_split
from course.data.dataset import SpeakerChunks

DEV = ["id10001", "id10002", "id10003", "id10004"]
TEST = ["id10270", "id10271"]


def _audio(seed, seconds=0.4, rate=16000):
    return np.random.default_rng(seed).normal(0, 0.1, int(seconds * rate)).astype(np.float32)


def _tree(folder, speakers, sessions=2, utts=2, seed=0):
    for i, spk in enumerate(speakers):
        for s in range(sessions):
            for u in range(utts):
                write(folder / spk / f"yt{s:09d}" / f"{u + 1:05d}.wav", _audio(seed + 100 * i + 10 * s + u))


@pytest.fixture()
def vox1(tmp_path):
    root = tmp_path / "VoxCeleb1"
    _tree(root / "wav", DEV + TEST)
    lines = ["1 id10270/yt000000000/00001.wav id10270/yt000000001/00002.wav",
             "0 id10270/yt000000000/00001.wav id10271/yt000000001/00001.wav",
             "1 id10271/yt000000000/00002.wav id10271/yt000000001/00001.wav",
             "0 id10271/yt000000000/00001.wav id10270/yt000000000/00002.wav"]
    (root / "veri_test2.txt").write_text("\n".join(lines) + "\n")
    (root / "list_test_all2.txt").write_text("1 id10001/yt000000000/00001.wav id10001/yt000000001/00001.wav\n"
                                             "0 id10001/yt000000000/00001.wav id10270/yt000000000/00001.wav\n")
    return root


def test_prepare_writes_a_corpus_the_course_reads(vox1, tmp_path):
    out = tmp_path / "prepared"
    voxceleb.prepare(vox1, out)
    assert {spk for spk, _ in read_split(out, "train")} == set(DEV)
    assert len(load_trials(out)) == 4
    ds = SpeakerChunks(out, chunk_frames=20)
    assert ds.num_speakers == 4 and ds[0][0].shape == (80, 20)


def test_development_speakers_are_disjoint_from_training_and_test_and_get_their_own_trials(vox1, tmp_path):
    from course.data.corpus import DEV_TRIAL_FILE

    out = tmp_path / "with-dev"
    voxceleb.prepare(vox1, out, speakers=2, dev_speakers=2)
    train = {spk for spk, _ in read_split(out, "train")}
    dev = {spk for spk, _ in read_split(out, "dev")}
    test = {p.parts[-3] for _, a, b in load_trials(out) for p in (a, b)}
    assert len(train) == 2 and len(dev) == 2 and not train & dev and not (train | dev) & test
    dev_trials = load_trials(out, DEV_TRIAL_FILE)
    assert {1, 0} == {label for label, _, _ in dev_trials}
    assert all({a.parts[-3], b.parts[-3]} <= dev for _, a, b in dev_trials)


def test_vox1_test_speakers_never_enter_training_even_without_a_trial_list(vox1, tmp_path):
    (vox1 / "veri_test2.txt").unlink()
    voxceleb.prepare(vox1, tmp_path / "p")
    assert not {spk for spk, _ in read_split(tmp_path / "p", "train")} & voxceleb.VOX1_TEST_SPEAKERS


def test_subset_is_seeded_speakers_and_utterances(vox1, tmp_path):
    def chosen(seed, name):
        voxceleb.prepare(vox1, tmp_path / name, speakers=2, utterances=3, seed=seed)
        return [str(p) for _, p in read_split(tmp_path / name, "train")]

    a, b = chosen(0, "a"), chosen(0, "b")
    assert [p.split("/b/")[-1] for p in b] == [p.split("/a/")[-1] for p in a]
    assert len(a) == 2 * 3
    assert any(chosen(s, f"s{s}") != [p.replace("/a/", f"/s{s}/") for p in a] for s in (1, 2, 3))


def test_vox1_e_with_a_vox1_trained_model_is_refused(vox1, tmp_path):
    with pytest.raises(ValueError, match="cannot be evaluated"):
        voxceleb.prepare(vox1, tmp_path / "p", trial_list=vox1 / "list_test_all2.txt")


def test_vox1_e_is_allowed_when_training_on_voxceleb2(vox1, tmp_path):
    vox2 = tmp_path / "VoxCeleb2"
    _tree(vox2 / "dev" / "aac", ["id00012", "id00015"], seed=7)
    voxceleb.prepare(vox1, tmp_path / "p", trial_list=vox1 / "list_test_all2.txt", train_root=vox2)
    assert {spk for spk, _ in read_split(tmp_path / "p", "train")} == {"id00012", "id00015"}
    assert len(load_trials(tmp_path / "p")) == 2


def test_missing_root_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        voxceleb.prepare(tmp_path / "nowhere", tmp_path / "p")


def test_a_root_without_speakers_is_named(tmp_path):
    (tmp_path / "empty" / "wav").mkdir(parents=True)
    with pytest.raises(ValueError, match="no speakers found"):
        voxceleb.prepare(tmp_path / "empty", tmp_path / "p")


def test_malformed_trial_lines_are_counted_and_quoted(vox1, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("1 id10270/yt000000000/00001.wav\nyes a b\n1 id10270/yt000000000/00001.wav "
                   "id10271/yt000000000/00001.wav\n")
    with pytest.raises(ValueError, match=r"2 malformed trial line\(s\).*line 1.*line 2"):
        voxceleb.prepare(vox1, tmp_path / "p", trial_list=bad)


def test_trials_naming_missing_files_are_counted_before_anything_long(vox1, tmp_path):
    bad = tmp_path / "missing.txt"
    bad.write_text("1 id10270/yt000000000/00001.wav id10270/nope/00009.wav\n"
                   "0 id10270/nope/00008.wav id10271/yt000000000/00001.wav\n")
    with pytest.raises(FileNotFoundError, match=r"2 of 4 trial files are missing.*nope"):
        voxceleb.prepare(vox1, tmp_path / "p", trial_list=bad)


def test_corrupt_audio_is_named(vox1, tmp_path):
    victim = vox1 / "wav" / "id10001" / "yt000000000" / "00001.wav"
    victim.write_bytes(b"not audio at all")
    with pytest.raises(ValueError, match="00001.wav: unreadable or corrupt"):
        voxceleb.prepare(vox1, tmp_path / "p")


def test_other_rates_and_stereo_get_one_warning_each_with_the_count(vox1, tmp_path):
    folder = vox1 / "wav" / "id10002" / "yt000000000"
    soundfile.write(str(folder / "00001.wav"), _audio(1, rate=8000), 8000)
    soundfile.write(str(folder / "00002.wav"), _audio(2, rate=8000), 8000)
    soundfile.write(str(vox1 / "wav" / "id10003" / "yt000000000" / "00001.wav"), np.stack([_audio(3)] * 2, 1), 16000)
    with pytest.warns(UserWarning) as record:
        voxceleb.prepare(vox1, tmp_path / "p")
    messages = [str(w.message) for w in record]
    assert any("2 file(s) are not at 16000 Hz" in m for m in messages)
    assert any("1 file(s) have several channels" in m for m in messages)


def test_m4a_only_training_root_asks_for_conversion(vox1, tmp_path):
    vox2 = tmp_path / "VoxCeleb2" / "dev" / "aac" / "id00012" / "abc"
    vox2.mkdir(parents=True)
    (vox2 / "00001.m4a").write_bytes(b"")
    with pytest.raises(ValueError, match="convert them first"):
        voxceleb.prepare(vox1, tmp_path / "p", train_root=tmp_path / "VoxCeleb2")


def test_convert_without_ffmpeg_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    tmp_path.joinpath("in").mkdir()
    with pytest.raises(RuntimeError, match="FFmpeg is not installed"):
        voxceleb.convert_m4a(tmp_path / "in", tmp_path / "out")


@pytest.mark.slow
def test_cli_prepare_succeeds_and_reports_errors_without_a_traceback(vox1, tmp_path):
    ok = subprocess.run([sys.executable, "-m", "course.data", "voxceleb", "prepare", "--root", str(vox1), "--out",
                         str(tmp_path / "cli"), "--speakers", "2"], capture_output=True, text=True)
    assert ok.returncode == 0 and "2 training speakers" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "course.data", "voxceleb", "prepare", "--root",
                          str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")], capture_output=True, text=True)
    assert bad.returncode == 2 and "nowhere" in bad.stderr and "Traceback" not in bad.stderr
