"""The rendered course: widget views replaced by their saved first figures; an index of pages."""

from __future__ import annotations

import base64

import nbformat

from course.build import Result
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
