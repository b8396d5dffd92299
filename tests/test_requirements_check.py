"""The suite stops with one clear message when its requirements are missing from the interpreter."""

from tests.requirements_check import NEEDED, message, missing


def test_a_missing_module_is_named_with_the_interpreter_and_the_install_command():
    absent = missing(find_spec=lambda name: None if name in ("torch", "jupytext") else object())
    assert absent == ["torch", "jupytext"]
    text = message(absent, "/usr/bin/python3")
    assert "torch, jupytext" in text and "/usr/bin/python3" in text and "pip install -r requirements-dev.txt" in text
    assert set(NEEDED) >= {"torch", "jupytext", "nbformat"}
