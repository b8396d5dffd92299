"""The ``Example`` in the docstrings of course.pooling, course.heads and course.models runs and prints
what it says (doctest), and every pooling, head and model class has one."""

import doctest
import importlib
import pkgutil

import pytest
import torch

import course.heads
import course.models
import course.pooling

PACKAGES = [course.pooling, course.heads, course.models]
MODULES = sorted(info.name for package in PACKAGES
                 for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run_as_written(name):
    module = importlib.import_module(name)
    torch.manual_seed(0)
    result = doctest.testmod(module, extraglobs={"torch": torch},
                             optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest lines failed in {name} (printed above)"


@pytest.mark.parametrize("name", course.pooling.available())
def test_every_pooling_class_has_an_example(name):
    assert "Example" in (course.pooling.pooling_class(name).__doc__ or ""), name


@pytest.mark.parametrize("name", course.heads.available())
def test_every_head_class_has_an_example(name):
    assert "Example" in (course.heads.HEADS.get(name).__doc__ or ""), name


@pytest.mark.parametrize("name", course.models.available())
def test_every_model_class_has_an_example(name):
    assert "Example" in (course.models.model_class(name).__doc__ or ""), name
