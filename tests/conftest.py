"""Fixtures shared by the test files: the toy training corpus and a tiny SynthVox corpus."""

import pytest

from course.train import builders
from tests.toys import ToyChunks, toy_collate


@pytest.fixture
def toy_corpus(monkeypatch, tmp_path):
    """Route the builders to the stand-in data and the caches to a temporary folder."""
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    monkeypatch.setattr(builders, "build_dataset", lambda config: ToyChunks())
    original = builders.batch_stream
    monkeypatch.setattr(builders, "batch_stream",
                        lambda dataset, config, collate_fn=None, start_step=0, **kw: original(
                            dataset, config, collate_fn or toy_collate, start_step, **kw))
    return tmp_path


@pytest.fixture(scope="module")
def tiny_synthvox(tmp_path_factory):
    """A tiny SynthVox corpus (train, dev and test speakers; about a second to generate), one per test module."""
    from tests.synthvox_tiny import tiny_corpus

    return tiny_corpus(tmp_path_factory.mktemp("synthvox"))
