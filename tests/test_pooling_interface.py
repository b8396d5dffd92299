"""Properties every registered pooling shares (the DESIGN.md interface).

Each method is built with its defaults for D = 24 channels; the method-specific
properties live in the test files named after each method.
"""

import pytest
import torch

from course import pooling

D = 24
NAMES = pooling.available()


def make(name):
    torch.manual_seed(0)
    return pooling.build(name, D).eval()


def test_registry_lists_statistics_and_astp():
    assert {"TAP", "TSDP", "TSTP", "ASTP"} <= set(NAMES)


def test_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown name 'NOPE'; available: .*TSTP"):
        pooling.build("NOPE", D)


@pytest.mark.parametrize("name", NAMES)
def test_output_shape_is_batch_by_out_dim(name):
    pool = make(name)
    assert pool(torch.randn(3, D, 40)).shape == (3, pool.out_dim)


@pytest.mark.parametrize("name", NAMES)
def test_padded_batch_equals_single_utterances(name):
    pool = make(name)
    lengths = torch.tensor([40, 17, 5])
    x = torch.randn(3, D, 40)
    x[1, :, 17:] = 100.0  # garbage in the padding must not leak
    x[2, :, 5:] = -7.0
    batched = pool(x, lengths)
    for i, n in enumerate(lengths.tolist()):
        alone = pool(x[i : i + 1, :, :n])
        torch.testing.assert_close(batched[i : i + 1], alone, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_four_d_input_is_flattened_to_channels_times_frequency(name):
    pool = make(name)
    x = torch.randn(2, 6, 4, 30)
    torch.testing.assert_close(pool(x), pool(x.flatten(1, 2)))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", ["constant", "one_frame", "one_valid_frame"])
def test_no_nan_or_inf_in_values_or_gradients(name, case):
    pool = make(name).train()
    frames = 1 if case == "one_frame" else 20
    x = torch.full((2, D, frames), 0.3) if case == "constant" else torch.randn(2, D, frames)
    x.requires_grad_(True)
    lengths = torch.tensor([1, frames]) if case == "one_valid_frame" else None
    out = pool(x, lengths)
    out.sum().backward()
    assert torch.isfinite(out).all() and torch.isfinite(x.grad).all()
    assert all(torch.isfinite(p.grad).all() for p in pool.parameters() if p.grad is not None)


@pytest.mark.parametrize("name", NAMES)
def test_return_weights_gives_the_same_embedding(name):
    pool = make(name)
    x = torch.randn(2, D, 25)
    embedding, _ = pool(x, torch.tensor([25, 9]), return_weights=True)
    torch.testing.assert_close(embedding, pool(x, torch.tensor([25, 9])))


def test_bad_lengths_are_named():
    pool = make("TSTP")
    with pytest.raises(ValueError, match=r"lengths: every length must be in \[1, 10\]"):
        pool(torch.randn(2, D, 10), torch.tensor([10, 0]))
    with pytest.raises(ValueError, match=r"lengths: expected shape \(2,\)"):
        pool(torch.randn(2, D, 10), torch.tensor([10]))


def test_wrong_channel_count_is_named():
    with pytest.raises(ValueError, match="built for 24 channels"):
        make("TAP")(torch.randn(2, 5, 10))
