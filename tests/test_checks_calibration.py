"""Notebook 13's exercise checks accept the worked solution and name each listed mistake."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course import calibration
from course.checks.calibration import _pav_without_ties, check_bayes_threshold, check_cllr, check_pav


def test_the_solutions_pass():
    assert check_cllr(calibration.cllr)
    assert check_bayes_threshold(calibration.bayes_threshold)
    assert check_pav(calibration.pav)


@pytest.mark.parametrize("wrong, named", [
    (lambda llr, y: calibration.cllr(llr, y) * math.log(2), "bits"),
    (lambda llr, y: calibration.cllr(-llr, y), "signs swapped"),
])
def test_cllr_mistakes_are_named(wrong, named, capsys):
    assert not check_cllr(wrong)
    assert named in capsys.readouterr().out


@pytest.mark.parametrize("wrong, named", [
    (lambda p, cm, cf: math.log(p / (1 - p)) + math.log(cf / cm), "minus sign"),
    (lambda p, cm, cf: -math.log(p / (1 - p)), "costs left out"),
])
def test_bayes_threshold_mistakes_are_named(wrong, named, capsys):
    assert not check_bayes_threshold(wrong)
    assert named in capsys.readouterr().out


def test_pav_that_ignores_ties_is_named(capsys):
    assert not check_pav(_pav_without_ties)
    assert "ties" in capsys.readouterr().out


def test_stubs_fail():
    assert not check_cllr(lambda llr, y: None)
    assert not check_pav(lambda s, y: np.zeros(len(s)))
