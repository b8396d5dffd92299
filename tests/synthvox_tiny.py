"""A tiny SynthVox corpus for tests (about a second to generate), shared by several test files."""

from __future__ import annotations

from course.data.synthvox import SynthVoxConfig, generate

TINY = SynthVoxConfig(speakers=8, test_speakers=2, dev_speakers=2, sessions=2, utterances=4, trials=16, seed=3)


def tiny_corpus(folder):
    return generate(folder / "tiny", TINY, progress=False, workers=1)
