"""Why distillation centres its targets: how much of one direction the teacher's embeddings share.

    python benchmarks/teacher_targets.py [--write PATH]

On the default SynthVox training utterances (the selection of the transfer benchmark's ``+distill``:
``DISTILL["per_speaker"]`` of each speaker), the VoxCeleb ECAPA's embeddings, through
``course.train.distill.teacher_embeddings`` (cached; the first run computes them, about 3 minutes on
2 cores). It prints

- the norm of the mean of the unit-length targets: the best one constant direction for every target
  has cosine loss ``1 - that norm`` (``mean(1 - cos(c, t))`` is least at ``c`` along the mean), which is
  what a student knowing nothing about voices can reach;
- the mean cosine of two targets of different speakers, and of the same speaker, raw and centred (the
  training mean subtracted, as ``distill.WithTargets(center=True)`` does).

``--write PATH`` writes the results file (``benchmarks/teacher_targets_results.md``) with its provenance.
"""

from __future__ import annotations

import argparse
import json

import provenance
import torch

from course.data import default_corpus
from course.data.corpus import read_split
from course.experiments.transfer import DISTILL
from course.train.distill import teacher_embeddings


def pair_cosines(targets: torch.Tensor, speakers: list[str]) -> tuple[float, float]:
    """(mean cosine over pairs of different speakers, over pairs of the same speaker)."""
    unit = torch.nn.functional.normalize(targets, dim=1)
    cos = unit @ unit.T
    index = {s: i for i, s in enumerate(sorted(set(speakers)))}
    labels = torch.tensor([index[s] for s in speakers])
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~torch.eye(len(speakers), dtype=torch.bool)
    return cos[~same].mean().item(), cos[same & off_diagonal].mean().item()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="PATH", help="write the results file (markdown) here")
    args = parser.parse_args(argv)
    root = default_corpus(progress=False)
    teacher = teacher_embeddings(root, "train", DISTILL["teacher"], DISTILL["per_speaker"], progress=True)
    speaker_of = {path.relative_to(root).as_posix(): speaker for speaker, path in read_split(root, "train")}
    names = sorted(teacher["embeddings"])
    targets = torch.stack([teacher["embeddings"][n].float() for n in names])
    speakers = [speaker_of[n] for n in names]
    mean_norm = torch.nn.functional.normalize(targets, dim=1).mean(0).norm().item()
    raw_diff, raw_same = pair_cosines(targets, speakers)
    centred_diff, centred_same = pair_cosines(targets - targets.mean(0), speakers)
    summary = {"files": len(names), "speakers": len(set(speakers)), "dim": targets.shape[1],
               "mean_unit_target_norm": round(mean_norm, 3), "constant_student_loss": round(1 - mean_norm, 3),
               "cos_different_raw": round(raw_diff, 3), "cos_same_raw": round(raw_same, 3),
               "cos_different_centred": round(centred_diff, 3), "cos_same_centred": round(centred_same, 3),
               "teacher_cpu_s": round(teacher["cpu_seconds"], 1), "teacher_from_cache": teacher["from_cache"]}
    print(json.dumps(summary))
    if args.write:
        provenance.write_results(args.write, "The teacher's distillation targets: one shared direction",
                                 provenance.command_line(), sections(summary), threads=1)
    return summary


def sections(s: dict) -> dict:
    rows = [["norm of the mean of the unit-length targets", f"{s['mean_unit_target_norm']:.3f}"],
            ["cosine loss of the best constant student (1 − that norm)", f"{s['constant_student_loss']:.3f}"],
            ["mean cosine, different speakers, raw targets", f"{s['cos_different_raw']:.3f}"],
            ["mean cosine, different speakers, centred targets", f"{s['cos_different_centred']:.3f}"],
            ["mean cosine, same speaker, raw targets", f"{s['cos_same_raw']:.3f}"],
            ["mean cosine, same speaker, centred targets", f"{s['cos_same_centred']:.3f}"]]
    return {"Targets": (f"{s['files']} training utterances of {s['speakers']} speakers, the teacher's "
                        f"{s['dim']}-dimensional embeddings (teacher pass {s['teacher_cpu_s']} CPU s on one "
                        "thread when it was computed; cached since).\n\n"
                        + provenance.markdown_table(["", "value"], rows))}


if __name__ == "__main__":
    main()
