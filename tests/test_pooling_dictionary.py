"""NetVLAD and GhostVLAD (Xie et al., ICASSP 2019): facts specific to them (the contract tests cover the rest)."""

import pytest
import torch
from pooling_properties import (
    assert_output_size,
    build,
    random_batch,
)

D = 10
NAMES = ["NetVLAD", "GhostVLAD"]


@pytest.mark.parametrize("name", NAMES)
def test_output_size_is_k_times_d_whatever_the_ghosts(name):
    assert_output_size(build(name, D, num_clusters=5), 5 * D, D)


def test_ghostvlad_has_two_ghost_clusters_by_default():
    _, a = build("GhostVLAD", D)(torch.randn(1, D, 7), return_weights=True)
    assert a.shape[1] == 8 + 2


def test_ghost_clusters_that_take_no_frames_leave_netvlad_unchanged():
    ghost, plain = build("GhostVLAD", D, seed=2), build("NetVLAD", D, seed=3)
    with torch.no_grad():
        plain.assign.weight.copy_(ghost.assign.weight[:8])
        plain.assign.bias.copy_(ghost.assign.bias[:8])
        plain.centres.copy_(ghost.centres)
        ghost.assign.bias[8:] = -1e4  # the ghosts attract no frame
    x, lengths = random_batch(D)
    torch.testing.assert_close(ghost(x, lengths), plain(x, lengths))


def test_ghost_clusters_change_the_embedding_when_they_take_frames():
    ghost = build("GhostVLAD", D)
    x = torch.randn(1, D, 15)
    before = ghost(x)
    with torch.no_grad():
        ghost.assign.bias[8:] += 3.0
    assert not torch.allclose(ghost(x), before, atol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_every_cluster_block_has_norm_one_over_sqrt_k(name):
    out = build(name, D, num_clusters=4)(torch.randn(3, D, 12))
    torch.testing.assert_close(out.view(3, 4, D).norm(dim=-1), torch.full((3, 4), 0.5))


def test_bad_cluster_counts_are_named():
    with pytest.raises(ValueError, match="num_clusters"):
        build("NetVLAD", D, num_clusters=0)
