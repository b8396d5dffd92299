"""``fit``: train a model and a head on speaker-labelled chunks, step by step.

One step: a batch of crops → model → embeddings → head (with labels, so the margin
applies) → cross-entropy → Adam. With a checkpoint path, the full state (model,
head, optimiser, schedulers, gradient scaler, losses, torch's random state;
batches are drawn from (seed, epoch), so they need no state) is saved
every ``checkpoint_every`` steps and at the end, and ``fit`` resumes from it.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from course.env import device as default_device
from course.env import seed_everything
from course.train import builders
from course.train.config import TrainConfig


@dataclass
class TrainResult:
    """A trained model and head (on the CPU, in eval mode) and how training went."""

    model: nn.Module
    head: nn.Module
    losses: list[float]
    config: TrainConfig
    accuracies: list[float] = field(default_factory=list)  # training-batch accuracy (with margin)
    seconds: float = 0.0  # training time (0 when loaded from the cache before timing)
    from_cache: bool = False

    def to(self, device) -> TrainResult:
        self.model.to(device)
        self.head.to(device)
        return self


def resolve_device(config: TrainConfig) -> torch.device:
    """``config.device``, or the best available one when None; a clear error when unavailable."""
    device = default_device(config.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: {config.device!r} was asked for but CUDA is not available here")
    return device


@contextmanager
def cpu_threads(threads: int | None):
    """Run with ``threads`` torch CPU threads (None: unchanged), restoring the setting after."""
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def fit(config: TrainConfig, progress: bool = True, checkpoint: str | Path | None = None,
        dataset=None, collate_fn=None) -> TrainResult:
    """Train ``config.model`` with ``config.head`` for ``config.steps`` steps.

    ``checkpoint``: a file to save to every ``config.checkpoint_every`` steps and to
    resume from when it exists (same config required). ``dataset`` (with ``.num_speakers``)
    and ``collate_fn``: use these instead of the corpus's (tests, custom data).
    """
    with cpu_threads(config.threads):
        return _fit(config, progress, checkpoint, dataset, collate_fn)


def _fit(config, progress, checkpoint, dataset, collate_fn) -> TrainResult:
    seed_everything(config.seed)
    device = resolve_device(config)
    dataset = dataset if dataset is not None else builders.build_dataset(config)
    model = builders.build_model(config).to(device)
    head = builders.build_head(config, builders.embed_dim_of(model), dataset.num_speakers).to(device)
    optimiser, lr_schedule = builders.build_optimiser([*model.parameters(), *head.parameters()], config)
    margins = builders.build_margin_scheduler(config, head)
    amp = config.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    state = {"step": 0, "losses": [], "accuracies": [], "seconds": 0.0}
    parts = {"model": model, "head": head, "optimiser": optimiser, "lr_schedule": lr_schedule, "scaler": scaler}
    if margins is not None:
        parts["margins"] = margins
    if checkpoint is not None and Path(checkpoint).exists():
        state = load_checkpoint(checkpoint, config, parts)

    model.train()
    head.train()
    start = time.perf_counter() - state["seconds"]
    bar = tqdm(total=config.steps, initial=state["step"], desc=f"{config.model}+{config.pooling}",
               disable=not progress, leave=False)
    batches = builders.batch_stream(dataset, config, collate_fn, start_step=state["step"])
    while state["step"] < config.steps:
        feats, lengths, labels = next(batches)
        feats, lengths, labels = feats.to(device), lengths.to(device), labels.to(device)
        head.step()  # per-step schedules (the sphere head's λ)
        with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
            logits = head(model(feats, lengths), labels)
            loss = nn.functional.cross_entropy(logits.float(), labels)
        optimiser.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if config.grad_clip is not None:
            scaler.unscale_(optimiser)
            nn.utils.clip_grad_norm_([*model.parameters(), *head.parameters()], config.grad_clip)
        scaler.step(optimiser)
        scaler.update()
        lr_schedule.step()
        if margins is not None:
            margins.step()
        state["step"] += 1
        state["losses"].append(loss.item())
        state["accuracies"].append((logits.argmax(1) == labels).float().mean().item())
        bar.update(1)
        bar.set_postfix(loss=f"{state['losses'][-1]:.3f}", refresh=False)
        last = state["step"] == config.steps
        if checkpoint is not None and (last or state["step"] % max(1, config.checkpoint_every) == 0):
            state["seconds"] = time.perf_counter() - start
            save_checkpoint(checkpoint, config, parts, state)
    bar.close()
    seconds = time.perf_counter() - start
    model.cpu().eval()
    head.cpu().eval()
    return TrainResult(model, head, state["losses"], config, state["accuracies"], seconds)


def save_checkpoint(path, config: TrainConfig, parts: dict, state: dict) -> None:
    """Write atomically (a temporary file renamed), so an interrupted save never leaves a torn file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"config": config.to_dict(), "state": state, "torch_rng": torch.get_rng_state(),
               **{name: part.state_dict() for name, part in parts.items()}}
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def load_checkpoint(path, config: TrainConfig, parts: dict) -> dict:
    payload = torch.load(path, map_location="cpu", weights_only=False)
    if payload["config"] != config.to_dict():
        raise ValueError(f"checkpoint {path} was written for another config; use a new path or delete it")
    for name, part in parts.items():
        part.load_state_dict(payload[name])
    torch.set_rng_state(payload["torch_rng"])
    return payload["state"]
