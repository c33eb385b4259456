"""What a check runs with: the mode, the settings (data paths and a fresh cache), worker
processes, where figures go, and the data files it read (for the environment record)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from nasbench_lab.core.benchmark import Benchmark
from nasbench_lab.infra.settings import Settings

T = TypeVar("T")


@dataclass
class ValidationContext:
    """``settings.cache_dir`` is a fresh directory for this run, so nothing computed before (a
    converted table, a proxy score) is reused: every figure is derived from the data files and
    the code as they are now. ``out``: the output directory (figures are written there)."""

    mode: str
    settings: Settings
    out: Path
    jobs: int = 2
    data_files: dict[str, None] = field(default_factory=dict)

    @property
    def quick(self) -> bool:
        return self.mode == "quick"

    def pick(self, quick: T, full: T) -> T:
        """The quick or the full form of a parameter."""
        return quick if self.quick else full

    def benchmark(self, name: str, dataset: str | None) -> Benchmark:
        """``open_benchmark`` (the library's loader), remembering the files it read."""
        from nasbench_lab.core.loading import open_benchmark

        bench = open_benchmark(name, dataset, self.settings)
        self.record_files(bench.data_files())
        return bench

    def record_files(self, paths: Any) -> None:
        for path in paths:
            self.data_files[str(Path(path).absolute())] = None

    def figure(self, name: str) -> Path:
        """Where the figure ``name`` (e.g. ``nb201-re-cifar10.png``) of a check goes."""
        return self.out / name
