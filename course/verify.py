"""``python -m course.verify``: use a trained model on your own recordings.

    python -m course.verify a.wav b.wav --checkpoint runs/course_cpu/model.pt
    python -m course.verify --embed DIR --out embeddings.pt --checkpoint runs/course_cpu/model.pt

The first prints the cosine score of the two recordings (after subtracting the
mean embedding stored with the model) and the decision at the stored threshold,
the one at the EER of the validation trials. The second writes
``{"paths": [...], "embeddings": (N, D) tensor, "config": ...}`` for every audio
file under DIR. Audio at another rate is resampled with a warning; unreadable,
empty or too-short audio is a clear error naming the file (with ``--embed``, such
files are skipped and listed).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import torch

from course.audio import SAMPLE_RATE, AudioError, read
from course.features import fbank

MIN_SECONDS = 0.5
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")


def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE, min_seconds: float = MIN_SECONDS) -> torch.Tensor:
    """A 16 kHz mono waveform; AudioError when unreadable, empty or shorter than ``min_seconds``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wave, rate = read(path, sample_rate)
    for warning in caught:  # the resampling notice, re-issued from here so that the CLI shows it
        warnings.warn(str(warning.message), stacklevel=2)
    seconds = wave.shape[-1] / rate
    if seconds < min_seconds:
        raise AudioError(f"{path}: {seconds:.2f} s of audio is too short to verify a speaker "
                         f"(at least {min_seconds} s)")
    if float(wave.abs().max()) == 0.0:
        raise AudioError(f"{path}: the audio is silent (all samples are zero)")
    return wave


@torch.no_grad()
def embed(model, wave: torch.Tensor) -> torch.Tensor:
    """The embedding ``(D,)`` of one whole waveform."""
    return model(fbank(wave).unsqueeze(0)).squeeze(0).float()


def score(model, info: dict, a: torch.Tensor, b: torch.Tensor) -> float:
    """Cosine score of two waveforms, the stored mean embedding subtracted first."""
    from course.scoring import cosine_scores

    mean = info.get("score_mean")
    return float(cosine_scores(embed(model, a)[None], embed(model, b)[None], mean)[0])


def audio_files(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"--embed: folder not found: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise FileNotFoundError(f"--embed: no audio files ({', '.join(AUDIO_SUFFIXES)}) under {folder}")
    return files


def embed_folder(model, folder, out, config=None, progress: bool = True) -> dict:
    """Embed every audio file under ``folder`` into ``out``; returns {"written": n, "skipped": [reasons]}."""
    from tqdm.auto import tqdm

    paths, embeddings, skipped = [], [], []
    for path in tqdm(audio_files(folder), desc="embedding", disable=not progress):
        try:
            embeddings.append(embed(model, load_audio(path)))
        except (AudioError, ValueError) as error:
            skipped.append(str(error))
            continue
        paths.append(str(path.relative_to(folder)))
    if not paths:
        raise AudioError(f"--embed: no usable audio under {folder}: " + "; ".join(skipped[:3]))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"paths": paths, "embeddings": torch.stack(embeddings),
                "config": config.to_dict() if config is not None else None}, out)
    return {"written": len(paths), "skipped": skipped}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.verify", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", help="two audio files to compare")
    parser.add_argument("--checkpoint", required=True,
                        help="model.pt of a run, a training checkpoint or a cached model")
    parser.add_argument("--embed", metavar="DIR", help="embed every audio file under DIR instead")
    parser.add_argument("--out", help="with --embed: the file to write (a torch .pt file)")
    parser.add_argument("--threshold", type=float, help="decide at this score instead of the stored one")
    args = parser.parse_args(argv)
    if args.embed is None and len(args.files) != 2:
        parser.error("give two audio files to compare, or --embed DIR --out FILE")
    if args.embed is not None and not args.out:
        parser.error("--embed needs --out FILE")

    from course.train.export import load_model
    from course.train.loop import CheckpointError

    try:
        model, info = load_model(args.checkpoint)
        if args.embed is not None:
            outcome = embed_folder(model, args.embed, args.out, info["config"])
            for reason in outcome["skipped"]:
                print(f"skipped: {reason}", file=sys.stderr)
            print(f"wrote {outcome['written']} embeddings to {args.out}")
            return 0
        a, b = (load_audio(path) for path in args.files)
    except (CheckpointError, AudioError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    value = score(model, info, a, b)
    threshold = args.threshold if args.threshold is not None else info.get("threshold")
    print(f"score: {value:.4f}")
    if threshold is None:
        print("no threshold stored with this model (it was never validated): pass --threshold")
        return 0
    eer = info.get("eer")
    where = f" (EER {100 * eer:.2f}% on the validation trials)" if eer is not None and args.threshold is None else ""
    decision = "same speaker" if value >= threshold else "different speakers"
    print(f"decision: {decision} (threshold {threshold:.4f}{where})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
