"""``python -m course.verify``: use a trained model on your own recordings.

    python -m course.verify a.wav b.wav --checkpoint runs/course_cpu/model.pt
    python -m course.verify --embed DIR --out embeddings.pt --checkpoint runs/course_cpu/model.pt

The first prints the cosine score of the two recordings (after subtracting the
mean embedding of training utterances stored with the model). When the model carries a
calibration (trained models fit one on their development trials), it prints the
log-likelihood ratio and the Bayes decision at ``--p-target`` (default 0.01; ``--c-miss``,
``--c-fa`` for the costs); otherwise, or with ``--threshold``, the decision at a raw score
threshold (the stored one is at the EER of the development trials), and it says which. The second writes
``{"paths": [...], "embeddings": (N, D) tensor, "config": ..., "complete": bool}``
for every audio file under DIR, saved as it goes (Ctrl-C keeps what is done).
Audio at another rate is resampled with a warning; unreadable, empty, silent,
constant or too-short audio, and audio whose embedding is not finite, is a clear
error naming the file (with ``--embed``, such files are skipped and listed).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch

from course.audio import SAMPLE_RATE, AudioError, read
from course.features import for_model
from course.paths import atomic_path

MIN_SECONDS = 0.5
MIN_SPREAD = 1e-6  # float audio varying less than this around its mean is a constant level, no voice
SAVE_SECONDS = 30.0  # --embed writes what it has at most this often, so an interruption loses little
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")


def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE, min_seconds: float = MIN_SECONDS) -> torch.Tensor:
    """A 16 kHz mono waveform; AudioError when unreadable, empty, silent or shorter than ``min_seconds``."""
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
    spread = float((wave.double() - wave.double().mean()).abs().max())
    if spread < MIN_SPREAD:  # a DC offset or a 1e-30 hum: the features are degenerate, any score is noise
        raise AudioError(f"{path}: the audio is a constant level (samples vary by {spread:.1e} around their "
                         f"mean, under {MIN_SPREAD:g}): silent, no voice to verify")
    return wave


@torch.no_grad()
def embed(model, wave: torch.Tensor) -> torch.Tensor:
    """The embedding ``(D,)`` of one whole waveform, with the features the model expects (``for_model``)."""
    return model(for_model(model)(wave).unsqueeze(0)).squeeze(0).float()


def embed_file(model, path: str | Path) -> torch.Tensor:
    """The embedding of the audio file ``path``; AudioError naming it when the audio or the embedding is unusable."""
    wave = load_audio(path)
    vector = embed(model, wave)
    if not torch.isfinite(vector).all():  # a NaN embedding would score as a confident "different speakers"
        peak = float(wave.abs().max())
        hint = f"its peak level {peak:.3g} overflows the features: rescale it to [-1, 1]" if peak > 1 \
            else "the model gives NaN or inf for it"
        raise AudioError(f"{path}: the embedding is not finite ({hint})")
    return vector


def score(model, info: dict, a: torch.Tensor, b: torch.Tensor) -> float:
    """Cosine score of two waveforms, the stored mean embedding subtracted first."""
    return cosine(info, embed(model, a), embed(model, b))


def cosine(info: dict, a: torch.Tensor, b: torch.Tensor) -> float:
    from course.scoring import cosine_scores

    return float(cosine_scores(a[None], b[None], info.get("score_mean"))[0])


def audio_files(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"--embed: folder not found: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise FileNotFoundError(f"--embed: no audio files ({', '.join(AUDIO_SUFFIXES)}) under {folder}")
    return files


def writable(out: str | Path) -> Path:
    """``out`` when a file can be written there; checked before any embedding is computed."""
    out = Path(out)
    if out.is_dir():
        raise ValueError(f"--out {out}: is a folder; give a file name, e.g. {out / 'embeddings.pt'}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out.parent, prefix=".write-test-"):
            pass
    except OSError as error:
        raise ValueError(f"--out {out}: cannot write there ({error.strerror or error})") from None
    return out


def embed_folder(model, folder, out, config=None, progress: bool = True, save_seconds: float = SAVE_SECONDS) -> dict:
    """Embed every audio file under ``folder`` into ``out``.

    Returns {"written": n, "skipped": [reasons], "total": files, "interrupted": bool}. Unusable files
    are skipped; what is done is written every ``save_seconds`` and on Ctrl-C (``"complete": False``).
    """
    from tqdm.auto import tqdm

    files = audio_files(folder)
    out = writable(out)
    paths, embeddings, skipped = [], [], []

    def save(complete: bool) -> None:
        with atomic_path(out) as tmp:  # an interrupted save leaves the previous file whole
            torch.save({"paths": list(paths), "embeddings": torch.stack(embeddings), "complete": complete,
                        "config": config.to_dict() if config is not None else None, "skipped": list(skipped)}, tmp)

    last_save = time.monotonic()
    try:
        for path in tqdm(files, desc="embedding", disable=not progress):
            try:
                embeddings.append(embed_file(model, path))
            except (AudioError, OSError) as error:  # OSError: a folder or dangling link named *.wav
                skipped.append(str(error))
                continue
            paths.append(str(path.relative_to(folder)))
            if time.monotonic() - last_save >= save_seconds:
                save(complete=False)
                last_save = time.monotonic()
    except KeyboardInterrupt:
        if paths:
            save(complete=False)
        return {"written": len(paths), "skipped": skipped, "total": len(files), "interrupted": True}
    if not paths:
        raise AudioError(f"--embed: no usable audio under {folder}: " + "; ".join(skipped[:3]))
    save(complete=True)
    return {"written": len(paths), "skipped": skipped, "total": len(files), "interrupted": False}


def finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def probability(text: str) -> float:
    value = finite_float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a probability strictly between 0 and 1, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive cost, got {text!r}")
    return value


def decide_calibrated(score: float, calibration: dict, p_target: float, c_miss: float, c_fa: float) -> int:
    """Print the LLR of ``score`` and the decision of minimum expected cost at the operating point."""
    from course.evaluate import decide

    outcome = decide(score, calibration, p_target=p_target, c_miss=c_miss, c_fa=c_fa)
    decision = "same speaker" if outcome["accept"][0] else "different speakers"
    print(f"LLR: {outcome['llr'][0]:+.2f} (calibrated on the development trials)")
    print(f"decision: {decision} (P_target {p_target:g}, C_miss {c_miss:g}, C_fa {c_fa:g}: accept when LLR ≥ "
          f"{outcome['threshold']:.2f})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.verify", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", help="two audio files to compare")
    parser.add_argument("--checkpoint", required=True,
                        help="model.pt of a run, a training checkpoint or a cached model")
    parser.add_argument("--embed", metavar="DIR", help="embed every audio file under DIR instead")
    parser.add_argument("--out", help="with --embed: the file to write (a torch .pt file)")
    parser.add_argument("--threshold", type=finite_float, help="decide at this raw score instead (no calibration)")
    parser.add_argument("--p-target", type=probability, default=0.01,
                        help="prior probability of a target trial, for the calibrated decision (default 0.01)")
    parser.add_argument("--c-miss", type=positive_float, default=1.0, help="cost of a miss (default 1)")
    parser.add_argument("--c-fa", type=positive_float, default=1.0, help="cost of a false accept (default 1)")
    args = parser.parse_args(argv)
    if args.embed is None and len(args.files) != 2:
        parser.error("give two audio files to compare, or --embed DIR --out FILE")
    if args.embed is not None and args.files:
        parser.error(f"--embed DIR takes no audio files (got {' '.join(args.files)}); drop them or drop --embed")
    if args.embed is not None and not args.out:
        parser.error("--embed needs --out FILE")

    from course.train.export import load_model

    try:
        model, info = load_model(args.checkpoint)
        if args.embed is not None:
            return report(embed_folder(model, args.embed, args.out, info["config"]), args.out)
        a, b = (embed_file(model, path) for path in args.files)
        value = cosine(info, a, b)
        if not math.isfinite(value):
            raise ValueError(f"the score is {value} (not finite); check {args.checkpoint} and the audio")
    except (ValueError, OSError) as error:  # AudioError and CheckpointError are ValueErrors
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"score: {value:.4f}")
    calibration = info.get("calibration")
    if calibration is not None and args.threshold is None:
        return decide_calibrated(value, calibration, args.p_target, args.c_miss, args.c_fa)
    threshold = args.threshold if args.threshold is not None else info.get("threshold")
    if args.threshold is None:
        print("this model carries no calibration (no LLR): deciding at its raw score threshold")
    if threshold is None:
        print("no threshold stored with this model (it was never validated): pass --threshold")
        return 0
    eer = info.get("eer")
    where = f" (EER {100 * eer:.2f}% on the development trials)" if eer is not None and args.threshold is None else ""
    from course.evaluate import decide

    decision = "same speaker" if decide(value, threshold=threshold)["accept"][0] else "different speakers"
    print(f"decision: {decision} (threshold {threshold:.4f}{where})")
    return 0


def report(outcome: dict, out) -> int:
    for reason in outcome["skipped"]:
        print(f"skipped: {reason}", file=sys.stderr)
    if outcome["interrupted"]:
        print(f"interrupted: wrote the {outcome['written']} embeddings done so far (of {outcome['total']} files) "
              f"to {out}, marked complete=False; run again to embed them all", file=sys.stderr)
        return 130
    print(f"wrote {outcome['written']} embeddings to {out}" + (f" ({len(outcome['skipped'])} file(s) skipped)"
                                                               if outcome["skipped"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
