"""Every notebook runs top to bottom in smoke mode (COURSE_SMOKE=1)."""

import pytest

from course import build, notebooks

SOURCES = notebooks.sources()


@pytest.mark.notebook
@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_notebook_runs_in_smoke_mode(source):
    build.prepare_data(smoke=True)
    result, _ = build.execute(source, smoke=True)
    assert result.status == "ok", result.detail
