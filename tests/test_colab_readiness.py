"""Colab readiness. Colab has shipped ipywidgets 7.7 (JupyterLab here has 8.x), and it
shows figures inline: the widget factories must work on both, with no ipympl.

The ipywidgets 7.7 run builds, once, a virtual environment with
``--system-site-packages`` (torch and the rest come from this interpreter; only
ipywidgets 7.7 and its two frontend packages are installed into it) under
``<data>/cache/venvs/ipywidgets7``, then runs every ``tests/test_widgets_*.py`` there.
It needs PyPI the first time: ``pytest -m "not ipywidgets7"`` leaves it out.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from course import notebooks
from course.paths import cache_dir

TESTS = Path(__file__).resolve().parent
COLAB_IPYWIDGETS = "ipywidgets==7.7.*"


def ipywidgets7_python() -> Path:
    """The interpreter of the cached ipywidgets 7.7 environment (made on first use)."""
    root = cache_dir("venvs") / "ipywidgets7"
    python = root / "bin" / "python"
    if not python.exists() or installed_ipywidgets(python) is None:
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--clear", str(root)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        COLAB_IPYWIDGETS], check=True)
    return python


def installed_ipywidgets(python: Path) -> str | None:
    result = subprocess.run([str(python), "-c", "import ipywidgets; print(ipywidgets.__version__)"],
                            capture_output=True, text=True)
    version = result.stdout.strip()
    return version if result.returncode == 0 and version.startswith("7.7.") else None


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.ipywidgets7
def test_widget_factories_work_under_colabs_ipywidgets_7_7():
    python = ipywidgets7_python()
    assert installed_ipywidgets(python), f"{python}: ipywidgets 7.7 is not what it imports"
    widget_tests = sorted(str(p) for p in TESTS.glob("test_widgets_*.py"))
    assert widget_tests, "no tests/test_widgets_*.py to run"
    path = [str(notebooks.ROOT), os.environ.get("PYTHONPATH")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, path))}
    result = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *widget_tests],
                            cwd=notebooks.ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, (f"widget tests under ipywidgets 7.7 failed:\n"
                                    f"{result.stdout[-4000:]}{result.stderr[-2000:]}")
    assert re.search(r"\d+ passed", result.stdout), result.stdout[-2000:]


def test_no_notebook_or_widget_needs_ipympl():
    """``%matplotlib widget`` (ipympl) is not on Colab by default: figures are redrawn inline."""
    pattern = re.compile(r"%matplotlib\s+(widget|ipympl|notebook)|import\s+ipympl")
    files = notebooks.sources() + sorted((notebooks.ROOT / "course").rglob("*.py"))
    offenders = [str(p.relative_to(notebooks.ROOT)) for p in files if pattern.search(p.read_text(encoding="utf-8"))]
    assert not offenders, f"these need ipympl, absent on Colab: {offenders}"
