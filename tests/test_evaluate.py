import pytest
import torch

from course import metrics
from course.baseline import evaluate as baseline_evaluate
from course.evaluate import embed_and_score, embed_files
from tests.synthvox_tiny import tiny_corpus


class MeanStd(torch.nn.Module):
    """Masked mean and (biased) std over time: a model with no weights to learn."""

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x, lengths=None):
        lengths = torch.full((x.shape[0],), x.shape[-1]) if lengths is None else lengths
        mask = (torch.arange(x.shape[-1])[None] < lengths[:, None]).unsqueeze(1).float()
        mean = (x * mask).sum(-1) / lengths[:, None]
        var = (((x - mean[..., None]) * mask) ** 2).sum(-1) / lengths[:, None]
        return torch.cat([mean, var.sqrt()], dim=1)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return tiny_corpus(tmp_path_factory.mktemp("evaluate"))


def test_batched_embeddings_equal_one_by_one(corpus):
    from course.data.corpus import test_utterances

    files = test_utterances(corpus)
    batched = embed_files(MeanStd(), files, batch_size=5)
    for path in files[:3]:
        torch.testing.assert_close(batched[path], embed_files(MeanStd(), [path], batch_size=1)[path])


def test_embed_and_score_reports_eer_and_min_dcf_of_its_scores(corpus):
    result = embed_and_score(MeanStd(), corpus)
    assert result["eer"] == pytest.approx(metrics.eer(result["scores"], result["labels"]))
    assert result["min_dcf"] == pytest.approx(metrics.min_dcf(result["scores"], result["labels"], 0.01))
    assert 0 <= result["eer"] <= 1 and len(result["scores"]) == len(result["labels"])


def test_model_training_mode_is_restored(corpus):
    model = MeanStd().train()
    embed_and_score(model, corpus)
    assert model.training


def test_baseline_evaluation_runs_on_a_corpus(corpus):
    result = baseline_evaluate(corpus)
    assert result.keys() == embed_and_score(MeanStd(), corpus).keys()  # one result format
    assert result["eer"] == pytest.approx(metrics.eer(result["scores"], result["labels"]))
