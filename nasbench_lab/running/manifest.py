"""A results folder's manifest vouches for it; ``report`` and ``--resume`` believe nothing else.

``manifest.json`` (format 2) lists the expected runs and, once the store is complete, each run
file's SHA-256 and row count and the SHA-256 of ``runs.csv``. ``verify_run_files`` and
``check_results`` compare the folder with it and refuse (``NasLabError``, one line naming the
file) on any difference; values are checked on read (``check_values``: finite, in range).
A folder that holds a symbolic link anywhere is refused (``refuse_links``): nothing written
into a results folder follows a link out of it. A folder without a vouching manifest is read
only on request (``read_unchecked``), row by row, refusing anything that is not whole.
"""
from __future__ import annotations

import csv
import hashlib
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nasbench_lab.errors import NasLabError

if TYPE_CHECKING:
    import pandas as pd

MANIFEST_FORMAT = 2
RUN_KEYS = ["benchmark", "dataset", "algorithm", "seed"]
#: Metric columns of ``runs.csv``: finite numbers within +-``METRIC_LIMIT``; those of ``MAY_BE_EMPTY``
#: may be empty (no feasible architecture found yet; a live benchmark has no known optimum).
METRICS = ("search_metric", "report_metric", "best_search_metric", "best_report_metric", "regret")
MAY_BE_EMPTY = ("best_search_metric", "best_report_metric", "regret")
METRIC_LIMIT = 1e6
INTEGERS = ("seed", "query")
UNCHECKED_HINT = "pass --unchecked to read it anyway, unverified"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_path(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def refuse_links(folder: Path) -> None:
    """A ``NasLabError`` naming the first symbolic link found inside ``folder`` (not followed)."""
    folder = Path(folder)
    if folder.is_symlink():
        raise NasLabError(f"{folder} is a symbolic link: a results folder must be a real directory")
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in sorted(dirs + files):
            path = Path(root) / name
            if path.is_symlink():
                raise NasLabError(f"{path} is a symbolic link inside the results folder {folder}: "
                                  "refusing a folder that could make us read or write elsewhere")


def run_key(entry: dict) -> tuple[str, str, str, int]:
    return str(entry["benchmark"]), str(entry["dataset"]), str(entry["algorithm"]), int(entry["seed"])


def describe(key: tuple) -> str:
    return f"{key[0]}/{key[1]} {key[2]} seed {key[3]}"


def idle_runs(entries: list[dict]) -> list[str]:
    """The runs of a finished store's manifest ``entries`` that made no query, described."""
    return [describe(run_key(e)) for e in entries if e.get("rows") == 0]


def read_manifest(results: Path) -> dict | None:
    """The manifest of ``results`` (``None`` when there is none); unreadable is a ``NasLabError``."""
    path = Path(results) / "manifest.json"
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text())
        if not isinstance(manifest, dict) or not isinstance(manifest["runs"], list):
            raise TypeError("expected an object with a list of runs")
        for entry in manifest["runs"]:
            run_key(entry), str(entry["file"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NasLabError(f"cannot read {path}: {exc}") from None
    return manifest


def vouches(manifest: dict) -> bool:
    """Whether a complete manifest records checksums (format 2; older ones only list runs)."""
    return manifest.get("format") == MANIFEST_FORMAT and isinstance(manifest.get("runs_csv_sha256"), str)


def verify_run_files(results: Path, manifest: dict) -> None:
    """Each run file listed with a SHA-256 is a regular file with that SHA-256."""
    for entry in manifest["runs"]:
        if "sha256" not in entry:
            continue
        path = Path(results) / "runs" / Path(str(entry["file"])).name
        if path.is_symlink() or not path.is_file():
            raise NasLabError(f"{path} is listed in {Path(results) / 'manifest.json'} but missing: rerun or restore it")
        if sha256_path(path) != entry["sha256"]:
            raise NasLabError(f"{path} differs from its SHA-256 in {Path(results) / 'manifest.json'}: "
                              "the run file was altered; restore it or rerun with --overwrite")


def check_results(results: Path, runs: pd.DataFrame | None = None, *, unchecked: bool = False) -> None:
    """Refuse (``NasLabError``, one line) a results folder whose manifest is missing (unless
    ``unchecked``), says it is incomplete, or records no checksums; given the ``runs`` read from
    ``runs.csv``: its files must have their SHA-256 and the runs be the expected ones, with the
    recorded rows."""
    results = Path(results)
    manifest = read_manifest(results)
    if manifest is None:
        if unchecked:
            return
        raise NasLabError(f"{results} has no manifest.json: nothing vouches for its results; {UNCHECKED_HINT}")
    entries = manifest["runs"]
    if not manifest.get("complete"):
        done = sum((results / "runs" / str(e["file"])).is_file() for e in entries)
        raise NasLabError(f"{results} is incomplete ({done} of {len(entries)} runs finished): finish it with "
                          f"`nasbench-lab leaderboard --resume --out {results}` and the same options")
    if not vouches(manifest):
        if unchecked:
            return
        raise NasLabError(f"{results / 'manifest.json'} records no checksums (an older version wrote it); {UNCHECKED_HINT}")
    if runs is None:
        return
    if sha256_path(results / "runs.csv") != manifest["runs_csv_sha256"]:
        raise NasLabError(f"{results / 'runs.csv'} differs from its SHA-256 in {results / 'manifest.json'}: "
                          "the file was altered; restore it, or rerun")
    verify_run_files(results, manifest)
    check_runs(results, runs, entries)


def check_runs(results: Path, runs: pd.DataFrame, entries: list[dict]) -> None:
    """``runs`` hold exactly the manifest's runs (those that made a query), each with its rows."""
    path = results / "runs.csv"
    expected = {run_key(e) for e in entries if e.get("rows", 1) != 0}
    present = {(str(b), str(d), str(a), int(s)) for b, d, a, s in runs[RUN_KEYS].drop_duplicates().itertuples(index=False)}
    if present != expected:
        missing, extra = sorted(expected - present), sorted(present - expected)
        what = [f"{len(missing)} expected runs missing (e.g. {describe(missing[0])})"] if missing else []
        what += [f"{len(extra)} runs not in the manifest"] if extra else []
        raise NasLabError(f"{path} does not match {results / 'manifest.json'}: {'; '.join(what)}")
    recorded = {run_key(e): e.get("rows") for e in entries}
    for key, group in runs.groupby(RUN_KEYS, sort=False):
        key = (str(key[0]), str(key[1]), str(key[2]), int(key[3]))
        queries = group["query"].to_numpy()
        n, want = len(queries), recorded.get(key)
        if not np.array_equal(np.sort(queries), np.arange(1, n + 1)) or (want is not None and n != want):
            raise NasLabError(f"{path}: run {describe(key)} holds {n} rows, not "
                              f"{want if want is not None else 'queries 1..n'}: the file was altered; rerun or restore it")


def check_values(path: Path, runs: pd.DataFrame) -> None:
    """Every metric of ``runs`` is a finite number within +-``METRIC_LIMIT`` (``MAY_BE_EMPTY`` may be empty)."""
    import pandas as pd

    for column in METRICS:
        if column not in runs.columns:
            continue
        values = pd.to_numeric(runs[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (np.abs(values) > METRIC_LIMIT)
        if column in MAY_BE_EMPTY:
            bad &= ~np.isnan(values)
        if bad.any():
            row = int(bad.argmax())
            raise NasLabError(f"{path} line {row + 2}: column {column!r} holds {runs[column].iloc[row]!r}, "
                              f"not a finite number within +-{METRIC_LIMIT:g}")


def read_unchecked(path: Path, needed: set[str], budget: int | None) -> pd.DataFrame:
    """``runs.csv`` of a folder no manifest vouches for, read row by row: every row has every
    column, integers and metrics parse, each run holds queries 1..n (n at most ``budget``) once."""
    import pandas as pd

    try:
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise NasLabError(f"cannot read {path}: {exc}") from None
    if not rows:
        raise NasLabError(f"{path} is empty")
    header = rows[0]
    if missing := needed - set(header):
        raise NasLabError(f"{path} lacks columns: {', '.join(sorted(missing))}")
    col = {name: i for i, name in enumerate(header)}
    seen: dict[tuple, set[int]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise NasLabError(f"{path} line {line}: {len(row)} fields, not {len(header)}: the row is cut or malformed")
        for name in INTEGERS:
            if not row[col[name]].lstrip("-").isdigit():
                raise NasLabError(f"{path} line {line}: column {name!r} holds {row[col[name]]!r}, not a whole number")
        for name in METRICS:
            if name in col and not (row[col[name]] == "" and name in MAY_BE_EMPTY):
                try:
                    value = float(row[col[name]])
                except ValueError:
                    raise NasLabError(f"{path} line {line}: column {name!r} holds {row[col[name]]!r}, not a number") from None
                if not math.isfinite(value) or abs(value) > METRIC_LIMIT:
                    raise NasLabError(f"{path} line {line}: column {name!r} holds {value!r}, not a finite number "
                                      f"within +-{METRIC_LIMIT:g}")
        key = tuple(row[col[k]] for k in RUN_KEYS)
        query = int(row[col["query"]])
        if query in seen.setdefault(key, set()):
            raise NasLabError(f"{path} line {line}: run {describe(key)} holds query {query} twice")
        seen[key].add(query)
    for key, queries in seen.items():
        if queries != set(range(1, len(queries) + 1)) or (budget is not None and len(queries) > budget):
            raise NasLabError(f"{path}: run {describe(key)} holds {len(queries)} rows, not queries 1..n "
                              f"with n at most the budget {budget}")
    if len(rows) < 2:
        raise NasLabError(f"{path} holds no runs")
    return pd.read_csv(path)
