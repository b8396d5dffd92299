"""``python -m course build --student``: the notebooks as a teacher hands them out.

Every cell tagged ``solution`` (the worked solution of an exercise) is removed; the
exercise cells, whose self-checks tell the learner what is wrong, stay. The notebooks
are written unexecuted, with the same kernelspec and cell ids as the paired ``.ipynb``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from course import notebooks

SOLUTION_TAG = "solution"


def is_solution(cell) -> bool:
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def student_notebook(source: Path) -> nbformat.NotebookNode:
    """The notebook of ``source`` (a ``NN_slug.py``) without its solution cells."""
    notebook = notebooks.read_source(source)
    notebook.cells = [cell for cell in notebook.cells if not is_solution(cell)]
    return notebook


def write_student(sources: list[Path], out_dir: Path) -> list[Path]:
    """Write ``out_dir/NN_slug.ipynb`` for each source; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        target = out_dir / f"{source.stem}.ipynb"
        nbformat.write(student_notebook(source), target)
        written.append(target)
    return written
