"""No notebook source hides markdown inside a code cell.

The notebooks are jupytext py:percent sources: a cell starts at a ``# %%`` line, and a markdown
cell is marked ``# %% [markdown]``. When that marker is missing, the markdown (a heading, a display
equation, its prose) stays ``#`` comments at the end of the previous code cell: the reader sees a
code cell full of comments, and no heading or equation is rendered (notebook 04's SAP section once
did this). A commented markdown heading is ``# ## 4. SAP…`` (a comment whose text is a markdown
heading); a display equation is ``$$``. Ordinary code comments (``# your code here``, ``# (B, T)``,
``#``) are neither.
"""

import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.py"))

CELL_MARKER = re.compile(r"^# %%(?P<rest>.*)$")
COMMENTED_HEADING = re.compile(r"^\s*#\s+#{1,6}\s+\S")  # "# ## 4. SAP", "# # 07 · ACA-Net"
DISPLAY_EQUATION = "$$"


def code_cells(source: str) -> list[tuple[int, list[str]]]:
    """(first line number, lines) of every code cell of a py:percent source; the header before the
    first ``# %%`` counts as code, as jupytext reads it."""
    cells, kind, start, lines = [], "code", 1, []
    for number, line in enumerate(source.splitlines(), start=1):
        marker = CELL_MARKER.match(line)
        if marker:
            if kind == "code" and lines:
                cells.append((start, lines))
            rest = marker.group("rest")
            kind = "markdown" if re.search(r"\[(markdown|md|raw)\]", rest) else "code"
            start, lines = number + 1, []
        else:
            lines.append(line)
    if kind == "code" and lines:
        cells.append((start, lines))
    return cells


def markdown_in_code(source: str) -> list[str]:
    """``line N: text`` for every commented markdown heading or ``$$`` inside a code cell."""
    found = []
    for start, lines in code_cells(source):
        for offset, line in enumerate(lines):
            if COMMENTED_HEADING.match(line) or DISPLAY_EQUATION in line:
                found.append(f"line {start + offset}: {line.strip()}")
    return found


def test_the_detector_finds_a_missing_markdown_marker_and_leaves_code_comments_alone():
    missing_marker = (
        "# %%\n"
        "x = 1  # the first value\n"
        "#\n"
        "# ## 4. SAP: several heads of weighted means\n"
        "#\n"
        "# $$A = \\operatorname{softmax}(XW)$$\n"
        "\n"
        "# %%\n"
        "y = 2\n")
    assert markdown_in_code(missing_marker) == ["line 4: # ## 4. SAP: several heads of weighted means",
                                                "line 6: # $$A = \\operatorname{softmax}(XW)$$"]
    fixed = missing_marker.replace("#\n# ## 4.", "\n# %% [markdown]\n# ## 4.")
    assert markdown_in_code(fixed) == []
    ordinary = (
        "# %%\n"
        "# Setup. On Colab: install the course package.\n"
        "#\n"
        "# your code here\n"
        "h = x  # (B, T) # two hashes in one comment\n"
        "#: a Sphinx comment, and a #hashtag\n"
        "print('#', '$')  # one dollar, $x$ inline\n"
        "# %% tags=[\"solution\"] jupyter={\"source_hidden\": true}\n"
        "z = 3  # ## not at the start of the line\n"
        "# %% [markdown]\n"
        "# ## A heading where it belongs\n"
        "#\n"
        "# $$e = mc^2$$\n")
    assert markdown_in_code(ordinary) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_markdown_heading_or_display_equation_in_a_code_cell(path):
    found = markdown_in_code(path.read_text(encoding="utf-8"))
    assert not found, (f"{path.name}: markdown inside a code cell (a '# %% [markdown]' marker missing?):\n  "
                       + "\n  ".join(found))


def test_every_notebook_source_is_seen():
    assert len(NOTEBOOKS) >= 13
