"""The examples run: ``examples/quickstart.py`` (a jupytext script) is converted to a notebook and
executed in a Jupyter kernel on a small budget, so it cannot rot; and the public reader it uses."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

import nasbench_lab
from nasbench_lab.cli import main

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / "examples" / "quickstart.py"
PNG = b"\x89PNG\r\n\x1a\n"


def _outputs(nb, kind: str) -> list:
    """Every output of the executed notebook holding ``kind`` (a MIME type)."""
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
            if kind in o.get("data", {})]


def test_quickstart_runs_as_a_notebook(tmp_path, monkeypatch):
    import jupytext
    from nbclient import NotebookClient

    out = tmp_path / "out"
    monkeypatch.setenv("NASBENCH_LAB_EXAMPLE_BUDGET", "12")
    monkeypatch.setenv("NASBENCH_LAB_EXAMPLE_SEEDS", "2")
    monkeypatch.setenv("NASBENCH_LAB_EXAMPLE_OUT", str(out))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = jupytext.read(QUICKSTART)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    # raises CellExecutionError (with the cell and its traceback) when any cell fails
    NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert not [o for cell in nb.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    for figure in (out / "regret.png", out / "hardware_nb201_cifar10_latency-ms-pixel3.png"):
        assert figure.read_bytes().startswith(PNG) and figure.stat().st_size > 10_000, figure
    assert len(_outputs(nb, "image/png")) == 2  # both figures shown inline
    runs = pd.read_csv(out / "leaderboard" / "runs.csv")
    assert set(runs["algorithm"]) == {"random", "re", "local-search"} and set(runs["seed"]) == {0, 1}
    assert runs.groupby(["algorithm", "seed"]).size().eq(12).all()
    tables = [o["data"]["text/html"] for o in _outputs(nb, "text/html")]
    assert "hypervolume_mean" in "".join(tables) and "nsga2" in "".join(tables)
    assert "local-search" in tables[-1] and "p_holm" in tables[-1]  # the leaderboard read back


def test_read_results_is_the_library_reader_of_a_leaderboard_folder(tmp_path):
    out = tmp_path / "results"
    args = ["--benchmark", "nb201/cifar10", "--algorithms", "random,re", "--budget", "6", "--seeds", "2"]
    assert main(["leaderboard", "--no-progress", "--json", "--out", str(out), *args]) == 0
    runs, config = nasbench_lab.read_results(out)
    assert "read_results" in dir(nasbench_lab) and "read_results" in nasbench_lab.__all__
    assert config["budget"] == 6 and list(config["algorithms"]) == ["random", "re"]
    again = pd.concat([nasbench_lab.run(a, "nb201/cifar10", budget=6, seeds=2) for a in ("random", "re")])
    same = [c for c in runs.columns if c not in ("seconds", "compute_seconds")]
    pd.testing.assert_frame_equal(runs[same].reset_index(drop=True), again[same].reset_index(drop=True),
                                  check_dtype=False)


def test_the_quickstart_algorithms_have_distinct_colours():
    """random and local-search shared a colour (a hashed one), so the regret figure mixed them up."""
    from nasbench_lab.reports.style import colour

    drawn = ["random", "re", "local-search", "nsga2"]
    assert len({colour(a) for a in drawn}) == len(drawn)
