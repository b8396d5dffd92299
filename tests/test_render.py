"""The rendered course: widget views replaced by their saved first figures; math typeset as MathML,
offline; an index of pages."""

from __future__ import annotations

import base64
import html
import re

import nbformat

from course import notebooks
from course.build import Result
from course.mathml import CODE_SPAN, DISPLAY, FENCE, INLINE, math_spans, to_mathml
from course.render import NOTE, WIDGET_STATE, WIDGET_VIEW, notebook_html, with_widget_snapshots, write_index

PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2"
    "21bc330000000049454e44ae426082")).decode()  # a 1x1 PNG


def notebook_with_a_widget() -> nbformat.NotebookNode:
    """A VBox holding an HBox of a slider and an Output widget that shows one PNG."""
    nb = nbformat.v4.new_notebook()
    view = {"model_id": "box", "version_major": 2, "version_minor": 0}
    nb.cells = [nbformat.v4.new_code_cell("explorer", outputs=[
        nbformat.v4.new_output("display_data", data={WIDGET_VIEW: view, "text/plain": "VBox(...)"})])]
    figure = {"output_type": "display_data", "data": {"image/png": PNG, "text/plain": "<Figure>"}, "metadata": {}}
    nb.metadata["widgets"] = {WIDGET_STATE: {"version_major": 2, "version_minor": 0, "state": {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_row", "IPY_MODEL_out"]}},
        "row": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_slider"]}},
        "slider": {"model_name": "IntSliderModel", "state": {"value": 3}},
        "out": {"model_name": "OutputModel", "state": {"outputs": [figure]}},
    }}}
    return nb


def test_a_widget_view_becomes_its_output_widgets_figure():
    static = with_widget_snapshots(notebook_with_a_widget())
    outputs = static.cells[0].outputs
    assert [o.output_type for o in outputs] == ["stream", "display_data"]
    assert outputs[0].text.strip() == NOTE
    assert outputs[1].data["image/png"] == PNG
    assert "widgets" not in static.metadata


def test_the_executed_notebook_keeps_its_widgets():
    notebook = notebook_with_a_widget()
    with_widget_snapshots(notebook)
    assert WIDGET_VIEW in notebook.cells[0].outputs[0].data and "widgets" in notebook.metadata


def test_the_page_embeds_the_widgets_first_figure():
    page = notebook_html(notebook_with_a_widget())
    assert f"data:image/png;base64,{PNG}" in page and "Interactive widget" in page


def test_index_links_every_page_in_course_order(tmp_path):
    for stem in ("04_attention_pooling", "01_features", "99_extra"):
        (tmp_path / f"{stem}.html").write_text("<html></html>")
    index = write_index(tmp_path, [Result("01_features", 4.2, "ok")]).read_text()
    links = [part.split('"')[0] for part in index.split('<a href="')[1:]]
    assert links == ["01_features.html", "04_attention_pooling.html", "99_extra.html"]
    assert "ok, 4 s" in index and "01 · Features" in index


def notebook_with_math() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## Pooling at $D = 1536$\n\nFrames $X \\in \\mathbb{R}^{T\\times D}$, "
                                      "weights $a_t$ and $b_t$ (underscores, not emphasis):\n\n"
                                      "$$\\mu = \\sum_t a_t\\, x_t, \\qquad\n"
                                      "\\sigma = \\sqrt{\\textstyle\\sum_t a_t x_t^2 - \\mu^2}$$\n\n"
                                      "Code keeps its dollars: `echo $HOME` and `$$`; a price, \\$5."),
        nbformat.v4.new_code_cell("x = 1"),
    ]
    return nb


def visible_text_outside_math(page: str) -> str:
    """The page's text outside <math>, <script>, <style> and code (where LaTeX may stay LaTeX)."""
    for element in ("math", "script", "style", "pre", "code"):
        page = re.sub(rf"<{element}\b.*?</{element}>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_the_pages_math_is_mathml_with_no_latex_left_and_no_mathjax():
    page = notebook_html(notebook_with_math())
    text = visible_text_outside_math(page)
    for raw in ("$$", "\\mathbb", "\\sum", "$X", "MATH"):
        assert raw not in text, f"{raw!r} is shown raw: {text[max(0, text.find(raw) - 80):text.find(raw) + 80]!r}"
    assert page.count('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">') == 1
    assert page.count('display="inline"') == 4  # D = 1536, X, a_t, b_t
    assert "&#x0211D;" in page  # ℝ, from \mathbb{R}
    assert "<em>" not in page.split("Frames")[1].split("</p>")[0]  # a_t ... b_t stayed math
    assert "<code>echo $HOME</code>" in page and "$5" in text
    assert "mathjax" not in page.lower()
    heading = re.search(r"<h2 id=\"([^\"]*)\"", page)
    assert heading and "<" not in heading.group(1) and "D = 1536" in heading.group(1)


def test_every_math_span_of_the_course_converts_to_mathml():
    spans = [(path.name, latex, display) for path in notebooks.sources()
             for cell in notebooks.read_source(path).cells if cell.cell_type == "markdown"
             for latex, display in math_spans(cell.source)]
    assert len(spans) > 100
    for name, latex, display in spans:
        mathml = to_mathml(latex, display)  # raises MathError naming the span
        assert "\\" not in re.sub(r"<[^>]+>", "", mathml), f"{name}: {latex!r} left a command unconverted"


def test_no_markdown_cell_has_a_dollar_outside_math_and_no_code_cell_holds_prose_math():
    # a stray $ would show raw; LaTeX in a code cell's comments is a lost `# %% [markdown]` marker
    for path in notebooks.sources():
        for index, cell in enumerate(notebooks.read_source(path).cells):
            if cell.cell_type == "markdown":
                rest = INLINE.sub("", DISPLAY.sub("", CODE_SPAN.sub("", FENCE.sub("", cell.source))))
                assert "$" not in rest.replace("\\$", ""), f"{path.name} cell {index}: a stray $"
            elif cell.cell_type == "code":
                assert not re.search(r"^#.*\$\$", cell.source, re.M), f"{path.name} cell {index}: math in a code cell"
