"""The checks of ``nasbench-lab validate``: one module per family, each defining ``CHECKS``.
A new family (e.g. Once-for-All extraction) is a module with ``CHECKS`` and one line here."""
from __future__ import annotations

import fnmatch
import importlib

from nasbench_lab.errors import NasLabError

from nasbench_lab.checks.check import Check

FAMILIES: dict[str, str] = {
    "protocol": "nasbench_lab.checks.nb201_protocol",
    "tables": "nasbench_lab.checks.tables",
    "synflow": "nasbench_lab.checks.proxies",
    "predictors": "nasbench_lab.checks.predictors",
    "nasbench-graph": "nasbench_lab.checks.graph",
    "oneshot": "nasbench_lab.checks.oneshot",
    "ofa": "nasbench_lab.checks.ofa",
    "strategies": "nasbench_lab.checks.strategies",
}


def all_checks() -> list[Check]:
    """Every check, family by family, in a fixed order; names are unique."""
    checks = [c for module in FAMILIES.values() for c in importlib.import_module(module).CHECKS]
    names = [c.name for c in checks]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise NasLabError(f"two checks share the name {', '.join(twice)}")
    return checks


def select(only: list[str] | None, checks: list[Check] | None = None) -> list[Check]:
    """The checks ``only`` names (check names, family names or shell patterns such as
    ``synflow-*``), in registry order; None: all. A name matching nothing is a one-line error."""
    checks = all_checks() if checks is None else checks
    if not only:
        return list(checks)
    chosen: set[str] = set()
    for item in only:
        found = {c.name for c in checks if c.family == item or fnmatch.fnmatchcase(c.name, item)}
        if not found:
            families = ", ".join(dict.fromkeys(c.family for c in checks))
            raise NasLabError(f"--only {item!r} matches no check; families: {families}; "
                              f"checks: {', '.join(c.name for c in checks)}")
        chosen |= found
    return [c for c in checks if c.name in chosen]
