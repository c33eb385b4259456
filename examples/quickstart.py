# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # nasbench-lab quickstart
#
# From Python, on the NAS-Bench-201 protocol (`nb201/cifar10`: search on the 12-epoch validation
# accuracy, report the 200-epoch test accuracy):
#
# 1. three black-box algorithms over several seeds with `nasbench_lab.run`;
# 2. their regret curves;
# 3. a multi-objective run (accuracy vs. Pixel 3 latency) and its Pareto front;
# 4. a leaderboard written to a results folder by the command line, read back with
#    `nasbench_lab.read_results`.
#
# Make it a notebook with `jupytext --to notebook examples/quickstart.py`, or run it as a script:
# `python examples/quickstart.py`. CI runs it on a small budget through the environment variables
# below.

# %%
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

import nasbench_lab

#: Queries per run and seeds per algorithm (CI sets both small).
BUDGET = int(os.environ.get("NASBENCH_LAB_EXAMPLE_BUDGET", "100"))
SEEDS = int(os.environ.get("NASBENCH_LAB_EXAMPLE_SEEDS", "10"))
#: Where figures and the results folder go (default: a new temporary folder).
OUT = Path(os.environ.get("NASBENCH_LAB_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="nasbench-lab-quickstart-"))
OUT.mkdir(parents=True, exist_ok=True)
print(f"budget {BUDGET}, {SEEDS} seeds, output in {OUT}")


def show(paths):
    """Display PNG figures inline in a notebook; print their paths in a plain script."""
    pngs = [Path(p) for p in paths if str(p).endswith(".png")]
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        get_ipython = lambda: None  # noqa: E731 (no IPython: a plain script)
    for png in pngs:
        if get_ipython() is not None:
            display(Image(filename=str(png)))
        else:
            print("figure:", png)


# %% [markdown]
# ## Where the benchmark tables come from
#
# `nb201` reads the NAS-Bench-201 table shipped inside the package (all 15,625 cells, 3 datasets,
# 27 latency devices), so this notebook needs no download and no data folder. Benchmarks that read
# CSV tables (a `table:<declaration.json>` benchmark, e.g. the shipped declaration
# `adapters/tables/nb201.json` reading your own copies of the NB201 CSVs) find them in the folder
# named by `NASBENCH_LAB_DATA` (in a shell: `export NASBENCH_LAB_DATA=/path/to/data`) or given as
# `nasbench_lab.Settings.from_env(data_dir=...)`; `settings=` passes them to `nasbench_lab.run`.

# %%
# os.environ["NASBENCH_LAB_DATA"] = "/path/to/data"   # uncomment to name your data folder
settings = nasbench_lab.Settings.from_env()  # reads NASBENCH_LAB_DATA (None when unset)
print("data directory:", settings.data_dir)

# %% [markdown]
# ## 1. Three algorithms, several seeds
#
# `nasbench_lab.run(algorithm, benchmark, budget=, seeds=, params=)` returns every query of every
# run as one DataFrame: the rows `nasbench-lab leaderboard` writes to `runs.csv` (same seed, same
# rows). `seeds=10` means seeds 0..9. The oracle charges one query per new architecture; `regret`
# is the incumbent's test-accuracy gap (percentage points) to the best cell of the table.

# %%
ALGORITHMS = {"random": {}, "re": {"population_size": 10, "sample_size": 3}, "local-search": {}}  # hyper-parameters by name
runs = pd.concat(
    [nasbench_lab.run(name, "nb201/cifar10", budget=BUDGET, seeds=SEEDS, params=params, settings=settings)
     for name, params in ALGORITHMS.items()],
    ignore_index=True,
)
runs.head()

# %%
final = runs.sort_values("query").groupby(["algorithm", "seed"]).tail(1)
final.groupby("algorithm")[["best_report_metric", "regret"]].agg(["mean", "std"]).round(3)

# %% [markdown]
# ## 2. Regret against queries
#
# `regret_figure` is the figure `nasbench-lab leaderboard` draws. The line is the mean over seeds
# and the band the 95 % t-interval of the mean (`band="iqr"`: median and inter-quartile range);
# with fewer than 5 seeds it draws each seed's line instead of a band. The legend says which.
# Both axes are logarithmic (`log=False` for linear ones).

# %%
from nasbench_lab.reports.figures import regret_figure

regret_files = regret_figure(runs, OUT / "regret", band="ci", formats=("png",))
show(regret_files)

# %% [markdown]
# ## 3. Accuracy against latency: a Pareto front
#
# A `Problem` makes a run multi-objective: maximise the search metric, minimise the Pixel 3
# latency (`latency_ms:pixel3`, from NAS-Bench-201's hardware tables). The rows then also hold the
# latency of every query. NSGA-II against random search as the baseline:

# %%
from nasbench_lab.core.fronts import pareto_mask
from nasbench_lab.core.objectives import problem_from_options

problem = problem_from_options("search,latency:pixel3", [], None)
multi = pd.concat(
    [nasbench_lab.run(name, "nb201/cifar10", budget=BUDGET, seeds=SEEDS, problem=problem, settings=settings)
     for name in ("nsga2", "random")],
    ignore_index=True,
)
# What one run returns: its queried architectures no other dominates by (search metric, latency).
seed0 = multi[(multi.algorithm == "nsga2") & (multi.seed == 0)]
points = seed0[["search_metric", "latency_ms:pixel3"]].to_numpy() * [-1, 1]  # pareto_mask minimises
seed0[pareto_mask(points)].sort_values("latency_ms:pixel3")[["arch", "search_metric", "report_metric", "latency_ms:pixel3"]]

# %% [markdown]
# The figure scores each run's returned front by **test** accuracy and latency against the true
# front of all 15,625 cells (black). HV in the legend: the hypervolume of the returned set divided
# by the true front's (mean ± std over seeds), with the reference point at the median cell's
# accuracy and the largest latency on the true front. `front_summary` gives the final IGD+ and
# hypervolume per algorithm with a paired Wilcoxon test against the best.

# %%
from nasbench_lab.core.loading import open_benchmark
from nasbench_lab.reports.hardware import front_scores, front_summary
from nasbench_lab.reports.hardware_figures import hardware_pareto_figures

bench = open_benchmark("nb201", "cifar10", settings)
pareto_files = hardware_pareto_figures(multi, bench, problem, OUT, formats=("png",))
show(pareto_files)
scores = front_scores(multi, problem, lambda name, dataset: bench)
front_summary(scores)[["algorithm", "n", "igd_plus_mean", "hypervolume_mean", "hypervolume_std", "p_holm"]].round(3)

# %% [markdown]
# ## 4. A leaderboard in a results folder, read back
#
# `nasbench-lab leaderboard` writes a results folder (one file per finished run, `runs.csv`,
# `config.json`, `leaderboard.md`/`.csv`, the regret figure and a manifest with checksums) and can
# resume it. `nasbench_lab.read_results(folder)` reads it back once the manifest vouches for every
# file, and returns the rows and the configuration.

# %%
results = OUT / "leaderboard"
command = [sys.executable, "-m", "nasbench_lab.cli", "leaderboard", "--benchmark", "nb201/cifar10",
           "--algorithms", ",".join(ALGORITHMS), "--param", "re.population_size=10", "--param", "re.sample_size=3",
           "--budget", str(BUDGET), "--seeds", str(SEEDS), "--out", str(results), "--no-progress", "--overwrite"]
done = subprocess.run(command, capture_output=True, text=True)
print(done.stdout or done.stderr)  # the leaderboard in Markdown, or the one-line error
done.check_returncode()
sorted(p.name for p in results.iterdir())

# %%
stored, config = nasbench_lab.read_results(results)
print("algorithms:", config["algorithms"], "budget:", config["budget"], "seeds:", config["seeds"])
# the same seeds gave the same rows as nasbench_lab.run above (timings aside)
same = [c for c in stored.columns if c not in ("seconds", "compute_seconds")]
pd.testing.assert_frame_equal(stored[same].reset_index(drop=True),
                              runs.sort_values(["algorithm", "seed", "query"])[same].reset_index(drop=True),
                              check_dtype=False)
stored.head()

# %% [markdown]
# The leaderboard table (`leaderboard.csv`): final report metric and regret per algorithm, mean ±
# std over seeds, average rank, and each algorithm's Wilcoxon test against the best (Holm).

# %%
leaderboard = pd.read_csv(results / "leaderboard.csv")
leaderboard[["algorithm", "seeds", "report_mean", "report_std", "regret_mean", "avg_rank", "p_holm"]]
