import pytest
import torch

from course import scoring


def test_cosine_of_parallel_and_opposite_vectors():
    a = torch.tensor([[1.0, 2.0], [1.0, 0.0]])
    b = torch.tensor([[2.0, 4.0], [-3.0, 0.0]])
    torch.testing.assert_close(scoring.cosine_scores(a, b), torch.tensor([1.0, -1.0]))


def test_cosine_matches_the_formula():
    a, b = torch.randn(5, 8), torch.randn(5, 8)
    expected = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1))
    torch.testing.assert_close(scoring.cosine_scores(a, b), expected)


def test_mean_subtraction_removes_a_shared_offset():
    a, b, offset = torch.randn(6, 4), torch.randn(6, 4), torch.full((4,), 10.0)
    torch.testing.assert_close(scoring.cosine_scores(a + offset, b + offset, mean=offset),
                               scoring.cosine_scores(a, b))


def test_shape_mismatch_is_named():
    with pytest.raises(ValueError, match="emb_a and emb_b"):
        scoring.cosine_scores(torch.randn(3, 4), torch.randn(2, 4))


def test_score_trials_looks_up_both_sides():
    emb = {"a": torch.tensor([1.0, 0.0]), "b": torch.tensor([0.0, 1.0]), "c": torch.tensor([2.0, 0.0])}
    scores, labels = scoring.score_trials(emb, [(1, "a", "c"), (0, "a", "b")])
    torch.testing.assert_close(scores, torch.tensor([1.0, 0.0]))
    assert labels.tolist() == [1, 0]


def test_score_trials_names_a_missing_embedding():
    with pytest.raises(KeyError, match="no embedding"):
        scoring.score_trials({"a": torch.ones(2)}, [(1, "a", "zz")])


def test_as_norm_standardises_with_each_sides_top_k_cohort_scores():
    torch.manual_seed(0)
    a, b, cohort = torch.randn(3, 6), torch.randn(3, 6), torch.randn(20, 6)
    raw = scoring.cosine_scores(a, b)
    out = scoring.as_norm(raw, a, b, cohort, top_k=5)
    na, nb, nc = (torch.nn.functional.normalize(x, dim=-1) for x in (a, b, cohort))
    for i in range(3):
        top_a = (nc @ na[i]).topk(5).values
        top_b = (nc @ nb[i]).topk(5).values
        expected = 0.5 * ((raw[i] - top_a.mean()) / top_a.std() + (raw[i] - top_b.mean()) / top_b.std())
        torch.testing.assert_close(out[i], expected)
