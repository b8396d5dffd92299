"""The rendered course in a browser: ``index.html`` links every executed page, each page
loads, no image is broken, a widget's first figure is there without a kernel, and no raw
LaTeX shows. Notebook 01 (it has a widget) is built in smoke mode for the test; the math of
every notebook is checked on pages rendered from the unexecuted notebooks (cheap: the
math is in the markdown)."""

from __future__ import annotations

import pytest

from course import notebooks
from course.build import build
from course.render import notebook_html
from tests.browser.lab import SCREENS

RAW_LATEX = ("$$", "\\mathbb", "\\frac")
# every <math> laid out with a size: the browser typeset it (a browser without MathML draws none)
UNSIZED_MATH = """() => [...document.querySelectorAll('math')]
  .filter(m => { const r = m.getBoundingClientRect(); return r.width === 0 || r.height === 0; }).length"""


def assert_no_raw_latex(page, name: str) -> None:
    text = page.locator("body").inner_text()
    for raw in RAW_LATEX:
        where = text.find(raw)
        assert where < 0, f"{name}: raw {raw!r} is visible: {text[max(0, where - 100):where + 100]!r}"

BROKEN_IMAGES = """() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0)
  .map(i => (i.getAttribute('src') || '').slice(0, 60))"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("rendered")
    assert build(smoke=True, only=["01"], out_dir=out) == 0
    return out / "html"


def test_every_page_of_the_index_loads_with_its_figures(rendered, browser):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.goto((rendered / "index.html").as_uri())
        links = page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
        pages = sorted(p.name for p in rendered.glob("*.html") if p.name != "index.html")
        assert sorted(links) == pages
        page.screenshot(path=str(SCREENS / "rendered-index.png"))
        for link in links:
            response = page.goto((rendered / link).as_uri(), wait_until="load")
            assert response is None or response.ok, link
            assert page.locator(".jp-Notebook, body").first.inner_text().strip(), f"{link}: empty page"
            assert page.evaluate(BROKEN_IMAGES) == [], f"{link}: broken images"
            assert_no_raw_latex(page, link)
            figures = page.locator("img[src^='data:image/png']")
            assert figures.count() > 0, f"{link}: no embedded figure"
            note = page.locator("text=Interactive widget")
            if note.count():  # the widget's first figure follows its note
                note.first.scroll_into_view_if_needed()
                page.screenshot(path=str(SCREENS / f"rendered-{link.removesuffix('.html')}-widget.png"))
    finally:
        page.close()


def test_every_notebooks_math_is_typeset_with_no_network(tmp_path, browser):
    SCREENS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    requested = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    try:
        for source in notebooks.sources():
            path = tmp_path / f"{source.stem}.html"
            path.write_text(notebook_html(notebooks.read_source(source)), encoding="utf-8")
            page.goto(path.as_uri(), wait_until="load")
            assert_no_raw_latex(page, path.name)
            count = page.locator("math").count()
            assert count > 0, f"{path.name}: no <math> element"
            assert page.evaluate(UNSIZED_MATH) == 0, f"{path.name}: some math is not laid out"
            if source.stem.startswith("04"):
                page.locator("math[display=block]").first.scroll_into_view_if_needed()
                page.screenshot(path=str(SCREENS / "rendered-math.png"))
        # nbconvert's template still names require.js and mermaid on a CDN; MathJax it must not fetch
        assert not [url for url in requested if "mathjax" in url.lower()], requested
    finally:
        context.close()
