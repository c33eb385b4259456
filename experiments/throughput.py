"""Throughput of everything around the search, measured in one run:

(a) the 1,200-run NB201 leaderboard (``--benchmark nb201/cifar10,nb201/cifar100 --algorithms
    random,re,sa --seeds 0-199``, budget 100) as a user runs it (``nasbench-lab leaderboard``
    in a subprocess, ``--no-progress``, a fresh ``--out`` each time) with ``--jobs 1`` and
    ``--jobs 2``: wall time of each, alternated ``--repeats`` times, the best of each counts;
    target: jobs 2 at least 1.6x faster. The rows of both are compared (every column but
    ``seconds``, the wall clock). Beside the wall time, the CPU seconds (user + system, all
    processes of the command) of each, and the ratio within each back-to-back pair (drift
    between pairs cancels). Both benchmarks are converted into the cache before the first
    timed run.
(b) committing one run to the results store (``ResultsStore.commit``): the mean over
    ``--commits`` commits of a real 100-query run (nb201/cifar10, ``re``, seed 0), each into
    its own run file, and per ``commit_text`` (the text formatted in the worker, as the
    leaderboard does: the process holding the store only writes); target: the store's commit
    as the leaderboard makes it (``commit_text``) under 0.5 ms. Beside them, the previous commit
    (pandas ``to_csv`` then a write flushed to disk with ``fsync``) on the same frame.
(c) a tabular benchmark (nb201/cifar10, nb201-analog/cifar10) loaded in a fresh interpreter,
    first with an empty cache (the conversion: the packed tables shipped in the package or the
    wheel's pickle, and NB201's cost network, which imports torch), then from its converted
    cache: import and load seconds and whether ``torch`` is in ``sys.modules`` after the load;
    target: no torch.
(d) the machine's own ceiling for (a), measured between the leaderboard pairs: a pure-Python
    loop (no files, no memory traffic) alone, then two copies at once in two processes; their
    efficiency (alone / slowest of the two) times 2 is the most any two-process run can gain
    here. On a shared virtual machine two busy cores are often slower than one.

Everything runs with a fresh cache directory (``$NASBENCH_LAB_CACHE``) in a temporary folder.
Timings on a shared machine are noisy: the load average is printed with the figures.

    python experiments/throughput.py [--repeats 3] [--commits 1000]   (nb201 needs no --data-dir)
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from nasbench_lab.running.pipeline import RunConfig  # noqa: E402
from nasbench_lab.running.runner import run_task  # noqa: E402
from nasbench_lab.infra.parallel import parallel_map  # noqa: E402
from nasbench_lab.infra.settings import CACHE_ENV, DATA_ENV, Settings  # noqa: E402
from nasbench_lab.infra.files import write_text  # noqa: E402
from nasbench_lab.running.store import RUN_COLUMNS, ResultsStore, run_file_text  # noqa: E402

LEADERBOARD = ["--benchmark", "nb201/cifar10,nb201/cifar100", "--algorithms", "random,re,sa", "--seeds", "0-199"]
LOADS = [("nb201", "cifar10"), ("nb201-analog", "cifar10")]
#: every benchmark of (a), loaded (converted into the fresh cache) before the first timed pair,
#: so that no timed run pays a conversion
LEADERBOARD_BENCHMARKS = [("nb201", "cifar10"), ("nb201", "cifar100")]
LOAD_PROBE = """
import json, sys, time
start = time.perf_counter()
from nasbench_lab.core.loading import load_benchmark
from nasbench_lab.infra.settings import Settings
imported = time.perf_counter()
bench = load_benchmark(sys.argv[1], sys.argv[2], Settings.from_env())
done = time.perf_counter()
print(json.dumps({"import_s": imported - start, "load_s": done - imported, "torch": "torch" in sys.modules,
                  "pandas": "pandas" in sys.modules, "metrics": len(bench.metric_names)}))
"""


def load_average() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def leaderboard_seconds(out: Path, jobs: int, env: dict[str, str], tree: Path = REPO) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the command and its workers) of one
    ``nasbench-lab leaderboard`` subprocess into the fresh ``out``, run in the source ``tree``
    (``-m`` puts the working folder first on ``sys.path``: its ``nasbench_lab`` is the one run)."""
    command = [sys.executable, "-m", "nasbench_lab.cli", "leaderboard", *LEADERBOARD, "--jobs", str(jobs),
               "--no-progress", "--json", "--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tree)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"leaderboard --jobs {jobs} failed: {done.stderr.strip().splitlines()[-1:]}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


SPIN_STEPS = 12_000_000


def spin(_: int = 0) -> float:
    """Seconds of a fixed pure-Python loop (the unit of (d))."""
    start, total = time.perf_counter(), 0
    for i in range(SPIN_STEPS):
        total += i * i % 7
    return time.perf_counter() - start


def two_core_efficiency() -> float:
    """The loop alone, then two copies at once: alone / slowest of the two (1.0: two cores are
    two cores)."""
    alone = spin()
    pair = [seconds for _, seconds in parallel_map(spin, [0, 1], 2, initializer=None)]
    return alone / max(pair)


def same_rows(a: Path, b: Path) -> bool:
    """Whether two ``runs.csv`` hold the same text in every column but ``seconds``."""
    def cells(path: Path) -> list[list[str]]:
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh))
        drop = rows[0].index("seconds")
        return [row[:drop] + row[drop + 1:] for row in rows]

    return cells(a) == cells(b)


def measure_leaderboard(root: Path, repeats: int, env: dict[str, str]
                        ) -> tuple[dict[int, list[float]], dict[int, list[float]], list[float]]:
    """Wall and CPU seconds per ``--jobs`` value, and the two-core efficiency measured after each pair."""
    times: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[float]] = {1: [], 2: []}
    efficiency = []
    for r in range(repeats):
        for jobs in ((1, 2) if r % 2 == 0 else (2, 1)):  # alternate, so drift hits both alike
            wall, used = leaderboard_seconds(root / f"lb-j{jobs}-{r}", jobs, env)
            times[jobs].append(wall)
            cpu[jobs].append(used)
        efficiency.append(two_core_efficiency())
    return times, cpu, efficiency


def real_run(settings: Settings) -> tuple[RunConfig, pd.DataFrame]:
    config = RunConfig(benchmarks=[("nb201", "cifar10")], algorithms=["re"], budget=100, seeds=[0], settings=settings)
    config.resolve()
    return config, run_task(config.tasks()[0], settings)


def measure_commits(root: Path, settings: Settings, commits: int) -> dict[str, np.ndarray]:
    """Seconds per ``ResultsStore.commit`` (format and write), per ``commit_text`` (write the
    text a worker formatted: what the leaderboard's driver does) and per previous commit
    (pandas ``to_csv``, write, ``fsync``), each of ``commits`` runs into its own file."""
    _, frame = real_run(settings)
    config = RunConfig(benchmarks=[("nb201", "cifar10")], algorithms=["re"], budget=100,
                       seeds=list(range(commits)), settings=settings)
    config.resolve()
    tasks = config.tasks()
    new, text_only, old = np.empty(commits), np.empty(commits), np.empty(commits)
    text = run_file_text(frame)
    for name, store_dir, times, commit in (("frame", "store", new, None), ("text", "store-text", text_only, text)):
        with ResultsStore(root / store_dir) as store:
            store.prepare(config)
            for k, task in enumerate(tasks):
                start = time.perf_counter()
                store.commit(task, frame) if commit is None else store.commit_text(task, commit)
                times[k] = time.perf_counter() - start
    previous = root / "previous"
    previous.mkdir()
    for k in range(commits):
        start = time.perf_counter()
        write_text(previous / f"run{k}.csv", frame[RUN_COLUMNS].to_csv(index=False))
        old[k] = time.perf_counter() - start
    same = (root / "store" / "runs" / next(iter(sorted(os.listdir(root / "store" / "runs"))))).read_text()
    if same != frame[RUN_COLUMNS].to_csv(index=False):
        raise SystemExit("the committed run file differs from pandas' to_csv text")
    return {"commit(frame): format + write": new, "commit_text: write only (driver)": text_only,
            "before: pandas to_csv + fsync": old}


def probe_load(name: str, dataset: str, env: dict[str, str]) -> dict:
    done = subprocess.run([sys.executable, "-c", LOAD_PROBE, name, dataset], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get(DATA_ENV),
                        help=f"data directory (default ${DATA_ENV}; nb201 reads the tables shipped in the package)")
    parser.add_argument("--repeats", type=int, default=3, help="leaderboard pairs (jobs 1, jobs 2), the best counts (default 3)")
    parser.add_argument("--commits", type=int, default=1000, help="runs committed for (b) (default 1000)")
    parser.add_argument("--skip-leaderboard", action="store_true", help="only (b) and (c)")
    args = parser.parse_args(argv)
    t_all = time.perf_counter()
    print(f"load average (1/5/15 min) at start: {load_average()}; {os.cpu_count()} CPUs")

    with tempfile.TemporaryDirectory(prefix="throughput-") as tmp:
        root = Path(tmp)
        data_dir = Path(args.data_dir).resolve() if args.data_dir else None
        env = {k: v for k, v in os.environ.items() if k != DATA_ENV} | {CACHE_ENV: str(root / "cache")}
        if data_dir is not None:
            env[DATA_ENV] = str(data_dir)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
        settings = Settings(data_dir=data_dir, cache_dir=root / "cache")

        # (c) first: it starts from an empty cache ------------------------------------------
        loads = []
        for name, dataset in LOADS:
            loads.append((f"{name}/{dataset}", probe_load(name, dataset, env), probe_load(name, dataset, env)))
        print(f"\n(c) load in a fresh interpreter (fresh cache; load average now {load_average()})")
        header = f"{'benchmark':22s} {'convert s':>10s} {'torch':>6s} {'cached load s':>14s} {'imports s':>10s} {'torch':>6s}"
        print(header + "\n" + "-" * len(header))
        for label, cold, warm in loads:
            if "error" in cold or "error" in warm:
                print(f"{label:22s} skipped: {cold.get('error') or warm.get('error')}")
                continue
            print(f"{label:22s} {cold['load_s']:10.3f} {str(cold['torch']):>6s} {warm['load_s']:14.3f} "
                  f"{warm['import_s']:10.3f} {str(warm['torch']):>6s}")
        ok = all("error" not in w and not w["torch"] for _, _, w in loads)
        print(f"target: a cached load imports no torch -> {'met' if ok else 'NOT met'}")

        # (b) -------------------------------------------------------------------------------
        timings = measure_commits(root, settings, args.commits)
        print(f"\n(b) committing a 100-query run, {args.commits} commits each (load average now {load_average()})")
        for label, t in timings.items():
            print(f"  {label:36s} mean {t.mean() * 1e3:6.3f} ms   median {np.median(t) * 1e3:6.3f} ms   "
                  f"p90 {np.quantile(t, 0.9) * 1e3:6.3f} ms")
        new, old = timings["commit(frame): format + write"], timings["before: pandas to_csv + fsync"]
        driver = timings["commit_text: write only (driver)"]
        print(f"  commit(frame) speed-up x{old.mean() / new.mean():.1f}; target: the store's commit as the "
              f"leaderboard makes it (commit_text: the worker formatted the run) mean < 0.5 ms -> "
              f"{'met' if driver.mean() < 5e-4 else 'NOT met'}")

        # (a) -------------------------------------------------------------------------------
        if not args.skip_leaderboard:
            for name, dataset in LEADERBOARD_BENCHMARKS:  # untimed: fill the cache
                probe_load(name, dataset, env)
            times, cpu, efficiency = measure_leaderboard(root, args.repeats, env)
            best1, best2 = min(times[1]), min(times[2])
            same = same_rows(root / "lb-j1-0" / "runs.csv", root / "lb-j2-0" / "runs.csv")
            print(f"\n(a) leaderboard {' '.join(LEADERBOARD)} (1,200 runs x 100 queries; load average now "
                  f"{load_average()})")
            for jobs in (1, 2):
                print(f"  --jobs {jobs}: " + "  ".join(f"{t:6.2f} s" for t in times[jobs]) + f"   best {min(times[jobs]):.2f} s")
            print(f"  speed-up jobs 2 / jobs 1: x{best1 / best2:.2f} (best of each), "
                  f"x{np.median(times[1]) / np.median(times[2]):.2f} (median of each); target >= 1.6x -> "
                  f"{'met' if best1 / best2 >= 1.6 else 'NOT met'}")
            pairs = np.array(times[1]) / np.array(times[2])
            print(f"  per pair (jobs 1 and jobs 2 back to back): x{np.median(pairs):.2f} median, "
                  f"x{pairs.min():.2f} to x{pairs.max():.2f}")
            print(f"  rows of jobs 1 and jobs 2 identical (all columns but seconds): {'yes' if same else 'NO'}")
            print("  CPU seconds (user + system, all processes): " + "; ".join(
                f"jobs {jobs} median {np.median(cpu[jobs]):.2f} s" for jobs in (1, 2)))
            print("\n(d) two processes of a pure-Python loop against one alone, after each pair: "
                  + " ".join(f"{e:.2f}" for e in efficiency)
                  + f"; the most two processes can gain here: x{2 * min(efficiency):.2f} to x{2 * max(efficiency):.2f}")
    print(f"\nload average at the end: {load_average()}; total {time.perf_counter() - t_all:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
