"""nasbench-lab: run and validate NAS algorithms on tabular NAS benchmarks."""
from .algorithm import Algorithm, AskTellAlgorithm, OneShotAlgorithm
from .benchmark import Benchmark, BenchmarkSpec, TabularBenchmark
from .config import Settings
from .errors import NasLabError
from .graph import ArchGraph
from .oracle import Oracle, Query
from .space import FiniteSpace, SearchSpace

__version__ = "0.1.0"
__all__ = [
    "Algorithm", "AskTellAlgorithm", "OneShotAlgorithm", "ArchGraph", "Benchmark", "BenchmarkSpec",
    "TabularBenchmark", "FiniteSpace", "NasLabError", "Oracle", "Query", "SearchSpace", "Settings",
]
