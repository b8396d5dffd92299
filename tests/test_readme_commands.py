"""CI runs the README's test command exactly, and that command works without PYTHONPATH."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_test_command() -> str:
    """The command after ``pip install -r requirements-dev.txt &&`` in the README."""
    match = re.search(r"^pip install -r requirements-dev\.txt && (.+)$", (ROOT / "README.md").read_text(), re.M)
    assert match, "README.md no longer gives `pip install -r requirements-dev.txt && <command>`"
    return match.group(1).strip()


def ci_commands() -> list[str]:
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_ci_runs_exactly_the_readme_test_command():
    command = readme_test_command()
    assert command in ci_commands(), f".ci/run must run `{command}` as the README says"
    assert not any(re.match(r"python3? -m pytest", line) for line in ci_commands()), \
        "`python -m pytest` adds the working directory to sys.path and hides what `pytest` would break"


@pytest.mark.slow
def test_plain_pytest_collects_from_the_repository_root_without_pythonpath():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    pytest = Path(sys.executable).with_name("pytest")
    executable = [str(pytest)] if pytest.exists() else ["pytest"]
    # test_features imports `tests.*`, the case that broke with `pytest` alone
    result = subprocess.run([*executable, "--collect-only", "-q", "tests/test_features.py"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "error" not in result.stdout.lower()


def test_the_shared_conftest_imports_only_pytest_at_its_top():
    # A conftest that fails to import (a missing torch, a bad path) stops the whole collection: its
    # fixtures import what they need inside themselves.
    import ast

    tree = ast.parse((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    top = {alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    top |= {node.module for node in tree.body if isinstance(node, ast.ImportFrom)}
    assert top <= {"pytest", "__future__"}, top
