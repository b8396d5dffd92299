"""One registry rule for poolings, models and heads (``course.registry.Registry``)."""

import pytest

from course import heads, models, pooling
from course.registry import Registry


def test_names_are_case_insensitive_and_listed_as_registered():
    r = Registry("thing")

    @r.register("ASTP", "attentive")
    class A:
        pass

    assert r.get("astp") is r.get("Attentive") is A and r.names() == ["ASTP"] and A.registered_name == "ASTP"


def test_a_second_class_under_a_taken_name_needs_replace():
    r = Registry("thing")
    r.add("x", type("A", (), {}))
    with pytest.raises(ValueError, match="registered twice.*replace=True"):
        r.add("X", type("B", (), {}))
    b = r.add("X", type("B", (), {}), replace=True)
    assert r.get("x") is b and r.names() == ["X"]


def test_unknown_names_list_the_available_ones():
    with pytest.raises(ValueError, match="pooling: unknown name 'NOPE'; available: .*ASTP"):
        pooling.build("NOPE", 8)
    with pytest.raises(ValueError, match="model: unknown name"):
        models.build("resnet")
    with pytest.raises(ValueError, match="head: unknown name"):
        heads.build("cosface", 8, 2)


def test_the_three_registries_share_the_case_rule():
    assert pooling.pooling_class("astp") is pooling.pooling_class("ASTP")
    assert models.model_class("ECAPA") is models.model_class("ecapa")
    assert type(heads.build("ARC_MARGIN", 8, 3)) is type(heads.build("arc_margin", 8, 3))


def test_a_pooling_must_keep_its_contract_to_be_registered():
    with pytest.raises(TypeError, match="must subclass"):
        pooling.registry.register("NOT_A_POOLING")(type("Plain", (), {}))


def test_remove_forgets_a_name_and_its_aliases():
    r = Registry("thing")
    r.add("x", type("A", (), {}), "ex")
    r.remove("X")
    assert "x" not in r and "ex" not in r and r.names() == []
