"""How long the leaderboard's worker processes wait for work: the 1,200-run NB201 leaderboard of
``throughput.py`` (RS, RE, SA on CIFAR-10 and CIFAR-100, 200 seeds, budget 100) with ``--jobs 2``,
run ``--repeats`` times, each in a fresh interpreter as a user runs it (a fresh ``--out`` each
time; one untimed run first fills the cache).

Each worker logs when each batch of runs starts and ends (``infra.parallel._run_batch`` wrapped
before the pool forks, so the workers inherit the wrapper). Per run and worker it prints the
batches, the seconds spent in them (busy), the seconds between two of its batches (idle: waiting
for the driver to hand out the next batch, or for the messages between them) and the longest such
wait, beside the seconds from the first batch's start to the last batch's end (span). Idle time
in the middle of a run is lost work: the driver, busy writing run files, fell behind its workers.

    python experiments/pool_idle.py [--repeats 3]        (nb201 needs no --data-dir)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Sequence

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import nasbench_lab.infra.parallel as parallel  # noqa: E402
from nasbench_lab.cli import main as cli_main  # noqa: E402
from nasbench_lab.infra.settings import CACHE_ENV  # noqa: E402

LEADERBOARD = ["--benchmark", "nb201/cifar10,nb201/cifar100", "--algorithms", "random,re,sa", "--seeds", "0-199"]


LOG = Path(os.devnull)  # set by main
RUN_BATCH = parallel._run_batch


def logged_run_batch(fn, batch):
    """``_run_batch`` that appends ``pid start end items`` (monotonic clock) to ``LOG``."""
    start = time.monotonic()
    result = RUN_BATCH(fn, batch)
    with open(LOG, "a") as fh:
        fh.write(f"{os.getpid()} {start} {time.monotonic()} {len(batch)}\n")
    return result


def worker_rows(log: Path) -> list[tuple[int, int, float, float, float, float]]:
    """Per worker: batches, items, busy, idle between its batches, longest wait, span."""
    batches: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    for line in log.read_text().splitlines():
        pid, start, end, items = line.split()
        batches[pid].append((float(start), float(end), int(items)))
    first = min(s for spans in batches.values() for s, _, _ in spans)
    last = max(e for spans in batches.values() for _, e, _ in spans)
    rows = []
    for spans in batches.values():
        spans.sort()
        waits = [spans[i + 1][0] - spans[i][1] for i in range(len(spans) - 1)]
        rows.append((len(spans), sum(n for _, _, n in spans), sum(e - s for s, e, _ in spans), sum(waits),
                     max(waits, default=0.0), last - first))
    return rows


def leaderboard_once(out: Path, log: Path) -> int:
    """In this (fresh) process: the leaderboard into ``out``, each batch logged to ``log``."""
    global LOG
    LOG = log
    parallel._run_batch = logged_run_batch  # a module-level function: the pool pickles it by name
    return cli_main(["leaderboard", *LEADERBOARD, "--jobs", "2", "--no-progress", "--json", "--out", str(out)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="leaderboard runs (default 3)")
    parser.add_argument("--once", nargs=2, metavar=("OUT", "LOG"), help=argparse.SUPPRESS)  # one run, here
    args = parser.parse_args(argv)
    if args.once:
        return leaderboard_once(Path(args.once[0]), Path(args.once[1]))
    with tempfile.TemporaryDirectory(prefix="pool-idle-") as tmp:
        root = Path(tmp)
        env = {**os.environ, CACHE_ENV: str(root / "cache")}
        log = root / "batches.log"
        print(f"leaderboard {' '.join(LEADERBOARD)} --jobs 2, {args.repeats} runs (after one that fills the cache)")
        print(f"{'run':>3s} {'seconds':>8s} {'worker':>6s} {'batches':>7s} {'runs':>5s} {'busy s':>7s} "
              f"{'idle s':>7s} {'longest wait s':>14s} {'span s':>7s}")
        for r in range(-1, args.repeats):
            log.unlink(missing_ok=True)
            start = time.perf_counter()
            done = subprocess.run([sys.executable, __file__, "--once", str(root / f"lb{r}"), str(log)], env=env,
                                  capture_output=True, text=True)
            seconds = time.perf_counter() - start
            if done.returncode != 0:
                raise SystemExit(f"leaderboard failed: {done.stderr.strip().splitlines()[-1:]}")
            for w, (batches, items, busy, idle, longest, span) in enumerate(worker_rows(log) if r >= 0 else []):
                print(f"{r:3d} {seconds:8.2f} {w:6d} {batches:7d} {items:5d} {busy:7.2f} {idle:7.3f} "
                      f"{longest:14.3f} {span:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
