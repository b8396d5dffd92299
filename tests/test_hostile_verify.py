"""The hostile run against ``python -m course.verify`` (docs: shared review hostile-run-22db0c1, cases #1-#38):
each bad input gets one clear line naming it (exit 2), never a confident decision on NaN, and
``--embed`` keeps what it computed."""

import numpy as np
import pytest
import soundfile
import test_verify
import torch

from course import verify
from course.audio import write

checkpoint, voices = test_verify.checkpoint, test_verify.voices  # the fixtures of test_verify


def run(capsys, *args):
    rc = verify.main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def float_wav(path, wave, subtype="FLOAT"):
    soundfile.write(str(path), np.asarray(wave, dtype=np.float64), 16000, subtype=subtype)
    return path


def flip_tensor_bytes(path, tensor, count=400):
    """Flip ``count`` bytes inside ``tensor``'s stored data: the zip still opens and unpickles."""
    data = bytearray(path.read_bytes())
    raw = tensor.detach().contiguous().numpy().tobytes()
    at = data.find(raw)
    assert at >= 0, "tensor bytes not found in the file"
    for i in range(at + len(raw) // 4, at + len(raw) // 4 + min(count, len(raw) // 2)):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def largest_weight(path):
    state = torch.load(path, weights_only=False)["model"]
    return max(state.values(), key=lambda t: t.numel() if t.is_floating_point() else 0)


@pytest.mark.parametrize("amplitude, subtype", [(1e20, "FLOAT"), (1e30, "DOUBLE")])
def test_10_an_overflowing_level_is_an_error_not_a_nan_score(checkpoint, voices, capsys, amplitude, subtype):
    t = np.arange(16000) / 16000
    huge = float_wav(voices / "huge.wav", amplitude * np.sin(2 * np.pi * 220 * t), subtype)
    rc, out, err = run(capsys, voices / "a.wav", huge, "--checkpoint", checkpoint)
    assert rc == 2 and "score" not in out
    assert "huge.wav: the embedding is not finite" in err and "rescale" in err


def test_12_a_folder_named_wav_is_said_to_be_a_folder(checkpoint, voices, capsys):
    (voices / "dir.wav").mkdir()
    rc, _, err = run(capsys, voices / "a.wav", voices / "dir.wav", "--checkpoint", checkpoint)
    assert rc == 2 and "dir.wav: is a folder, not an audio file" in err


@pytest.mark.parametrize("wave", [np.full(16000, 1e-30), np.full(16000, 0.5)], ids=["tiny-constant", "dc-offset"])
def test_15_a_constant_level_is_refused_like_silence(checkpoint, voices, capsys, wave):
    flat = float_wav(voices / "flat.wav", wave)
    rc, out, err = run(capsys, flat, voices / "a.wav", "--checkpoint", checkpoint)
    assert rc == 2 and "score" not in out
    assert "flat.wav: the audio is a constant level" in err


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_18_a_non_finite_threshold_is_refused(checkpoint, voices, capsys, value):
    with pytest.raises(SystemExit) as stop:
        verify.main([str(voices / "a.wav"), str(voices / "b.wav"), "--checkpoint", str(checkpoint),
                     f"--threshold={value}"])
    assert stop.value.code == 2 and "expected a finite number" in capsys.readouterr().err


def test_20_files_with_embed_are_refused_not_ignored(checkpoint, voices, capsys):
    with pytest.raises(SystemExit):
        verify.main([str(voices / "a.wav"), "--embed", str(voices), "--out", str(voices / "e.pt"),
                     "--checkpoint", str(checkpoint)])
    assert "--embed DIR takes no audio files" in capsys.readouterr().err


def test_22_a_folder_as_checkpoint_lists_the_files_inside(checkpoint, voices, capsys):
    rc, _, err = run(capsys, voices / "a.wav", voices / "b.wav", "--checkpoint", checkpoint.parent)
    assert rc == 2 and "is a folder; pass a file inside it: model.pt" in err


def test_24_a_model_file_with_flipped_bytes_is_corrupt(checkpoint, voices, capsys, tmp_path):
    damaged = tmp_path / "model.pt"
    damaged.write_bytes(checkpoint.read_bytes())
    flip_tensor_bytes(damaged, largest_weight(damaged))
    torch.load(damaged, weights_only=False)  # it still loads: only the digest can tell
    rc, out, err = run(capsys, voices / "a.wav", voices / "b.wav", "--checkpoint", damaged)
    assert rc == 2 and "score" not in out and "is corrupt" in err and str(damaged) in err


def test_24_a_model_file_without_digest_still_loads(checkpoint, voices, capsys, tmp_path):
    payload = torch.load(checkpoint, weights_only=False)
    del payload["sha256"]
    old = tmp_path / "old.pt"
    torch.save(payload, old)  # a file written before the digest existed
    rc, out, _ = run(capsys, voices / "a.wav", voices / "b.wav", "--checkpoint", old)
    assert rc == 0 and "score:" in out


@pytest.mark.parametrize("change, message", [
    (lambda p: p["config"].update(model="nosuchmodel"), "does not fit this version of the course"),
    (lambda p: p["model"][next(iter(p["model"]))].fill_(float("nan")), "hold NaN or inf"),
], ids=["28-unknown-model", "29-nan-weights"])
def test_28_29_an_unknown_model_or_nan_weights_are_named(checkpoint, voices, capsys, tmp_path, change, message):
    payload = torch.load(checkpoint, weights_only=False)
    del payload["sha256"]
    change(payload)
    torch.save(payload, tmp_path / "m.pt")
    rc, out, err = run(capsys, voices / "a.wav", voices / "b.wav", "--checkpoint", tmp_path / "m.pt")
    assert rc == 2 and "score" not in out and message in err


@pytest.fixture
def messy(voices):
    """A folder of two good files and every kind of bad one (#31-#34)."""
    folder = voices / "messy"
    folder.mkdir()
    for name in ("a.wav", "b.wav"):
        (folder / name).write_bytes((voices / name).read_bytes())
    float_wav(folder / "08_huge.wav", 1e20 * np.sin(np.arange(16000) * 0.1))
    (folder / "text.mp3").write_text("not audio")
    (folder / "takes.wav").mkdir()
    (folder / "gone.wav").symlink_to(folder / "nowhere.wav")
    float_wav(folder / "dc.wav", np.full(16000, 0.5))
    return folder


def test_31_to_34_embed_skips_and_names_every_bad_file(checkpoint, messy, capsys, tmp_path):
    out = tmp_path / "emb.pt"
    rc, stdout, err = run(capsys, "--embed", messy, "--out", out, "--checkpoint", checkpoint)
    assert rc == 0 and "wrote 2 embeddings" in stdout and "5 file(s) skipped" in stdout
    saved = torch.load(out, weights_only=False)
    assert saved["paths"] == ["a.wav", "b.wav"] and saved["complete"] is True
    assert torch.isfinite(saved["embeddings"]).all()
    for name, why in [("08_huge.wav", "not finite"), ("text.mp3", "format not recognised"),
                      ("takes.wav", "is a folder"), ("gone.wav", "broken symbolic link"), ("dc.wav", "constant")]:
        assert any(name in line and why in line for line in err.splitlines()), (name, err)


@pytest.mark.parametrize("where", ["folder", "unwritable"])
def test_35_36_a_bad_out_is_refused_before_embedding(checkpoint, voices, capsys, monkeypatch, tmp_path, where):
    monkeypatch.setattr(verify, "embed_file", lambda *a: pytest.fail("embedded before checking --out"))
    out = tmp_path if where == "folder" else "/proc/nope/emb.pt"
    rc, _, err = run(capsys, "--embed", voices, "--out", out, "--checkpoint", checkpoint)
    assert rc == 2 and f"--out {out}" in err
    assert ("is a folder" if where == "folder" else "cannot write there") in err


def test_37_ctrl_c_keeps_the_embeddings_done(checkpoint, voices, capsys, monkeypatch, tmp_path):
    for i in range(5):
        write(voices / f"c{i}.wav", 0.1 * torch.randn(16000, generator=torch.Generator().manual_seed(i)))
    real, calls = verify.embed_file, []

    def interrupted(model, path):
        calls.append(path)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(model, path)

    monkeypatch.setattr(verify, "embed_file", interrupted)
    out = tmp_path / "emb.pt"
    rc, _, err = run(capsys, "--embed", voices, "--out", out, "--checkpoint", checkpoint)
    assert rc == 130 and "interrupted: wrote the 3 embeddings done so far (of 7 files)" in err
    saved = torch.load(out, weights_only=False)
    assert len(saved["paths"]) == 3 and saved["embeddings"].shape[0] == 3 and saved["complete"] is False


def test_embed_writes_as_it_goes(checkpoint, voices, monkeypatch, tmp_path):
    out, seen = tmp_path / "emb.pt", []
    real = verify.embed_file

    def watching(model, path):
        seen.append(len(torch.load(out, weights_only=False)["paths"]) if out.exists() else 0)
        return real(model, path)

    monkeypatch.setattr(verify, "embed_file", watching)
    from course.train.export import load_model

    model, info = load_model(checkpoint)
    verify.embed_folder(model, voices, out, info["config"], progress=False, save_seconds=0.0)
    assert seen == [0, 1]  # the first file was on disk before the second was embedded
