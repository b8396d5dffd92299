"""The real material of notebooks 12 and 13, or its stand-ins: SpeechBrain's VoxCeleb ECAPA, its
classifier and the recorded council clips, fetched where missing (``course.pretrained``,
``course.data.council``); in smoke mode nothing is downloaded. Apart from ``course.pretrained`` so that
training, which may use the pretrained model as a teacher, never imports the council corpus."""

from __future__ import annotations

from course import pretrained
from course.data import council
from course.env import is_smoke
from course.fetch import FetchError


def real_or_stand_ins(max_seconds: float | None, seed: int = 0):
    """(model, features, head, council root, real) for notebooks 12 and 13: the VoxCeleb ECAPA, its
    classifier and the council clips cut to ``max_seconds``, fetched where missing; in smoke mode nothing
    is downloaded, and when the files are not cached the ``stand_ins`` take their place (``real`` False,
    with a note printed). Outside smoke mode a failed fetch is the error it is."""
    try:
        model, features = pretrained.speechbrain_ecapa(fetch_missing=not is_smoke())
        head = pretrained.voxceleb_classifier(fetch_missing=not is_smoke())
        return model, features, head, council.corpus(max_seconds=max_seconds, fetch_missing=not is_smoke()), True
    except FetchError as error:
        if not is_smoke():
            raise
        print("Smoke mode downloads nothing, and the real files are not cached here:")
        print("  " + str(error).splitlines()[0])
        print("→ the cells below run on stand-ins (an untrained narrow ECAPA, SynthVox clips); their numbers "
              "mean nothing.")
        return (*pretrained.stand_ins(seed), False)
