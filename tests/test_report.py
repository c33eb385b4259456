import json

import pandas as pd
import pytest

from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.cli import main
from nasbench_lab.reports.drawing import draw_cells, layers


def test_report_regenerates_everything(tmp_path, capsys, data_dir):
    out = tmp_path / "r"
    assert main(["leaderboard", "--benchmark", "nb201/cifar10,nb201-analog", "--budget", "12", "--seeds", "3",
                 "--data-dir", str(data_dir), "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["report", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    files = [p for p in (out / "report").iterdir()]
    names = {p.name for p in files}
    assert {"leaderboard.md", "leaderboard.tex", "leaderboard.csv"} <= names
    assert any(n.startswith("regret_nb201_cifar10") and n.endswith(".pdf") for n in names)
    assert any(n.startswith("pareto_nb201_cifar10") and "pixel3" in n for n in names)
    assert any(n.startswith("cells_nb201-analog") for n in names)
    assert all(p.stat().st_size > 0 for p in files)
    md = (out / "report" / "leaderboard.md").read_text()
    assert "p vs best (Holm)" in md and "Average rank across benchmarks" in md
    assert len(info["leaderboard"]) == 6


def test_report_errors(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no runs.csv" in capsys.readouterr().err


def test_pareto_command(tmp_path, capsys, data_dir):
    assert main(["pareto", "--benchmark", "nb201/cifar10", "--objectives", "test_acc,latency_ms:pixel3",
                 "--data-dir", str(data_dir), "--out", str(tmp_path), "--formats", "png"]) == 0
    paths = capsys.readouterr().out.split()
    assert len(paths) == 1 and (tmp_path / paths[0].split("/")[-1]).stat().st_size > 1000
    assert main(["pareto", "--benchmark", "nb201/cifar10", "--objectives", "test_acc,latency_ms:toaster",
                 "--data-dir", str(data_dir), "--out", str(tmp_path)]) == 2
    assert "unknown objective 'latency_ms:toaster'" in capsys.readouterr().err


def test_cell_drawing(tmp_path):
    space = NB201Space()
    g = space.encode(space.arch_at(1234))
    assert layers(g) == [0, 1, 1, 2, 1, 2, 3, 4]
    paths = draw_cells([("a", g), ("b", space.encode(space.arch_at(7)))], tmp_path / "cells", ("png", "pdf"))
    assert all(p.stat().st_size > 1000 for p in paths)


def test_deep_graphs_wrap_onto_rows():
    import numpy as np

    from nasbench_lab.core.graph import ArchGraph
    from nasbench_lab.reports.drawing import PER_ROW, positions

    n = 2 * PER_ROW + 1  # a chain: three rows
    chain = ArchGraph(np.array([range(n - 1), range(1, n)], dtype=np.int64), np.eye(n, dtype=np.float32),
                      tuple(f"op{k}" for k in range(n)), ())
    pos, rows = positions(chain)
    assert rows == 3
    assert max(x for x, _ in pos.values()) == PER_ROW - 1
    assert len({y for _, y in pos.values()}) == 3


def test_bands_stay_within_what_the_quantity_can_be():
    import numpy as np
    import pandas as pd

    from nasbench_lab.reports.figures import FEW_SEEDS, draw_curves
    from nasbench_lab.reports.style import pyplot

    plt = pyplot()
    two = [([5.0, 0.0], [90.0, 99.9]), ([0.1, 0.0], [60.0, 99.0])]
    runs = {s: two[s % 2] for s in range(FEW_SEEDS)}  # the fewest seeds with a band: wide t-intervals
    rows = [dict(algorithm="a", seed=s, query=q, regret=r, best_report_metric=m)
            for s, (rs, ms) in runs.items() for q, (r, m) in enumerate(zip(rs, ms), 1)]
    for frame in (pd.DataFrame(rows), pd.DataFrame(rows).assign(regret=np.nan)):
        fig, ax = plt.subplots()
        has_regret = draw_curves(ax, frame, "ci", log=False)
        ys = np.concatenate([c.get_paths()[0].vertices[:, 1] for c in ax.collections])
        assert ys.min() >= 0 and (has_regret or ys.max() <= 100)
        plt.close(fig)


def test_default_pareto_costs_take_each_benchmarks_latency():
    from types import SimpleNamespace

    from nasbench_lab.reports.report import _pareto_costs

    nb201 = SimpleNamespace(cost_names=("params_m", "flops_m", "latency_ms:gold_6226", "latency_ms:pixel3"))
    graph = SimpleNamespace(cost_names=("latency_ms", "params_m"))
    assert _pareto_costs(nb201) == ["flops_m", "params_m", "latency_ms:pixel3"]
    assert _pareto_costs(graph) == ["params_m", "latency_ms"]
