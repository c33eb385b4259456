"""Trajectories must not change when the code is reorganised: the default leaderboard and the
NB201 protocol run give the rows recorded in tests/data/trajectory_digests.json."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from digest import trajectory_digest
from nasbench_lab.cli import main

DIGESTS = json.loads((Path(__file__).parent / "data" / "trajectory_digests.json").read_text())


def _runs(tmp_path: Path, *args: str) -> pd.DataFrame:
    out = tmp_path / "out"
    assert main(["leaderboard", "--no-progress", "--json", "--out", str(out), *args]) == 0
    return pd.read_csv(out / "runs.csv")


def test_default_leaderboard_trajectories_unchanged(tmp_path):
    runs = _runs(tmp_path)
    assert len(runs) == 2 * 3 * 20 * 100
    assert trajectory_digest(runs) == DIGESTS["default_leaderboard"]


def test_nb201_protocol_trajectories_unchanged(tmp_path, data_dir):
    runs = _runs(tmp_path, "--data-dir", str(data_dir), "--benchmark", "nb201/cifar10",
                 "--algorithms", "random,re,sa", "--seeds", "0-19")
    assert len(runs) == 3 * 20 * 100
    assert trajectory_digest(runs) == DIGESTS["nb201_protocol"]


def test_digest_sees_a_changed_value(tmp_path, data_dir):
    runs = _runs(tmp_path, "--data-dir", str(data_dir), "--benchmark", "nb201/cifar10",
                 "--algorithms", "random", "--seeds", "1", "--budget", "3")
    before = trajectory_digest(runs)
    runs.loc[1, "search_metric"] += 1e-6
    assert trajectory_digest(runs) != before
