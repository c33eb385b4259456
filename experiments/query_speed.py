"""Queries per second of the search-metric query path of each adapter, and of the official API.

Measured in one run (about 30-40 s, most of it building and converting the NATS fixture):

* for every adapter: the ``benchmark.search_metric_fn()`` closure (what an oracle calls) and
  ``Oracle.query`` on fresh architectures (each query charged, cached and recorded);
* the official ``nats_bench`` path on the SAME file as ``nats-tss``:
  ``api.get_more_info(i, 'cifar10-valid', hp='12')['valid-accuracy']`` (default ``is_random=True``,
  one random trial, as the API is usually called) and with ``is_random=False`` (the mean over
  trials, which is what the adapter stores).

Adapters: ``nb201-analog`` (the analog-nasbench wheel), ``nb201`` (CSV tables; needs
``--data-dir`` or ``$NASBENCH_LAB_DATA``, skipped otherwise), ``nasbench-graph/cora`` (if
``adapters/nasbench_graph/`` exists), ``nats-tss`` on a NATS-Bench topology file built by
``tests/official_fixtures.py`` (every cell, CIFAR-10 records) in a temporary directory.

Timing: ``time.perf_counter``; architectures drawn with a fixed seed; the best of ``--repeats``
passes over ``--queries`` architectures (for ``Oracle.query`` a fresh oracle per pass, so every
query is a new one). The fixture keeps one or two trials and only the last epoch per record, so
the official API is, if anything, faster here than on the real files.

    python experiments/query_speed.py --data-dir /work/shared/data
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from nasbench_lab.infra.settings import DATA_ENV, Settings  # noqa: E402
from nasbench_lab.errors import NasLabError  # noqa: E402
from nasbench_lab.core.oracle import Oracle  # noqa: E402
from nasbench_lab.core.registry import BENCHMARKS  # noqa: E402


def best_seconds(run: Callable[[], None], repeats: int) -> float:
    """The fastest of ``repeats`` timed calls of ``run``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def fresh_archs(space, n: int, rng: np.random.Generator) -> list:
    """``n`` distinct architectures of a finite space, in random order."""
    n = min(n, space.size)
    return [space.arch_at(int(i)) for i in rng.choice(space.size, size=n, replace=False)]


def time_search_metric_fn(bench, archs: Sequence, repeats: int) -> float:
    """Seconds per query of ``bench.search_metric_fn()``."""
    search = bench.search_metric_fn()

    def run() -> None:
        for arch in archs:
            search(arch)

    return best_seconds(run, repeats) / len(archs)


def time_oracle(bench, archs: Sequence, repeats: int) -> float:
    """Seconds per fresh ``Oracle.query`` (a new oracle per pass, so none is a cache hit)."""
    best = float("inf")
    for _ in range(repeats):
        oracle = Oracle.for_benchmark(bench, budget=len(archs))
        start = time.perf_counter()
        for arch in archs:
            oracle.query(arch)
        best = min(best, time.perf_counter() - start)
        assert oracle.used == len(archs)
    return best / len(archs)


def build_fixture(root: Path) -> Path:
    from tests.official_fixtures import write_nats_file

    return write_nats_file(root / "fixture", "tss", datasets="cifar10")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get(DATA_ENV), help=f"CSV tables for nb201 (default ${DATA_ENV})")
    parser.add_argument("--queries", type=int, default=5000, help="architectures per pass (default 5000)")
    parser.add_argument("--repeats", type=int, default=5, help="passes; the best one counts (default 5)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rows: list[tuple[str, str, float]] = []  # (subject, path, seconds per query)
    notes: list[str] = []
    t_all = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="query-speed-") as tmp:
        root = Path(tmp)
        settings = Settings.from_env(data_dir=args.data_dir)
        settings = Settings(data_dir=settings.data_dir, cache_dir=root / "cache", files=dict(settings.files))

        def measure(label: str, bench) -> None:
            rng = np.random.default_rng(args.seed)
            archs = fresh_archs(bench.space, args.queries, rng)
            rows.append((label, "search_metric_fn()", time_search_metric_fn(bench, archs, args.repeats)))
            rows.append((label, "Oracle.query (fresh)", time_oracle(bench, archs, args.repeats)))

        # nb201-analog ------------------------------------------------------------------
        try:
            measure("nb201-analog", BENCHMARKS.get("nb201-analog").build("cifar10", settings))
        except NasLabError as exc:
            notes.append(f"nb201-analog skipped: {exc}")

        # nb201 (CSV tables) ------------------------------------------------------------
        if settings.data_dir is None:
            notes.append(f"nb201 skipped: no data directory (pass --data-dir or set {DATA_ENV})")
        else:
            try:
                measure("nb201", BENCHMARKS.get("nb201").build("cifar10", settings))
            except NasLabError as exc:
                notes.append(f"nb201 skipped: {exc}")

        # nasbench-graph/cora -----------------------------------------------------------
        if importlib.util.find_spec("nasbench_lab.adapters.nasbench_graph") is None:
            notes.append("nasbench-graph/cora skipped: adapters/nasbench_graph/ does not exist")
        else:
            try:
                measure("nasbench-graph/cora", BENCHMARKS.get("nasbench-graph").build("cora", settings))
            except (NasLabError, ImportError) as exc:
                notes.append(f"nasbench-graph/cora skipped: {exc}")

        # nats-tss on the fixture, and the official API on the same file -----------------
        t0 = time.perf_counter()
        path = build_fixture(root)
        t_build = time.perf_counter() - t0
        tss_settings = Settings(data_dir=settings.data_dir, cache_dir=root / "cache", files={"nats-tss": path})
        t0 = time.perf_counter()
        bench = BENCHMARKS.get("nats-tss").build("cifar10", tss_settings)
        t_convert = time.perf_counter() - t0
        t0 = time.perf_counter()
        bench = BENCHMARKS.get("nats-tss").build("cifar10", tss_settings)
        t_cached = time.perf_counter() - t0
        measure("nats-tss (fixture)", bench)

        import nats_bench

        t0 = time.perf_counter()
        api = nats_bench.create(str(path), "tss", fast_mode=False, verbose=False)
        t_api = time.perf_counter() - t0
        rng = np.random.default_rng(args.seed)
        indices = [bench.official_index_of(a) for a in fresh_archs(bench.space, args.queries, rng)]

        def official(is_random: bool) -> Callable[[], None]:
            def run() -> None:
                for i in indices:
                    api.get_more_info(i, "cifar10-valid", hp="12", is_random=is_random)["valid-accuracy"]

            return run

        rows.append(("official nats_bench (fixture)", "get_more_info, is_random=True",
                     best_seconds(official(True), args.repeats) / len(indices)))
        rows.append(("official nats_bench (fixture)", "get_more_info, is_random=False",
                     best_seconds(official(False), args.repeats) / len(indices)))
        size_mb = path.stat().st_size / 1e6

    print(f"Search-metric query speed ({args.queries} random architectures, seed {args.seed}, "
          f"best of {args.repeats} passes)\n")
    header = f"{'adapter':32s} {'query path':32s} {'queries/s':>12s} {'us/query':>10s}"
    print(header)
    print("-" * len(header))
    for subject, how, sec in rows:
        print(f"{subject:32s} {how:32s} {1.0 / sec:12,.0f} {sec * 1e6:10.2f}")

    official_rows = {how: sec for subject, how, sec in rows if subject.startswith("official")}
    ref = official_rows.get("get_more_info, is_random=True")
    ref_mean = official_rows.get("get_more_info, is_random=False")
    print("\nSpeed-up over the official nats_bench query on the same file (official us/query / adapter us/query):")
    for subject, how, sec in rows:
        if subject.startswith("official"):
            continue
        print(f"  {subject:30s} {how:22s} x{ref / sec:8.1f} (vs is_random=True)   x{ref_mean / sec:8.1f} (vs is_random=False)")

    print(f"\nnats-tss fixture: {len(bench.space)} cells, {size_mb:.1f} MB; built in {t_build:.1f} s; "
          f"first load (API + conversion + cache) {t_convert:.1f} s; cached load {t_cached * 1000:.0f} ms; "
          f"official API load {t_api:.1f} s")
    for note in notes:
        print(f"note: {note}")
    print(f"total {time.perf_counter() - t_all:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
