"""How long ``small_config`` trains here, and how peaked ASTP's attention gets.

    python benchmarks/small_config.py [--pooling ASTP] [--threads 2] [--set steps=300 batch_size=16 ...]

Prints the training time, the loss at the start and the end, and the mean entropy of
the attention weights over the test utterances (first 200 frames) against log T: a
uniform attention has entropy log T; the notebooks need ≤ log T − 0.1 nats in default mode.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import time

import torch

from course.data.dataset import SpeakerChunks, collate
from course.env import is_smoke
from course.train import fit, small_config
from course.train.builders import corpus_root


@torch.no_grad()
def attention_entropy(model, root: str, frames: int = 200, utterances: int = 32) -> tuple[float, int]:
    """Mean over utterances and channels of −Σ_t α_t log α_t, and T."""
    data = SpeakerChunks(root, split="test", chunk_frames=frames, seed=1)
    feats, lengths, _ = collate([data[i] for i in range(min(utterances, len(data)))])
    _, weights = model.pooling(*model.frame_features(feats, lengths), return_weights=True)
    entropy = -(weights * weights.clamp_min(1e-12).log()).sum(-1)  # (B, C or 1)
    return float(entropy.mean()), feats.shape[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pooling", default="ASTP")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--set", nargs="*", default=[], help="TrainConfig overrides, key=python-literal")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {k: ast.literal_eval(v) for k, v in (item.split("=", 1) for item in args.set)}
    config = small_config(pooling=args.pooling, **overrides)
    root = corpus_root(config)
    start = time.perf_counter()
    result = fit(config, progress=False)
    seconds = time.perf_counter() - start
    entropy, frames = attention_entropy(result.model, root)
    print(json.dumps({"mode": "smoke" if is_smoke() else "default", "threads": torch.get_num_threads(),
                      "seconds_total": round(seconds, 1), "seconds_training": round(result.seconds, 1),
                      "loss_first10": round(sum(result.losses[:10]) / len(result.losses[:10]), 3),
                      "loss_last10": round(sum(result.losses[-10:]) / len(result.losses[-10:]), 3),
                      "acc_last10": round(sum(result.accuracies[-10:]) / len(result.accuracies[-10:]), 3),
                      "entropy": round(entropy, 4), "log_T": round(math.log(frames), 4),
                      "log_T_minus_entropy": round(math.log(frames) - entropy, 4),
                      "config": config.to_dict()}))


if __name__ == "__main__":
    main()
