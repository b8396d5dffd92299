"""The notebook pipeline: ``notebooks/NN_slug.py`` (jupytext percent) is the source.

``sync()`` regenerates each paired ``.ipynb`` with outputs stripped, cell ids
numbered in order and a python3 kernelspec (so JupyterLab never asks for a
kernel); ``drifted()`` lists the pairs whose ``.ipynb`` differs from what
``sync()`` would write. Run ``python -m course notebooks sync`` after editing.
"""

from __future__ import annotations

import json
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def sources(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """Every notebook source ``NN_slug.py``, in course order."""
    return sorted(p for p in directory.glob("[0-9][0-9]_*.py"))


def read_source(path: Path) -> nbformat.NotebookNode:
    """The notebook a percent-format source describes, normalised."""
    notebook = jupytext.read(path, fmt="py:percent")
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index:03d}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata = {
        "jupytext": {"formats": "ipynb,py:percent"},
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
    }
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    return notebook


def render(path: Path) -> str:
    """The exact text of the paired ``.ipynb`` for a source."""
    return json.dumps(read_source(path), indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def sync(paths: list[Path] | None = None) -> list[Path]:
    """Write the paired ``.ipynb`` of each source; return the ones that changed."""
    changed = []
    for source in paths or sources():
        target = source.with_suffix(".ipynb")
        text = render(source)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


def drifted(paths: list[Path] | None = None) -> list[Path]:
    """Sources whose ``.ipynb`` is missing or differs from a fresh ``sync()``."""
    out = []
    for source in paths or sources():
        target = source.with_suffix(".ipynb")
        if not target.exists() or target.read_text(encoding="utf-8") != render(source):
            out.append(source)
    return out
