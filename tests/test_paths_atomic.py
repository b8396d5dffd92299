"""course.paths.atomic_path: the file appears whole or not at all, and writers never share a temporary."""

import pytest

from course.paths import atomic_path


def test_the_file_appears_only_when_the_block_ends(tmp_path):
    target = tmp_path / "out.wav"
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"abc")
        assert not target.exists() and tmp.suffix == ".wav"  # the format-by-extension writers still work
    assert target.read_bytes() == b"abc" and list(tmp_path.iterdir()) == [target]


def test_a_failed_write_leaves_neither_the_file_nor_the_temporary(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert list(tmp_path.iterdir()) == []


def test_two_writers_in_one_process_get_different_temporaries(tmp_path):
    with atomic_path(tmp_path / "x") as first, atomic_path(tmp_path / "x") as second:
        assert first != second
        first.write_text("1")
        second.write_text("2")
    assert (tmp_path / "x").read_text() == "1"  # the outer block ends last: its file stays
