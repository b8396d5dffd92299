"""Augmentation and on-the-fly waveform crops (``course.data.augment``, ``course.data.wave_crops``)."""

import math
import warnings

import pytest
import torch

from course.audio import write
from course.data import augment as A
from course.data.wave_crops import WaveCrops, change_speed, samples_for
from course.signal import coloured_noise, room_impulse_response  # their known answers: tests/test_signal.py


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from tests.synthvox_tiny import tiny_corpus

    return tiny_corpus(tmp_path_factory.mktemp("corpus"))


def g(seed=0):
    return torch.Generator().manual_seed(seed)


def test_add_noise_reaches_the_requested_snr():
    speech, noise = torch.randn(16000, generator=g(1)), coloured_noise(16000, "pink", g(2))
    mixed = A.add_noise(speech, noise, 7.0)
    snr = 10 * math.log10(float(A.power(speech) / A.power(mixed - speech)))
    assert snr == pytest.approx(7.0, abs=1e-3)


def test_reverberation_keeps_the_power():
    speech = torch.randn(16000, generator=g())
    wet = A.reverberate(speech, room_impulse_response(0.3, g(1), 16000))
    assert float(A.power(wet)) == pytest.approx(float(A.power(speech)), rel=1e-4)


def test_augment_is_a_function_of_its_generator():
    aug = A.Augment(A.AugmentConfig(noise_kinds=("white", "pink")))
    wave = torch.randn(8000, generator=g()) * 0.1
    assert torch.equal(aug(wave, g(5)), aug(wave, g(5)))
    assert not torch.equal(aug(wave, g(5)), aug(wave, g(6)))


def test_augment_switched_off_returns_the_input():
    aug = A.Augment(A.AugmentConfig(noise_prob=0, reverb_prob=0, gain_prob=0, noise_kinds=("white",)))
    wave = torch.rand(8000, generator=g()) - 0.5
    assert torch.equal(aug(wave, g()), wave)


def test_augment_config_rejects_unknown_keys_and_bad_values():
    with pytest.raises(ValueError, match="unknown key"):
        A.AugmentConfig.from_dict({"noize_prob": 0.5})
    with pytest.raises(ValueError, match="noise_prob"):
        A.AugmentConfig(noise_prob=1.5)
    with pytest.raises(ValueError, match="noise_dir"):
        A.AugmentConfig(noise_kinds=("folder",))


def test_noise_folder_is_read(tmp_path):
    write(tmp_path / "hum.wav", 0.1 * torch.sin(torch.arange(4000) * 0.3))
    aug = A.Augment(A.AugmentConfig(noise_prob=1.0, reverb_prob=0, gain_prob=0, noise_kinds=("folder",),
                                    noise_dir=str(tmp_path), snr_db=(0.0, 0.0)))
    speech = torch.randn(16000, generator=g()) * 0.05
    assert not torch.equal(aug(speech, g()), speech)
    with pytest.raises(FileNotFoundError, match="folder not found"):
        A.noise_files(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no .wav"):
        A.noise_files(tmp_path / "empty")


def test_speed_perturbation_changes_the_length_by_the_factor():
    wave = torch.randn(11000, generator=g())
    assert change_speed(wave, 1.1).shape[0] == 10000
    assert change_speed(wave, 0.9).shape[0] == pytest.approx(11000 / 0.9, abs=1)


def test_wave_crops_have_the_chunk_length_and_speed_copies_are_new_speakers(corpus):
    plain = WaveCrops(corpus, chunk_frames=50)
    augmented = WaveCrops(corpus, chunk_frames=50, augment={"speeds": (0.9, 1.1)})
    assert len(augmented) == 3 * len(plain) and augmented.num_speakers == 3 * plain.num_speakers
    feats, label = augmented[len(plain) + 1]  # the 0.9 copy of utterance 1
    assert feats.shape == (80, 50) and label == plain.labels[1] + plain.num_speakers
    assert samples_for(50) == 400 + 49 * 160


def test_wave_crops_depend_only_on_seed_epoch_and_index(corpus):
    a, b = WaveCrops(corpus, chunk_frames=40, augment={}), WaveCrops(corpus, chunk_frames=40, augment={})
    assert torch.equal(a[3][0], b[3][0])
    b.set_epoch(1)
    assert not torch.equal(a[3][0], b[3][0])


def test_corrupt_and_empty_training_files_are_skipped_and_reported(corpus, tmp_path):
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(corpus, root)
    files = sorted((root / "wav").rglob("*.wav"))
    from course.data.corpus import read_split

    train = [p for _, p in read_split(root, "train")]
    train[0].write_bytes(b"not audio at all")
    write(train[1], torch.zeros(0))
    with pytest.warns(UserWarning, match="2 training file"):
        data = WaveCrops(root, chunk_frames=30)
    assert len(data) == len(train) - 2 and len(data.skipped) == 2 and files
    # a file that breaks after the start is replaced by another of the same speaker, with a warning
    data.paths[0].write_bytes(b"broken later")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        feats, label = data[0]
    assert feats.shape == (80, 30) and label == data.labels[0]
    assert any("skipped mid-epoch" in str(w.message) for w in caught)
