"""Kill a leaderboard with SIGKILL at random moments, resume it each time, and check that the
results end identical to an uninterrupted run and that no kill leaves a store ``report`` accepts
as complete when it is not.

    python experiments/kill_resume.py --data-dir ../shared/data            # 3 algorithms x 100 seeds, 20 kills
    python experiments/kill_resume.py --benchmark nb201-analog/cifar10 --seeds 0-19 --kills 6

Steps: one uninterrupted reference run (its ``runs.csv`` is the truth); then a leaderboard into a
second directory, started fresh and then with ``--resume``, killed (the whole process group) at
each of ``--kills`` moments. The moments mix three kinds, in a seeded order:

* ``random``: after a random delay between 10% and 80% of the reference's wall time;
* ``commit``: as soon as a run file is being written (``runs/.*.tmp`` exists);
* ``export``: as soon as ``runs.csv`` is being exported (``.runs.csv.*.tmp`` exists).

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


def start_and_kill(cmd: list[str], out: Path, kind: str, delay: float, timeout: float) -> float:
    """Start ``cmd``, SIGKILL its process group at the moment ``kind`` asks for; return the
    seconds after start the signal went (nan when the command ended first)."""
    left_over = set() if kind == "random" else _temporaries(out, kind)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    while proc.poll() is None:
        now = time.perf_counter() - start
        due = now >= delay if kind == "random" else bool(_temporaries(out, kind) - left_over)
        if due or now > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return now
        time.sleep(0.0005 if kind != "random" else 0.005)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.read().decode()}")
    return float("nan")


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
    seconds = run_to_end(leaderboard_command(args, ref, resume=False))
    reference = read_results(ref)[0]
    rng = np.random.default_rng(args.kill_seed)
    kinds = [KINDS[i % len(KINDS)] for i in range(args.kills)]
    rng.shuffle(kinds)
    kills = []
    for i, kind in enumerate(kinds):
        cmd = leaderboard_command(args, out, resume=(out / "manifest.json").is_file())
        delay = float(rng.uniform(0.1, 0.8)) * seconds
        at = start_and_kill(cmd, out, kind, delay, timeout=3 * seconds + 30)
        kills.append(Kill(kind, at, check_run_files(out, args.budget), verdict(out, reference)))
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
