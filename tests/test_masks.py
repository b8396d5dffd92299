"""course.masks: lengths are checked with clear errors, and masks (boolean or 0/1 float) zero the
padding and average over the valid frames only."""

import pytest
import torch

from course.masks import check_lengths, frame_mask, time_mean, zero_padding


def test_frame_mask_is_true_on_the_valid_frames():
    mask = frame_mask(torch.tensor([3, 1]), 4)
    assert mask.dtype == torch.bool and mask.shape == (2, 1, 4)
    assert mask[:, 0].tolist() == [[True, True, True, False], [True, False, False, False]]
    assert frame_mask(None, 4) is None


@pytest.mark.parametrize(("lengths", "message"), [
    (torch.tensor([4, 0]), r"every length must be in \[1, 4\]"), (torch.tensor([5, 2]), r"in \[1, 4\]"),
    (torch.tensor([4]), r"expected shape \(2,\)"), (torch.tensor([4.0, 2.0]), "integer frame counts")])
def test_bad_lengths_are_named(lengths, message):
    with pytest.raises(ValueError, match=f"lengths: .*{message}"):
        check_lengths(lengths, 2, 4)


@pytest.mark.parametrize("as_float", [False, True])
def test_zero_padding_sets_the_padding_to_exactly_zero_even_if_it_holds_inf(as_float):
    x = torch.ones(2, 3, 4)
    x[1, :, 2:] = float("inf")
    mask = frame_mask(torch.tensor([4, 2]), 4)
    out = zero_padding(x, mask.float() if as_float else mask)
    assert torch.isfinite(out).all() and out[1, :, 2:].abs().sum() == 0 and out[0].sum() == 12
    assert zero_padding(x, None) is x


@pytest.mark.parametrize("as_float", [False, True])
def test_time_mean_is_each_utterance_mean_alone(as_float):
    x = torch.randn(3, 5, 9)
    lengths = torch.tensor([9, 4, 1])
    x[1, :, 4:] = 1e6
    mask = frame_mask(lengths, 9)
    means = time_mean(x, mask.float() if as_float else mask)
    for i, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(means[i], x[i, :, :n].mean(-1))
    torch.testing.assert_close(time_mean(x, None), x.mean(-1))


def test_the_pooling_base_and_the_models_see_the_same_functions():
    """course.pooling.base re-uses course.masks (models still import them from there)."""
    from course.pooling import base

    assert base.check_lengths is check_lengths and base.frame_mask is frame_mask
