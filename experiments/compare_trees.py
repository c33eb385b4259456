"""The 1,200-run NB201 leaderboard of ``throughput.py`` (RS, RE, SA on CIFAR-10 and CIFAR-100, 200
seeds, budget 100) in this tree and in another checkout of the project, interleaved: in each round
both trees run ``--jobs 1`` and ``--jobs 2`` back to back (the order of trees and of job counts
alternates between rounds, so that drift on a shared machine hits both alike). One untimed run fills
the cache they share first.

Printed: each round's wall seconds; per tree the median (and best) of each job count, the median
of the back-to-back ratios jobs 1 / jobs 2 (their range) and best / best; the median of the paired
differences between the trees; and whether both trees wrote the same rows (every column but
``seconds``).

The other tree runs as ``python -m nasbench_lab.cli`` with its folder first on ``PYTHONPATH``: its
``nasbench_lab/`` package is used, while the top-level ``adapters/``, ``algorithms/`` and
``reports/`` folders come from the installed (editable) project. Make the checkout with e.g.
``git worktree add ../before <commit>``.

    python experiments/compare_trees.py --against ../before [--rounds 10]   (nb201 needs no --data-dir)
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from throughput import leaderboard_seconds, same_rows  # noqa: E402


def tree_env(tree: Path, cache: Path) -> dict[str, str]:
    """The environment of a run of ``tree``: its folder first on the path, the shared ``cache``."""
    return {**os.environ, "NASBENCH_LAB_CACHE": str(cache), "PYTHONPATH": str(tree)}


def check_imported_from(tree: Path, cache: Path) -> None:
    """Stop unless ``python -m`` in ``tree`` with ``tree`` first on the path imports its ``nasbench_lab``."""
    done = subprocess.run([sys.executable, "-c", "import nasbench_lab; print(nasbench_lab.__file__)"],
                          env=tree_env(tree, cache), capture_output=True, text=True, cwd=tree)
    found = Path(done.stdout.strip() or ".").resolve()
    if tree not in found.parents:
        raise SystemExit(f"running in {tree} imports nasbench_lab from {found}, not from the tree")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, required=True, help="another checkout of the project")
    parser.add_argument("--rounds", type=int, default=10, help="rounds, each running both trees (default 10)")
    args = parser.parse_args(argv)
    other = args.against.resolve()
    if not (other / "nasbench_lab" / "cli" / "__main__.py").is_file():
        raise SystemExit(f"{other} is not a checkout of this project (no nasbench_lab/cli/__main__.py)")
    trees = {"this": REPO, "other": other}
    print(f"this tree: {REPO}\nother tree: {other}\nload average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="compare-trees-") as tmp:
        root = Path(tmp)
        for tree in trees.values():
            check_imported_from(tree, root / "cache")
        cache = root / "cache"
        leaderboard_seconds(root / "warm-up", 2, tree_env(REPO, cache), REPO)
        seconds: dict[str, dict[int, list[float]]] = {name: {1: [], 2: []} for name in trees}
        for r in range(args.rounds):
            for name in (("this", "other") if r % 2 == 0 else ("other", "this")):
                for jobs in ((1, 2) if r % 2 == 0 else (2, 1)):
                    out = root / f"{name}-j{jobs}-{r}"
                    wall, _ = leaderboard_seconds(out, jobs, tree_env(trees[name], cache), trees[name])
                    seconds[name][jobs].append(wall)
            print(f"round {r}: " + "   ".join(f"{name} jobs 1 {seconds[name][1][-1]:.2f} s, jobs 2 "
                                               f"{seconds[name][2][-1]:.2f} s" for name in trees), flush=True)
        same = same_rows(root / "this-j1-0" / "runs.csv", root / "other-j1-0" / "runs.csv")
    for name in trees:
        one, two = seconds[name][1], seconds[name][2]
        pairs = [a / b for a, b in zip(one, two)]
        print(f"{name:5s}: jobs 1 median {statistics.median(one):.2f} s (best {min(one):.2f}); jobs 2 median "
              f"{statistics.median(two):.2f} s (best {min(two):.2f}); jobs 1 / jobs 2: x{statistics.median(pairs):.2f} "
              f"median of pairs (x{min(pairs):.2f} to x{max(pairs):.2f}), x{min(one) / min(two):.2f} best / best")
    for jobs in (1, 2):
        gaps = [a - b for a, b in zip(seconds["this"][jobs], seconds["other"][jobs])]
        print(f"jobs {jobs}: this minus other, median of the rounds' differences {statistics.median(gaps):+.2f} s")
    print(f"rows of both trees identical (all columns but seconds): {'yes' if same else 'NO'}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
