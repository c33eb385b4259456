"""Old import paths of modules that moved into the layer packages (``core``, ``running``,
``infra``): ``import nasbench_lab.oracle`` still works, with a ``DeprecationWarning`` naming the new
path, so that plug-ins written against the flat layout keep running."""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

#: Old module -> its home now.
MOVED = {
    "nasbench_lab.algorithm": "nasbench_lab.core.algorithm",
    "nasbench_lab.api": "nasbench_lab.running.api",
    "nasbench_lab.benchmark": "nasbench_lab.core.benchmark",
    "nasbench_lab.claims": "nasbench_lab.infra.claims",
    "nasbench_lab.context": "nasbench_lab.core.context",
    "nasbench_lab.costs": "nasbench_lab.core.costs",
    "nasbench_lab.csv_text": "nasbench_lab.infra.csv_text",
    "nasbench_lab.executors": "nasbench_lab.running.executors",
    "nasbench_lab.fronts": "nasbench_lab.core.fronts",
    "nasbench_lab.graph": "nasbench_lab.core.graph",
    "nasbench_lab.hyperparams": "nasbench_lab.core.hyperparams",
    "nasbench_lab.image_batches": "nasbench_lab.infra.image_batches",
    "nasbench_lab.introspect": "nasbench_lab.infra.introspect",
    "nasbench_lab.loading": "nasbench_lab.core.loading",
    "nasbench_lab.objectives": "nasbench_lab.core.objectives",
    "nasbench_lab.oracle": "nasbench_lab.core.oracle",
    "nasbench_lab.parallel": "nasbench_lab.infra.parallel",
    "nasbench_lab.provenance": "nasbench_lab.running.provenance",
    "nasbench_lab.proxies.table": "nasbench_lab.proxies.scores",
    "nasbench_lab.ranking": "nasbench_lab.core.rank_correlation",
    "nasbench_lab.registry": "nasbench_lab.core.registry",
    "nasbench_lab.reports.ranking": "nasbench_lab.reports.scatter",
    "nasbench_lab.reports.validation": "nasbench_lab.reports.checks",
    "nasbench_lab.runner": "nasbench_lab.running.runner",
    "nasbench_lab.settings": "nasbench_lab.infra.settings",
    "nasbench_lab.space": "nasbench_lab.core.space",
    "nasbench_lab.store": "nasbench_lab.running.store",
    "nasbench_lab.supernet.protocol": "nasbench_lab.supernet.provider",
    "nasbench_lab.supernet_ranking": "nasbench_lab.running.supernet_correlation",
    "nasbench_lab.table_cache": "nasbench_lab.core.table_cache",
    "nasbench_lab.trajectory": "nasbench_lab.running.trajectory",
    "nasbench_lab.validation": "nasbench_lab.checks",
    "nasbench_lab.validation.protocol": "nasbench_lab.checks.nb201_protocol",
    "nasbench_lab.workflows.board": "nasbench_lab.workflows.leaderboard",
}


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers an old module name with the module at its new path (the same object)."""

    def find_spec(self, fullname, path=None, target=None):
        return importlib.util.spec_from_loader(fullname, self) if fullname in MOVED else None

    def create_module(self, spec):
        warnings.warn(f"{spec.name} moved to {MOVED[spec.name]}; import it from there",
                      DeprecationWarning, stacklevel=3)
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module) -> None:
        """Nothing to run: the module was loaded under its new name."""


def install() -> None:
    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.append(MovedModules())
