"""benchmarks/ecapa_speed.py runs end to end at a tiny size and reports every case (no timing asserted)."""

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("speechbrain")
SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "ecapa_speed.py"


@pytest.mark.slow
def test_ecapa_speed_reports_ratios_and_flops_for_every_case(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))  # the script imports benchmarks/provenance.py
    spec = importlib.util.spec_from_file_location("ecapa_speed", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--channels", "16", "--batch", "2", "--frames", "20", "--repeats", "1"])
    assert set(results["cases"]) == {"speechbrain", "ours", "speechbrain + lengths", "ours + lengths",
                                     "ours (speechbrain flavour, reflect)"}
    assert results["cases"]["speechbrain"]["train_ratio"] == 1.0
    same_model = results["cases"]["ours"]["step_gflop"], results["cases"]["ours + lengths"]["step_gflop"]
    assert all(flops > 0 for flops in same_model)
