"""Run the shoot-out: every system × every seed, one ``fit`` each, resumable.

The runs are ordered seed by seed (every system with seed 0, then seed 1...), so an
interrupted shoot-out leaves whole seeds behind. Each finished run is appended to the
results file at once; a new invocation skips the (system, seed) pairs already there with the
same budget. On a CPU, ``workers`` processes train side by side, one torch thread each (on a
small model, one process per core beats several threads per process). Under ``torchrun`` the
runs are split by rank (rank r takes runs r, r + world, ...), each process training alone on
its GPU: the runs are independent, so no gradients are shared.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from tqdm.auto import tqdm

from course.experiments.results import (
    DEFAULT_RESULTS,
    append_result,
    done_keys,
    provenance,
    read_results,
    same_protocol,
)
from course.experiments.systems import DEFAULT_PROTOCOL, resolve, system_config

TORCHRUN_VARIABLES = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK", "MASTER_ADDR",
                      "MASTER_PORT")


def torchrun_rank() -> tuple[int, int, int]:
    """(rank, world, local rank) when started by torchrun, else (0, 1, 0)."""
    return (int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1")),
            int(os.environ.get("LOCAL_RANK", "0")))


def as_single_process() -> None:
    """Forget torchrun's variables, so that ``fit`` trains alone instead of joining a process group."""
    for name in TORCHRUN_VARIABLES:
        os.environ.pop(name, None)


def pooled_dim(model) -> int:
    """The size of the vector the pooling hands to the layers after it (measured on a 2 s input)."""
    import torch

    sizes = []
    handle = model.pooling.register_forward_hook(lambda module, args, out: sizes.append(
        (out[0] if isinstance(out, tuple) else out).shape[-1]))
    try:
        with torch.no_grad():
            model.eval()(torch.randn(2, model.in_dim, 200))
    finally:
        handle.remove()
    return int(sizes[0])


def loss_summary(losses) -> dict:
    """The training loss at the start and the end of a run: the means over its first and last 10% of
    steps (at least one step each), what ``statistics.did_not_train`` reads, and the last step's."""
    if not losses:
        return {"initial_loss": None, "final_loss_mean": None, "final_loss": None}
    k = max(1, len(losses) // 10)
    return {"initial_loss": float(sum(losses[:k]) / k), "final_loss_mean": float(sum(losses[-k:]) / k),
            "final_loss": float(losses[-1])}


def test_scores(model, root, device=None) -> tuple[dict, dict]:
    """The test trials scored once, by the course's protocol (``course.evaluate.embed_and_score``: the mean
    of training embeddings subtracted): (the evaluation, every trial's score stored compactly: float16,
    base64 (``statistics.decode_scores``), with the SHA-256 of the trial file they belong to)."""
    import base64
    import hashlib

    import numpy as np

    from course.data.corpus import TRIAL_FILE
    from course.evaluate import embed_and_score

    result = embed_and_score(model, root, device)
    data = np.asarray(result["scores"], dtype=np.float16).tobytes()
    stored = {"sha256": hashlib.sha256((Path(root) / TRIAL_FILE).read_bytes()).hexdigest(),
              "count": len(result["scores"]), "scores_f16_base64": base64.b64encode(data).decode("ascii")}
    return result, stored


def train_one(job: dict) -> dict:
    """Train and validate one (system, seed); the record for the results file.

    Models are kept in the training cache (``course.train.cached_fit``), so notebook 11's
    attention explorer can open them without training again. Besides EER and minDCF the record keeps
    the training loss at the start and the end (``loss_summary``), the number of training speakers
    (``classes``), the protocol and every test trial's score (``test_scores``), for the bootstrap over
    test speakers; records written before these fields existed have only ``final_loss``.
    """
    from course.train import builders, cached_fit
    from course.train.loop import TrainingDiverged

    as_single_process()
    protocol = job.get("protocol") or DEFAULT_PROTOCOL
    config = system_config(job["system"], job["seed"], job["steps"], job["corpus"], job["device"], **protocol)
    record = {"system": job["system"], "seed": job["seed"], "steps": config.steps, "config": config.to_dict(),
              "provenance": job["provenance"], "protocol": protocol}
    try:
        result = cached_fit(config, progress=False)
    except TrainingDiverged as error:
        return {**record, "parameters": None, "pooled_dim": None, "eer": None, "min_dcf": None,
                "train_seconds": None, "train_cpu_seconds": None, "error": str(error)}
    model = result.model.cpu()
    test, stored = test_scores(model, builders.corpus_root(config))  # the test trials, once, after training
    return {**record, "parameters": sum(p.numel() for p in model.parameters()), "pooled_dim": pooled_dim(model),
            "eer": test["eer"], "eer_interval": test["interval"], "min_dcf": test["min_dcf"],
            "dev_eer": result.eer, "train_seconds": round(result.seconds, 2),
            "train_cpu_seconds": round(result.cpu_seconds, 2), "from_cache": result.from_cache,
            "classes": int(result.head.weight.shape[0]) if hasattr(result.head, "weight") else None,
            **loss_summary(result.losses), "trials": stored}


def plan(systems, seeds: int, steps: int, done) -> list[tuple[str, int]]:
    """The (system, seed) pairs still to run, seed by seed."""
    return [(system, seed) for seed in range(seeds) for system in systems if (system, seed) not in done]


def run_shootout(steps: int | None = None, seeds: int = 3, only=None, out: str | Path = DEFAULT_RESULTS,
                 workers: int = 1, corpus: str | None = None, device: str | None = None, progress: bool = True,
                 command: str | None = None, astp_attention_norm: bool | None = None) -> list[dict]:
    """Train every system of ``only`` (all by default) with seeds 0..``seeds``−1 and append each
    result to ``out``; runs already in ``out`` with the same budget and protocol are kept, not retrained.
    Returns the records of ``out`` for the chosen systems, seeds, budget and protocol (old and new).
    ``command``: how the provenance names this invocation (the CLI passes its command line; by default
    the call). ``astp_attention_norm``: None keeps the model's default (ASTP, alone among the poolings,
    gets a BatchNorm in its attention on the SpeechBrain flavour); False takes it away, so that no
    pooling gets it (results/shootout.jsonl used False; results/shootout_200.jsonl the default)."""
    if seeds < 1:
        raise ValueError(f"--seeds: expected at least 1, got {seeds}")
    if workers < 1:
        raise ValueError(f"--workers: expected at least 1, got {workers}")
    systems = resolve(only)
    steps = steps if steps is not None else system_config(systems[0], 0, None, corpus, device).steps
    if steps < 1:
        raise ValueError(f"--budget: expected at least 1 step, got {steps}")
    rank, world, local_rank = torchrun_rank()
    if world > 1 and device is None:
        import torch

        device = f"cuda:{local_rank % torch.cuda.device_count()}" if torch.cuda.is_available() else "cpu"
    out = Path(out)
    protocol = {**DEFAULT_PROTOCOL, "astp_attention_norm": astp_attention_norm}
    todo = plan(systems, seeds, steps, done_keys(read_results(out), steps, protocol))[rank::world]
    origin = provenance(command or f"course.experiments.run_shootout(steps={steps}, seeds={seeds}, "
                                   f"only={systems}, workers={workers}, corpus={corpus!r}, device={device!r})")
    jobs = [{"system": s, "seed": seed, "steps": steps, "corpus": corpus, "device": device, "provenance": origin,
             "protocol": protocol} for s, seed in todo]
    if jobs and corpus is None:
        from course.data import default_corpus

        default_corpus(progress)  # generated here, once: pool workers are daemons and cannot start its pool
    total = len(systems) * seeds
    label = f"{total - len(jobs)} of {total} runs already done" if world == 1 else f"rank {rank} of {world}"
    bar = tqdm(total=len(jobs), desc=f"shoot-out ({label})", disable=not progress, unit="run")
    for record in _results(jobs, workers):
        append_result(out, record)
        eer = "diverged" if record["eer"] is None else f"EER {100 * record['eer']:.2f}%"
        bar.set_postfix_str(f"{record['system']} seed {record['seed']}: {eer}")
        bar.update(1)
    bar.close()
    wanted = {(s, seed) for s in systems for seed in range(seeds)}
    return [r for r in read_results(out) if (r["system"], int(r["seed"])) in wanted and int(r["steps"]) == steps
            and same_protocol(r, protocol)]


def _results(jobs, workers: int):
    """The records of ``jobs`` as they finish: in this process, or in ``workers`` spawned ones."""
    if workers == 1 or len(jobs) <= 1:
        yield from map(train_one, jobs)
        return
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no forked torch thread pools
    with context.Pool(min(workers, len(jobs)), maxtasksperchild=None) as pool:
        yield from pool.imap_unordered(train_one, jobs)
