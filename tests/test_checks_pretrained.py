"""Notebook 12's exercise checks accept the worked solution and reject the likely mistakes."""

from __future__ import annotations

import torch

from course.checks.pretrained import (
    check_cross_meeting_targets,
    check_loudest_frames,
    check_power_to_db,
    check_relative_weight,
    reference_cross_meeting_targets,
    reference_relative_weight,
)


def test_power_to_db_accepts_the_solution_and_rejects_a_missing_floor():
    def right(power, top_db):
        db = 10 * torch.log10(power.clamp(min=1e-10))
        return torch.maximum(db, db.max() - top_db)

    assert check_power_to_db(right)
    assert not check_power_to_db(lambda power, top_db: 10 * torch.log10(power.clamp(min=1e-10)))  # no top_db clamp


def test_cross_meeting_targets_rejects_same_meeting_pairs():
    assert check_cross_meeting_targets(reference_cross_meeting_targets)
    same_speaker = lambda clips: {(a, b) for a in clips for b in clips if a < b and a.split("/")[0] == b.split("/")[0]}  # noqa: E731
    assert not check_cross_meeting_targets(same_speaker)


def test_relative_weight_rejects_the_undivided_mass():
    assert check_relative_weight(reference_relative_weight)
    assert not check_relative_weight(lambda w, m: (w * m.float()).sum(-1).mean())


def test_loudest_frames_names_the_quietest_frames_mistake(capsys):
    def right(weights, energy):
        return reference_relative_weight(weights, energy >= energy.quantile(0.9))

    assert check_loudest_frames(right)
    assert not check_loudest_frames(lambda w, e: reference_relative_weight(w, e <= e.quantile(0.1)))
    assert "quietest" in capsys.readouterr().out
