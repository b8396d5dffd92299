"""Embeddings cached on disk: computed once per model and set of files, again when either changes."""

import os

import torch

from course import embedding_cache
from tests.test_evaluate import MeanStd


def test_a_second_call_loads_and_a_touched_file_recomputes(tiny_synthvox, monkeypatch, tmp_path):
    from course.data.corpus import test_utterances

    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    files = test_utterances(tiny_synthvox)[:4]
    calls = []
    real = embedding_cache.embed_files
    monkeypatch.setattr(embedding_cache, "embed_files", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = embedding_cache.cached_embed_files(MeanStd(), files)
    again = embedding_cache.cached_embed_files(MeanStd(), files)
    assert len(calls) == 1 and all(torch.equal(first[p], again[p]) for p in files)
    os.utime(files[0], ns=(0, 1))  # another modification time: the file may have changed
    embedding_cache.cached_embed_files(MeanStd(), files)
    assert len(calls) == 2


def test_other_weights_are_another_key():
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    assert embedding_cache.model_digest(a) != embedding_cache.model_digest(b)
    assert embedding_cache.model_digest(a) == embedding_cache.model_digest(a)


def test_waveforms_are_cached_by_their_samples(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    calls = []
    real = embedding_cache.embed_waves
    monkeypatch.setattr(embedding_cache, "embed_waves", lambda *a, **k: calls.append(1) or real(*a, **k))
    waves = {("a", "b"): torch.randn(16000, generator=torch.Generator().manual_seed(0)), "c": torch.zeros(8000) + 0.1}
    first = embedding_cache.cached_embed_waves(MeanStd(), waves)
    again = embedding_cache.cached_embed_waves(MeanStd(), waves)
    assert len(calls) == 1 and list(again) == list(waves) and all(torch.equal(first[k], again[k]) for k in waves)
    changed = {**waves, "c": waves["c"].clone()}
    changed["c"][0] = 0.5  # one sample: another key
    embedding_cache.cached_embed_waves(MeanStd(), changed)
    assert len(calls) == 2
    for file in (tmp_path / "cache" / "embeddings").glob("waves-*.pt"):
        file.write_bytes(b"torn")  # a torn file is computed again, not an error
    embedding_cache.cached_embed_waves(MeanStd(), changed)
    assert len(calls) == 3
