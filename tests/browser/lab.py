"""JupyterLab in headless Chromium, for the browser tests: one server, one browser,
and a second client on a notebook's kernel to ask it what it drew.

JupyterLab is started with ``--LabApp.expose_app_in_browser`` so the tests run
JupyterLab's own commands (``notebook:run-all-cells``) and read the notebook model
(execution counts, outputs) instead of scraping the DOM of cells that may not be
rendered. Notebooks open with windowing off, so every cell is in the DOM.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SCREENS = REPO / "build" / "screens"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TOKEN = "course-browser-test"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
KERNEL_PROBE = Path(__file__).with_name("kernel_probe.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def browser_mode() -> str:
    """"smoke" (the default) or "default": the mode of the notebooks' kernels (``COURSE_BROWSER_MODE``)."""
    mode = os.environ.get("COURSE_BROWSER_MODE", "smoke")
    if mode not in ("smoke", "default"):
        raise ValueError(f"COURSE_BROWSER_MODE: expected smoke or default, got {mode!r}")
    return mode


class Lab:
    """A JupyterLab server serving ``root`` with smoke-mode kernels (``browser_mode()``)."""

    def __init__(self, root: Path):
        self.root = root
        self.runtime = root / ".runtime"  # kernel connection files land here
        settings = root / ".settings" / "@jupyterlab"
        (settings / "notebook-extension").mkdir(parents=True)
        (settings / "apputils-extension").mkdir(parents=True)
        # Windowing off: every cell stays in the DOM, so locators and screenshots see it.
        (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
            json.dumps({"windowingMode": "none"}))
        # No "Jupyter news?" toast over the screenshots.
        (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false"}))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # COURSE_BROWSER_MODE=default (python -m course screenshots --default): the course's default
        # configuration, the full models and corpus; otherwise smoke mode, as CI runs it
        mode = {"COURSE_SMOKE": "0"} if browser_mode() == "default" else {"COURSE_SMOKE": "1"}
        env = {**os.environ, **mode, "JUPYTER_RUNTIME_DIR": str(self.runtime),
               "JUPYTERLAB_SETTINGS_DIR": str(root / ".settings"),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={self.port}",
                   "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}", "--allow-root",
                   f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={root / '.workspaces'}",
                   "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        self.log_path = root / "jupyterlab.log"
        self._log = open(self.log_path, "w")
        self.server = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{self.url}/api/status?token={TOKEN}", timeout=1)
                return
            except OSError:
                if self.server.poll() is not None:
                    break
                time.sleep(0.5)
        self.close()
        raise RuntimeError(f"JupyterLab did not start: {self.log_path.read_text()[-2000:]}")

    def api(self, path: str):
        with urllib.request.urlopen(f"{self.url}/api/{path}?token={TOKEN}", timeout=10) as response:
            return json.load(response)

    def kernel_id(self, notebook: str) -> str:
        for session in self.api("sessions"):
            if session["path"] == notebook and session.get("kernel"):
                return session["kernel"]["id"]
        raise LookupError(f"no kernel session for {notebook}")

    def shut_down(self, notebook: str) -> None:
        """Stop the notebook's kernel (its session is deleted)."""
        for session in self.api("sessions"):
            if session["path"] == notebook:
                request = urllib.request.Request(f"{self.url}/api/sessions/{session['id']}?token={TOKEN}",
                                                 method="DELETE")
                urllib.request.urlopen(request, timeout=30).close()

    def close(self) -> None:
        self.server.terminate()
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.server.kill()
        self._log.close()


class KernelProbe:
    """A second client on a notebook's kernel. It runs ``kernel_probe.py`` there and
    keeps every error the kernel reports on IOPub, whoever caused it (a cell run
    from the browser, or a widget callback after a control moved)."""

    def __init__(self, connection_file: Path):
        from jupyter_client import BlockingKernelClient

        self.client = BlockingKernelClient(connection_file=str(connection_file))
        self.client.load_connection_file()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)
        self.errors: list[str] = []
        self.run(KERNEL_PROBE.read_text())

    def _note(self, msg) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "error":
            self.errors.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "stream" and "Traceback" in content.get("text", ""):
            self.errors.append(content["text"][-1500:])

    def drain(self) -> None:
        """Read the IOPub messages waiting, keeping the errors."""
        while True:
            try:
                self._note(self.client.get_iopub_msg(timeout=0.05))
            except Exception:  # noqa: BLE001 - queue.Empty: nothing left
                return

    def run(self, code: str, timeout: float = 300) -> str:
        """Execute ``code`` in the kernel; its stdout. Raises on an error in it."""
        msg_id = self.client.execute(code, store_history=False)
        out, failure = [], None
        deadline = time.monotonic() + timeout
        while True:
            msg = self.client.get_iopub_msg(timeout=max(deadline - time.monotonic(), 0.1))
            if msg["parent_header"].get("msg_id") != msg_id:
                self._note(msg)
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and content["name"] == "stdout":
                out.append(content["text"])
            elif kind == "error":
                failure = "\n".join(content["traceback"])
            elif kind == "status" and content["execution_state"] == "idle":
                break
        if failure:
            raise RuntimeError(f"kernel probe failed:\n{failure}")
        return "".join(out)

    def call(self, expression: str, timeout: float = 300):
        """The JSON value that ``expression`` (a call of a kernel_probe function) returns."""
        return json.loads(self.run(f"print(__import__('json').dumps({expression}))", timeout).strip().splitlines()[-1])

    def close(self) -> None:
        self.client.stop_channels()


def png_pixels(data: str | bytes) -> np.ndarray:
    """RGBA pixels of a PNG given as base64 text, a data: URL or raw bytes."""
    from PIL import Image

    if isinstance(data, str):
        data = base64.b64decode(data.split(",", 1)[1] if data.startswith("data:") else data)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA")).astype(np.int16)


def pixel_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of pixels that differ by more than 8 levels in some channel (1.0 if the sizes differ)."""
    if a.shape != b.shape:
        return 1.0
    return float((np.abs(a - b).max(axis=-1) > 8).mean())
