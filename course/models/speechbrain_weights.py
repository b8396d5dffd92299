"""Load SpeechBrain's ECAPA-TDNN weights into ``course.models.ecapa.ECAPA_TDNN``.

SpeechBrain 1.x (``speechbrain.lobes.models.ECAPA_TDNN``) wraps every conv and BN in
a module of its own, so its state_dict names differ from ours; the tensors are the
same up to the SE and final layers, which SpeechBrain writes as 1×1 convolutions
(weights ``(out, in, 1)``) and we as ``nn.Linear`` (``(out, in)``). The mapping:

    SpeechBrain                                  ours
    blocks.0.conv.conv.*                         layer1.conv.*
    blocks.0.norm.norm.*                         layer1.bn.*
    blocks.i.tdnn{1,2}.conv.conv.*  (i = 1..3)   blocks.(i−1).tdnn{1,2}.conv.*
    blocks.i.tdnn{1,2}.norm.norm.*               blocks.(i−1).tdnn{1,2}.bn.*
    blocks.i.res2net_block.blocks.j.conv.conv.*  blocks.(i−1).res2.convs.j.conv.*
    blocks.i.res2net_block.blocks.j.norm.norm.*  blocks.(i−1).res2.convs.j.bn.*
    blocks.i.se_block.conv{1,2}.conv.*           blocks.(i−1).se.linear{1,2}.*   (squeeze the 1)
    mfa.conv.conv.* / mfa.norm.norm.*            mfa.conv.* / mfa.bn.*
    asp.tdnn.conv.conv.*                         pooling.linear1.*
    asp.tdnn.norm.norm.*                         pooling.norm.1.*                (ReLU is norm.0)
    asp.conv.conv.*                              pooling.linear2.*
    asp_bn.norm.*                                pool_norm.*
    fc.conv.*                                    embedding.*                     (squeeze the 1)

The model that matches SpeechBrain exactly is the SpeechBrain flavour with reflect
padding and SpeechBrain's variance floor 1e-12 in the pooling; ``ecapa_from_speechbrain``
builds it, reading the sizes off the tensors. Inputs differ in layout only: SpeechBrain
takes ``(B, T, F)`` and returns ``(B, 1, 192)``; ours takes ``(B, F, T)`` and returns
``(B, 192)``. SpeechBrain's lengths are fractions of T; ours are frame counts.

A published SpeechBrain model (e.g. ``embedding_model.ckpt`` of its VoxCeleb ECAPA, a
plain state_dict) loads with ``load_speechbrain_checkpoint(path)``. It was trained on
SpeechBrain's own fbank with sentence mean normalisation: feed it those features for
its published accuracy.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from course.models.ecapa import ECAPA_TDNN

SPEECHBRAIN_EPS = 1e-12  # the variance floor of SpeechBrain's AttentiveStatisticsPooling

_RULES = [  # (SpeechBrain pattern, our replacement), applied in order to each key
    (r"^blocks\.0\.conv\.conv\.", "layer1.conv."),
    (r"^blocks\.0\.norm\.norm\.", "layer1.bn."),
    (r"^blocks\.(\d+)\.(tdnn[12])\.conv\.conv\.", lambda m: f"blocks.{int(m[1]) - 1}.{m[2]}.conv."),
    (r"^blocks\.(\d+)\.(tdnn[12])\.norm\.norm\.", lambda m: f"blocks.{int(m[1]) - 1}.{m[2]}.bn."),
    (r"^blocks\.(\d+)\.res2net_block\.blocks\.(\d+)\.conv\.conv\.",
     lambda m: f"blocks.{int(m[1]) - 1}.res2.convs.{m[2]}.conv."),
    (r"^blocks\.(\d+)\.res2net_block\.blocks\.(\d+)\.norm\.norm\.",
     lambda m: f"blocks.{int(m[1]) - 1}.res2.convs.{m[2]}.bn."),
    (r"^blocks\.(\d+)\.se_block\.conv([12])\.conv\.", lambda m: f"blocks.{int(m[1]) - 1}.se.linear{m[2]}."),
    (r"^mfa\.conv\.conv\.", "mfa.conv."),
    (r"^mfa\.norm\.norm\.", "mfa.bn."),
    (r"^asp\.tdnn\.conv\.conv\.", "pooling.linear1."),
    (r"^asp\.tdnn\.norm\.norm\.", "pooling.norm.1."),
    (r"^asp\.conv\.conv\.", "pooling.linear2."),
    (r"^asp_bn\.norm\.", "pool_norm."),
    (r"^fc\.conv\.", "embedding."),
]
_LINEAR = re.compile(r"(se\.linear[12]|^embedding)\.weight$")  # 1×1 conv weights → Linear weights


def _rename(key: str) -> str | None:
    for pattern, replacement in _RULES:
        new, count = re.subn(pattern, replacement, key)
        if count:
            return new
    return None


def speechbrain_to_course(state_dict: dict) -> dict:
    """Rename and reshape a SpeechBrain ECAPA_TDNN state_dict into ours (tensors are shared)."""
    converted, unknown = {}, []
    for key, value in state_dict.items():
        new = _rename(key)
        if new is None:
            unknown.append(key)
            continue
        converted[new] = value.squeeze(-1) if _LINEAR.search(new) else value
    if unknown:
        raise ValueError(f"state_dict: {len(unknown)} key(s) with no counterpart in course's ECAPA_TDNN "
                         f"(a shortcut conv or another model?): {', '.join(unknown[:5])}")
    return converted


def ecapa_config_from_speechbrain(state_dict: dict) -> dict:
    """The ECAPA_TDNN keyword arguments that match a SpeechBrain state_dict's sizes."""
    try:
        layer1 = state_dict["blocks.0.conv.conv.weight"]
        blocks = sorted({int(m[1]) for k in state_dict if (m := re.match(r"blocks\.(\d+)\.tdnn1\.", k))})
        res2 = state_dict["blocks.1.res2net_block.blocks.0.conv.conv.weight"]
        splits = {int(m[1]) for k in state_dict if (m := re.match(r"blocks\.1\.res2net_block\.blocks\.(\d+)\.", k))}
        mfa = state_dict["mfa.conv.conv.weight"].shape[0]
        attention = state_dict["asp.tdnn.conv.conv.weight"]
        se = state_dict["blocks.1.se_block.conv1.conv.weight"]
        fc = state_dict["fc.conv.weight"]
    except KeyError as missing:
        raise ValueError(f"state_dict: not a SpeechBrain ECAPA_TDNN state_dict (no {missing})") from None
    return dict(
        in_dim=layer1.shape[1], channels=layer1.shape[0], mfa_channels=mfa, embed_dim=fc.shape[0],
        scale=len(splits) + 1, kernel_size=res2.shape[-1], se_bottleneck=se.shape[0],
        dilations=(2, 3, 4) if len(blocks) == 3 else tuple(range(2, 2 + len(blocks))),
        flavour="speechbrain", padding_mode="reflect", pooling="ASTP",
        pooling_kwargs=dict(bottleneck=attention.shape[0], global_context=attention.shape[1] == 3 * mfa,
                            eps=SPEECHBRAIN_EPS))


def ecapa_from_speechbrain(source, **overrides) -> ECAPA_TDNN:
    """Our ECAPA_TDNN holding the weights of a SpeechBrain model or state_dict (strict load).

    ``overrides`` replace inferred arguments, e.g. ``dilations`` for a non-default model or
    ``padding_mode="zeros"`` to trade exact parity for batch invariance under zero padding.
    """
    state_dict = source.state_dict() if isinstance(source, torch.nn.Module) else source
    model = ECAPA_TDNN(**{**ecapa_config_from_speechbrain(state_dict), **overrides})
    model.load_state_dict(speechbrain_to_course(state_dict), strict=True)
    return model


def load_speechbrain_checkpoint(path, **overrides) -> ECAPA_TDNN:
    """Load a SpeechBrain ``embedding_model.ckpt`` (a saved state_dict) into our ECAPA_TDNN."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"SpeechBrain checkpoint not found: {path}")
    state_dict = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state_dict, dict):
        raise ValueError(f"{path}: expected a state_dict, got {type(state_dict).__name__}")
    return ecapa_from_speechbrain(state_dict, **overrides)
