"""Colab readiness. Colab has shipped ipywidgets 7.7 (JupyterLab here has 8.x), and it
shows figures inline: the widget factories must work on both, with no ipympl.

The ipywidgets 7.7 run builds, once, a virtual environment over *this* interpreter's
packages, whatever it is (a venv, conda, the system Python): a ``.pth`` file in the new
environment adds this interpreter's site-packages after its own, so torch, matplotlib and
the rest come from here while ipywidgets 7.7 (and the frontend packages it pins), installed
into the new environment, shadow ours. (``--system-site-packages`` would reach the *base*
interpreter, which in a venv has none of them.) It lives under
``<data>/cache/venvs/ipywidgets7-<hash of this interpreter>`` and runs every
``tests/test_widgets_*.py`` there. It needs PyPI the first time: ``pytest -m "not ipywidgets7"``
leaves it out.
"""

from __future__ import annotations

import hashlib
import os
import re
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from course import notebooks
from course.paths import cache_dir

TESTS = Path(__file__).resolve().parent
COLAB_IPYWIDGETS = "ipywidgets==7.7.*"


def site_dirs() -> list[str]:
    """This interpreter's site-packages folders (a venv's, conda's or the system's), existing ones, in order."""
    paths = sysconfig.get_paths()
    candidates = [*site.getsitepackages(), paths["purelib"], paths["platlib"]]
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        candidates.append(site.getusersitepackages())
    seen: list[str] = []
    for path in candidates:
        if os.path.isdir(path) and os.path.realpath(path) not in map(os.path.realpath, seen):
            seen.append(path)
    return seen


def parent_pth() -> str:
    """A ``.pth`` that appends this interpreter's site dirs (their own ``.pth`` files included)."""
    return "".join(f"import site; site.addsitedir({path!r})\n" for path in site_dirs())


def ipywidgets7_python() -> Path:
    """The interpreter of the cached ipywidgets 7.7 environment (made on first use)."""
    key = hashlib.sha256(parent_pth().encode()).hexdigest()[:10]
    root = cache_dir("venvs") / f"ipywidgets7-{key}"
    python = root / "bin" / "python"
    pth = root / "parent-site.pth"  # the real one lives in the venv's site-packages (found below)
    if not (python.exists() and pth.exists() and pth.read_text() == parent_pth()
            and installed_ipywidgets(python) is not None):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
        own_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip()
        # 'zz' sorts last: the parent's packages come after everything of the new venv's own
        Path(own_site, "zz-parent-site.pth").write_text(parent_pth())
        # pip now sees torch, ipykernel... as installed and adds only ipywidgets 7.7 and what it pins
        # (widgetsnbextension 3.x, jupyterlab_widgets <3, ipython_genutils); the parent's ipywidgets
        # 8 is outside this environment, so pip leaves it alone.
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        COLAB_IPYWIDGETS], check=True)
        pth.write_text(parent_pth())
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
