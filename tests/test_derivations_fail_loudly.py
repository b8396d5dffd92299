"""A notebook's by-hand-vs-library derivation checks stop the build when the library is wrong.

Each case breaks one library function (its output scaled by 1.01) inside the notebook's
kernel, through a ``sitecustomize`` module on the kernel's PYTHONPATH, and expects the
build to fail at the derivation that compares with it, naming the notebook and the check.
The kernel stops at the first failing cell, so each run is short.
"""

import os
import textwrap

import pytest

from course import build, notebooks

BREAKER = '''
import course.heads, course.pooling, course.scoring


def _scaled(original):
    def broken(*args, **kwargs):
        out = original(*args, **kwargs)
        return (out[0] * 1.01, *out[1:]) if isinstance(out, tuple) else out * 1.01
    return broken


owner = {owner}
setattr(owner, {name!r}, _scaled(getattr(owner, {name!r})))
'''

CASES = {
    "00": ("course.scoring", "cosine_scores", "cosine scores"),
    "02": ("type(course.pooling.build('TSTP', 4))", "forward", "TSTP [μ; σ]"),
    "03": ("type(course.pooling.build('ASTP', 4))", "forward", "attentive statistics pooling"),
    "09": ("type(course.heads.build('add_margin', 2, 2))", "target", "AM-softmax logits"),
}


def _source(prefix):
    return next(p for p in notebooks.sources() if p.stem.startswith(prefix))


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("prefix", list(CASES))
def test_a_broken_library_function_fails_the_notebook_at_its_derivation(prefix, tmp_path, monkeypatch):
    owner, name, derivation = CASES[prefix]
    (tmp_path / "sitecustomize.py").write_text(textwrap.dedent(BREAKER.format(owner=owner, name=name)))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), str(notebooks.ROOT),
                                                      os.environ.get("PYTHONPATH", "")]))
    build.prepare_data(smoke=True)
    result, _ = build.execute(_source(prefix), smoke=True)
    assert result.status == "failed"
    assert f"CheckFailed: {derivation}:" in result.detail, result.detail
    assert _source(prefix).name in result.detail
