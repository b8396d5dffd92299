"""NetVLAD and GhostVLAD (Xie et al., ICASSP 2019): the modules equal the formulas, with lengths."""

import pytest
import torch
from pooling_properties import (
    assert_finite_on_edge_cases,
    assert_finite_under_autocast,
    assert_gradcheck_float64,
    assert_invariant_to_permuting_time,
    assert_module_equals_reference,
    assert_output_size,
    assert_padded_batch_equals_single,
    build,
    random_batch,
)

from course.pooling.reference import dictionary as reference

D = 10
NAMES = ["NetVLAD", "GhostVLAD"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [0, 1])
def test_module_equals_the_loop_formula_with_random_lengths(name, seed):
    x, lengths = random_batch(D, seed=seed)
    assert_module_equals_reference(build(name, D, seed=seed), reference.netvlad, x, lengths)


@pytest.mark.parametrize("name", NAMES)
def test_padded_batch_equals_single_utterances(name):
    assert_padded_batch_equals_single(build(name, D, num_clusters=3), *random_batch(D, seed=5))


@pytest.mark.parametrize("name", NAMES)
def test_output_size_is_k_times_d_whatever_the_ghosts(name):
    assert_output_size(build(name, D, num_clusters=5), 5 * D, D)


@pytest.mark.parametrize("name", NAMES)
def test_soft_assignments_sum_to_one_over_all_clusters_on_valid_frames(name):
    x, lengths = random_batch(D)
    _, a = build(name, D)(x, lengths, return_weights=True)
    for i, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(a[i, :, :n].sum(0), torch.ones(n))
        assert (a[i, :, n:] == 0).all()


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


@pytest.mark.parametrize("name", NAMES)
def test_invariant_to_permuting_time(name):
    assert_invariant_to_permuting_time(build(name, D), *random_batch(D))


@pytest.mark.parametrize("name", NAMES)
def test_gradcheck_in_float64(name):
    assert_gradcheck_float64(build(name, 4, num_clusters=3), 4)


@pytest.mark.parametrize("name", NAMES)
def test_finite_on_constant_input_one_frame_and_one_valid_frame(name):
    assert_finite_on_edge_cases(build(name, D), D)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_finite_under_autocast(name, dtype):
    assert_finite_under_autocast(build(name, D), D, dtype)


def test_bad_cluster_counts_are_named():
    with pytest.raises(ValueError, match="num_clusters"):
        build("NetVLAD", D, num_clusters=0)
