"""Committed benchmark numbers are written by their scripts: every ``benchmarks/*_results.md`` opens with
the provenance header of ``benchmarks/provenance.py`` (command, commit, machine, date), so a file typed
by hand fails here; ``write_results`` itself is tested on a temporary path (no benchmark is run)."""

import importlib.util
import subprocess
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_provenance():
    spec = importlib.util.spec_from_file_location("provenance", BENCHMARKS / "provenance.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


provenance = load_provenance()
RESULTS = sorted(BENCHMARKS.glob("*_results.md"))


def test_there_are_results_files():
    assert RESULTS, "no benchmarks/*_results.md found"


@pytest.mark.parametrize("path", RESULTS, ids=lambda p: p.name)
def test_results_file_starts_with_the_provenance_header(path):
    text = path.read_text(encoding="utf-8")
    assert provenance.has_header(text), (
        f"{path.name} does not open with the header benchmarks/provenance.py writes (command, commit, machine, "
        "date): regenerate it with its script's --write option instead of editing it")
    command = text.split("- Command: `", 1)[1].split("`", 1)[0]
    script = command.split("python ", 1)[1].split()[0]
    assert (BENCHMARKS.parent / script).is_file(), f"{path.name}: the command names {script}, which does not exist"
    assert "--write" in command, f"{path.name}: the command that wrote it should carry --write"


def test_write_results_writes_header_and_sections_atomically(tmp_path):
    target = tmp_path / "x_results.md"
    target.write_text("old contents\n")
    table = provenance.markdown_table(["case", "s"], [["a", "1.00"], ["b", "2.00"]])
    command = provenance.command_line(["benchmarks/x.py", "--write", str(target)])
    assert command.endswith(f"python benchmarks/x.py --write {target}")
    written = provenance.write_results(target, "X results", command, {"Times": table, "Reading": "Fine."})
    assert written == target
    text = target.read_text(encoding="utf-8")
    assert provenance.has_header(text)
    assert text.startswith("# X results\n")
    assert f"- Command: `{command}`" in text
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=BENCHMARKS, capture_output=True, text=True)
    if head.returncode == 0:
        assert f"- Commit: `{head.stdout.strip()}" in text
    machine = next(line for line in text.splitlines() if line.startswith("- Machine: "))
    assert provenance.cpu_model() in machine and "torch " in machine and "device cpu" in machine
    assert "load average" in machine and machine.count(" at the ") == 2  # at the start, at the end
    assert "\n## Times\n\n| case | s |\n| --- | ---: |\n| a | 1.00 |\n| b | 2.00 |\n" in text
    assert text.endswith("\n## Reading\n\nFine.\n")
    assert [p.name for p in tmp_path.iterdir()] == ["x_results.md"]  # no temporary file left behind


def test_a_hand_written_file_fails_the_header_check():
    assert not provenance.has_header("# Training results\n\nMeasured on 2026-11-30 on the shared machine.\n")
    good = provenance.render("T", "python benchmarks/x.py --write x.md", ["body"])
    assert provenance.has_header(good)
    assert not provenance.has_header(good.replace("- Commit: ", "- Revision: "))
    assert not provenance.has_header(good.replace(provenance.MARKER, ""))


def test_git_commit_flags_uncommitted_tracked_changes(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    try:
        git("init", "-q")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("git unavailable")
    (tmp_path / "a.txt").write_text("1")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    (tmp_path / "untracked.txt").write_text("ignored")
    clean = provenance.git_commit(tmp_path)
    assert "uncommitted" not in clean and len(clean) >= 7
    (tmp_path / "a.txt").write_text("2")
    assert provenance.git_commit(tmp_path) == clean + " + uncommitted changes"
