"""Several results folders read as one, when they ran the same protocol: the same benchmarks and
datasets, budget, seeds, time budget, problem (objectives, constraints) and recorded recipe
(``--benchmark-option`` values), and the same data files (by SHA-256). Different algorithms are
the point of merging; the same algorithm twice is refused (its runs would count twice). Folders
that differ are refused with one line naming the first difference.

    runs, config = read_merged([Path("a"), Path("b")])
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from nasbench_lab.errors import NasLabError

from .report import read_results


def _benchmarks(config: dict, runs: pd.DataFrame) -> list[str]:
    recorded = config.get("benchmarks")
    if recorded:
        return sorted(f"{b.get('benchmark')}/{b.get('dataset')}" for b in recorded)
    return sorted(f"{b}/{d}" for b, d in runs.groupby(["benchmark", "dataset"]).groups)


def _seeds(config: dict, runs: pd.DataFrame) -> list[int]:
    return sorted(int(s) for s in (config.get("seeds") or runs["seed"].unique()))


def _recipe(config: dict) -> dict:
    return (config.get("settings") or {}).get("options") or {}


def _data(config: dict) -> list[str]:
    return sorted((config.get("data_files") or {}).values())


#: What must agree, in the order it is checked: (name, how to read it from config and runs).
PROTOCOL: tuple[tuple[str, Callable[[dict, pd.DataFrame], Any]], ...] = (
    ("benchmarks", _benchmarks),
    ("budget", lambda c, r: c.get("budget", int(r["query"].max()))),
    ("seeds", _seeds),
    ("time budget", lambda c, r: c.get("time_budget_seconds")),
    ("problem", lambda c, r: c.get("problem") or None),
    ("recipe (--benchmark-option)", lambda c, r: _recipe(c)),
    ("data files (SHA-256)", lambda c, r: _data(c)),
)


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def protocol_difference(first: tuple[Path, dict, pd.DataFrame], other: tuple[Path, dict, pd.DataFrame]) -> str | None:
    """The first protocol item on which two read folders differ, as one line; None if they agree."""
    (path_a, config_a, runs_a), (path_b, config_b, runs_b) = first, other
    for name, read in PROTOCOL:
        a, b = read(config_a, runs_a), read(config_b, runs_b)
        if a != b:
            return f"cannot merge {path_a} and {path_b}: {name} differ ({_show(a)} vs {_show(b)})"
    shared = sorted(set(runs_a["algorithm"]) & set(runs_b["algorithm"]))
    if shared:
        return f"cannot merge {path_a} and {path_b}: both hold runs of {', '.join(shared)}"
    return None


def merge_configs(configs: Sequence[dict], folders: Sequence[Path]) -> dict:
    """The first folder's configuration with every folder's algorithms and commands, and the
    folders themselves under ``merged_from``."""
    merged = dict(configs[0])
    merged["algorithms"] = {name: values for c in configs for name, values in (c.get("algorithms") or {}).items()}
    merged["command"] = [c.get("command") for c in configs]
    merged["merged_from"] = [str(f) for f in folders]
    return merged


def read_merged(folders: Sequence[Path], *, unchecked: bool = False) -> tuple[pd.DataFrame, dict]:
    """Each folder read and checked as ``read_results`` does (``unchecked``: as its row-by-row
    read of a folder no manifest vouches for), then joined into one ``runs`` table and one
    configuration; a single folder is returned as it is."""
    read = [(Path(f), *reversed(read_results(Path(f), unchecked=unchecked))) for f in folders]  # (path, config, runs)
    if len({p.resolve() for p, _, _ in read}) < len(read):
        raise NasLabError("the same results folder is given twice")
    if len(read) == 1:
        return read[0][2], read[0][1]
    for other in read[1:]:
        problem = protocol_difference(read[0], other)
        if problem:
            raise NasLabError(problem)
    runs = pd.concat([r for _, _, r in read], ignore_index=True)
    return runs, merge_configs([c for _, c, _ in read], [p for p, _, _ in read])


def oneshot_folder(folders: Sequence[Path]) -> tuple[Path | None, list[str]]:
    """The folder whose one-shot records the report draws (the first that holds any), and a note
    naming the other folders that hold some too (their records are not drawn)."""
    from .oneshot import load_records

    holding = [Path(f) for f in folders if (Path(f) / "manifest.json").is_file() and load_records(Path(f))]
    if not holding:
        return (Path(folders[0]) if len(folders) == 1 else None), []
    return holding[0], [f"one-shot figures drawn from {holding[0]} only, not from {f}" for f in holding[1:]]
