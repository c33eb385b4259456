"""The NB201 paper protocol (Dong & Yang 2020, Table 5): random search and REA at 100 queries
on CIFAR-10, CIFAR-100 and ImageNet16-120 (search on 12-epoch validation, report 200-epoch test),
and the best-by-validation ceiling of each dataset. A thin caller of the validation checks:
the same as ``nasbench-lab validate --full --only protocol``.

    python experiments/nb201_protocol.py --data-dir ../shared/data [--quick] [--out DIR]

Full: 500 seeds per method (the paper's run count); quick: 100. Writes validation.md/.json and
one figure per method and dataset (our final accuracies beside the paper's mean ± std).
"""
from __future__ import annotations

import argparse
import sys

from nasbench_lab.cli import main as cli


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="directory with nb201_12epoch.csv and nats_bench.csv")
    parser.add_argument("--quick", action="store_true", help="100 seeds per method instead of 500")
    parser.add_argument("--out", help="output directory (default: results/validation-<time>)")
    args = parser.parse_args()
    argv = ["validate", "--quick" if args.quick else "--full", "--only", "protocol"]
    argv += ["--data-dir", args.data_dir] if args.data_dir else []
    argv += ["--out", args.out] if args.out else []
    return cli(argv)


if __name__ == "__main__":
    sys.exit(main())
