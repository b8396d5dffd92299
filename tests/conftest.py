"""Fixtures shared by the test files. Imports stay inside the fixtures: a conftest that fails to import
stops the whole collection, where a test module that fails stops only itself."""

import pytest


@pytest.fixture(scope="module")
def tiny_synthvox(tmp_path_factory):
    """A tiny SynthVox corpus (train, dev and test speakers; about a second to generate), one per test module."""
    from tests.synthvox_tiny import tiny_corpus

    return tiny_corpus(tmp_path_factory.mktemp("synthvox"))
