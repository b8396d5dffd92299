"""The .py sources are the truth; the .ipynb files are regenerated from them."""

import json
import sys
import types

import pytest

from course import colab, notebooks

SOURCES = notebooks.sources()


def test_every_source_has_an_up_to_date_ipynb():
    stale = [p.name for p in notebooks.drifted()]
    assert not stale, f"run `python -m course notebooks sync`; drifted: {stale}"


def test_readme_notebook_table_lists_every_notebook_with_a_colab_badge():
    text = notebooks.README.read_text()
    assert notebooks.readme_with_table(text) == text, "run `python -m course notebooks sync`"
    for source in SOURCES:
        assert notebooks.colab_url(source) in text


def test_every_ipynb_has_a_source():
    orphans = [p.name for p in notebooks.NOTEBOOK_DIR.glob("*.ipynb") if not p.with_suffix(".py").exists()]
    assert not orphans


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_committed_ipynb_has_no_outputs_and_a_kernelspec(source):
    notebook = json.loads(source.with_suffix(".ipynb").read_text())
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    for cell in notebook["cells"]:
        assert not cell.get("outputs") and cell.get("execution_count") is None


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_notebook_starts_with_the_setup_cell_and_has_a_parameters_cell(source):
    cells = notebooks.read_source(source).cells
    assert cells[0].cell_type == "markdown", "a title cell comes first"
    first_code = next(c for c in cells if c.cell_type == "code")
    assert first_code.source.strip() == colab.SETUP_CELL.strip()
    assert any("parameters" in c.metadata.get("tags", []) for c in cells if c.cell_type == "code")


def test_sync_is_deterministic(tmp_path):
    source = tmp_path / "99_demo.py"
    source.write_text("# %% [markdown]\n# # Demo\n\n# %%\nx = 1\n")
    assert notebooks.sync([source]) == [source.with_suffix(".ipynb")]
    first = source.with_suffix(".ipynb").read_text()
    assert notebooks.sync([source]) == []
    assert json.loads(first)["cells"][1]["id"] == "cell-001"
    source.write_text("# %% [markdown]\n# # Demo\n\n# %%\nx = 2\n")
    assert notebooks.drifted([source]) == [source]


def run_setup_cell(monkeypatch, colab_present):
    calls = []
    if colab_present:
        google = types.ModuleType("google")
        google.colab = types.ModuleType("google.colab")
        monkeypatch.setitem(sys.modules, "google", google)
        monkeypatch.setitem(sys.modules, "google.colab", google.colab)
    import subprocess

    monkeypatch.setattr(subprocess, "check_call", lambda command, **kw: calls.append(command))
    exec(compile(colab.SETUP_CELL, "setup-cell", "exec"), {})
    return calls


def test_setup_cell_on_colab_installs_the_course_without_protected_packages(monkeypatch, capsys):
    calls = run_setup_cell(monkeypatch, colab_present=True)
    assert calls, "on Colab the setup cell must install the course package"
    for command in calls:
        assert "install" in command and any("git+" in part for part in command)
        for part in command:
            for name in colab.PROTECTED:
                assert not part.lower().startswith(name), f"{command} names {name}"
    assert "device:" in capsys.readouterr().out


def test_setup_cell_elsewhere_installs_nothing(monkeypatch, capsys):
    assert run_setup_cell(monkeypatch, colab_present=False) == []
    assert "torch" in capsys.readouterr().out


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_solution_cells_are_collapsed_in_jupyterlab_and_on_colab(source):
    cells = json.loads(source.with_suffix(".ipynb").read_text())["cells"]
    solutions = [c for c in cells if notebooks.SOLUTION_TAG in c["metadata"].get("tags", [])]
    assert solutions, f"{source.name} has no solution cell"
    for cell in solutions:
        assert cell["metadata"]["jupyter"]["source_hidden"] is True  # JupyterLab
        assert cell["metadata"]["cellView"] == "form"  # Colab ignores source_hidden
        assert cell["source"].startswith("# @title ")  # what Colab shows in place of the code
    others = [c for c in cells if c not in solutions]
    assert not any("cellView" in c["metadata"] or "jupyter" in c["metadata"] for c in others)


def test_a_solution_tag_alone_collapses_the_cell(tmp_path):
    source = tmp_path / "99_demo.py"
    source.write_text('# %%\nx = 1\n\n# %% tags=["solution"]\nx = 2\n')
    solution = notebooks.read_source(source).cells[1]
    assert solution.metadata["cellView"] == "form" and solution.metadata["jupyter"]["source_hidden"]
    assert solution.source == notebooks.SOLUTION_TITLE + "\nx = 2"
