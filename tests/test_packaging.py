"""requirements.txt and environment.yml pin the same versions; ruff is clean."""

import re
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def pins(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        match = re.match(r"^\s*(?:-\s*)?([A-Za-z0-9_.\-]+)\s*==\s*([^\s#;]+)", line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_requirements_and_environment_pin_the_same_versions():
    requirements = pins((ROOT / "requirements.txt").read_text())
    environment = pins((ROOT / "environment.yml").read_text())
    assert requirements, "requirements.txt pins nothing"
    assert requirements == {k: v for k, v in environment.items() if k != "python"}


def test_requirements_pin_torch_and_install_the_package():
    text = (ROOT / "requirements.txt").read_text()
    assert pins(text)["torch"] == "2.9.1" and pins(text)["torchaudio"] == "2.9.1"
    assert re.search(r"^-e \.$", text, re.M)


def test_package_dependencies_are_lower_bounds_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        assert "==" not in requirement and "<" not in requirement, requirement


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_speechbrain_comes_with_the_course_requirements_and_the_colab_install():
    # notebook 03 shows the parity with SpeechBrain's ECAPA-TDNN in the main job and on Colab
    assert pins((ROOT / "requirements.txt").read_text())["speechbrain"] == "1.1.2"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(re.match(r"speechbrain\s*>=", requirement) for requirement in project["dependencies"])
