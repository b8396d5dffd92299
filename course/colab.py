"""The setup cell every notebook starts with.

The cell must run before ``course`` is importable on Colab, so it is plain code
generated from ``SETUP_CELL`` below; a test checks every notebook starts with it.
On Colab it installs the ``course`` package from the repository: its dependencies
are lower bounds only, so Colab's torch, torchaudio, numpy and ipywidgets are
never replaced. Elsewhere it only reports versions and the device.
"""

from __future__ import annotations

from course import REPO_URL

PROTECTED = ("torch", "torchaudio", "numpy", "ipywidgets")


def install_target(ref: str = "main") -> str:
    return f"course @ git+{REPO_URL}@{ref}"


SETUP_CELL = f'''# Setup. On Colab: install the course package (Colab's torch, torchaudio, numpy and
# ipywidgets are kept). Elsewhere: report versions and the device.
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "{install_target()}"])

from course.env import report

print(report())'''
