"""``python -m course screenshots``: the README's pictures, taken by the browser test.

It runs the browser test of the notebooks named below (JupyterLab in headless
Chromium; the test writes each explorer's screenshot to build/screens/) in smoke mode, or
with ``--default`` in the course's default mode (trained models: slow, the first time
it trains them), and says which,
then shrinks the chosen ones into ``docs/screens/`` (palette PNGs at most 900 px
wide, each under 150 kB). Needs Chromium and Playwright, as the test does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from course.notebooks import ROOT

SCREENS = ROOT / "build" / "screens"
DOCS = ROOT / "docs" / "screens"
MAX_BYTES = 150_000
MODE_FILE = DOCS / "mode.txt"  # the mode the committed screenshots were taken in
SETTINGS = [(900, 256), (800, 256), (720, 256), (720, 128), (600, 128)]  # (width, colours)

# docs name -> the browser test's screenshot (build/screens/<notebook>-<explorer>.png).
# The margin explorer holds the training-loss curve of its toy run. For the course model's
# curve, tag its cell in the training notebook ``# %% tags=["screenshot:training-curve"]``:
# the browser test then saves build/screens/<notebook>-training-curve.png, to name here.
SHOTS = {
    "attention-explorer.png": "04_attention_pooling-AttentionExplorer.png",
    "stsp-explorer.png": "06_bilinear_spectral_pooling-STSPExplorer.png",
    "margin-explorer-training-curve.png": "09_margin_heads-MarginExplorer.png",
}


def notebooks_to_run() -> list[str]:
    return sorted({shot.split("-", 1)[0] for shot in SHOTS.values()})


MODES = {"smoke": "smoke mode: tiny models and corpus, the attention still close to uniform",
         "default": "default mode: the course's models and corpus, as python -m course build runs them"}


def take(pytest_args: list[str] | None = None, mode: str = "smoke") -> int:
    """Run the browser test for the notebooks the screenshots come from, in ``mode`` (see ``MODES``)."""
    print(f"Taking the screenshots in {MODES[mode]}.", flush=True)
    test = ROOT / "tests" / "browser" / "test_course_explorers.py"
    if not test.exists():
        raise SystemExit(f"{test}: the browser test is needed (a checkout of the repository, not the package)")
    selection = " or ".join(notebooks_to_run())
    env = {**os.environ, "COURSE_BROWSER_MODE": mode,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "pytest", str(test), "-q", "-k", selection, *(pytest_args or [])]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


def shrink(source: Path, target: Path) -> int:
    """Write ``source`` as a small palette PNG at ``target``: the widest and most colourful
    of a few settings that fits in MAX_BYTES; its size in bytes."""
    import io

    from PIL import Image

    image = Image.open(source).convert("RGB")
    for width, colors in SETTINGS:
        scaled = image
        if image.width > width:
            scaled = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        scaled.quantize(colors=colors, method=Image.Quantize.FASTOCTREE).save(
            buffer, "png", optimize=True)
        if buffer.tell() <= MAX_BYTES:
            target.write_bytes(buffer.getvalue())
            return buffer.tell()
    raise SystemExit(f"{source}: no setting makes it smaller than {MAX_BYTES} bytes")


def main(skip_test: bool = False, mode: str = "smoke") -> int:
    if not skip_test:
        status = take(mode=mode)
        if status != 0:
            print("the browser test failed: screenshots not updated", file=sys.stderr)
            return status
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, shot in SHOTS.items():
        source = SCREENS / shot
        if not source.exists():
            raise SystemExit(f"{source}: missing; run the browser test first (python -m course screenshots)")
        size = shrink(source, DOCS / name)
        print(f"wrote {(DOCS / name).relative_to(ROOT)} ({size / 1000:.0f} kB)")
    if not skip_test:
        MODE_FILE.write_text(mode + "\n", encoding="utf-8")  # the README's caption is checked against it
        print(f"The screenshots show {MODES[mode]}.")
    return 0
