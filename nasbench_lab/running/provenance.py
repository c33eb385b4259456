"""Where a results directory's numbers came from: package versions and data-file checksums.

``record(config)`` gives the two fields ``ResultsStore`` adds to ``config.json``:

* ``versions``: nasbench-lab, torch, numpy, pandas and the benchmark packages that are installed
  (nas-bench-201, nats_bench, analog-nasbench, nas-bench-graph), read from package metadata;
* ``data_files``: ``{absolute path: SHA-256}`` of every file the run's benchmarks read
  (``Benchmark.data_files()``: a table's CSVs, an official file and its converted cache, the
  analog-nasbench wheel's data file, ...).

Checksums are cached by (path, size, mtime_ns, ctime_ns), in memory and in
``<cache_dir>/checksums.json`` (``cache_layout.checksums``, written then renamed), so a multi-GB
official file is hashed once, not in every leaderboard. A cached checksum is reused only when
the size and mtime are the same and it was taken after the file's last change of status
(``st_ctime``, which no user can set back: a file rewritten in place with its size and mtime
restored is hashed again); files below ``ALWAYS_HASH`` bytes are always hashed.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import time
from pathlib import Path
from typing import Any, Iterable

from nasbench_lab.infra import cache_layout
from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.files import write_json

#: Packages whose versions every results directory records (when installed).
PACKAGES = ("nasbench-lab", "torch", "numpy", "pandas")
#: Benchmark packages, recorded when installed.
BENCHMARK_PACKAGES = ("nas-bench-201", "nats_bench", "analog-nasbench", "nas-bench-graph")
CHECKSUM_CACHE = cache_layout.CHECKSUMS
CACHE_FORMAT = 2
#: Files smaller than this are hashed every time (it costs less than trusting metadata).
ALWAYS_HASH = 64 << 20

_MEMORY: dict[tuple[str, int, int, int], str] = {}


def lab_version() -> str:
    """nasbench-lab's version from the installed package's metadata; from a source tree that is
    not installed, the version written in the source (``nasbench_lab.version``)."""
    try:
        return importlib.metadata.version("nasbench-lab")
    except importlib.metadata.PackageNotFoundError:
        from nasbench_lab.version import __version__

        return __version__


def package_versions() -> dict[str, str]:
    """``{package: version}`` of ``PACKAGES`` and ``BENCHMARK_PACKAGES`` (installed ones only)."""
    found = {"nasbench-lab": lab_version()}
    for name in PACKAGES[1:] + BENCHMARK_PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _read_cache(file: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(file.read_text())
        return dict(data["files"]) if data.get("format") == CACHE_FORMAT else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}  # no cache yet, or an unreadable one: hash again


def _write_cache(file: Path, entries: dict[str, dict[str, Any]]) -> None:
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        write_json(file, {"format": CACHE_FORMAT, "files": entries}, sort_keys=True)
    except (OSError, NasLabError):
        pass  # a read-only cache directory only costs hashing again next time


def checksums(paths: Iterable[Path], cache_dir: Path | None = None) -> dict[str, str]:
    """``{absolute path: SHA-256}`` of ``paths`` (files; others are skipped), reusing the
    checksums cached for an unchanged (path, size, mtime_ns)."""
    cache_file = cache_layout.checksums(cache_dir) if cache_dir is not None else None
    stored: dict[str, dict[str, Any]] | None = None
    changed = False
    out: dict[str, str] = {}
    for raw in paths:
        path = Path(raw).expanduser().absolute()
        try:
            st = path.stat()
        except OSError:
            continue
        if not path.is_file():
            continue
        key = (str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if st.st_size < ALWAYS_HASH:
            out[key[0]] = sha256_file(path)
            continue
        if key not in _MEMORY:
            if stored is None:
                stored = _read_cache(cache_file) if cache_file else {}
            entry = stored.get(key[0]) or {}
            hashed = entry.get("hashed_ns")
            if ((entry.get("size"), entry.get("mtime_ns")) == key[1:3] and isinstance(entry.get("sha256"), str)
                    and isinstance(hashed, int) and hashed > st.st_ctime_ns):
                _MEMORY[key] = entry["sha256"]
            else:
                hashed = time.time_ns()  # taken before reading: a change while we read is caught next time
                _MEMORY[key] = sha256_file(path)
                stored[key[0]] = {"size": key[1], "mtime_ns": key[2], "hashed_ns": hashed, "sha256": _MEMORY[key]}
                changed = True
        out[key[0]] = _MEMORY[key]
    if changed and cache_file is not None and stored is not None:
        _write_cache(cache_file, stored)
    return out


def benchmark_files(config: Any) -> list[Path]:
    """The data files read by the benchmarks ``config`` (a resolved plan) has loaded
    (``config.loaded``: ``{(name, dataset): benchmark}``), without repeats."""
    files: dict[Path, None] = {}
    for bench in config.loaded.values():
        files.update(dict.fromkeys(bench.data_files()))
    return list(files)


def record(config: Any) -> dict[str, Any]:
    """The provenance fields of ``config.json``: ``versions`` and ``data_files``."""
    settings = getattr(config, "settings", None)
    return {"versions": package_versions(),
            "data_files": checksums(benchmark_files(config), getattr(settings, "cache_dir", None))}
