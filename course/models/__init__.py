"""Speaker-embedding models: frames ``(B, 80, T)`` (+ ``lengths``) → ``(B, embed_dim)``.

``build(name, **kw)`` makes a model by name ("ecapa", "xvector"); every model has
``forward(x, lengths=None)``, ``frame_features(x, lengths=None)`` (what its pooling
receives) and a ``.pooling`` attribute.
"""

from course.models.ecapa import ECAPA_TDNN
from course.models.tdnn import XVector

MODELS = {"ecapa": ECAPA_TDNN, "ecapa_tdnn": ECAPA_TDNN, "xvector": XVector, "tdnn": XVector}


def build(name: str, **kwargs):
    """Construct the model called ``name`` with its keyword arguments."""
    try:
        cls = MODELS[name.lower()]
    except KeyError:
        raise ValueError(f"model: unknown name {name!r}; available: {', '.join(MODELS)}") from None
    return cls(**kwargs)


__all__ = ["ECAPA_TDNN", "MODELS", "XVector", "build"]
