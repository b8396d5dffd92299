"""``python -m course build --student``: the notebooks without their worked solutions."""

from __future__ import annotations

import nbformat
import pytest

from course import notebooks
from course.__main__ import main
from course.student import is_solution, student_notebook


@pytest.mark.parametrize("source", notebooks.sources(), ids=lambda p: p.stem)
def test_student_notebook_is_the_notebook_without_its_solution_cells(source):
    full = notebooks.read_source(source)
    student = student_notebook(source)
    kept = [cell for cell in full.cells if not is_solution(cell)]
    assert len(kept) < len(full.cells), f"{source.name}: no cell tagged 'solution' to remove"
    assert [(c.cell_type, c.source, c.id) for c in student.cells] == [(c.cell_type, c.source, c.id) for c in kept]
    assert student.metadata["kernelspec"] == full.metadata["kernelspec"]


def test_build_student_writes_notebooks_without_solution_code(tmp_path, capsys):
    assert main(["build", "--student", "--only", "01", "--out", str(tmp_path)]) == 0
    written = tmp_path / "student" / "01_features.ipynb"
    assert str(written) in capsys.readouterr().out
    text = written.read_text(encoding="utf-8")
    solutions = [c.source for c in notebooks.read_source(notebooks.NOTEBOOK_DIR / "01_features.py").cells
                 if is_solution(c)]
    assert solutions and not any(solution in text for solution in solutions)
    nbformat.validate(nbformat.read(written, as_version=4))


@pytest.mark.notebook
@pytest.mark.slow
def test_a_student_notebook_runs_with_the_exercises_unsolved(tmp_path, monkeypatch):
    """Nothing after an exercise needs its solution: the student's copy runs to the end,
    and the exercise self-checks report the unsolved exercises instead of raising."""
    from nbclient import NotebookClient

    monkeypatch.setenv("COURSE_SMOKE", "1")
    notebook = student_notebook(notebooks.NOTEBOOK_DIR / "01_features.py")
    NotebookClient(notebook, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)
    assert "✗" in text, "the unsolved exercises' self-checks printed no ✗"
