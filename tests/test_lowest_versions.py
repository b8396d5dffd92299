"""The package's declared lower bounds (pyproject ``dependencies``) are real: a fresh venv with
every dependency at its lowest declared version runs notebooks 00, 03, 04 and 06 in smoke mode.

Colab installs the package over its own (older or newer) torch, numpy and ipywidgets, so a
lower bound that is too low is a notebook that breaks there. The environment is built once
under ``<data>/cache/venvs/lowest-<hash of the bounds>`` (torch 2.3 and its CUDA libraries:
several GB from PyPI the first time), so this test is opt-in: ``COURSE_TEST_LOWEST=1 pytest
tests/test_lowest_versions.py``. Without it the test is skipped and says how to run it.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from course.paths import cache_dir

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ["00", "03", "04", "06"]


def lowest_pins() -> list[str]:
    """``name==lowest`` for every ``name>=lowest`` of the package's dependencies."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = []
    for requirement in project["dependencies"]:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*", requirement)
        assert match, f"{requirement!r}: a lower bound `name>=version` is expected"
        pins.append(f"{match.group(1)}=={match.group(2)}")
    return pins


def test_every_dependency_has_a_lower_bound_to_pin():
    pins = lowest_pins()
    assert any(p.startswith("torch==") for p in pins) and any(p.startswith("numpy==") for p in pins)


@pytest.mark.slow
@pytest.mark.network
@pytest.mark.skipif(os.environ.get("COURSE_TEST_LOWEST") != "1",
                    reason="opt-in (several GB from PyPI): COURSE_TEST_LOWEST=1 pytest tests/test_lowest_versions.py")
def test_notebooks_run_with_the_lowest_declared_versions(tmp_path):
    pins = lowest_pins()
    root = cache_dir("venvs") / ("lowest-" + hashlib.sha256("\n".join(pins).encode()).hexdigest()[:10])
    python = root / "bin" / "python"
    stamp = root / "installed.txt"
    if not (python.exists() and stamp.exists() and stamp.read_text() == "\n".join(pins)):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
        constraints = root / "lowest.txt"
        constraints.write_text("\n".join(pins) + "\n")
        # the direct dependencies at their lower bounds; what they need resolved by pip as usual
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "-c", str(constraints), "-e", str(ROOT)], check=True)
        stamp.write_text("\n".join(pins))
    versions = subprocess.run([str(python), "-c", "import torch, numpy; print(torch.__version__, numpy.__version__)"],
                              capture_output=True, text=True, check=True).stdout.split()
    lowest = dict(pin.split("==") for pin in pins)
    assert versions[0].startswith(lowest["torch"]) and versions[1].startswith(lowest["numpy"]), versions
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([str(python), "-m", "course", "build", "--smoke", "--only", *NOTEBOOKS,
                             "--out", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"with {', '.join(pins)}:\n{result.stdout[-4000:]}{result.stderr[-2000:]}"
