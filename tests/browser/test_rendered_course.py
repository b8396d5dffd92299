"""The rendered course in a browser: ``index.html`` links every executed page, each page
loads, no image is broken, and a widget's first figure is there without a kernel.
Notebook 01 (it has a widget) is built in smoke mode for the test."""

from __future__ import annotations

import pytest

from course.build import build
from tests.browser.lab import SCREENS

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
            figures = page.locator("img[src^='data:image/png']")
            assert figures.count() > 0, f"{link}: no embedded figure"
            note = page.locator("text=Interactive widget")
            if note.count():  # the widget's first figure follows its note
                note.first.scroll_into_view_if_needed()
                page.screenshot(path=str(SCREENS / f"rendered-{link.removesuffix('.html')}-widget.png"))
    finally:
        page.close()
