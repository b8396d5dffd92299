"""Fixtures shared by the test files. Imports stay inside the fixtures: a conftest that fails to import
stops the whole collection, where a test module that fails stops only itself."""

import pytest


@pytest.fixture(scope="module")
def tiny_synthvox(tmp_path_factory):
    """A tiny SynthVox corpus (train, dev and test speakers; about a second to generate), one per test module."""
    from tests.synthvox_tiny import tiny_corpus

    return tiny_corpus(tmp_path_factory.mktemp("synthvox"))


def pytest_configure(config):
    """Stop at once, with one message, when this interpreter lacks the requirements (not 92 ImportErrors)."""
    import sys

    from tests.requirements_check import message, missing

    absent = missing()
    if absent:
        raise pytest.UsageError(message(absent, sys.executable))


HEAVY_MARKS = ("notebook", "browser", "network", "ipywidgets7")  # each runs a kernel, a browser or pip


def pytest_collection_modifyitems(config, items):
    """A test that executes a notebook, drives a browser, fetches or builds a venv is slow by nature:
    mark it so, so that ``pytest -m "not slow"`` is the fast loop without naming the others."""
    for item in items:
        if any(item.get_closest_marker(mark) for mark in HEAVY_MARKS) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
