"""The hostile run against ``course.data``, ``course build``, the fetch cache, audio reading and the
poolings (shared review hostile-run-22db0c1, cases #68-#99): one clear error naming the argument or
file, never a silently empty corpus, a whole build, a trusted rotten file or a NaN embedding."""

import os

import numpy as np
import pytest
import soundfile
import test_voxceleb
import torch

from course import audio, build, fetch
from course.data import voxceleb
from course.data.__main__ import main as data_main

vox1 = test_voxceleb.vox1  # a fake VoxCeleb1 tree (fixture)


def data_cli(capsys, *args):
    rc = data_main([str(a) for a in args])
    return rc, capsys.readouterr().err


def test_73_a_binary_trial_list_names_the_file(tmp_path):
    path = tmp_path / "veri_test2.txt"
    path.write_bytes(b"1 id10270/a/1.wav id10271/b/1.wav\n" * 4 + bytes(range(128, 256)))
    with pytest.raises(ValueError, match=f"--trials {path}: not a text trial list"):
        voxceleb.read_trial_list(path)


def test_74_a_folder_as_trial_list_is_said_to_be_a_folder(tmp_path):
    with pytest.raises(ValueError, match="is a folder; pass the trial list file"):
        voxceleb.read_trial_list(tmp_path)


@pytest.mark.parametrize("option, value", [("--speakers", 0), ("--speakers", -1), ("--utts", 0), ("--utts", -3)])
def test_75_76_no_or_negative_speakers_and_utterances_are_refused(vox1, tmp_path, capsys, option, value):
    rc, err = data_cli(capsys, "voxceleb", "prepare", "--root", vox1, "--out", tmp_path / "out", option, value)
    assert rc == 2 and f"error: {option}: expected at least 1" in err
    assert not (tmp_path / "out").exists()


def test_80_synthvox_out_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    rc, err = data_cli(capsys, "synthvox", "--out", tmp_path / "file", "--speakers", 4, "--quiet")
    assert rc == 2 and "--out" in err and "is a file" in err


def test_83_build_only_empty_selects_nothing():
    with pytest.raises(SystemExit, match="an empty name selects nothing"):
        build.select([""])
    assert len(build.select(["01"])) >= 1


def test_89_a_bit_rotted_cached_file_with_its_size_and_time_is_hashed_again(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch, "_HASHED", {})
    file = tmp_path / "model.ckpt"
    file.write_bytes(b"weights" * 1000)
    expected = fetch.sha256(file)
    fetch.verify(file, expected)  # stamped: size and time noted
    stat = file.stat()
    with open(file, "r+b") as handle:  # rot one byte in place, keep size and time
        handle.seek(10)
        handle.write(b"X")
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert fetch.is_verified(file, expected)  # the stamp alone would trust it
    assert not fetch._cached(file, expected) and not file.exists()


def test_a_good_cached_file_is_hashed_once_a_process(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch, "_HASHED", {})
    file = tmp_path / "model.ckpt"
    file.write_bytes(b"weights")
    calls, expected = [], fetch.hashlib.sha256(b"weights").hexdigest()
    monkeypatch.setattr(fetch, "sha256", lambda path: calls.append(path) or expected)
    assert fetch._cached(file, expected) and fetch._cached(file, expected)
    assert len(calls) == 1


def test_12_34_folders_and_dangling_links_are_named_for_what_they_are(tmp_path):
    (tmp_path / "dir.wav").mkdir()
    (tmp_path / "gone.wav").symlink_to(tmp_path / "nowhere.wav")
    with pytest.raises(audio.AudioError, match="dir.wav: is a folder"):
        audio.read(tmp_path / "dir.wav")
    with pytest.raises(audio.AudioError, match="gone.wav: a broken symbolic link"):
        audio.info(tmp_path / "gone.wav")
    with pytest.raises(FileNotFoundError, match="audio file not found"):
        audio.read(tmp_path / "absent.wav")


def test_32_text_named_mp3_is_a_format_not_a_pipe(tmp_path):
    (tmp_path / "x.mp3").write_text("not audio")
    with pytest.raises(audio.AudioError, match="format not recognised") as error:
        audio.read(tmp_path / "x.mp3")
    assert "pipe" not in str(error.value)


def test_94_models_stay_finite_and_unchanged_with_non_finite_padding():
    """Models zero their padding first (#94); the pooling's own zeroing must not change their output."""
    from course import models

    torch.manual_seed(0)
    model = models.build("ecapa", in_dim=80, channels=16, embed_dim=16, scale=4, se_bottleneck=8).eval()
    x, lengths = torch.randn(2, 80, 40), torch.tensor([40, 25])
    clean = x.clone()
    clean[1, :, 25:] = 0.0
    dirty = x.clone()
    dirty[1, :, 25:] = float("nan")
    with torch.no_grad():
        out = model(dirty, lengths)
        assert torch.isfinite(out).all()
        assert torch.equal(out, model(clean, lengths))


def test_float_wav_with_nan_stays_refused(tmp_path):
    wave = np.full(16000, 0.1)
    wave[5] = np.nan
    soundfile.write(str(tmp_path / "n.wav"), wave, 16000, subtype="FLOAT")
    with pytest.raises(audio.AudioError, match="1 NaN or infinite sample"):
        audio.read(tmp_path / "n.wav")


@pytest.mark.parametrize("shape", [(2, 80, 0), (0, 80, 40)], ids=["T=0", "B=0"])
def test_97_98_an_empty_batch_is_named_for_every_model(shape):
    from course import models

    for name in models.available():
        model = models.build(name, in_dim=80).eval()
        with pytest.raises(ValueError, match=r"x: an empty batch of frames"):
            model(torch.zeros(shape))


@pytest.mark.slow
def test_85_a_timeout_says_timeout_not_keyboard_interrupt(tmp_path, monkeypatch):
    import nbformat
    from nbclient.exceptions import CellTimeoutError

    source = tmp_path / "97_hang.py"
    source.write_text("import time\ntime.sleep(60)\n")
    cell = nbformat.v4.new_code_cell("import time\ntime.sleep(60)", outputs=[nbformat.v4.new_output(
        "error", ename="KeyboardInterrupt", evalue="", traceback=[])])
    monkeypatch.setattr(build.notebooks, "read_source", lambda path: nbformat.v4.new_notebook(cells=[cell]))

    class Hanging:
        def __init__(self, *args, **kwargs):
            pass

        def execute(self, **kwargs):
            raise CellTimeoutError("Cell execution timed out")

    monkeypatch.setattr(build, "NotebookClient", Hanging)
    result, _ = build.execute(source, smoke=True, timeout=8)
    assert result.status == "failed" and "cell 0 ('import time') timed out after 8 s (--timeout)" in result.detail


def test_86_ctrl_c_during_a_build_still_writes_the_summary(tmp_path, monkeypatch, capsys):
    chosen = build.select(None)[:3]
    monkeypatch.setattr(build, "select", lambda only: chosen)
    monkeypatch.setattr(build, "prepare_data", lambda smoke: None)
    runs = []

    def execute(source, smoke, timeout, out_dir):
        runs.append(source)
        if len(runs) == 2:
            raise KeyboardInterrupt
        return build.Result(source.stem, 1.0, "ok"), None

    monkeypatch.setattr(build, "execute", execute)
    assert build.build(smoke=True, out_dir=tmp_path) == 130
    summary = (tmp_path / "summary.csv").read_text()
    assert f"{chosen[0].stem},1.0,ok" in summary and f"{chosen[1].stem},0.0,interrupted" in summary
    assert (tmp_path / "html" / "index.html").exists()
