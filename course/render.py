"""The rendered course: one static HTML page per executed notebook and ``index.html``.

Figures are embedded in the pages (nbconvert writes PNGs as data URIs). A widget needs a
kernel to move, but its first figure is known: nbclient saves the widgets' state in the
executed notebook, and an ``Output`` widget's state holds what was displayed in it. In the
HTML copy each widget view is replaced by those outputs (the initial figures) and a line
saying the widget is interactive in Jupyter, so the page shows the figure without a
kernel, without JavaScript and without a CDN. The executed ``.ipynb`` keeps the widgets.
The math of the markdown cells is MathML, converted at build time (``course.mathml``): the
browser typesets it, with no MathJax and no network.
"""

from __future__ import annotations

import copy
import html
from pathlib import Path

import nbformat

from course.mathml import Protected

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
NOTE = "(Interactive widget: its controls move in Jupyter or Colab. Shown here: its first figure.)"


def widget_outputs(state: dict, model_id: str, seen: set | None = None) -> list[dict]:
    """The outputs of every Output widget inside the widget ``model_id`` (children first to last)."""
    seen = set() if seen is None else seen
    if model_id in seen or model_id not in state:
        return []
    seen.add(model_id)
    model = state[model_id]
    if model.get("model_name") == "OutputModel":
        return list(model.get("state", {}).get("outputs", []))
    outputs = []
    for child in model.get("state", {}).get("children", []):
        if isinstance(child, str) and child.startswith("IPY_MODEL_"):
            outputs += widget_outputs(state, child.removeprefix("IPY_MODEL_"), seen)
    return outputs


def with_widget_snapshots(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``notebook`` where each widget view is replaced by its saved outputs."""
    static = copy.deepcopy(notebook)
    state = static.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in static.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                outputs.append(output)
                continue
            outputs.append(nbformat.v4.new_output("stream", name="stdout", text=NOTE + "\n"))
            outputs += [nbformat.from_dict(o) for o in widget_outputs(state, view["model_id"])]
        cell.outputs = outputs
    static.metadata.pop("widgets", None)
    return static


# nbconvert's lab template, less the <script> that fetches MathJax from a CDN: the math is MathML already
TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
"""


def with_mathml(notebook: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, Protected]:
    """A copy of ``notebook`` whose markdown math is tokens, and the tokens' MathML (see ``course.mathml``)."""
    typeset = copy.deepcopy(notebook)
    protected = Protected()
    for cell in typeset.cells:
        if cell.cell_type == "markdown":
            cell.source = protected.protect(cell.source)
    return typeset, protected


def notebook_html(notebook: nbformat.NotebookNode) -> str:
    """The page: widget views as their first figures, math as MathML, nothing fetched from a network."""
    import jinja2
    from nbconvert import HTMLExporter

    typeset, protected = with_mathml(with_widget_snapshots(notebook))
    exporter = HTMLExporter(extra_loaders=[jinja2.DictLoader({"course.html.j2": TEMPLATE})],
                            template_file="course.html.j2")
    body, _ = exporter.from_notebook_node(typeset)
    return protected.restore(body)


def write_index(html_dir: Path, results: list | None = None) -> Path:
    """``index.html``: a table of contents linking every page in ``html_dir``, in course order."""
    from course import notebooks

    sources = {p.stem: p for p in notebooks.sources()}
    status = {r.notebook: r for r in results or []}
    rows = []
    for page in sorted(p for p in html_dir.glob("*.html") if p.name != "index.html"):
        stem = page.stem
        name = notebooks.title(sources[stem]) if stem in sources else stem
        result = status.get(stem)
        note = f"{result.status}, {result.seconds:.0f} s" if result else ""
        rows.append(f'<li><a href="{html.escape(page.name)}">{html.escape(name)}</a>'
                    f' <span class="run">{html.escape(note)}</span></li>')
    index = html_dir / "index.html"
    index.write_text(INDEX.format(items="\n".join(rows)), encoding="utf-8")
    return index


INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Speaker embeddings, derived and run</title>
<style>body {{ font: 17px/1.5 system-ui, sans-serif; max-width: 46em; margin: 2em auto; padding: 0 1em; }}
.run {{ color: #555; font-size: 0.85em; }} li {{ margin: 0.3em 0; }}</style></head>
<body><h1>Speaker embeddings, derived and run</h1>
<p>The executed notebooks of the course, with their figures; each widget shows its first figure
(open the notebook in Jupyter or Colab to move it).</p>
<ul>
{items}
</ul></body></html>
"""
