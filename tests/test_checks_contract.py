"""The contract of every exercise check: it accepts its worked solution and rejects each mistake it lists,
with a message naming that mistake in the words learners see (``IT_LOOKS_LIKE``, or ``COMMON_MISTAKE`` in
the pooling exercises).

The checks are found, not listed: every public ``check_*`` function of the topic modules of
``course.checks``, so a new check joins by itself. It declares its solution and its mistakes with
``@exercise(solution, mistakes)`` (``course.checks.engine``); a check with no mistakes to name says why
in ``WITHOUT_MISTAKES``. The hand-written wrong answers (tests/test_checks_mistakes.py and the topic
tests) check the mistake models themselves against independent code.
"""

import importlib
import inspect
import pkgutil

import pytest

import course.checks
from course.checks import COMMON_MISTAKE, IT_LOOKS_LIKE

# Checks that name no mistake, and why. None models a common wrong answer yet; each reports what differs
# (a new entry here needs its reason, and one that starts listing mistakes must leave).
WITHOUT_MISTAKES = {
    "check_add_noise": "no mistake modelled yet (notebook 10); the message gives the values that differ",
    "check_lr_schedule": "no mistake modelled yet (notebook 10); the message gives the first step that differs",
    "check_as_norm": "no mistake modelled yet (notebook 10); the message gives the scores that differ",
    "check_power_to_db": "no mistake modelled yet (notebook 12); the message gives the values that differ",
    "check_cross_meeting_targets": "compares sets of pairs (notebook 12): the message lists the extra and the "
                                   "missing pairs themselves",
    "check_relative_weight": "no mistake modelled yet (notebook 12); its follow-up check_loudest_frames names two",
}


def _checks() -> dict[str, object]:
    found = {}
    for module in pkgutil.iter_modules(course.checks.__path__):
        if module.name == "engine":  # the engine's check_function is the tool, not an exercise
            continue
        topic = importlib.import_module(f"course.checks.{module.name}")
        for name, fn in inspect.getmembers(topic, inspect.isfunction):
            if name.startswith("check_") and fn.__module__ == topic.__name__:
                found[name] = fn
    return found


CHECKS = _checks()
DECLARED = {name: fn for name, fn in CHECKS.items() if hasattr(fn, "solution")}
MISTAKES = [(name, label, wrong) for name, fn in DECLARED.items() for label, wrong in fn.mistakes]


def test_the_checks_are_found():
    assert {"check_cosine", "check_tstp_with_lengths", "check_cross_attend", "check_pav"} <= set(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_every_check_declares_its_worked_solution(name):
    assert name in DECLARED, (f"{name}: declare its worked solution and mistakes with "
                              "@exercise(solution, mistakes) from course.checks.engine")


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_every_check_lists_its_mistakes_or_says_why_not(name):
    mistakes = getattr(CHECKS[name], "mistakes", [])
    if name in WITHOUT_MISTAKES:
        assert not mistakes, f"{name} lists mistakes now: take it out of WITHOUT_MISTAKES"
    else:
        assert mistakes, f"{name}: list the mistakes it names in @exercise, or say why not in WITHOUT_MISTAKES"


def test_without_mistakes_names_only_existing_checks():
    assert set(WITHOUT_MISTAKES) <= set(CHECKS)


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_each_check_accepts_its_worked_solution(name, capsys):
    assert DECLARED[name](DECLARED[name].solution) is True, capsys.readouterr().out


@pytest.mark.parametrize("name, label, wrong", MISTAKES, ids=[f"{n}-{label[:30]}" for n, label, _ in MISTAKES])
def test_each_check_rejects_each_listed_mistake_and_names_it(name, label, wrong, capsys):
    assert DECLARED[name](wrong) is False
    out = capsys.readouterr().out
    assert "✗" in out and (IT_LOOKS_LIKE.format(label) in out or COMMON_MISTAKE.format(label) in out), out
