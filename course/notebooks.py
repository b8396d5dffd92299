"""The notebook pipeline: ``notebooks/NN_slug.py`` (jupytext percent) is the source.

``sync()`` regenerates each paired ``.ipynb`` with outputs stripped, cell ids
numbered in order and a python3 kernelspec (so JupyterLab never asks for a
kernel); a cell tagged ``solution`` is collapsed both in JupyterLab
(``jupyter.source_hidden``) and on Colab (``cellView: "form"`` and a ``# @title``
line, which is what Colab shows in its place); ``drifted()`` lists the pairs whose ``.ipynb`` differs from what
``sync()`` would write. Run ``python -m course notebooks sync`` after editing.
"""

from __future__ import annotations

import json
from pathlib import Path

import jupytext
import nbformat

from course import REPO_URL

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
README = ROOT / "README.md"
TABLE_START, TABLE_END = "<!-- notebook-table -->", "<!-- /notebook-table -->"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
SOLUTION_TAG = "solution"
SOLUTION_TITLE = "# @title Solution (double-click to show the code)"


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
            if SOLUTION_TAG in cell.metadata.get("tags", []):
                collapse(cell)
    notebook.metadata = {
        "jupytext": {"formats": "ipynb,py:percent"},
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
    }
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    return notebook


def collapse(cell: nbformat.NotebookNode) -> None:
    """Hide a solution's code in JupyterLab and on Colab (Colab ignores ``source_hidden``)."""
    cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
    cell.metadata["cellView"] = "form"
    if not cell.source.startswith("# @title"):
        cell.source = SOLUTION_TITLE + "\n" + cell.source


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


def title(source: Path) -> str:
    """The first markdown heading of a notebook, without the leading #s."""
    for cell in read_source(source).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return source.stem


def colab_url(source: Path, ref: str = "main") -> str:
    """Colab opens notebooks from GitHub only: the address of the paired .ipynb there."""
    repo = REPO_URL.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{repo}/blob/{ref}/notebooks/{source.stem}.ipynb"


def readme_table(paths: list[Path] | None = None) -> str:
    """The README's notebook table: number, title, Open-in-Colab badge."""
    rows = [TABLE_START, "| nb | topic | Colab |", "|----|-------|-------|"]
    badge = "https://colab.research.google.com/assets/colab-badge.svg"
    for source in paths or sources():
        number = source.stem.split("_", 1)[0]
        link = f"[{title(source)}](notebooks/{source.stem}.ipynb)"
        rows.append(f"| {number} | {link} | [![Open In Colab]({badge})]({colab_url(source)}) |")
    return "\n".join(rows + [TABLE_END])


def readme_with_table(text: str) -> str:
    """``text`` with the part between the table markers replaced by a fresh table."""
    start, end = text.index(TABLE_START), text.index(TABLE_END) + len(TABLE_END)
    return text[:start] + readme_table() + text[end:]


def sync_readme() -> bool:
    """Rewrite the README's notebook table; True when it changed."""
    text = README.read_text(encoding="utf-8")
    fresh = readme_with_table(text)
    if fresh != text:
        README.write_text(fresh, encoding="utf-8")
    return fresh != text
