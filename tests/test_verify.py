"""``python -m course.verify``: scores, decisions at the stored threshold, clear errors for bad audio."""

import pytest
import torch

from course import train, verify
from course.audio import write
from course.train.export import save_model
from tests.toys import tiny_config


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from tests.toys import ToyChunks, toy_collate

    folder = tmp_path_factory.mktemp("model")
    result = train.fit(tiny_config(steps=2), progress=False, dataset=ToyChunks(), collate_fn=toy_collate)
    result.threshold, result.score_mean = 0.5, torch.zeros(16)
    result.history = [{"step": 2, "eer": 0.125}]
    return save_model(folder / "model.pt", result)


@pytest.fixture
def voices(tmp_path):
    g = torch.Generator().manual_seed(0)
    t = torch.arange(16000) / 16000
    a = 0.3 * torch.sin(2 * torch.pi * 220 * t) + 0.01 * torch.randn(16000, generator=g)
    b = 0.3 * torch.sin(2 * torch.pi * 330 * t) * torch.sin(2 * torch.pi * 3 * t)
    b = b + 0.01 * torch.randn(16000, generator=g)
    write(tmp_path / "a.wav", a)
    write(tmp_path / "b.wav", b)
    return tmp_path


def test_a_pair_gets_a_score_and_a_decision_at_the_stored_threshold(checkpoint, voices, capsys):
    assert verify.main([str(voices / "a.wav"), str(voices / "b.wav"), "--checkpoint", str(checkpoint)]) == 0
    out = capsys.readouterr().out
    score = float(out.split("score: ")[1].split()[0])
    expected = "same speaker" if score >= 0.5 else "different speakers"
    assert f"decision: {expected} (threshold 0.5000 (EER 12.50% on the development trials))" in out


def test_a_file_with_itself_scores_one(checkpoint, voices, capsys):
    verify.main([str(voices / "a.wav"), str(voices / "a.wav"), "--checkpoint", str(checkpoint)])
    assert "score: 1.0000" in capsys.readouterr().out


@pytest.mark.parametrize("content, message", [
    (b"not a wav file", "unreadable or corrupt"),
    (None, "holds no samples"),
    ("short", "too short"),
])
def test_bad_audio_is_a_clear_error_naming_the_file(checkpoint, voices, capsys, content, message):
    bad = voices / "bad.wav"
    if content is None:
        write(bad, torch.zeros(0))
    elif content == "short":
        write(bad, 0.1 * torch.randn(800))
    else:
        bad.write_bytes(content)
    assert verify.main([str(voices / "a.wav"), str(bad), "--checkpoint", str(checkpoint)]) == 2
    err = capsys.readouterr().err
    assert message in err and "bad.wav" in err


def test_another_sample_rate_is_resampled_with_a_warning(checkpoint, voices, capsys):
    write(voices / "a8k.wav", 0.3 * torch.sin(torch.arange(8000) * 0.2), sample_rate=8000)
    with pytest.warns(UserWarning, match="8000 Hz resampled to 16000 Hz"):
        assert verify.main([str(voices / "a8k.wav"), str(voices / "b.wav"), "--checkpoint", str(checkpoint)]) == 0
    assert "score:" in capsys.readouterr().out


def test_a_missing_or_corrupt_checkpoint_is_a_clear_error(voices, tmp_path, capsys):
    assert verify.main([str(voices / "a.wav"), str(voices / "b.wav"), "--checkpoint", str(tmp_path / "x.pt")]) == 2
    assert "checkpoint not found" in capsys.readouterr().err
    (tmp_path / "broken.pt").write_bytes(b"junk")
    assert verify.main([str(voices / "a.wav"), str(voices / "b.wav"), "--checkpoint", str(tmp_path / "broken.pt")]) == 2
    assert "unreadable or corrupt" in capsys.readouterr().err


def test_embed_writes_one_embedding_per_usable_file(checkpoint, voices, capsys):
    (voices / "sub").mkdir()
    (voices / "sub" / "junk.wav").write_bytes(b"junk")
    out = voices / "emb.pt"
    assert verify.main(["--embed", str(voices), "--out", str(out), "--checkpoint", str(checkpoint)]) == 0
    saved = torch.load(out, weights_only=False)
    assert saved["paths"] == ["a.wav", "b.wav"] and saved["embeddings"].shape == (2, 16)
    assert "skipped" in capsys.readouterr().err


def test_arguments_are_checked(checkpoint):
    with pytest.raises(SystemExit):
        verify.main(["only_one.wav", "--checkpoint", str(checkpoint)])
    with pytest.raises(SystemExit):
        verify.main(["--embed", "folder", "--checkpoint", str(checkpoint)])


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    from tests.toys import ToyChunks, toy_collate

    folder = tmp_path_factory.mktemp("calibrated")
    result = train.fit(tiny_config(steps=2), progress=False, dataset=ToyChunks(), collate_fn=toy_collate)
    result.threshold, result.score_mean = 0.5, torch.zeros(16)
    result.calibration = {"a": 10.0, "b": -2.0, "p_target": 0.5}  # LLR = 10 s − 2
    return save_model(folder / "model.pt", result)


def test_a_calibrated_model_prints_the_llr_and_the_bayes_decision(calibrated, voices, capsys):
    args = [str(voices / "a.wav"), str(voices / "a.wav"), "--checkpoint", str(calibrated)]
    assert verify.main(args) == 0
    out = capsys.readouterr().out
    assert "LLR: +8.00" in out  # score 1 → 10·1 − 2
    assert "decision: same speaker (P_target 0.01" in out and "accept when LLR ≥ 4.60" in out
    assert verify.main(args + ["--p-target", "0.0001"]) == 0  # threshold log(9999) ≈ 9.2 > 8
    assert "decision: different speakers" in capsys.readouterr().out


def test_without_a_calibration_it_says_it_decides_on_the_raw_threshold(checkpoint, voices, capsys):
    verify.main([str(voices / "a.wav"), str(voices / "b.wav"), "--checkpoint", str(checkpoint)])
    assert "carries no calibration" in capsys.readouterr().out


@pytest.mark.parametrize("option", [["--p-target", "1"], ["--p-target", "nan"], ["--c-fa", "0"]])
def test_nonsense_operating_points_are_refused(calibrated, voices, option):
    with pytest.raises(SystemExit):
        verify.main([str(voices / "a.wav"), str(voices / "b.wav"), "--checkpoint", str(calibrated), *option])
