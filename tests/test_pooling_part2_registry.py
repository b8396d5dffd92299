"""The part-2 poolings are registered, so models, the interface tests and the benchmark see them."""

from course import pooling

PART_TWO = {"NetVLAD", "GhostVLAD", "LDE", "ABP", "STSP", "AttentiveSTSP", "ACA"}


def test_every_part_two_method_is_registered():
    assert PART_TWO <= set(pooling.available())


def test_names_are_case_insensitive():
    assert type(pooling.build("ghostvlad", 8)) is type(pooling.build("GhostVLAD", 8))
