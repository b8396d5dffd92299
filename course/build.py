"""``python -m course build``: prepare the data, run every notebook, write ``build/``.

Each notebook is executed headless with nbclient in a fresh kernel, from its
``.py`` source; the executed notebook, an HTML rendering and a summary table
(notebook, seconds, status) land in ``build/``. A failing notebook makes the
command exit non-zero, naming the notebook and the cell. The log shows one line per
notebook and the summary: the kernels' own stderr (ipykernel's warning about its TCP
transport, every time) is kept aside and shown only when a kernel dies.
"""

from __future__ import annotations

import csv
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from queue import Empty

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from course import notebooks
from course.env import set_smoke

DEFAULT_TIMEOUT = 900  # seconds a notebook may take in default mode
SMOKE_TIMEOUT = 180  # ... and in smoke mode (the budget is 60 s; this catches hangs)
POLL_SLICE_S = 1.0  # the longest a kernel message may sit unread (see SlicedPolls)


def sliced_get_msg(get_msg, slice_s: float = POLL_SLICE_S):
    """``channel.get_msg`` that polls in slices of ``slice_s`` up to the caller's timeout.

    jupyter_client's async ``get_msg(timeout)`` is one ``await socket.poll(timeout)``. A ZeroMQ
    socket's file descriptor is edge-triggered, and now and then that wake-up is missed: the reply
    is in the socket, and the poll sleeps on until its timeout. nbclient polls for a cell's reply
    with the cell's whole timeout, so one missed wake-up cost the build exactly that (180 s in smoke
    mode, 900 s in default mode) after a cell that had finished in under a second, with no error.
    A fresh poll checks the socket before it waits, so polling in slices bounds a missed wake-up to
    ``slice_s``; ``Empty`` still comes only when the caller's timeout has passed.
    """

    async def get_msg_in_slices(timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await get_msg(timeout=slice_s if left is None else min(slice_s, left))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return get_msg_in_slices


class SlicedPolls(NotebookClient):
    """nbclient's client with the shell and IOPub channels polled in slices (``sliced_get_msg``)."""

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        for channel in (kc.shell_channel, kc.iopub_channel):
            channel.get_msg = sliced_get_msg(channel.get_msg)
        return kc


@dataclass
class Result:
    notebook: str
    seconds: float
    status: str  # "ok", "failed" or "interrupted"
    detail: str = ""


def failing_cell(notebook: nbformat.NotebookNode) -> tuple[int, str, str] | None:
    """(index, first source line, "Error: message") of the first cell that raised."""
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
                return index, first_line, f"{output.get('ename')}: {output.get('evalue')}"
    return None


def execute(source: Path, smoke: bool, timeout: int | None = None,
            out_dir: Path | None = None) -> tuple[Result, nbformat.NotebookNode]:
    """Run one notebook from its ``.py`` source in a fresh kernel."""
    set_smoke(smoke)
    notebook = notebooks.read_source(source)
    timeout = timeout or (SMOKE_TIMEOUT if smoke else DEFAULT_TIMEOUT)
    client = SlicedPolls(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(source.parent)}})
    start = time.perf_counter()
    status, detail = "ok", ""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as kernel_stderr:
        try:
            client.execute(stderr=kernel_stderr)  # passed on to the kernel process
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
            status = "failed"
            where = failing_cell(notebook)
            if where and isinstance(error, CellTimeoutError):  # nbclient interrupts it: a KeyboardInterrupt
                detail = f"{source.name}: cell {where[0]} ({where[1]!r}) timed out after {timeout} s (--timeout)"
            elif where:
                detail = f"{source.name}: cell {where[0]} ({where[1]!r}) failed: {where[2]}"
            else:  # a timeout or a dead kernel leaves no error output: show what the kernel said
                kernel_stderr.seek(0)
                said = kernel_stderr.read().strip()[-500:]
                detail = f"{source.name}: {type(error).__name__}: {str(error).strip()[:300]}"
                detail += f"\nkernel stderr: {said}" if said else ""
    seconds = time.perf_counter() - start
    if out_dir is not None:
        _write_outputs(notebook, source, out_dir)
    return Result(source.stem, seconds, status, detail), notebook


def _write_outputs(notebook: nbformat.NotebookNode, source: Path, out_dir: Path) -> None:
    from course.render import notebook_html

    (out_dir / "executed").mkdir(parents=True, exist_ok=True)
    (out_dir / "html").mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out_dir / "executed" / f"{source.stem}.ipynb")
    (out_dir / "html" / f"{source.stem}.html").write_text(notebook_html(notebook), encoding="utf-8")


def select(only: list[str] | None) -> list[Path]:
    """Sources whose name starts with one of ``only`` (e.g. ``01``), or all of them."""
    all_sources = notebooks.sources()
    if not only:
        return all_sources
    if any(not prefix.strip() for prefix in only):  # "" is a prefix of every name: it would select all
        raise SystemExit(f"--only {only!r}: an empty name selects nothing; give a number or a name such as 01")
    chosen = [p for p in all_sources if any(p.stem.startswith(prefix) for prefix in only)]
    if not chosen:
        names = ", ".join(p.stem for p in all_sources)
        raise SystemExit(f"--only {' '.join(only)}: no such notebook; there are: {names}")
    return chosen


def prepare_data(smoke: bool) -> None:
    """Generate the default SynthVox corpus if it is absent (cached afterwards)."""
    from course.data import default_corpus

    set_smoke(smoke)
    default_corpus()


def write_summary(results: list[Result], out_dir: Path) -> str:
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "summary.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["notebook", "seconds", "status", "detail"])
        for r in results:
            writer.writerow([r.notebook, f"{r.seconds:.1f}", r.status, r.detail])
    lines = ["| notebook | seconds | status |", "|---|---:|---|"]
    lines += [f"| {r.notebook} | {r.seconds:.1f} | {r.status} |" for r in results]
    table = "\n".join(lines)
    (out_dir / "summary.md").write_text(table + "\n", encoding="utf-8")
    return table


def build(smoke: bool = False, only: list[str] | None = None, out_dir: Path | None = None,
          timeout: int | None = None) -> int:
    """The whole main job; returns the process exit code."""
    out_dir = out_dir or notebooks.ROOT / "build"
    chosen = select(only)
    started = time.perf_counter()
    print(f"Preparing data ({'smoke' if smoke else 'default'} mode)...", flush=True)
    prepare_data(smoke)
    results = []
    try:
        for number, source in enumerate(chosen, start=1):
            print(f"[{number}/{len(chosen)}] {source.stem} ...", end=" ", flush=True)
            result, _ = execute(source, smoke, timeout, out_dir)
            results.append(result)
            print(f"{result.status} in {result.seconds:.1f} s", flush=True)
    except KeyboardInterrupt:  # Ctrl-C: the notebooks done so far still get their summary
        results.append(Result(source.stem, 0.0, "interrupted", f"{source.name}: interrupted (Ctrl-C)"))
        print("interrupted", flush=True)
    print(write_summary(results, out_dir))
    from course.render import write_index

    (out_dir / "html").mkdir(parents=True, exist_ok=True)  # absent when the first notebook was interrupted
    write_index(out_dir / "html", results)  # the table of contents of every page built so far
    failed = [r for r in results if r.status != "ok"]
    for r in failed:
        print(f"FAILED {r.detail}")
    print(f"Executed notebooks and HTML in {out_dir}")
    minutes, seconds = divmod(round(time.perf_counter() - started), 60)
    print(f"The build took {minutes} min {seconds} s of wall clock, data preparation included.")
    return 130 if results and results[-1].status == "interrupted" else 1 if failed else 0


def build_student(only: list[str] | None = None, out_dir: Path | None = None) -> int:
    """``--student``: the notebooks without their solution cells, in ``<out>/student/``."""
    from course.student import write_student

    out_dir = (out_dir or notebooks.ROOT / "build") / "student"
    for path in write_student(select(only), out_dir):
        print(f"wrote {path}")
    return 0
