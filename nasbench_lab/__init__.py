"""nasbench-lab: run and validate NAS algorithms on tabular NAS benchmarks."""
from .algorithm import Algorithm, AskTellAlgorithm, OneShotAlgorithm
from .benchmark import Benchmark, BenchmarkSpec, TabularBenchmark
from .settings import Settings
from .errors import NasLabError
from .graph import ArchGraph
from .oracle import Oracle, Query
from .space import FiniteSpace, SearchSpace
from .version import __version__
__all__ = [
    "Algorithm", "AskTellAlgorithm", "OneShotAlgorithm", "ArchGraph", "Benchmark", "BenchmarkSpec",
    "TabularBenchmark", "FiniteSpace", "NasLabError", "Oracle", "Query", "SearchSpace", "Settings", "run",
]


def __getattr__(name: str):
    """Lazy exports: ``nasbench_lab.run`` imports the runner (pandas) only when first used."""
    if name == "run":
        from .api import run

        globals()["run"] = run
        return run
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"run"})
