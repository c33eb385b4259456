"""nasbench-lab: run and validate NAS algorithms on tabular NAS benchmarks."""
from nasbench_lab.core.algorithm import Algorithm, AskTellAlgorithm, OneShotAlgorithm
from nasbench_lab.core.benchmark import Benchmark, BenchmarkSpec, TabularBenchmark
from nasbench_lab.infra.settings import Settings
from .errors import NasLabError
from nasbench_lab.core.graph import ArchGraph
from nasbench_lab.core.oracle import Oracle, Query
from nasbench_lab.core.space import FiniteSpace, SearchSpace
from .version import __version__
from . import moved

moved.install()
__all__ = [
    "Algorithm", "AskTellAlgorithm", "OneShotAlgorithm", "ArchGraph", "Benchmark", "BenchmarkSpec",
    "TabularBenchmark", "FiniteSpace", "NasLabError", "Oracle", "Query", "SearchSpace", "Settings", "run",
    "read_results",
]


def __getattr__(name: str):
    """Lazy exports: ``nasbench_lab.run`` imports the runner (pandas) and
    ``nasbench_lab.read_results`` the reader of a results folder only when first used."""
    if name == "run":
        from nasbench_lab.running.api import run

        globals()["run"] = run
        return run
    if name == "read_results":
        from nasbench_lab.reports.report import read_results

        globals()["read_results"] = read_results
        return read_results
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"run", "read_results"})
