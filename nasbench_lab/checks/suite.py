"""Run a selection of checks in a fresh cache and write what they found: ``validation.md``,
``validation.json`` (environment included) and the checks' figures, all written then renamed."""
from __future__ import annotations

import dataclasses
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from nasbench_lab.infra.settings import Settings

from nasbench_lab.checks.check import Check, Result, Validation, process_cpu_seconds, run_check
from nasbench_lab.checks.context import ValidationContext

EXTRA_PACKAGES = ("scipy", "scikit-learn", "torch-geometric", "matplotlib")


def estimate_seconds(checks: list[Check], mode: str) -> float:
    """Wall seconds the checks took on the project's 2-core machine (their recorded figures)."""
    return float(sum(c.seconds.get(mode, 0.0) for c in checks if mode in c.modes))


def environment(context: ValidationContext) -> dict[str, Any]:
    """Python, platform, package versions and the data files the checks read, with SHA-256."""
    import importlib.metadata

    from nasbench_lab.running.provenance import checksums, package_versions

    versions = package_versions()
    for name in EXTRA_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
            "jobs": context.jobs, "versions": versions, "data_dir": context.settings.as_dict()["data_dir"],
            "data_files": checksums(sorted(context.data_files))}


def run_validation(checks: list[Check], mode: str, out: Path, settings: Settings, *, jobs: int = 2,
                   on_result: Callable[[int, Result], None] | None = None) -> Validation:
    """Run ``checks`` in ``mode`` with a fresh cache directory (deleted afterwards), writing their
    figures into ``out``; ``on_result(k, result)`` after each check."""
    started, wall, cpu = time.strftime("%Y-%m-%dT%H:%M:%S"), time.perf_counter(), process_cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="nasbench-lab-validate-") as cache:
        context = ValidationContext(mode, dataclasses.replace(settings, cache_dir=Path(cache)), Path(out), jobs)
        results = []
        for k, check in enumerate(checks):
            results.append(run_check(check, context))
            if on_result is not None:
                on_result(k, results[-1])
        env = environment(context)
    return Validation(mode, results, env, started, time.perf_counter() - wall, process_cpu_seconds() - cpu)


def write_outputs(validation: Validation, out: Path) -> list[Path]:
    """``validation.md`` and ``validation.json`` in ``out`` (each written then renamed)."""
    from nasbench_lab.infra.files import write_json, write_text

    from nasbench_lab.checks.markdown import markdown

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "validation.json", out / "validation.md"]
    write_json(paths[0], validation.as_dict())
    write_text(paths[1], markdown(validation))
    return paths
