"""``python -m course.train``: train from a YAML config, for runs longer than a notebook.

    python -m course.train --config configs/course_cpu.yaml [--set key=value ...] [--out runs/course]
    torchrun --nproc_per_node=4 -m course.train --config configs/ecapa_c512_voxceleb.yaml

The YAML file holds ``TrainConfig`` fields (see ``course.train.config``) and optionally
``out`` (the run folder, default ``runs/<config name>``). ``--set`` overrides a field
(``lr=0.01``, ``augment.noise_prob=0.3``, ``model_kwargs.channels=128``; values are YAML).
Unknown fields are an error that lists the known ones.

The run folder gets ``checkpoint.pt`` (every ``checkpoint_every`` steps; a second start
with the same config resumes from it), ``log.csv``, ``history.json``, ``config.json``
and, at the end, ``model.pt`` (weights, config, EER threshold: what ``course.verify``
takes). ``--resume PATH`` resumes from another checkpoint of the same config; it is checked
before the run folder's checkpoint is replaced. Everything the run needs (device, model,
run folder, corpus files, trial list) is checked before the first step; errors are one line
``error: ...`` with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from course.paths import atomic_path
from course.train.config import TrainConfig

RUN_KEYS = ("out",)


def read_config(path: str | Path) -> dict:
    """The mapping in a YAML config file; a clear error when missing or not a mapping."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--config: file not found: {path}")
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(values, dict):
        raise ValueError(f"{path}: expected a mapping of config fields, got {type(values).__name__}")
    return values


def apply_overrides(values: dict, overrides: list[str]) -> dict:
    """``key=value`` (YAML value) or ``key.sub=value`` for a field that is a mapping."""
    import yaml

    values = json.loads(json.dumps(values))  # a deep copy
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"--set {item!r}: expected key=value")
        key, text = item.split("=", 1)
        value = yaml.safe_load(text)
        if isinstance(value, str):
            try:
                value = float(value)  # YAML 1.1 reads 1e-2 as a string
            except ValueError:
                pass
        target, *path = key.split(".")
        if path:
            if values.get(target) is None:
                values[target] = {}
            if not isinstance(values[target], dict):
                raise ValueError(f"--set {key}: {target} is not a mapping")
            node = values[target]
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = value
        else:
            values[target] = value
    return values


def build_config(values: dict) -> tuple[TrainConfig, dict]:
    """(TrainConfig, run options) from the merged mapping; unknown keys are a clear error."""
    run = {k: values.pop(k) for k in RUN_KEYS if k in values}
    for key in ("augment", "margin_schedule"):  # YAML lists → the tuples the dataclasses use
        if isinstance(values.get(key), dict):
            values[key] = {k: tuple(v) if isinstance(v, list) else v for k, v in values[key].items()}
    return TrainConfig.from_dict(values), run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="a YAML file of TrainConfig fields (see configs/)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="override config fields")
    parser.add_argument("--out", help="the run folder (default: the config's 'out', else runs/<config name>)")
    parser.add_argument("--resume", help="resume from this checkpoint (it must exist)")
    parser.add_argument("--no-validate", action="store_true",
                        help="no validation at the end (a corpus without a trial list); model.pt gets no threshold")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        config, run = build_config(apply_overrides(read_config(args.config), args.set))
    except (ValueError, FileNotFoundError) as error:
        parser.error(str(error))
    out = Path(args.out or run.get("out") or Path("runs") / Path(args.config).stem)
    checkpoint = out / "checkpoint.pt"

    from course.train.export import save_model
    from course.train.loop import TrainingDiverged, fit
    from course.train.preflight import check_run

    try:
        check_run(config, out, args.resume, validate=not args.no_validate)  # before anything is written
        if args.resume and Path(args.resume).resolve() != checkpoint.resolve():
            with atomic_path(checkpoint) as tmp:  # never a half-copied checkpoint.pt
                shutil.copyfile(args.resume, tmp)
        elif checkpoint.exists():
            print(f"resuming from {checkpoint}", file=sys.stderr)
        result = fit(config, progress=not args.no_progress, checkpoint=checkpoint, log_dir=out,
                     validate=not args.no_validate)
        if int(os.environ.get("RANK", "0")) == 0:  # under torchrun only rank 0 writes
            if not args.no_validate:  # the test trials, scored once, at the end
                from course.train.builders import corpus_root
                from course.train.cache import test_evaluation

                result.test = test_evaluation(result.model, corpus_root(config))
            save_model(out / "model.pt", result)
    except KeyboardInterrupt:
        kept = f"the last checkpoint {checkpoint} is kept" if checkpoint.exists() else "no checkpoint was written yet"
        print(f"interrupted: {kept}; run the same command to resume", file=sys.stderr)
        return 130
    except (ValueError, OSError, TrainingDiverged) as error:  # CheckpointError and AudioError are ValueErrors
        print(f"error: {error}", file=sys.stderr)
        return 2
    if int(os.environ.get("RANK", "0")) == 0:
        from course.metrics import format_eer

        dev = f"{100 * result.eer:.2f}%" if result.eer is not None else "n/a"
        print(f"development EER (threshold chosen here): {dev} after {config.steps} steps, {result.seconds:.0f} s")
        print(f"test: {format_eer(result.test)}" if result.test else "test: no test trials scored")
        print(f"model: {out / 'model.pt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
