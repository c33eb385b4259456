"""Options of hardware-aware search shared by ``leaderboard`` and ``report``: objectives, cost
constraints and the hypervolume reference point (``nasbench_lab.core.objectives``)."""
from __future__ import annotations

import argparse

from nasbench_lab.core.objectives import Problem, problem_from_options


def add_problem_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--objectives", metavar="search,COST[,COST]",
                   help="multi-objective search: the search metric maximised and each cost minimised, "
                        "e.g. search,latency:pixel3")
    p.add_argument("--constraint", action="append", metavar="COST<=LIMIT",
                   help="cost limit, e.g. latency:pixel3<=5 or params<=0.5 (repeatable); the incumbent "
                        "is then the best feasible architecture")
    p.add_argument("--hv-reference", metavar="ACC,COST[,COST]",
                   help="hypervolume reference point, one value per objective (default: the median "
                        "architecture's accuracy and the largest cost on the true front)")


def problem_from(args: argparse.Namespace) -> Problem:
    return problem_from_options(args.objectives, args.constraint, args.hv_reference)
