"""Kill a leaderboard with SIGKILL at random moments, resume it each time, and check that the
results end identical to an uninterrupted run and that no kill leaves a store ``report`` accepts
as complete when it is not.

    python experiments/kill_resume.py --data-dir ../shared/data            # 3 algorithms x 100 seeds, 20 kills
    python experiments/kill_resume.py --benchmark nb201-analog/cifar10 --seeds 0-19 --kills 6

Steps: one uninterrupted reference run (its ``runs.csv`` is the truth); then a leaderboard into a
second directory, started fresh and then with ``--resume``, killed (the whole process group) at
each of ``--kills`` moments. The moments mix three kinds:

* ``random``: at a moment drawn uniformly over the reference's start-up (until its first run
  file) followed by twice a share of its run phase, so that kills fall in start-up and between runs;
* ``commit``: while a run file is being written (``runs/.*.tmp`` exists), after a random number
  of runs have finished in this attempt;
* ``export``: while ``runs.csv`` is being exported (``.runs.csv.*.tmp`` exists); these come last
  (about a third of the kills): the first finishes the runs and dies in its export, the others
  kill the re-export of a complete store, which must stay complete.

After every kill the store is read as ``nasbench-lab report`` reads it: it must be refused with
one line (incomplete), or accepted with exactly the reference's rows. Every run file present
must be a whole run. At the end the store is resumed to completion and its ``runs.csv`` must
equal the reference's in every column but the wall-clock timings (``seconds``, ``compute_seconds``).
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from nasbench_lab.errors import NasLabError  # noqa: E402
from nasbench_lab.reports.report import read_results  # noqa: E402

KINDS = ("random", "commit", "export")
EXPORT_TRIES = 5  # a short export may end between two polls
WALL_CLOCK = ["seconds", "compute_seconds"]  # timings: the only columns that differ between two runs


def results(runs: pd.DataFrame) -> pd.DataFrame:
    """The rows without their wall-clock timings: what must not depend on kills and resumes."""
    return runs.drop(columns=[c for c in WALL_CLOCK if c in runs.columns])


@dataclass
class Kill:
    kind: str
    seconds: float  # after start, when the signal was sent (nan: the run ended first)
    finished_runs: int  # run files in the store after the kill
    verdict: str  # "refused: ..." or "accepted"


def leaderboard_command(args: argparse.Namespace, out: Path, resume: bool) -> list[str]:
    cmd = [sys.executable, "-m", "nasbench_lab.cli", "leaderboard", "--benchmark", args.benchmark,
           "--algorithms", args.algorithms, "--seeds", args.seeds, "--budget", str(args.budget),
           "--out", str(out), "--no-progress", "--json"]
    if args.data_dir:
        cmd += ["--data-dir", str(args.data_dir)]
    return cmd + (["--resume"] if resume else [])


def run_to_end(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return time.perf_counter() - start


def _temporaries(out: Path, kind: str) -> set[Path]:
    """The temporary files of a write of ``kind`` in progress (or left by an earlier kill)."""
    folder = out if kind == "export" else out / "runs"
    return set(folder.glob(".runs.csv.*.tmp" if kind == "export" else ".*.tmp")) if folder.is_dir() else set()


def finished_runs(out: Path) -> int:
    folder = out / "runs"
    if not folder.is_dir():
        return 0
    with os.scandir(folder) as entries:
        return sum(1 for e in entries if e.name.endswith(".csv") and not e.name.startswith("."))


@dataclass
class Moment:
    """When to kill: ``random`` (``delay`` seconds after start if ``after_first_run`` is false,
    else after the first run this attempt finishes), ``commit`` (while the run file after ``runs``
    more finished runs is written) or ``export`` (while runs.csv is written)."""

    kind: str
    delay: float = 0.0
    after_first_run: bool = False
    runs: int = 0


def start_and_kill(cmd: list[str], out: Path, moment: Moment, timeout: float) -> float:
    """Start ``cmd``, SIGKILL its process group at ``moment``; return the seconds after start
    the signal went (nan when the command ended first)."""
    left_over = set() if moment.kind == "random" else _temporaries(out, moment.kind)
    before = finished_runs(out)
    start = time.perf_counter()
    first_run = float("nan")  # when this attempt's first run file appeared
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    while proc.poll() is None:
        now = time.perf_counter() - start
        done = finished_runs(out) - before
        if first_run != first_run and done > 0:
            first_run = now
        if moment.kind == "random":
            due = now - (first_run if moment.after_first_run else 0.0) >= moment.delay
        elif moment.kind == "commit" and done < moment.runs:
            due = False
        else:
            due = bool(_temporaries(out, moment.kind) - left_over)
        if due or now > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return now
        time.sleep(0.0005)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.read().decode()}")
    return float("nan")


@dataclass
class Timing:
    """The uninterrupted reference run: wall time, start-up (until its first run file) and the
    run phase (first to last run file)."""

    seconds: float
    startup: float
    run_phase: float


def reference_run(cmd: list[str], out: Path) -> Timing:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first = last = float("nan")
    seen = 0
    while proc.poll() is None:
        count = finished_runs(out)
        if count > seen:
            now = time.perf_counter() - start
            first = now if seen == 0 else first
            last, seen = now, count
        time.sleep(0.001)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.read().decode()}")
    seconds = time.perf_counter() - start
    if first != first:  # too fast to see
        first = last = seconds
    return Timing(seconds, first, max(last - first, 1e-3))


def moments(kills: int, total_runs: int, timing: Timing, rng: np.random.Generator) -> list[Moment]:
    """``kills`` moments: random and commit kills first, in a seeded order, spread so that each
    resume gets about a share of the remaining runs done; export kills (a third) last. A random
    kill falls uniformly on the start-up followed by twice a share of the run phase."""
    n_export = max(1, kills // 3)
    early = [KINDS[i % 2] for i in range(kills - n_export)]
    rng.shuffle(early)
    share = max(1, total_runs // (kills - n_export + 1))
    window = timing.run_phase * 2 * share / total_runs
    out = []
    for kind in early:
        at = float(rng.uniform(0, timing.startup + window))
        out.append(Moment(kind, delay=at if at < timing.startup else at - timing.startup,
                          after_first_run=at >= timing.startup, runs=int(rng.integers(1, 2 * share + 1))))
    return out + [Moment("export")] * n_export


def verdict(out: Path, reference: pd.DataFrame) -> str:
    """What ``report`` makes of the store: refused (one line) or accepted with the reference's rows."""
    try:
        runs, _ = read_results(out)
    except NasLabError as exc:
        text = str(exc)
        assert "\n" not in text, text
        return "refused: " + (text[:70] + "..." if len(text) > 70 else text)
    pd.testing.assert_frame_equal(results(runs), results(reference))  # accepted -> it must BE complete
    return "accepted"


def check_run_files(out: Path, budget: int) -> int:
    """Every run file present is one whole run (a header, 1..budget queries numbered 1..n)."""
    files = sorted((out / "runs").glob("*.csv"))
    for path in files:
        frame = pd.read_csv(path)
        queries = frame["query"].to_numpy()
        if not (1 <= len(frame) <= budget) or not np.array_equal(queries, np.arange(1, len(frame) + 1)):
            raise AssertionError(f"{path} is not a whole run ({len(frame)} rows)")
    return len(files)


def kill_and_resume(args: argparse.Namespace, work: Path) -> tuple[list[Kill], float, bool]:
    """The whole experiment; returns the kills, the reference's wall time and whether the final
    ``runs.csv`` equals the reference's (timings aside)."""
    ref, out = work / "reference", work / "killed"
    timing = reference_run(leaderboard_command(args, ref, resume=False), ref)
    seconds = timing.seconds
    reference = read_results(ref)[0]
    total = int(reference.groupby(["benchmark", "dataset", "algorithm", "seed"]).ngroups)
    kills = []
    for moment in moments(args.kills, total, timing, np.random.default_rng(args.kill_seed)):
        for _ in range(EXPORT_TRIES if moment.kind == "export" else 1):
            cmd = leaderboard_command(args, out, resume=(out / "manifest.json").is_file())
            at = start_and_kill(cmd, out, moment, timeout=3 * seconds + 30)
            if at == at:  # the signal went (an export can be over before the poll sees it: try again)
                break
        kills.append(Kill(moment.kind, at, check_run_files(out, args.budget), verdict(out, reference)))
    run_to_end(leaderboard_command(args, out, resume=(out / "manifest.json").is_file()))
    final = read_results(out)[0]
    identical = results(final).equals(results(reference))
    return kills, seconds, identical


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark", default="nb201/cifar10")
    parser.add_argument("--algorithms", default="random,re,sa")
    parser.add_argument("--seeds", default="0-99")
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--kill-seed", type=int, default=0, help="seed of the kill moments")
    parser.add_argument("--data-dir", help="shared CSV tables (for nb201; default: $NASBENCH_LAB_DATA)")
    parser.add_argument("--work", help="working directory (default: a temporary one)")
    args = parser.parse_args(argv)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work or tmp)
        work.mkdir(parents=True, exist_ok=True)
        kills, seconds, identical = kill_and_resume(args, work)
    print(f"reference: {args.benchmark}, {args.algorithms}, seeds {args.seeds}, budget {args.budget}: {seconds:.1f} s")
    print(f"{'kill':>4}  {'kind':<7} {'at s':>6}  {'runs':>5}  report")
    for i, k in enumerate(kills, 1):
        at = "ended" if k.seconds != k.seconds else f"{k.seconds:6.2f}"
        print(f"{i:>4}  {k.kind:<7} {at:>6}  {k.finished_runs:>5}  {k.verdict}")
    print(f"final runs.csv identical to the uninterrupted run (timings aside): {identical}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
