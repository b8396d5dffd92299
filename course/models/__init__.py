"""Speaker-embedding models: frames ``(B, 80, T)`` (+ ``lengths``) → ``(B, embed_dim)``.

``build(name, **kw)`` makes a model by name, ``available()`` lists the names. Every
model is an ``EmbeddingModel`` (``course.models.base``): ``frame_features(x, lengths)``
returns the frames its ``.pooling`` receives and their lengths, ``forward(x, lengths)``
the embedding.
"""

from course.models.aca_net import ACANet
from course.models.base import EmbeddingModel, available, build, model_class, register
from course.models.ecapa import ECAPA_TDNN
from course.models.eres2net import ERes2Net
from course.models.tdnn import XVector

__all__ = ["ACANet", "ECAPA_TDNN", "ERes2Net", "EmbeddingModel", "XVector", "available", "build", "model_class",
           "register"]
