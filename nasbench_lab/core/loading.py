"""Names to objects: load a benchmark by name and dataset, check an algorithm's hyper-parameters."""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from nasbench_lab.core.benchmark import Benchmark, BenchmarkSpec
from nasbench_lab.infra.settings import Settings, absolute
from nasbench_lab.errors import UnknownNameError
from nasbench_lab.core.registry import ALGORITHMS, BENCHMARKS


#: Parameterised benchmark names whose argument is a file path (``table:<declaration>``).
PATH_PREFIXES = ("table:",)


def canonical_benchmark(name: str) -> str:
    """``name`` as a results directory records it: a ``table:<path>`` with its path made absolute,
    so that ``report`` finds the declaration from any working directory."""
    for prefix in PATH_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return prefix + str(absolute(name[len(prefix):]))
    return name


def benchmark_spec(name: str) -> BenchmarkSpec:
    """The registered benchmark ``name`` (built-in, plug-in or ``table:<path>``)."""
    spec = BENCHMARKS.get(name)
    if not isinstance(spec, BenchmarkSpec):
        raise UnknownNameError(f"{name!r} is not a benchmark")
    return spec


@lru_cache(maxsize=16)
def _load(name: str, dataset: str, settings_json: str) -> Benchmark:
    return benchmark_spec(name).build(dataset, Settings.from_dict(json.loads(settings_json)))


def load_benchmark(name: str, dataset: str | None, settings: Settings) -> Benchmark:
    """Load (once per process) a benchmark by name and dataset (aliases accepted), after
    refusing options (``settings.options[name]``) it does not take."""
    spec = benchmark_spec(name)
    spec.check_options(settings.options.get(name) or {}, name)
    return _load(name, spec.resolve(dataset), json.dumps(settings.as_dict(), sort_keys=True))


def open_benchmark(name: str, dataset: str | None, settings: Settings) -> Benchmark:
    """The one door from a benchmark's name to the loaded benchmark, for every caller outside
    loaded plan (``nasbench_lab.running.pipeline``): the plan's own loading, commands that read one
    benchmark, the report, validation and worker helpers."""
    return load_benchmark(name, dataset, settings)


def resolve_algorithm(name: str, params: dict[str, Any], cls: type | None = None) -> dict[str, Any]:
    """Check the algorithm (``cls``, default: the one registered as ``name``) and every
    hyper-parameter value (type and declared range); return the full resolved set."""
    cls = cls if cls is not None else ALGORITHMS.get(name)
    defaults = cls.hyperparameters()
    unknown = set(params) - set(defaults)
    if unknown:
        raise UnknownNameError(
            f"algorithm {name!r} has no hyper-parameter {', '.join(sorted(unknown))}; it has: {', '.join(defaults) or 'none'}"
        )
    return cls.check_hyperparameters({**defaults, **params}, name)
