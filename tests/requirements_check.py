"""Are the test suite's requirements installed in the interpreter that runs pytest? Without them
every test module fails to import (92 collection errors, the first one about whatever module happens
to come first); one message naming the interpreter and the install command says what is wrong."""

from __future__ import annotations

import importlib.util

# what the test modules import at their top (the requirements files pin them)
NEEDED = ("torch", "torchaudio", "numpy", "scipy", "matplotlib", "ipywidgets", "jupytext", "nbformat", "soundfile")


def missing(names=NEEDED, find_spec=importlib.util.find_spec) -> list[str]:
    """The modules of ``names`` this interpreter cannot import (found without importing them)."""
    return [name for name in names if find_spec(name) is None]


def message(absent: list[str], executable: str) -> str:
    return (f"the test suite's requirements are not installed for {executable} (missing: {', '.join(absent)}): "
            "run `pip install -r requirements-dev.txt` with this interpreter, or run the pytest of the "
            "environment that has them (for example .venv/bin/pytest)")
