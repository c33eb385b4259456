"""Figures of a report: every figure a default ``report`` writes opens, has a size and is not
blank; bands say what they are; few seeds draw the seeds; readable log ticks; names say what is
plotted; HV spelled out; no note over data; cells drawn with routed edges and the median seed."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nasbench_lab.cli import main
from nasbench_lab.reports.style import pyplot


@pytest.fixture(scope="module")
def report(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("fig") / "lb"
    assert main(["leaderboard", "--out", str(out), "--seeds", "3", "--budget", "20", "--no-progress",
                 "--data-dir", str(data_dir)]) == 0
    assert main(["report", str(out), "--data-dir", str(data_dir)]) == 0
    return out


def test_every_report_figure_opens_and_is_not_blank(report):
    from matplotlib.image import imread

    pngs = sorted((report / "report").glob("*.png")) + [report / "regret.png"]
    names = {p.name for p in pngs}
    assert {"regret_nb201_cifar10.png", "cells_nb201_cifar10.png", "regret_nasbench-graph_cora.png"} <= names
    assert any(n.startswith("pareto_") for n in names)
    for png in pngs:
        image = imread(png)
        assert image.shape[0] >= 300 and image.shape[1] >= 300, png.name
        assert image[..., :3].std() > 0.02, f"{png.name} is blank"
        assert png.name == "regret.png" or png.with_suffix(".pdf").stat().st_size > 1000


def _runs(seeds: int, regret: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for algo in ("random", "re"):
        for seed in range(seeds):
            best = np.minimum.accumulate(rng.uniform(0, 10, 50))
            for q, r in enumerate(best, 1):
                rows.append(dict(benchmark="b", dataset="d", algorithm=algo, seed=seed, query=q,
                                 regret=r if regret else np.nan, best_report_metric=90 - r))
    return pd.DataFrame(rows)


def _axes(seeds: int, band: str = "ci", regret: bool = True):
    from nasbench_lab.reports.figures import draw_curves

    plt = pyplot()
    fig, ax = plt.subplots()
    draw_curves(ax, _runs(seeds, regret), band, True)
    return fig, ax


def test_few_seeds_draw_each_seed_and_say_so():
    fig, ax = _axes(3)
    assert not ax.collections  # no band
    assert len(ax.lines) >= 2 * 3 + 2
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "seed" in legend and "mean" in legend


@pytest.mark.parametrize("band, words", [("ci", ("95%", "t-interval")), ("iqr", ("inter-quartile", "median"))])
def test_band_says_what_it_is(band, words):
    fig, ax = _axes(8, band)
    assert ax.collections
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert all(w in legend for w in words), legend


def test_log_ticks_are_plain_numbers():
    fig, ax = _axes(8)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() + ax.get_xticklabels() if t.get_text()]
    assert labels and not any("$" in t or "^" in t for t in labels), labels
    assert len([t for t in ax.get_yticklabels() if t.get_text()]) >= 3


def test_accuracy_curves_are_named_as_such(tmp_path):
    from nasbench_lab.reports.figures import curve_figures

    paths = curve_figures(_runs(3, regret=False), tmp_path, formats=("png",))
    assert [p.name for p in paths] == ["incumbent_accuracy_b_d.png"]
    assert [p.name for p in curve_figures(_runs(3), tmp_path, formats=("png",))] == ["regret_b_d.png"]


def test_pareto_spells_out_hv_and_keeps_notes_off_the_data(data_dir, tmp_path, settings):
    from nasbench_lab.core.loading import open_benchmark
    from nasbench_lab.reports.pareto import pareto_figure, resolve_objective

    bench = open_benchmark("nb201", "cifar10", settings)
    objectives = (resolve_objective(bench, "test_acc"), resolve_objective(bench, "latency_ms:pixel3"))
    found = {"random": [np.arange(0, 15625, 97), np.arange(3, 15625, 89)]}
    plt = pyplot()
    captured = []
    real = plt.close
    plt.close = lambda fig=None: captured.append(fig)  # keep the figure to look at it
    try:
        pareto_figure(bench, objectives, tmp_path / "p", found=found, formats=("png",), scored="every architecture queried")
    finally:
        plt.close = real
    fig = captured[0]
    ax = fig.axes[0]
    legend = ax.get_legend()
    text = " ".join([legend.get_title().get_text()] + [t.get_text() for t in legend.get_texts()])
    assert "hypervolume" in text and "every architecture queried" in text
    assert not ax.texts  # the "axis starts at the 5th percentile" note is not drawn over the points


def test_cell_edges_go_around_boxes():
    from nasbench_lab.adapters.nb201.space import NB201Space
    from nasbench_lab.reports.drawing import BOX_HALF_HEIGHT, BOX_HALF_WIDTH, routes

    space = NB201Space()
    for index in (1234, 7, 15000, 9999):
        graph = space.encode(space.arch_at(index))
        pos, paths = routes(graph)
        ends = {}
        for (s, t), points in paths.items():
            ends.setdefault(t, []).append(points[-1])
            for (x0, y0), (x1, y1) in zip(points, points[1:]):
                for n, (x, y) in pos.items():
                    if n in (s, t):
                        continue
                    for f in np.linspace(0, 1, 50):  # no point of the segment inside another node's box
                        px, py = x0 + f * (x1 - x0), y0 + f * (y1 - y0)
                        assert not (abs(px - x) < BOX_HALF_WIDTH and abs(py - y) < BOX_HALF_HEIGHT), (index, s, t, n)
        for t, points in ends.items():  # arrowheads into one node land on distinct points
            assert len({(round(x, 3), round(y, 3)) for x, y in points}) == len(points)


def test_cells_show_the_median_seed_and_name_the_metric():
    from nasbench_lab.reports.drawing import median_seed

    final = pd.DataFrame({"algorithm": ["a"] * 5, "seed": [0, 1, 2, 3, 4],
                          "best_report_metric": [90.0, 94.0, 91.0, 93.0, 92.0]})
    assert median_seed(final) == {"a": 4}


def _keep_figures(monkeypatch):
    plt = pyplot()
    captured = []
    monkeypatch.setattr(plt, "close", lambda fig=None: captured.append(fig))
    return captured


def test_operation_mix_integer_epochs_and_no_empty_legend_entries(tmp_path, monkeypatch):
    from nasbench_lab.reports.oneshot import operation_mix_figure

    captured = _keep_figures(monkeypatch)
    epochs = np.arange(1, 6)
    mixes = {"darts": {"none": (epochs, np.zeros(5)), "skip": (epochs, np.full(5, 0.5)), "conv": (epochs, np.full(5, 0.5))},
             "gdas": {"none": (epochs, np.zeros(5)), "skip": (epochs, np.full(5, 1.0)), "pool": (epochs, np.zeros(5))}}
    operation_mix_figure(mixes, tmp_path / "mix.png")
    fig = captured[0]
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[-1].get_xticklabels() if t.get_text()]
    assert ticks and all(float(t) == int(float(t)) and "." not in t for t in ticks), ticks
    labels = sorted(t.get_text() for legend in [fig.legends[0] if fig.legends else fig.axes[0].get_legend()]
                    for t in legend.get_texts())
    assert labels == ["conv", "skip"]


def test_validate_histogram_says_std_and_se(tmp_path, monkeypatch):
    from nasbench_lab.reports.checks import distribution_figure

    captured = _keep_figures(monkeypatch)
    distribution_figure(np.random.default_rng(0).normal(93, 0.3, 50), 93.1, 0.4, tmp_path / "h.png", label="RE",
                        reference_label="NB201 Table 5", xlabel="acc")
    text = " ".join(t.get_text() for t in captured[0].axes[0].get_legend().get_texts())
    assert "std" in text and "se " in text and text.count("std") >= 2, text


def test_a_constraint_no_architecture_queried_meets_gives_figures_and_a_report(tmp_path, capsys):
    """Nothing feasible in any run: the leaderboard, its figure and `report` all finish (the
    curve panel says there is no incumbent), never a traceback."""
    from nasbench_lab.cli import main

    out = tmp_path / "none-feasible"
    assert main(["leaderboard", "--benchmark", "nb201/cifar10", "--algorithms", "re,random", "--budget", "5",
                 "--seeds", "2", "--constraint", "latency:pixel3<=0.0041", "--out", str(out), "--no-progress"]) == 0
    assert (out / "incumbent_accuracy.png").stat().st_size > 1000
    capsys.readouterr()
    assert main(["report", str(out), "--formats", "png"]) == 0
    assert "no algorithm has an incumbent" in capsys.readouterr().out


def test_the_leaderboard_figure_from_the_text_of_runs_csv_is_the_figure_from_its_rows(tmp_path):
    """With several jobs the figure process parses only the columns the figure reads
    (``CURVE_COLUMNS``) from the text of runs.csv: the PNG is byte for byte the one drawn from
    all the rows."""
    from nasbench_lab.cli import main
    from nasbench_lab.running.store import parse_runs
    from nasbench_lab.workflows.leaderboard import _draw_figure

    out = tmp_path / "r"
    assert main(["leaderboard", "--benchmark", "nb201-analog/c10", "--algorithms", "random,re", "--budget", "8",
                 "--seeds", "6", "--no-progress", "--json", "--out", str(out)]) == 0
    text = (out / "runs.csv").read_bytes()
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    _draw_figure(text, tmp_path / "a")
    _draw_figure(parse_runs(text), tmp_path / "b")
    assert (tmp_path / "a" / "regret.png").read_bytes() == (tmp_path / "b" / "regret.png").read_bytes()
