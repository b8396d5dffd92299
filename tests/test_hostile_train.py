"""The hostile run against ``python -m course.train`` (shared review hostile-run-22db0c1, cases #39-#67):
a config or a corpus that cannot work is one line naming the key or the file (exit 2) before the first
step, and no start ever destroys a checkpoint."""

import errno
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from test_hostile_verify import flip_tensor_bytes

from course import train
from course.train import checkpoints, loop, preflight
from course.train.__main__ import build_config, main, read_config
from course.train.cache import load_result, save_result
from course.train.export import save_model
from tests.toys import ToyChunks, tiny_config, toy_collate

SMOKE = str(Path(__file__).resolve().parent.parent / "configs" / "smoke.yaml")


@pytest.fixture(autouse=True)
def scratch_data(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))  # never the default corpus


def cli(capsys, *args):
    rc = main([str(a) for a in args])
    return rc, capsys.readouterr().err


def smoke(capsys, out, *overrides, extra=()):
    return cli(capsys, "--config", SMOKE, "--out", out, "--no-progress", *extra, "--set", *overrides)


@pytest.mark.parametrize("override, message", [
    ("steps=abc", "steps: expected a whole number, got 'abc'"),
    ("batch_size=eight", "batch_size: expected a whole number, got 'eight'"),
    ("lr=fast", "lr: expected a finite number, got 'fast'"),
    ("steps=2.5", "steps: expected a whole number, got 2.5"),  # 44: ran 3 steps, no validation, no checkpoint
    ("lr=nan", "lr: expected a finite number"),
    ("lr=inf", "lr: expected a finite number"),  # 46
    ("num_workers=-1", "num_workers: expected at least 0, got -1"),
    ("grad_clip=0", "grad_clip: expected a positive norm"),
], ids=lambda v: v if "=" in v else "")
def test_41_44_45_46_nonsense_numbers_are_refused_naming_the_key(tmp_path, capsys, override, message):
    with pytest.raises(SystemExit) as stop:
        smoke(capsys, tmp_path / "run", override)
    assert stop.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_42_a_yaml_1e_3_is_the_number_it_means(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(Path(SMOKE).read_text().replace("lr: 0.001", "lr: 1e-3"))
    assert read_config(path)["lr"] == "1e-3"  # what PyYAML (YAML 1.1) gives
    config, _ = build_config(read_config(path))
    assert config.lr == 0.001 and isinstance(config.lr, float)


@pytest.mark.parametrize("override, message", [
    ("model_kwargs.chanels=8", "model_kwargs or pooling_kwargs do not fit 'ecapa'"),  # 40
    ("pooling=NOPE", "pooling: unknown name 'NOPE'"),
    ("head=NOPE", "head: unknown name 'NOPE'"),
    ("model=resnet", "model: unknown name 'resnet'"),
    ("device=gpu0", "device: 'gpu0' is not a device"),
    ("batch_size=1", "batch_size: 1 cannot train 'ecapa'"),  # 47: "Expected more than 1 value per channel"
    ("corpus=/nonexistent/corpus", "corpus: root not found: /nonexistent/corpus"),  # 49
], ids=lambda v: v if "=" in v else "")
def test_40_45_47_49_bad_names_devices_and_corpora_are_one_line(tmp_path, capsys, override, message):
    rc, err = smoke(capsys, tmp_path / "run", override)
    assert rc == 2 and err.startswith("error: ") and message in err and "Traceback" not in err
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_45_cuda_without_cuda_says_what_to_do(tmp_path, capsys):
    rc, err = smoke(capsys, tmp_path / "run", "device=cuda")
    assert rc == 2 and "CUDA is not available here; use device=cpu" in err


# --- the corpus: checked before the first step --------------------------------------------------

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from tests.synthvox_tiny import tiny_corpus

    return tiny_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture
def corpus(tiny, tmp_path):
    """A copy of the tiny corpus to damage."""
    return Path(shutil.copytree(tiny, tmp_path / "corpus", symlinks=True))


def split_files(root, code):
    return [root / "wav" / line.split()[1] for line in (root / "iden_split.txt").read_text().splitlines()
            if line.split()[0] == code]


def poison(path, value):
    wave = np.full(16000, 0.1)
    wave[100:110] = value
    soundfile.write(str(path), wave, 16000, subtype="FLOAT")


def test_50_51_a_nan_sample_in_a_training_file_is_named_before_training(corpus, tmp_path, capsys):
    bad = split_files(corpus, "1")[0]
    poison(bad, np.nan)
    for data in ("waves", "features"):
        extra = ["augment=null"] if data == "features" else []
        rc, err = smoke(capsys, tmp_path / data, f"corpus={corpus}", f"data={data}", *extra)
        assert rc == 2 and f"{bad}: 10 NaN or infinite sample(s)" in err, err
        assert not (tmp_path / data / "checkpoint.pt").exists()


def test_50_waveform_crops_skip_a_nan_file_and_name_it(corpus):
    from course.data.wave_crops import WaveCrops

    bad = split_files(corpus, "1")[0]
    poison(bad, np.nan)
    with pytest.warns(UserWarning, match=f"{bad.name}: 10 NaN"):
        crops = WaveCrops(corpus, chunk_frames=20)
    assert bad not in crops.paths


def test_53_a_text_file_in_the_training_split_is_named(corpus, tmp_path, capsys):
    bad = split_files(corpus, "1")[0]
    bad.write_text("not audio")
    rc, err = smoke(capsys, tmp_path / "run", f"corpus={corpus}", "data=features", "augment=null")
    assert rc == 2 and f"{bad}: unreadable or corrupt audio" in err


def test_54_55_one_training_speaker_is_refused(corpus, tmp_path, capsys):
    split = corpus / "iden_split.txt"
    lines = split.read_text().splitlines()
    first = next(line.split()[1].split("/")[0] for line in lines if line.startswith("1 "))
    split.write_text("\n".join(line for line in lines if not line.startswith("1 ") or f" {first}/" in line) + "\n")
    rc, err = smoke(capsys, tmp_path / "run", f"corpus={corpus}")
    assert rc == 2 and "has 1 speaker; a speaker classifier needs at least 2" in err
    with pytest.raises(ValueError, match="has 1 speaker"):  # fit itself refuses too (notebooks)
        train.fit(tiny_config(steps=1), progress=False, dataset=ToyChunks(speakers=1), collate_fn=toy_collate)


def test_56_an_inf_sample_in_a_trial_file_is_named_before_training(corpus, tmp_path, capsys):
    bad = sorted(set(split_files(corpus, "3")))[0]
    poison(bad, np.inf)
    rc, err = smoke(capsys, tmp_path / "run", f"corpus={corpus}")
    assert rc == 2 and f"{bad}: 10 NaN or infinite" in err
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_57_a_missing_development_list_is_named_before_training(corpus, tmp_path, capsys):
    (corpus / "veri_dev.txt").unlink()
    rc, err = smoke(capsys, tmp_path / "run", f"corpus={corpus}", "val_every=0")
    assert rc == 2 and "veri_dev.txt: trial list not found" in err and "--no-validate" in err
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


@pytest.mark.slow
def test_57_a_corpus_without_test_trials_trains_and_says_so(corpus, tmp_path, capsys):
    (corpus / "veri_test2.txt").unlink()  # validation reads veri_dev.txt; no test list: nothing to score at the end
    rc = main(["--config", str(SMOKE), "--out", str(tmp_path / "run"), "--no-progress", "--set", f"corpus={corpus}",
               "val_every=0", "steps=2", "batch_size=4"])
    assert rc == 0
    assert "no test trials" in capsys.readouterr().out and (tmp_path / "run" / "model.pt").exists()


@pytest.mark.slow
def test_57_no_validate_trains_a_corpus_without_trial_lists(corpus, tmp_path, capsys):
    (corpus / "veri_test2.txt").unlink()
    (corpus / "veri_dev.txt").unlink()
    rc, err = smoke(capsys, tmp_path / "run", f"corpus={corpus}", "val_every=0", "steps=2", "batch_size=4",
                    extra=["--no-validate"])
    assert rc == 0, err
    assert (tmp_path / "run" / "model.pt").exists()


# --- resume, corrupt checkpoints, full or read-only disks ---------------------------------------

@pytest.fixture
def victim(tmp_path):
    """A run folder whose checkpoint.pt must survive every bad start."""
    folder = tmp_path / "victim"
    folder.mkdir()
    (folder / "checkpoint.pt").write_bytes(b"45 steps of work")
    return folder


def test_61_a_missing_or_truncated_resume_is_one_line(tmp_path, capsys, victim):
    (tmp_path / "truncated.pt").write_bytes(b"PK\x03\x04junk")
    for resume, message in [(tmp_path / "nope.pt", "checkpoint not found"), (tmp_path / "truncated.pt",
                                                                              "unreadable or corrupt")]:
        rc, err = smoke(capsys, victim, extra=["--resume", resume])
        assert rc == 2 and message in err and str(resume) in err
    assert (victim / "checkpoint.pt").read_bytes() == b"45 steps of work"


def test_62_resuming_from_a_model_file_leaves_the_run_folder_alone(tmp_path, capsys, victim):
    result = train.fit(tiny_config(steps=1), progress=False, dataset=ToyChunks(), collate_fn=toy_collate)
    model = save_model(tmp_path / "model.pt", result)
    rc, err = smoke(capsys, victim, extra=["--resume", model])
    assert rc == 2 and f"--resume {model}: a finished model, not a training checkpoint" in err
    assert (victim / "checkpoint.pt").read_bytes() == b"45 steps of work"


def test_63_resuming_from_another_config_leaves_the_run_folder_alone(tmp_path, capsys, victim):
    other = tmp_path / "other.pt"
    train.fit(tiny_config(steps=1), progress=False, dataset=ToyChunks(), collate_fn=toy_collate, checkpoint=other)
    rc, err = smoke(capsys, victim, extra=["--resume", other])
    assert rc == 2 and "written for another config (differs in" in err and "model_kwargs" in err
    assert (victim / "checkpoint.pt").read_bytes() == b"45 steps of work"


def run(config, **kwargs):
    return train.fit(config, progress=False, dataset=ToyChunks(), collate_fn=toy_collate, **kwargs)


def test_65_a_run_checkpoint_with_flipped_bytes_is_corrupt(tmp_path):
    path = tmp_path / "checkpoint.pt"
    config = tiny_config(steps=4, checkpoint_every=2)
    run(config, checkpoint=path)
    payload = torch.load(path, weights_only=False)
    flip_tensor_bytes(path, max(payload["model"].values(), key=torch.numel), count=50)
    with pytest.raises(checkpoints.CheckpointError, match=f"checkpoint {path} is corrupt"):
        run(config, checkpoint=path)


def test_a_checkpoint_without_digest_still_resumes(tmp_path):
    path = tmp_path / "checkpoint.pt"
    config = tiny_config(steps=4, checkpoint_every=2)
    run(tiny_config(steps=4, checkpoint_every=2), checkpoint=path)
    payload = torch.load(path, weights_only=False)
    del payload["sha256"]
    torch.save(payload, path)  # as written before the digest existed
    assert run(config, checkpoint=path).losses == payload["state"]["losses"]


def test_a_cached_result_with_flipped_bytes_is_not_loaded(tmp_path):
    result = run(tiny_config(steps=1))
    path = tmp_path / "cached.pt"
    save_result(path, result)
    flip_tensor_bytes(path, max(result.model.state_dict().values(), key=torch.numel))
    with pytest.raises(checkpoints.CheckpointError, match="is corrupt"):  # cached_fit retrains on any error
        load_result(path, result.config)


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left on device"),
                                     RuntimeError("[enforce fail at inline_container.cc:664] . unexpected pos 64")])
def test_66_a_full_disk_says_so_and_keeps_the_last_checkpoint(tmp_path, monkeypatch, failure):
    path = tmp_path / "checkpoint.pt"
    save, calls = torch.save, []

    def full_after_one(obj, target):
        calls.append(target)
        if len(calls) > 1:
            Path(target).write_bytes(b"half")
            raise failure
        save(obj, target)

    monkeypatch.setattr(checkpoints.torch, "save", full_after_one)
    with pytest.raises(checkpoints.CheckpointError,
                       match=f"no space left on device .*; the last checkpoint {path} is kept"):
        run(tiny_config(steps=4, checkpoint_every=2), checkpoint=path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=False)["state"]["step"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]  # no temporary file left


def test_67_a_read_only_run_folder_is_refused_before_training(tmp_path, capsys, monkeypatch, corpus):
    def read_only(**kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(preflight.tempfile, "NamedTemporaryFile", read_only)
    monkeypatch.setattr(loop, "fit", lambda *a, **k: pytest.fail("trained before checking the run folder"))
    rc, err = smoke(capsys, tmp_path / "ro", f"corpus={corpus}")
    assert rc == 2 and f"--out {tmp_path / 'ro'}: the run folder is not writable (Read-only file system)" in err


def test_67_a_failing_cleanup_does_not_hide_the_real_error(tmp_path, monkeypatch):
    from course.paths import atomic_path

    monkeypatch.setattr(Path, "unlink", lambda self, missing_ok=False: (_ for _ in ()).throw(
        OSError(errno.EROFS, "Read-only file system")))
    with pytest.raises(RuntimeError, match="the real error"), atomic_path(tmp_path / "x.pt"):
        raise RuntimeError("the real error")


@pytest.mark.parametrize("failure, rc, message", [
    (loop.TrainingDiverged("training stopped: the loss became nan at step 2 (lr 1e12)"), 2,
     "error: training stopped: the loss became nan"),  # 46: lr=1e12 grad_clip=null
    (KeyboardInterrupt(), 130, "interrupted: no checkpoint was written yet; run the same command to resume"),
], ids=["46-diverged", "ctrl-c"])
def test_46_a_diverged_or_interrupted_run_is_one_line(corpus, tmp_path, capsys, monkeypatch, failure, rc, message):
    def failing(*args, **kwargs):
        raise failure

    monkeypatch.setattr(loop, "fit", failing)
    got, err = smoke(capsys, tmp_path / "run", f"corpus={corpus}")
    assert got == rc and message in err and "Traceback" not in err
