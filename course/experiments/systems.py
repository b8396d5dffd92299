"""The shoot-out's entrants and the one protocol they share.

Every pooling listed in ``POOLINGS`` sits on the course model's backbone (the small
SpeechBrain-flavour ECAPA of ``course.train.small_config``); ERes2Net and ACA-Net enter as
whole models in their small configurations (notebooks 07 and 08), with the same embedding
size. All train with ``small_config``'s recipe: the same steps, batch, 2 s crops of cached
fbank features (no augmentation: it would not fit the CPU budget), AAM-softmax head with the
margin ramped in, and the same seeds (a seed fixes the initialisation and the data order, so
seed s draws the same batches for every system).
"""

from __future__ import annotations

from course.train import TrainConfig, small_config

# Shoot-out name → registered pooling name (``course.pooling.available()``).
POOLINGS = {
    "TAP": "TAP", "TSTP": "TSTP", "TSDP": "TSDP", "ASTP": "ASTP", "ASP": "ASP", "SAP": "SAP", "MHA": "MHA",
    "MR-MHA": "MR-MHA", "MQMHASTP": "MQMHASTP", "NetVLAD": "NetVLAD", "GhostVLAD": "GhostVLAD", "LDE": "LDE",
    "ABP": "ABP", "STSP": "STSP", "AttentiveSTSP": "AttentiveSTSP", "ACA": "ACA",
}
# Whole models: (model name, its pooling, its small configuration without the embedding size). A model
# that declares ``takes_pooling = False`` carries None: ACA-Net's attention is its own pooling.
WHOLE_MODELS = {
    "ERes2Net": ("eres2net", "TSTP", dict(channels=4, blocks=(1, 1, 1, 1))),  # notebook 08's trained model
    "ACA-Net": ("aca_net", None, None),  # ``course.models.aca_net.SMALL``
}
SYSTEMS = [*(f"ECAPA+{name}" for name in POOLINGS), *WHOLE_MODELS]
# The protocol's switches (the stored results are from these defaults). ``astp_attention_norm``: None keeps
# ``models/ecapa.py``'s default, which gives ASTP alone a BatchNorm in its attention on the SpeechBrain
# flavour; False removes it, so that every pooling trains without one.
DEFAULT_PROTOCOL = {"astp_attention_norm": None}


def registered_extras() -> list[str]:
    """Poolings registered since (your own, notebook 11's exercise): they may enter as ECAPA+name."""
    from course import pooling

    known = {name.upper() for name in POOLINGS.values()}
    return [name for name in pooling.available() if name.upper() not in known]


def resolve(names) -> list[str]:
    """The systems named in ``names`` (case-insensitive; a pooling name alone means ECAPA+pooling; any
    registered pooling may enter, also one outside ``POOLINGS``), in shoot-out order; an unknown name
    is a clear error listing the known ones."""
    if not names:
        return list(SYSTEMS)
    extras = [f"ECAPA+{name}" for name in registered_extras()]
    lookup = {name.lower(): name for name in [*SYSTEMS, *extras]}
    lookup.update({name.lower(): f"ECAPA+{name}" for name in [*POOLINGS, *registered_extras()]})
    chosen, unknown = set(), []
    for name in names:
        key = name.strip().lower()
        if key in lookup:
            chosen.add(lookup[key])
        else:
            unknown.append(name)
    if unknown:
        raise ValueError(f"--only: unknown system(s) {', '.join(map(repr, unknown))}; known: {', '.join(SYSTEMS)}")
    return [name for name in [*SYSTEMS, *extras] if name in chosen]


def gpu_overrides(device_type: str) -> dict:
    """The larger configuration on a GPU: C = 256, embedding 192, batches of 64 (no effect on a CPU)."""
    if device_type != "cuda":
        return {}
    return dict(model_kwargs={"channels": 256, "embed_dim": 192, "scale": 8, "se_bottleneck": 128,
                              "flavour": "speechbrain"}, batch_size=64, threads=None)


def system_config(system: str, seed: int, steps: int | None = None, corpus: str | None = None,
                  device: str | None = None, astp_attention_norm: bool | None = None) -> TrainConfig:
    """The ``TrainConfig`` of one run: ``system`` (a name of ``SYSTEMS``) trained with ``seed``;
    ``astp_attention_norm`` as in ``DEFAULT_PROTOCOL``."""
    from course.env import device as default_device

    device_type = default_device(device).type
    base = small_config(seed=seed, corpus=corpus, device=device, **gpu_overrides(device_type))
    if steps is not None:
        base = base.replace(steps=steps, margin_schedule={**base.margin_schedule,
                                                          "stop": max(1, round(0.75 * steps))},
                            warmup_steps=min(base.warmup_steps, steps // 10))
    base = base.replace(val_every=base.steps)  # validate once, at the end: the EER and minDCF reported
    embed_dim = base.model_kwargs["embed_dim"]
    if system.startswith("ECAPA+"):
        name = system.removeprefix("ECAPA+")
        if name not in POOLINGS and name not in registered_extras():
            raise ValueError(f"system: unknown pooling {name!r}; known: {', '.join(POOLINGS)}")
        pooling = POOLINGS.get(name, name)
        if pooling == "ASTP" and astp_attention_norm is not None:
            return base.replace(pooling=pooling, pooling_kwargs={"attention_norm": astp_attention_norm})
        return base.replace(pooling=pooling)
    if system not in WHOLE_MODELS:
        raise ValueError(f"system: unknown {system!r}; known: {', '.join(SYSTEMS)}")
    model, pooling, kwargs = WHOLE_MODELS[system]
    if kwargs is None:
        from course.models.aca_net import SMALL

        kwargs = dict(SMALL)
        return base.replace(model=model, pooling=pooling, model_kwargs={**kwargs, "latents": embed_dim})
    return base.replace(model=model, pooling=pooling, model_kwargs={**kwargs, "embed_dim": embed_dim})
