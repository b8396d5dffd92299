"""Every registered pooling, in every configuration it lists in ``examples()``, keeps the Pooling
contract (course/pooling/base.py). A new pooling gets all of these tests by registering itself.

Family files (tests/test_pooling_<family>.py) hold the facts specific to one method.
"""

import pytest
import torch
from pooling_properties import (
    assert_finite_on_edge_cases,
    assert_finite_under_autocast,
    assert_gradcheck_float64,
    assert_invariant_to_permuting_time,
    assert_module_equals_reference,
    assert_padded_batch_equals_single,
    build,
    random_batch,
)

from course import pooling
from course.pooling.base import EXAMPLE_IN_DIM, WEIGHTS_OVER, Pooling

D = EXAMPLE_IN_DIM
NAMES = pooling.available()
EXAMPLES = [(name, kwargs) for name in NAMES for kwargs in pooling.pooling_class(name).examples()]
# The cheap properties are checked with the defaults too, where the examples leave them out.
CASES = EXAMPLES + [(name, {}) for name in NAMES if {} not in pooling.pooling_class(name).examples()]


def case_id(case) -> str:
    name, kwargs = case
    return name + ("" if not kwargs else "-" + ",".join(f"{k}={v}" for k, v in kwargs.items()))


examples = pytest.mark.parametrize("case", EXAMPLES, ids=case_id)
cases = pytest.mark.parametrize("case", CASES, ids=case_id)


def make(case, in_dim=D):
    name, kwargs = case
    return build(name, in_dim, **kwargs)


def padded_batch(frames=30):
    """Four utterances of 30, 3 (shorter than a spectral window), 17 and 1 valid frames; garbage padding."""
    x, _ = random_batch(D, frames=frames, seed=5)
    lengths = torch.tensor([frames, 3, 17, 1])
    for i, n in enumerate(lengths.tolist()):
        x[i, :, n:] = 50.0
    return x, lengths


# --- what every pooling declares -------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_registered_class_declares_the_contract(name):
    cls = pooling.pooling_class(name)
    assert issubclass(cls, Pooling) and cls.registered_name == name
    assert cls.weights_over in WEIGHTS_OVER
    assert callable(cls.reference) and cls.reference.__module__.startswith("course.pooling.reference.")
    assert cls.examples(), f"{name}: examples() lists no configuration"


def test_registry_lists_every_family():
    assert {"TAP", "TSDP", "TSTP", "ASP", "ASTP", "SAP", "MHA", "MR-MHA", "MQMHASTP", "NetVLAD", "GhostVLAD",
            "LDE", "ABP", "STSP", "AttentiveSTSP", "ACA"} <= set(NAMES)


def test_names_are_case_insensitive():
    assert type(pooling.build("ghostvlad", 8)) is type(pooling.build("GhostVLAD", 8))


def test_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown name 'NOPE'; available: .*TSTP"):
        pooling.build("NOPE", D)


def test_registering_a_pooling_without_its_declarations_is_refused():
    class Undeclared(Pooling):
        pass

    with pytest.raises(TypeError, match="declare weights_over"):
        pooling.register("UNDECLARED")(Undeclared)
    Undeclared.weights_over = "frames"
    with pytest.raises(TypeError, match="declare its equation-literal twin"):
        pooling.register("UNDECLARED")(Undeclared)
    assert "UNDECLARED" not in pooling.available()


def test_weighted_lists_the_poolings_by_what_their_weights_are_over():
    assert set(pooling.weighted("frames")) >= {"ASP", "ASTP", "SAP", "MHA", "MR-MHA", "MQMHASTP", "ABP", "ACA"}
    assert set(pooling.weighted("clusters")) == {"NetVLAD", "GhostVLAD", "LDE"}
    assert set(pooling.weighted("segments")) == {"STSP", "AttentiveSTSP"}
    assert set(pooling.weighted("none")) == {"TAP", "TSDP", "TSTP"}
    with pytest.raises(ValueError, match="over: expected one of"):
        pooling.weighted("time")


# --- the equation ----------------------------------------------------------------------------

@examples
def test_module_equals_its_reference_twin_with_random_lengths(case):
    assert_module_equals_reference(make(case), *random_batch(D, frames=30, seed=3))


@examples
def test_gradcheck_in_float64(case):
    assert_gradcheck_float64(make(case), D)


# --- shapes, lengths and weights -------------------------------------------------------------

@cases
def test_output_is_batch_by_out_dim(case):
    pool = make(case)
    x, lengths = padded_batch()
    assert pool(x).shape == (4, pool.out_dim)
    assert pool(x, lengths).shape == (4, pool.out_dim)


@cases
def test_padded_batch_equals_single_utterances(case):
    assert_padded_batch_equals_single(make(case), *padded_batch())


@cases
def test_four_d_input_is_flattened_to_channels_times_frequency(case):
    pool = make(case)
    x = torch.randn(2, 6, 2, 30)
    torch.testing.assert_close(pool(x), pool(x.flatten(1, 2)))


@cases
def test_weights_are_the_declared_distribution_and_leave_the_embedding_unchanged(case):
    pool = make(case)
    x, lengths = padded_batch()
    embedding, weights = pool(x, lengths, return_weights=True)
    torch.testing.assert_close(embedding, pool(x, lengths))
    if pool.weights_over == "none":
        assert weights is None
        return
    valid = torch.arange(x.shape[-1])[None, :] < lengths[:, None]  # (B, T)
    if pool.weights_over == "frames":  # each row sums to one over the valid frames
        assert weights.shape[0] == 4 and weights.shape[-1] == x.shape[-1]
        torch.testing.assert_close(weights.sum(-1), torch.ones_like(weights.sum(-1)))
        assert (weights.masked_select(~valid[:, None, :].expand_as(weights)) == 0).all()
    elif pool.weights_over == "clusters":  # each valid frame's column sums to one over the clusters
        columns = weights.sum(1)
        torch.testing.assert_close(columns[valid], torch.ones(int(valid.sum())))
        assert (columns[~valid] == 0).all()
    else:  # segments: (B, 1, M), one distribution over the valid segments
        assert weights.shape[:2] == (4, 1)
        torch.testing.assert_close(weights.sum(-1), torch.ones(4, 1))


@cases
def test_describe_weight_row_names_every_row(case):
    pool = make(case)
    _, weights = pool(torch.randn(1, D, 30), return_weights=True)
    rows = 0 if weights is None else weights[0].reshape(-1, weights.shape[-1]).shape[0]
    labels = [pool.describe_weight_row(row) for row in range(rows)]
    assert all(isinstance(label, str) and label for label in labels)
    assert len(set(labels)) == len(labels), "two rows with the same description"


@pytest.mark.parametrize("name", NAMES)
def test_only_spectral_poolings_have_spectra(name):
    pool = build(name, D)
    x = torch.randn(2, D, 40)
    if pool.weights_over != "segments":
        with pytest.raises(NotImplementedError, match="not a spectral pooling"):
            pool.spectra(x)
        return
    first, power = pool.spectra(x, torch.tensor([40, 20]))
    assert first.is_complex() and first.shape == power.shape == (2, D, pool.bins)


@cases
def test_order_invariance_is_as_declared(case):
    pool = make(case)
    if pool.order_invariant:
        assert_invariant_to_permuting_time(pool, *random_batch(D, frames=40))
    else:
        with pytest.raises(AssertionError):
            assert_invariant_to_permuting_time(pool, *random_batch(D, frames=40))


# --- numerics --------------------------------------------------------------------------------

@cases
def test_finite_values_and_gradients_on_constant_input_one_frame_and_one_valid_frame(case):
    assert_finite_on_edge_cases(make(case), D)


@cases
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_padding_never_reaches_the_embedding(case, bad):
    """Padded frames may hold anything (a NaN from an upstream layer): weights * x with weight 0 must not
    turn it into a NaN output (0 · NaN = NaN); the embedding equals the one with zero padding."""
    pool = make(case).eval()
    x, lengths = padded_batch()
    valid = torch.arange(x.shape[-1])[None, None, :] < lengths[:, None, None]
    dirty, clean = x.masked_fill(~valid, bad), x.masked_fill(~valid, 0.0)
    out = pool(dirty, lengths)
    assert torch.isfinite(out).all(), f"{case_id(case)}: non-finite output from {bad} in padded frames"
    torch.testing.assert_close(out, pool(clean, lengths), rtol=0, atol=0)


@cases
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_finite_under_cpu_autocast(case, dtype):
    assert_finite_under_autocast(make(case), D, dtype)


@cases
def test_embedding_is_float32_under_autocast(case):
    """The autocast policy (course.pooling.numerics): statistics and embeddings in float32."""
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = make(case)(torch.randn(2, D, 30), torch.tensor([30, 11]))
    assert out.dtype == torch.float32


# --- bad input -------------------------------------------------------------------------------

def test_bad_lengths_are_named():
    pool = build("TSTP", D)
    with pytest.raises(ValueError, match=r"lengths: every length must be in \[1, 10\]"):
        pool(torch.randn(2, D, 10), torch.tensor([10, 0]))
    with pytest.raises(ValueError, match=r"lengths: expected shape \(2,\)"):
        pool(torch.randn(2, D, 10), torch.tensor([10]))


def test_bool_lengths_and_empty_time_are_refused():
    pool = build("TSTP", D)
    with pytest.raises(ValueError, match="lengths: expected integer frame counts"):
        pool(torch.randn(2, D, 10), torch.tensor([True, True]))  # a mask passed as lengths: 1 frame each
    with pytest.raises(ValueError, match=r"x: no frames \(T = 0\)"):
        pool(torch.randn(2, D, 0))


def test_wrong_channel_count_is_named():
    with pytest.raises(ValueError, match=f"built for {D} channels"):
        build("TAP", D)(torch.randn(2, 5, 10))
