"""The build command: runs notebooks, names the failing one and its cell."""

import pytest

from course import build
from course.__main__ import main


@pytest.mark.notebook
def test_failing_notebook_is_named_with_its_cell(tmp_path):
    source = tmp_path / "98_broken.py"
    source.write_text("# %% [markdown]\n# # Broken\n\n# %%\nx = 1\n\n# %%\nraise ValueError('on purpose')\n")
    result, _ = build.execute(source, smoke=True, out_dir=tmp_path / "out")
    assert result.status == "failed"
    assert 'cell 2 ("raise ValueError(\'on purpose\')") failed: ValueError: on purpose' in result.detail
    assert "ValueError" in result.detail
    assert (tmp_path / "out" / "html" / "98_broken.html").exists()


@pytest.mark.notebook
def test_smoke_flag_reaches_the_kernel(tmp_path):
    source = tmp_path / "97_flag.py"
    source.write_text("# %%\nfrom course.env import is_smoke\nassert is_smoke()\n")
    result, notebook = build.execute(source, smoke=True)
    assert result.status == "ok", result.detail


def test_summary_table_lists_each_notebook(tmp_path):
    results = [build.Result("00_task", 3.25, "ok"), build.Result("01_features", 1.0, "failed", "x")]
    table = build.write_summary(results, tmp_path)
    assert "| 00_task | 3.2 | ok |" in table and "| 01_features | 1.0 | failed |" in table
    assert (tmp_path / "summary.csv").read_text().count("\n") == 3


def test_unknown_only_prefix_is_a_clear_error():
    with pytest.raises(SystemExit, match="--only 77: no such notebook"):
        main(["build", "--only", "77"])


@pytest.mark.notebook
def test_the_kernel_transport_warning_stays_out_of_the_log(tmp_path, capfd):
    source = tmp_path / "96_quiet.py"
    source.write_text("# %%\nx = 1\n")
    result, _ = build.execute(source, smoke=True)
    assert result.status == "ok", result.detail
    captured = capfd.readouterr()
    assert "Kernel is running over TCP" not in captured.err + captured.out


def test_a_missed_wake_up_costs_one_poll_slice_not_the_cell_timeout():
    import asyncio
    import time
    from queue import Empty

    from course.build import sliced_get_msg

    arrives = time.monotonic() + 0.2

    async def missed_wake_up(timeout=None):
        """A poll whose wake-up is lost: it sleeps its whole timeout, then finds the message there."""
        await asyncio.sleep(timeout)
        if time.monotonic() >= arrives:
            return {"msg": "reply"}
        raise Empty

    async def timed(get_msg, timeout):
        start = time.monotonic()
        try:
            result = await get_msg(timeout=timeout)
        except Empty:
            result = None
        return result, time.monotonic() - start

    def run(get_msg, timeout):
        """On a thread of its own: an event loop left running in this one by another test cannot interfere."""
        import threading

        out = []
        worker = threading.Thread(target=lambda: out.append(asyncio.run(timed(get_msg, timeout))))
        worker.start()
        worker.join()
        return out[0]

    result, seconds = run(missed_wake_up, timeout=1.0)
    assert result == {"msg": "reply"} and seconds >= 1.0  # unsliced: the whole timeout, though it came at 0.2 s
    arrives = time.monotonic() + 0.2
    result, seconds = run(sliced_get_msg(missed_wake_up, slice_s=0.05), timeout=5)
    assert result == {"msg": "reply"} and seconds < 1.0, seconds
    arrives = time.monotonic() + 10
    result, seconds = run(sliced_get_msg(missed_wake_up, slice_s=0.05), timeout=0.3)
    assert result is None and 0.3 <= seconds < 1.0, seconds  # Empty only once the caller's timeout has passed


def test_the_build_says_its_wall_clock_time(tmp_path, monkeypatch, capsys):
    from types import SimpleNamespace

    chosen = build.select(None)[:2]
    monkeypatch.setattr(build, "select", lambda only: chosen)
    monkeypatch.setattr(build, "prepare_data", lambda smoke: None)
    monkeypatch.setattr(build, "execute",
                        lambda source, smoke, timeout, out_dir: (build.Result(source.stem, 1.0, "ok"), None))
    clock = iter([100.0, 100.0 + 19 * 60 + 37])  # the start, then the end of the build
    monkeypatch.setattr(build, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    assert build.build(smoke=True, out_dir=tmp_path) == 0
    assert "The build took 19 min 37 s of wall clock" in capsys.readouterr().out
