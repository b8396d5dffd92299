"""``python -m course.train``: YAML configs, overrides, clear errors, a run folder; the configs in configs/."""

from pathlib import Path

import pytest
import yaml

from course.train import TrainConfig, course_config, ecapa_voxceleb_config
from course.train.__main__ import apply_overrides, build_config, main, read_config

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


@pytest.mark.parametrize("name", ["course_cpu.yaml", "smoke.yaml", "ecapa_c512_voxceleb.yaml"])
def test_every_shipped_config_is_valid(name):
    config, run = build_config(read_config(CONFIGS / name))
    assert isinstance(config, TrainConfig) and run["out"].startswith("runs/")


def test_the_cpu_config_is_the_course_model(monkeypatch):
    monkeypatch.setenv("COURSE_SMOKE", "0")
    config, _ = build_config(read_config(CONFIGS / "course_cpu.yaml"))
    assert config == course_config()


def test_the_gpu_config_is_ecapa_voxceleb_config():
    config, _ = build_config(read_config(CONFIGS / "ecapa_c512_voxceleb.yaml"))
    assert config == ecapa_voxceleb_config("data/voxceleb-subset")


def test_overrides_set_fields_and_nested_keys():
    values = apply_overrides({"steps": 5, "augment": {}}, ["steps=7", "augment.noise_prob=0.25", "lr=1e-2"])
    assert values == {"steps": 7, "augment": {"noise_prob": 0.25}, "lr": 0.01}


def test_unknown_keys_are_a_clear_error(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"steps": 3, "learning_rate": 0.1}))
    with pytest.raises(SystemExit):
        main(["--config", str(path)])
    assert "unknown field(s) ['learning_rate']" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--config", str(CONFIGS / "smoke.yaml"), "--set", "augment.noize=1"])
    assert "unknown key(s) ['noize']" in capsys.readouterr().err


def test_a_missing_config_or_resume_file_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--config", str(tmp_path / "none.yaml")])
    assert "file not found" in capsys.readouterr().err
    assert main(["--config", str(CONFIGS / "smoke.yaml"), "--resume", str(tmp_path / "none.pt"), "--out",
                 str(tmp_path / "run")]) == 2
    assert "error: checkpoint not found" in capsys.readouterr().err


@pytest.mark.slow
def test_the_smoke_config_runs_and_writes_a_run_folder(tmp_path, monkeypatch, capsys):
    from tests.synthvox_tiny import tiny_corpus

    corpus = tiny_corpus(tmp_path)
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))
    out = tmp_path / "run"
    args = ["--config", str(CONFIGS / "smoke.yaml"), "--out", str(out), "--no-progress",
            "--set", f"corpus={corpus}", "steps=4", "val_every=4", "batch_size=4", "checkpoint_every=2"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "development EER" in printed and "test: EER " in printed and "target /" in printed
    assert {p.name for p in out.iterdir()} == {"checkpoint.pt", "model.pt", "log.csv", "history.json", "config.json"}
    assert main(args) == 0  # a second start finds the finished checkpoint and only re-exports
