"""SIGKILL a leaderboard while it writes a run file, while it exports runs.csv and at a random
moment; resume each time: report never accepts an incomplete store, the end equals an
uninterrupted run (experiments/kill_resume.py runs the 3 x 100-seed, 20-kill version)."""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _experiment():
    spec = importlib.util.spec_from_file_location("kill_resume", REPO / "experiments" / "kill_resume.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_kills_at_commit_export_and_random_moments_end_identical(tmp_path: Path) -> None:
    experiment = _experiment()
    args = argparse.Namespace(benchmark="nb201-analog/cifar10", algorithms="random,re,sa", seeds="0-3",
                              budget=20, kills=3, kill_seed=1, data_dir=None)
    kills, _, identical = experiment.kill_and_resume(args, tmp_path)
    assert sorted(k.kind for k in kills) == ["commit", "export", "random"]
    killed_in_export = [k for k in kills if k.kind == "export"]
    assert killed_in_export[0].seconds == killed_in_export[0].seconds  # the signal went during the export
    for kill in kills:
        assert kill.verdict == "accepted" or kill.verdict.startswith("refused: ")
        if kill.finished_runs < 12:
            assert kill.verdict.startswith("refused: ")  # never accepted while runs are missing
    assert identical
