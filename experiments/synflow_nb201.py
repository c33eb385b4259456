"""SynFlow on all 15,625 NAS-Bench-201 cells of each dataset: rank correlation with the
200-epoch test accuracy against the published figures, and the scoring time. A thin caller of
the validation checks: the same as ``nasbench-lab validate --full --only synflow``.

    python experiments/synflow_nb201.py --data-dir ../shared/data [--jobs 2] [--quick] [--out DIR]

The scores are always computed afresh (the checks run in a new cache directory), so the times in
validation.md / validation.json (``compute_seconds``, ``wall_seconds``, seconds per check) cover
the whole computation; ``--fresh`` is accepted for old command lines and changes nothing.
Published (Abdelfattah et al. 2021, "Zero-Cost Proxies for Lightweight NAS", Table 1, Spearman
rho on all NB201 cells): CIFAR-10 0.737, CIFAR-100 0.763, ImageNet16-120 0.751.
"""
from __future__ import annotations

import argparse
import sys

from nasbench_lab.cli import main as cli
from nasbench_lab.infra.parallel import default_jobs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="directory with nats_bench.csv (default: $NASBENCH_LAB_DATA)")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="worker processes (default: 2)")
    parser.add_argument("--quick", action="store_true", help="a seeded sample of 400 cells per dataset")
    parser.add_argument("--out", help="output directory (default: results/validation-<time>)")
    parser.add_argument("--fresh", action="store_true", help="(always the case now; kept for old command lines)")
    args = parser.parse_args()
    argv = ["validate", "--quick" if args.quick else "--full", "--only", "synflow", "--jobs", str(args.jobs)]
    argv += ["--data-dir", args.data_dir] if args.data_dir else []
    argv += ["--out", args.out] if args.out else []
    return cli(argv)


if __name__ == "__main__":
    sys.exit(main())
