"""Data: the SynthVox generator, the VoxCeleb reader, corpora, datasets.

``default_corpus()`` returns the root of the SynthVox corpus the notebooks use
(smoke-sized under ``COURSE_SMOKE=1``), generating it on first use.
"""

from __future__ import annotations

from pathlib import Path


def default_corpus(progress: bool = True) -> Path:
    """Root of the default SynthVox corpus (``<data_root>/synthvox`` or ``synthvox-smoke``), cached."""
    from course.data import synthvox
    from course.env import is_smoke
    from course.paths import data_root

    smoke = is_smoke()
    root = data_root() / ("synthvox-smoke" if smoke else "synthvox")
    config = synthvox.SMOKE if smoke else synthvox.DEFAULT
    if synthvox.is_complete(root, config):  # force=True below would otherwise rewrite every file on each call
        return root
    return synthvox.generate(root, config, progress=progress, force=True)


def synthvox_corpus(config, progress: bool = True) -> Path:
    """Root of the SynthVox corpus of ``config`` (``<data_root>/synthvox-<key>``), generated on first use:
    the held-out and larger corpora of the transfer benchmark."""
    from course.data import synthvox
    from course.paths import data_root

    root = data_root() / f"synthvox-{config.key()}"
    if synthvox.is_complete(root, config):
        return root
    return synthvox.generate(root, config, progress=progress, force=True)


__all__ = ["default_corpus", "synthvox_corpus"]
