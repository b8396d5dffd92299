"""Where generated data and caches live.

``COURSE_DATA`` wins when set; otherwise the repository's ``data/`` folder for a
checkout, or ``~/.cache/speaker-course`` for an installed package (Colab).
Generated corpora and trained-model caches are git-ignored, never committed.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """The folder for generated corpora (created on first use)."""
    if os.environ.get("COURSE_DATA"):
        root = Path(os.environ["COURSE_DATA"]).expanduser()
    elif (REPO_ROOT / "data" / "README.md").exists():
        root = REPO_ROOT / "data"
    else:
        root = Path.home() / ".cache" / "speaker-course"
    root.mkdir(parents=True, exist_ok=True)
    return root


def cache_dir(*parts: str) -> Path:
    """A folder under ``<data_root>/cache`` for computed artefacts (trained models...)."""
    path = data_root().joinpath("cache", *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
