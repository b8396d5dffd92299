"""The README's screenshots: committed, small, and made smaller by ``course.screens.shrink``."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from course import screens
from course.notebooks import README


@pytest.mark.parametrize("name", sorted(screens.SHOTS))
def test_each_readme_screenshot_is_committed_small_and_shown(name):
    path = screens.DOCS / name
    assert path.exists(), f"{path}: missing; run python -m course screenshots"
    assert path.stat().st_size <= screens.MAX_BYTES
    assert Image.open(path).format == "PNG"
    assert f"docs/screens/{name}" in README.read_text(encoding="utf-8")


def test_shrink_fits_a_noisy_screenshot_under_the_limit(tmp_path):
    noisy = np.random.default_rng(0).integers(0, 256, (700, 1000, 3), dtype=np.uint8)
    Image.fromarray(noisy).save(tmp_path / "big.png")
    assert (tmp_path / "big.png").stat().st_size > screens.MAX_BYTES
    try:
        size = screens.shrink(tmp_path / "big.png", tmp_path / "small.png")
    except SystemExit as refusal:  # too noisy for every setting: refused by name, nothing written
        assert "big.png" in str(refusal) and not (tmp_path / "small.png").exists()
    else:
        assert size == (tmp_path / "small.png").stat().st_size <= screens.MAX_BYTES
        assert Image.open(tmp_path / "small.png").width <= 900


def test_screenshots_say_which_mode_they_ran_in(monkeypatch, capsys):
    seen = {}

    def fake_run(command, cwd, env):
        seen["mode"] = env["COURSE_BROWSER_MODE"]
        return type("Done", (), {"returncode": 0})()

    monkeypatch.setattr(screens.subprocess, "run", fake_run)
    for mode in ("smoke", "default"):
        assert screens.take(mode=mode) == 0
        assert seen["mode"] == mode and f"in {mode} mode" in capsys.readouterr().out


def test_the_readme_says_the_mode_the_committed_screenshots_were_taken_in():
    mode = screens.MODE_FILE.read_text(encoding="utf-8").strip()
    assert mode in screens.MODES, f"{screens.MODE_FILE}: unknown mode {mode!r}"
    section = README.read_text(encoding="utf-8").split("## What it looks like", 1)[1].split("\n## ", 1)[0]
    assert f"({mode} mode" in section, f"README's screenshot caption does not say {mode} mode"
