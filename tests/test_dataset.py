import pytest
import torch
from torch.utils.data import DataLoader

from course.data.dataset import SeededItems, SpeakerChunks, collate, item_seed
from tests.synthvox_tiny import TINY, tiny_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return tiny_corpus(tmp_path_factory.mktemp("dataset"))


def test_items_are_80_by_chunk_frames_float32_with_a_speaker_index(corpus):
    ds = SpeakerChunks(corpus, chunk_frames=50)
    feats, label = ds[0]
    assert feats.shape == (80, 50) and feats.dtype == torch.float32 and 0 <= label < ds.num_speakers


def test_train_split_holds_only_training_speakers(corpus):
    ds = SpeakerChunks(corpus)
    assert ds.num_speakers == TINY.speakers - TINY.test_speakers - TINY.dev_speakers == len(ds.speakers)
    assert len(ds) == ds.num_speakers * TINY.utterances


def test_chunks_longer_than_an_utterance_repeat_it(corpus):
    ds = SpeakerChunks(corpus, chunk_frames=2000)
    whole = ds.features(0)
    feats, _ = ds[0]
    assert feats.shape == (80, 2000) and torch.equal(feats[:, : whole.shape[1]], whole)


def test_same_seed_and_epoch_give_the_same_crop_and_a_new_epoch_another(corpus):
    a, b = SpeakerChunks(corpus, chunk_frames=40, seed=1), SpeakerChunks(corpus, chunk_frames=40, seed=1)
    assert torch.equal(a[3][0], b[3][0])
    b.set_epoch(1)
    assert not torch.equal(a[3][0], b[3][0])


def test_both_training_datasets_draw_item_i_from_the_one_seed_rule(corpus):
    from course.data.wave_crops import WaveCrops

    # The rule is part of every resumable run and cached model: (seed, epoch, item) -> this integer.
    assert item_seed(3, 2, 5) == (3 * 1_000_003 + 2) * 10_000_019 + 5
    for ds in (SpeakerChunks(corpus, seed=3), WaveCrops(corpus, seed=3)):
        assert isinstance(ds, SeededItems)
        ds.set_epoch(2)
        expected = torch.Generator().manual_seed(item_seed(3, 2, 5))
        assert torch.equal(torch.rand(4, generator=ds.generator(5)), torch.rand(4, generator=expected))


def test_crops_are_windows_of_the_whole_utterance(corpus):
    ds = SpeakerChunks(corpus, chunk_frames=40)
    whole, crop = ds.features(2), ds[2][0]
    starts = [s for s in range(whole.shape[1] - 39) if torch.equal(whole[:, s:s + 40], crop)]
    assert starts


def test_whole_utterances_when_chunk_frames_is_none(corpus):
    ds = SpeakerChunks(corpus, split="test", chunk_frames=None)
    assert ds[0][0].shape == ds.features(0).shape


def test_collate_pads_with_zeros_and_returns_lengths(corpus):
    ds = SpeakerChunks(corpus, split="test", chunk_frames=None)
    feats, lengths, labels = collate([ds[0], ds[1]])
    assert feats.shape == (2, 80, int(lengths.max())) and lengths.dtype == torch.long
    for i in range(2):
        assert torch.equal(feats[i, :, : lengths[i]], ds[i][0]) and torch.all(feats[i, :, lengths[i]:] == 0)
    assert labels.tolist() == [ds[0][1], ds[1][1]]


def test_works_with_a_dataloader(corpus):
    feats, lengths, labels = next(iter(DataLoader(SpeakerChunks(corpus, chunk_frames=30), batch_size=4,
                                                  collate_fn=collate)))
    assert feats.shape == (4, 80, 30) and lengths.tolist() == [30] * 4 and labels.shape == (4,)


def test_missing_root_and_bad_split_are_named(tmp_path, corpus):
    with pytest.raises(FileNotFoundError, match="corpus root not found"):
        SpeakerChunks(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="split='validation'"):
        SpeakerChunks(corpus, split="validation")


def test_empty_batch_is_refused():
    with pytest.raises(ValueError, match="empty batch"):
        collate([])


def test_an_utterance_shorter_than_one_frame_is_named(tmp_path):
    import numpy as np

    from course.audio import write

    write(tmp_path / "wav" / "id00001" / "s" / "00001.wav", np.zeros(100, np.float32))
    (tmp_path / "iden_split.txt").write_text("1 id00001/s/00001.wav\n")
    with pytest.raises(ValueError, match="00001.wav: waveform: 100 samples is shorter than one"):
        SpeakerChunks(tmp_path)[0]


def test_features_saved_to_disk_once_complete_are_reloaded_identically(corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    first = SpeakerChunks(corpus, split="test", chunk_frames=None)
    whole = [first.features(i) for i in range(len(first))]
    second = SpeakerChunks(corpus, split="test", chunk_frames=None)
    assert len(second._features) == len(first)  # loaded, not recomputed
    for i, feats in enumerate(whole):
        assert torch.equal(second.features(i), feats)


def test_the_disk_cache_can_be_turned_off(corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    ds = SpeakerChunks(corpus, split="test", chunk_frames=None, disk_cache=False)
    for i in range(len(ds)):
        ds.features(i)
    assert not list((tmp_path / "cache" / "features").glob("*.pt"))


def test_the_disk_cache_is_found_whether_the_root_is_relative_or_absolute(corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    first = SpeakerChunks(corpus, split="test", chunk_frames=None)
    for i in range(len(first)):
        first.features(i)
    monkeypatch.chdir(corpus.parent)
    assert len(SpeakerChunks(corpus.name, split="test", chunk_frames=None)._features) == len(first)
