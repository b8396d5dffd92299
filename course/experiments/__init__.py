"""Experiments that train many models under one protocol: ``python -m course.experiments shootout``.

``systems``: which models enter the pooling shoot-out and the configuration each trains with;
``results``: the results file (one JSON line a finished run, with its provenance), read back for
resuming and for notebook 11; ``shootout``: the runner (worker processes, torchrun ranks, resume);
``compare``: the table over seeds and each system against a fixed reference (Holm-adjusted paired
t-tests); ``statistics``: those tests, the power of the design, "did not train", the speaker bootstrap.
"""

from course.experiments.compare import compare, summarise
from course.experiments.results import read_results
from course.experiments.shootout import run_shootout
from course.experiments.systems import SYSTEMS, resolve, system_config

__all__ = ["SYSTEMS", "compare", "read_results", "resolve", "run_shootout", "summarise", "system_config"]
