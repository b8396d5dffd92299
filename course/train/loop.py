"""``fit``: train a model and a head on speaker-labelled crops, step by step.

One step: a batch of crops → model → embeddings → head (with labels, so the margin
applies) → cross-entropy → optimiser. Around it:

- a progress bar with loss, accuracy and throughput (utterances per second);
- every ``val_every`` steps, the EER on the corpus's trial list (``validate``);
- with a checkpoint path, the full state (model, head, optimiser, schedulers,
  gradient scaler, history, random states) every ``checkpoint_every`` steps, at
  the end and where a hook stops the run, written to a temporary file then renamed; ``fit`` resumes from it and
  finishes with bit-identical weights (batches and crops are drawn from
  (seed, epoch, item), so they need no state);
- a NaN or infinite loss stops the run with ``TrainingDiverged``, before the bad
  step touches the weights; the last checkpoint written is the last good one;
- with ``log_dir``, ``log.csv`` (one row a step) and ``history.json`` (validations), rewritten every
  ``log_every`` steps;
- ``hooks`` (``course.train.hooks``) to watch the run (live plots, reports) or stop it early, resumably;
- under torchrun, DistributedDataParallel; only rank 0 logs, validates and writes.
"""

from __future__ import annotations

import csv
import json
import resource
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from course.env import device as default_device
from course.env import seed_everything, torch_threads
from course.train import builders, distributed
from course.train.checkpoints import CheckpointError, load_checkpoint, read_checkpoint, save_checkpoint, without_means
from course.train.config import TrainConfig
from course.train.hooks import Hooks, from_callback

__all__ = ["CheckpointError", "TrainResult", "TrainingDiverged", "fit", "load_checkpoint", "read_checkpoint",
           "save_checkpoint"]


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; the message says where and what was kept."""


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
    history: list[dict] = field(default_factory=list)  # validations (dev trials): step, eer, min_dcf, seconds...
    threshold: float | None = None  # cosine threshold at the last validation's EER on the dev trials
    score_mean: torch.Tensor | None = None  # the mean embedding (of training utterances) subtracted before scoring
    cpu_seconds: float = 0.0  # CPU time of the run (this process and its finished DataLoader workers)
    test: dict | None = None  # the test trials, scored once after training (``cached_fit``): eer, low, high, counts
    calibration: dict | None = None  # scores → LLRs fitted on the last validation's dev trials (a, b, p_target)

    @property
    def eer(self) -> float | None:
        """The last validation EER (a fraction) on the development trials, None without validation."""
        return self.history[-1]["eer"] if self.history else None

    def to(self, device) -> TrainResult:
        self.model.to(device)
        self.head.to(device)
        return self


class Classifier(nn.Module):
    """Model and head (and the distillation projection, when there is one) as one module, so that
    DistributedDataParallel synchronises them all."""

    def __init__(self, model: nn.Module, head: nn.Module, projection: nn.Module | None = None):
        super().__init__()
        self.model, self.head = model, head
        if projection is not None:
            self.projection = projection

    def forward(self, feats, lengths, labels):
        embeddings = self.model(feats, lengths)
        logits = self.head(embeddings, labels)
        if hasattr(self, "projection"):
            return logits, self.projection(embeddings)
        return logits


def resolve_device(config: TrainConfig) -> torch.device:
    """``config.device``, or the best available one when None; a clear error when unavailable."""
    device = default_device(config.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: {config.device!r} was asked for but CUDA is not available here; "
                         "use device=cpu, or leave device out for the best one available")
    return device


def amp_dtype(config: TrainConfig, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for full precision (always on a CPU)."""
    if device.type != "cuda" or config.amp is False:
        return None
    return torch.bfloat16 if config.amp == "bf16" else torch.float16


def cpu_time() -> float:
    """CPU seconds of this process and of its finished children (DataLoader workers of past epochs)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def fit(config: TrainConfig, progress: bool = True, checkpoint: str | Path | None = None,
        dataset=None, collate_fn=None, model: nn.Module | None = None, log_dir: str | Path | None = None,
        callback=None, validate: bool = False, hooks: Hooks | None = None, log_every: int = 50) -> TrainResult:
    """Train ``config.model`` with ``config.head`` for ``config.steps`` steps.

    checkpoint: a file to save to every ``config.checkpoint_every`` steps and to resume
        from when it exists (same config required).
    dataset (with ``.num_speakers``), collate_fn, model: use these instead of the
        configured ones (tests, custom data or models).
    log_dir: write ``log.csv``, ``history.json`` and ``config.json`` there, every ``log_every`` steps
        and at the end.
    callback: ``callback(state)`` after every validation and every 10 steps (``hooks.from_callback``).
    validate: validate at the end even when ``config.val_every`` is 0.
    hooks: ``Hooks(on_step, on_validate, should_stop, every)`` (``course.train.hooks``); a run stopped by
        ``should_stop`` returns what it trained so far, and its checkpoint resumes it.
    """
    if callback is not None and hooks is not None:
        raise ValueError("pass callback or hooks, not both (hooks.from_callback(callback) makes hooks of it)")
    if isinstance(log_every, bool) or not isinstance(log_every, int) or log_every < 1:
        raise ValueError(f"log_every: expected a whole number of steps ≥ 1, got {log_every!r}")
    hooks = from_callback(callback) if callback is not None else hooks or Hooks()
    with torch_threads(config.threads):
        return _fit(config, progress, checkpoint, dataset, collate_fn, model, log_dir, hooks, validate, log_every)


def _fit(config, progress, checkpoint, dataset, collate_fn, model, log_dir, hooks, validate, log_every
         ) -> TrainResult:
    seed_everything(config.seed)
    device = resolve_device(config)
    context = distributed.setup(device.type)
    if context.active and device.type == "cuda":
        device = torch.device("cuda", context.local_rank)
    dataset = dataset if dataset is not None else builders.build_dataset(config)
    real_speakers = len(getattr(dataset, "speakers", ())) or dataset.num_speakers  # speed copies are not speakers
    if real_speakers < 2:  # one class: loss 0 and accuracy 1 from the first step, and nothing learnt
        raise ValueError(f"the training data has {real_speakers} speaker; a speaker classifier needs at least 2")
    if config.distill is not None:
        dataset, collate_fn = builders.distill_dataset(config, dataset), None
    model = model if model is not None else builders.build_model(config)
    if context.active and config.sync_batchnorm:  # before the optimiser sees the parameters
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(device)
    head = builders.build_head(config, builders.embed_dim_of(model), dataset.num_speakers).to(device)
    projection = None
    if config.distill is not None:
        from course.train.distill import collate_with_targets, projection

        collate_fn = collate_with_targets
        projection = projection(builders.embed_dim_of(model), dataset.dim).to(device)
    trained = [*model.parameters(), *head.parameters(), *(projection.parameters() if projection is not None else ())]
    optimiser, lr_schedule = builders.build_optimiser(trained, config)
    margins = builders.build_margin_scheduler(config, head)
    dtype = amp_dtype(config, device)
    scaler = torch.amp.GradScaler("cuda", enabled=dtype == torch.float16)
    state = {"step": 0, "losses": [], "accuracies": [], "lrs": [], "history": [], "seconds": 0.0,
             "cpu_seconds": 0.0}
    parts = {"model": model, "head": head, "optimiser": optimiser, "lr_schedule": lr_schedule, "scaler": scaler}
    if margins is not None:
        parts["margins"] = margins
    if projection is not None:
        parts["projection"] = projection
    if checkpoint is not None and Path(checkpoint).exists():
        state = load_checkpoint(checkpoint, config, parts)
    network = distributed.wrap(Classifier(model, head, projection), context, device)
    if config.compile:
        network = torch.compile(network)
    root = None
    if config.val_every or validate:
        root = builders.corpus_root(config)

    network.train()
    start, cpu_start = time.perf_counter() - state["seconds"], cpu_time() - state["cpu_seconds"]
    label = config.model if config.pooling is None else f"{config.model}+{config.pooling}"
    bar = tqdm(total=config.steps, initial=state["step"], desc=label,
               disable=not (progress and context.main), leave=False)
    batches = builders.batch_stream(dataset, config, collate_fn, start_step=state["step"], rank=context.rank,
                                    world=context.world, pin_memory=device.type == "cuda")
    last_tick, rate = time.perf_counter(), None
    saved_step = state["step"] if checkpoint is not None and Path(checkpoint).exists() else None
    while state["step"] < config.steps:
        feats, lengths, labels, *targets = (t.to(device, non_blocking=True) for t in next(batches))
        head.step()  # per-step schedules (the sphere head's λ)
        with torch.autocast(device.type, dtype=dtype) if dtype is not None else nullcontext():
            logits = network(feats, lengths, labels)
        if projection is not None:
            from course.train.distill import distill_loss

            logits, projected = logits
            loss = nn.functional.cross_entropy(logits.float(), labels) \
                + float(config.distill.get("weight", 1.0)) * distill_loss(projected, *targets)
        else:
            loss = nn.functional.cross_entropy(logits.float(), labels)
        accuracy = (logits.argmax(1) == labels).float().mean()
        loss_value, accuracy_value = distributed.mean_over_processes(
            torch.stack([loss.detach(), accuracy]), context).tolist()
        if not torch.isfinite(torch.tensor(loss_value)):
            bar.close()
            raise TrainingDiverged(diverged_message(loss_value, state, config, checkpoint, saved_step))
        optimiser.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if config.grad_clip is not None:
            scaler.unscale_(optimiser)
            nn.utils.clip_grad_norm_(trained, config.grad_clip)
        scaler.step(optimiser)
        scaler.update()
        state["lrs"].append(lr_schedule.get_last_lr()[0])
        lr_schedule.step()
        if margins is not None:
            margins.step()
        state["step"] += 1
        state["losses"].append(loss_value)
        state["accuracies"].append(accuracy_value)
        now = time.perf_counter()
        speed = feats.shape[0] * context.world / max(now - last_tick, 1e-9)
        rate, last_tick = speed if rate is None else 0.9 * rate + 0.1 * speed, now
        bar.update(1)
        bar.set_postfix(loss=f"{loss_value:.3f}", acc=f"{accuracy_value:.2f}", utt_s=f"{rate:.0f}", refresh=False)
        last = state["step"] == config.steps
        state["seconds"], state["cpu_seconds"] = time.perf_counter() - start, cpu_time() - cpu_start
        due = bool(config.val_every) and state["step"] % config.val_every == 0
        view = hook_state(state, config)
        if root is not None and context.main and (due or (last and (validate or config.val_every))):
            outcome = validate_now(model, root, device)
            state["history"].append({"step": state["step"], "seconds": round(state["seconds"], 2),
                                     "cpu_seconds": round(state["cpu_seconds"], 2), **outcome})
            bar.set_postfix(loss=f"{loss_value:.3f}", eer=f"{100 * outcome['eer']:.2f}%", refresh=True)
            if hooks.on_validate is not None:
                hooks.on_validate(view, state["history"][-1])
        if hooks.on_step is not None and context.main and (state["step"] % hooks.every == 0 or last):
            hooks.on_step(view)
        stop = not last and stops_here(hooks, view, context, device)
        if checkpoint is not None and context.main and (
                last or stop or state["step"] % max(1, config.checkpoint_every) == 0):
            save_checkpoint(checkpoint, config, parts, state)  # a stopped run resumes from here
            saved_step = state["step"]
        if log_dir is not None and context.main and (last or stop or state["step"] % log_every == 0):
            write_logs(log_dir, config, state)
        if stop:
            break
    bar.close()
    distributed.barrier(context)
    model.cpu().eval()
    head.cpu().eval()
    best = state["history"][-1] if state["history"] else {}
    return TrainResult(model, head, state["losses"], config, state["accuracies"], state["seconds"],
                       history=without_means(state["history"]),
                       threshold=best.get("threshold"), score_mean=best.get("mean"),
                       cpu_seconds=state["cpu_seconds"], calibration=best.get("calibration"))


def validate_now(model: nn.Module, root, device) -> dict:
    from course.train.validate import validate

    return validate(model, root, device)


def hook_state(state: dict, config: TrainConfig) -> dict:
    """What the hooks see of the run (``course.train.hooks``); the lists are the run's own, read only."""
    return {"step": state["step"], "steps": config.steps, "loss": state["losses"][-1], "losses": state["losses"],
            "accuracies": state["accuracies"], "history": state["history"]}


def stops_here(hooks: Hooks, view: dict, context, device) -> bool:
    """``hooks.should_stop`` asked in the main process; under torchrun every process takes its answer
    (they must leave the loop together, or the others would wait for them forever)."""
    if hooks.should_stop is None:
        return False
    stop = context.main and bool(hooks.should_stop(view))
    return bool(distributed.mean_over_processes(torch.tensor(float(stop), device=device), context).item() > 0)


def diverged_message(value: float, state: dict, config: TrainConfig, checkpoint, saved_step) -> str:
    kept = (f"the last good checkpoint is kept at {checkpoint} (step {saved_step})" if saved_step is not None
            else "no checkpoint was written")
    return (f"training stopped: the loss became {value} at step {state['step'] + 1} (lr {config.lr}); {kept}. "
            "Lower lr, raise warmup_steps or set grad_clip.")


def write_logs(log_dir, config: TrainConfig, state: dict) -> None:
    """``log.csv`` (step, loss, accuracy, lr), ``history.json`` (validations), ``config.json``; rewritten whole."""
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "log.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["step", "loss", "accuracy", "lr"])
        for step, row in enumerate(zip(state["losses"], state["accuracies"], state["lrs"], strict=True), 1):
            writer.writerow([step, *(f"{v:.6g}" for v in row)])
    (log_dir / "history.json").write_text(json.dumps(without_means(state["history"]), indent=1))
    (log_dir / "config.json").write_text(json.dumps(config.to_dict(), indent=1, default=str))
