"""Masking helpers: reflection per utterance, means over valid frames."""

import torch
import torch.nn.functional as F

from course.masks import time_mean
from course.models.masking import lengths_mask, reflect_pad


def test_reflect_pad_without_mask_is_torch_reflect():
    x = torch.randn(2, 3, 10)
    torch.testing.assert_close(reflect_pad(x, 3, None), F.pad(x, (3, 3), mode="reflect"))


def test_reflect_pad_reflects_each_utterance_at_its_own_end():
    x = torch.randn(3, 4, 12)
    lengths = torch.tensor([12, 8, 5])
    padded = reflect_pad(x, 2, lengths_mask(x, lengths))
    for b, n in enumerate(lengths.tolist()):
        alone = F.pad(x[b:b + 1, :, :n], (2, 2), mode="reflect")
        torch.testing.assert_close(padded[b:b + 1, :, :n + 4], alone)


def test_time_mean_ignores_padded_frames():
    x = torch.randn(2, 3, 9)
    mask = lengths_mask(x, torch.tensor([9, 4]))
    x[1, :, 4:] = 1e6
    torch.testing.assert_close(time_mean(x, mask)[1], x[1, :, :4].mean(-1))
