"""The results directory of ``nasbench-lab leaderboard``, which never loses a finished run.

Layout of ``<out>/``:

* ``runs/<benchmark>__<dataset>__<algorithm>__seed<k>__<hash>.csv``: one file per finished run
  (benchmark, dataset, algorithm, seed, hyper-parameters), written to a temporary file in the
  same directory and renamed: a run file is either absent or complete, and never rewritten.
* ``runs/<run file stem>/<name>``: the run's artefacts (``nasbench_lab.infra.artefacts``), written
  before its run file and listed in the manifest with their SHA-256.
* ``config.json``: the resolved configuration (written then renamed).
* ``manifest.json``: the expected runs and ``complete`` true/false (written then renamed).
Every file is written through ``nasbench_lab.infra.files`` (temporary file, rename; never a symlink).
* ``runs.csv``: every run, sorted by ``SORT_KEYS``, exported at the end (written then renamed).
* ``.lock``: one writer at a time (``nasbench_lab.infra.folder_lock``): the writer's pid, removed
  when it ends; a lock whose writer is gone is taken over.

The store talks to the runner through duck typing (a config with ``to_dict()`` and ``tasks()``,
tasks with ``benchmark``, ``dataset``, ``algorithm``, ``params``, ``seed``): it sits below it.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

from nasbench_lab.infra.artefacts import on_disk, write_artefacts
from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.files import move_directory, write_bytes, write_text
from nasbench_lab.infra.folder_lock import FolderLock
from nasbench_lab.running.manifest import (MANIFEST_FORMAT, check_results, read_manifest, refuse_links,
                                           sha256_bytes, verify_run_files)
from nasbench_lab.running.run_files import RUN_COLUMNS, parse_runs, run_file_text

if TYPE_CHECKING:
    import pandas as pd

SORT_KEYS = ["benchmark", "dataset", "algorithm", "seed", "query"]
RUN_KEYS = ["benchmark", "dataset", "algorithm", "seed"]
# config.json fields not compared by --resume: the command line, the date, and the package
# versions (recorded, not enforced; ``data_files`` checksums are compared: a changed file is refused)
VOLATILE = ("command", "created", "python", "numpy", "versions")
#: Dotted config.json keys not compared by --resume either: where the cache lives is not a result.
VOLATILE_KEYS = ("settings.cache_dir",)


def _json(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists, paths strings)."""
    return json.loads(json.dumps(value, default=str))


def _slug(text: str, limit: int = 40) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-.")[:limit] or "x"


def run_entry(task: Any) -> dict[str, Any]:
    """The manifest entry of one task (a run), with its file name."""
    params = _json(dict(task.params))
    ident = json.dumps([task.benchmark, task.dataset, task.algorithm, int(task.seed), params],
                       sort_keys=True, default=str)
    digest = hashlib.sha1(ident.encode()).hexdigest()[:8]
    name = "__".join([_slug(task.benchmark), _slug(task.dataset), _slug(task.algorithm), f"seed{int(task.seed)}", digest])
    return {"benchmark": task.benchmark, "dataset": task.dataset, "algorithm": task.algorithm,
            "seed": int(task.seed), "params": params, "file": name + ".csv"}


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def config_differences(stored: dict, new: dict) -> list[str]:
    """Dotted keys (``budget``, ``algorithms.re.population_size``) whose values differ, in
    the order of ``new`` then ``stored``; volatile fields (command, dates, versions) are ignored."""
    a = _flat({k: v for k, v in _json(stored).items() if k not in VOLATILE})
    b = _flat({k: v for k, v in _json(new).items() if k not in VOLATILE})
    return [k for k in list(b) + [k for k in a if k not in b]
            if a.get(k, KeyError) != b.get(k, KeyError) and k not in VOLATILE_KEYS]


def _has_rows(path: Path) -> bool:
    """A run file is there and not empty (an empty one is a run lost in a power cut)."""
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def _describe(entry: dict) -> str:
    return f"{entry['benchmark']}/{entry['dataset']} {entry['algorithm']} seed {entry['seed']}"


class ResultsStore:
    """One results directory, claimed by one writer. ``prepare`` (fresh, ``resume`` or
    ``overwrite``), then ``commit`` per finished run, ``finish`` to export ``runs.csv``;
    ``close`` (or leaving the ``with`` block) releases the lock."""

    def __init__(self, out: Path) -> None:
        self.target = Path(out)  # the results folder asked for; ``out``: where this store writes
        self._work_in(self.target)
        self._finished = False
        self._runs_sha256 = ""
        self.entries: list[dict[str, Any]] = []
        self._locks: list[FolderLock] = []
        self._file_names: dict[Any, str] = {}
        # run file -> (its bytes, their SHA-256) as this process committed it
        self._committed: dict[Path, tuple[bytes, str]] = {}
        self._listed: dict[str, list[dict[str, str]]] = {}  # run file name -> its artefacts' listing

    # -- locking (nasbench_lab.infra.folder_lock) ------------------------------------------
    def _lock(self, directory: Path) -> FolderLock:
        lock = FolderLock(directory)
        self._locks.append(lock)
        return lock

    def _unlock(self, lock: FolderLock) -> None:
        if lock in self._locks:
            self._locks.remove(lock)
            lock.release()

    def _work_in(self, directory: Path) -> None:
        self.out = directory
        self.runs = self.out / "runs.csv"
        self.run_dir = self.out / "runs"
        self.manifest_path = self.out / "manifest.json"

    def close(self) -> None:
        """Release the lock and remove ``.lock`` (the folder itself stays)."""
        for lock in self._locks:
            lock.release()
        self._locks.clear()

    def __enter__(self) -> "ResultsStore":
        return self

    def __exit__(self, kind: Any, *exc: Any) -> None:
        try:
            if self.out != self.target:  # --overwrite: swap in a complete store, else drop the new one
                self.publish() if kind is None and self._finished else shutil.rmtree(self.out, ignore_errors=True)
        finally:
            self.close()

    def publish(self) -> None:
        """With ``--overwrite``: swap the finished new store (built beside) in for the old one,
        with two renames; a kill between them leaves ``.<name>.old-<pid>``, which the next
        ``prepare`` reports."""
        if self.out == self.target:
            return
        if not self._finished:
            raise NasLabError(f"{self.out} is not finished: the old results in {self.target} are kept")
        old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
        old_lock, new_lock = self._locks
        move_directory(self.target, old)
        move_directory(self.out, self.target)
        old_lock.folder, new_lock.folder = old, self.target  # the locks moved with their folders
        self._work_in(self.target)
        self._unlock(old_lock)
        shutil.rmtree(old, ignore_errors=True)

    # -- preparing -----------------------------------------------------------------------
    def holds_results(self) -> bool:
        """A manifest, an export or any file under ``runs/`` (leftovers of another store count)."""
        return (self.manifest_path.is_file() or self.runs.is_file()
                or (self.run_dir.is_dir() and any(self.run_dir.iterdir())))

    def _stale_swaps(self) -> None:
        """Swap folders ``.<name>.new-<pid>`` / ``.<name>.old-<pid>`` left by a killed
        ``--overwrite``: removed when the results folder has its manifest, else reported (the
        old results are only in the ``.old`` one)."""
        stale = sorted(self.target.parent.glob(f".{self.target.name}.new-*")) + sorted(
            self.target.parent.glob(f".{self.target.name}.old-*"))
        for path in stale:
            if path.is_symlink() or not path.is_dir():
                raise NasLabError(f"{path} is in the way of {self.target}'s swap folders: remove it")
            if ".old-" in path.name and not (self.target / "manifest.json").is_file():
                raise NasLabError(f"{self.target} was being replaced when its writer was stopped: the old results "
                                  f"are in {path}; rename it back to {self.target}")
            try:
                self._unlock(self._lock(path))
            except (NasLabError, OSError):
                raise NasLabError(f"{path} is in use by another nasbench-lab process (an --overwrite of "
                                  f"{self.target} in progress)") from None
            shutil.rmtree(path)

    def prepare(self, config: Any, overwrite: bool = False, resume: bool = False) -> None:
        """Claim the directory and lay out the store for ``config`` (already resolved).
        ``resume``: keep the finished runs of an existing store with the same configuration.
        ``overwrite``: replace an existing store (swapped in only once the new one is laid out)."""
        if overwrite and resume:
            raise NasLabError("--resume and --overwrite exclude each other")
        self._stale_swaps()
        self.out.mkdir(parents=True, exist_ok=True)
        refuse_links(self.out)  # nothing we write in the folder may follow a link out of it
        self._lock(self.out)
        try:
            self._prepare(config, overwrite, resume)
        except BaseException:
            self.close()
            raise

    def _prepare(self, config: Any, overwrite: bool, resume: bool) -> None:
        from nasbench_lab.running.provenance import record  # versions and data-file checksums

        meta = {**config.to_dict(), "command": sys.argv, "python": platform.python_version(),
                "numpy": np.__version__, "created": time.strftime("%Y-%m-%dT%H:%M:%S"), **record(config)}
        self.entries = [run_entry(t) for t in config.tasks()]
        if not self.holds_results():
            self._layout(self.out, meta)
            return
        if resume:
            self._check_resumable(meta)  # same configuration, so the manifest stays as it is:
            self._clean_temporaries()  # a complete store stays complete while it is re-exported
            return
        if not overwrite:
            theirs = "" if self.manifest_path.is_file() or self.runs.is_file() else "run files in runs/ it did not write; "
            raise NasLabError(f"{self.out} already exists and holds results: {theirs}choose another --out, "
                              "pass --resume to finish it or --overwrite to replace it")
        self._build_beside(meta)

    def _layout(self, directory: Path, meta: dict) -> None:
        (directory / "runs").mkdir(exist_ok=True)
        write_text(directory / "config.json", json.dumps(meta, indent=2, default=str) + "\n")
        self._write_manifest(complete=False, directory=directory)

    def _check_resumable(self, meta: dict) -> None:
        if not self.manifest_path.is_file() or not (self.out / "config.json").is_file():
            raise NasLabError(f"{self.out} was not written by a resumable store (no manifest.json): "
                              "choose another --out or pass --overwrite")
        try:
            stored = json.loads((self.out / "config.json").read_text())
        except (OSError, ValueError) as exc:
            raise NasLabError(f"cannot read {self.out / 'config.json'}: {exc}") from None
        manifest = read_manifest(self.out)
        if manifest is not None and manifest.get("complete"):
            verify_run_files(self.out, manifest)  # a complete store: its run files are vouched for
        diff = config_differences(stored, meta)
        files = [k.partition(".")[2] for k in diff if k.startswith("data_files.")]
        if files and len(files) == len(diff):  # same options, other data: name the file
            more = f" and {len(files) - 1} more" if len(files) > 1 else ""
            raise NasLabError(f"cannot --resume {self.out}: data file {files[0]}{more} differs from the one its "
                              "runs read (SHA-256 in config.json); restore it, or use another --out or --overwrite")
        if diff:
            shown = ", ".join(diff[:3]) + (f" and {len(diff) - 3} more" if len(diff) > 3 else "")
            raise NasLabError(f"cannot --resume {self.out}: the configuration differs from the stored one "
                              f"in {shown}; use the same options, another --out or --overwrite")

    def _clean_temporaries(self) -> None:
        """Temporary files left by a killed writer (we hold the lock: nobody else writes)."""
        for pattern in (".*.tmp", "runs/.*.tmp", "runs/*/.*.tmp"):  # the store, run files, artefacts
            for tmp in self.out.glob(pattern):
                tmp.unlink(missing_ok=True)
        self.run_dir.mkdir(exist_ok=True)

    def _build_beside(self, meta: dict) -> None:
        """``--overwrite``: lay out the new store in ``.<name>.new-<pid>`` beside the old one and
        work there; ``publish`` (leaving the ``with`` block after ``finish``) swaps it in. Until
        then the old results stay untouched; a failed run removes the new store."""
        new = self.target.with_name(f".{self.target.name}.new-{os.getpid()}")
        new.mkdir()
        try:
            self._lock(new)
            self._layout(new, meta)
        except BaseException:
            shutil.rmtree(new, ignore_errors=True)
            raise
        self._work_in(new)

    def _write_manifest(self, complete: bool, directory: Path | None = None) -> None:
        manifest = {"format": MANIFEST_FORMAT, "complete": complete, "runs": self.entries}
        if complete:
            manifest["runs_csv_sha256"] = self._runs_sha256
        write_text((directory or self.out) / "manifest.json", json.dumps(manifest, indent=1, default=str) + "\n")

    # -- runs ----------------------------------------------------------------------------
    def _path(self, task: Any) -> Path:
        """The run file of ``task`` (its name hashed once per task: asked for at each check and commit)."""
        try:
            name = self._file_names.get(task)
        except TypeError:  # a task holding an unhashable hyper-parameter value
            return self.run_dir / run_entry(task)["file"]
        if name is None:
            name = self._file_names[task] = run_entry(task)["file"]
        return self.run_dir / name

    def is_done(self, task: Any) -> bool:
        return _has_rows(self._path(task))

    def missing(self, tasks: Iterable[Any]) -> list[Any]:
        return [t for t in tasks if not self.is_done(t)]

    def commit(self, task: Any, frame: pd.DataFrame) -> None:
        """Store one finished run atomically (see ``commit_text``)."""
        self.commit_text(task, run_file_text(frame))

    def commit_text(self, task: Any, text: str, artefacts: dict[str, bytes] | None = None) -> None:
        """Store one finished run atomically, given its ``run_file_text`` (which a worker
        process can make): written to a temporary file renamed into place. Not flushed to
        disk one by one (that would cost milliseconds per run): a killed process loses
        nothing, and ``finish`` writes the export ``runs.csv`` durably before it marks the
        store complete; after a power cut a run file may be lost or empty, and ``--resume``
        reruns it (same seed, same rows). ``artefacts`` (name -> bytes, see ``nasbench_lab.infra.artefacts``)
        are written first, to ``runs/<run file stem>/<name>``, and listed in the manifest."""
        path = self._path(task)
        self._listed[path.name] = write_artefacts(self.run_dir, path.name, artefacts or {})
        data = text.encode("utf-8")
        write_bytes(path, data, durable=False)
        self._committed[path] = (data, sha256_bytes(data))  # ``finish`` joins it without reading the file back

    def finish(self, on_rows: Callable[[pd.DataFrame], None] | None = None,
               on_text: Callable[[bytes], None] | None = None) -> pd.DataFrame:
        """Export every expected run as ``runs.csv`` in a fixed order (``SORT_KEYS``), then mark
        the store complete; return the rows. Each run file holds one run in query order, so
        the export is the run files' rows joined in run order, parsed once for the caller, who
        gets them as ``on_rows(rows)`` before they are written (e.g. to draw a figure meanwhile).
        ``on_text`` gets the export's text before it is parsed (e.g. for a process that parses
        the columns it needs itself, meanwhile; ``parse_runs``)."""
        absent = [e for e in self.entries if not _has_rows(self.run_dir / e["file"])]
        if absent:
            raise NasLabError(f"{len(absent)} runs are missing from {self.run_dir} (e.g. {_describe(absent[0])})")
        keys = [(e["benchmark"], e["dataset"], e["algorithm"], int(e["seed"])) for e in self.entries]
        _check_unique(keys)
        order = sorted(range(len(keys)), key=keys.__getitem__)
        header, body = None, []
        for k in order:
            path = self.run_dir / self.entries[k]["file"]
            text, sha = self._committed.get(path) or _read_run(path)
            self.entries[k]["sha256"] = sha
            end = text.find(b"\n")  # the body is a view: joined below without an extra copy of each run
            first, rest = (text, b"") if end < 0 else (text[:end], memoryview(text)[end + 1:])
            if header is None:
                header = first
            elif not rest:  # a run that made no query: recorded as such (rows 0, see ``_record_rows``)
                continue
            elif first != header:
                raise NasLabError(f"{path} has other columns than the other runs")
            body.append(rest)
        data = (header or b"") + b"\n" + b"".join(body)
        if on_text is not None:
            on_text(data)
        frame = parse_runs(data)
        if on_rows is not None:
            on_rows(frame)
        write_bytes(self.runs, data)
        self._record_rows(frame)
        self._runs_sha256 = sha256_bytes(data)
        for entry in self.entries:  # artefacts of runs committed by an earlier process are found on disk
            listed = self._listed.get(entry["file"])
            entry.pop("artefacts", None)
            if listed := (on_disk(self.run_dir, entry["file"]) if listed is None else listed):
                entry["artefacts"] = listed
        self._write_manifest(complete=True)
        self._finished = True
        return frame

    def _record_rows(self, frame: pd.DataFrame) -> None:
        """Note each run's query count in its manifest entry: ``report`` checks ``runs.csv`` against it."""
        sizes = {(str(b), str(d), str(a), int(s)): int(n) for (b, d, a, s), n in frame.groupby(RUN_KEYS).size().items()}
        for entry in self.entries:
            entry["rows"] = sizes.get((str(entry["benchmark"]), str(entry["dataset"]), str(entry["algorithm"]),
                                       int(entry["seed"])), 0)

    def load(self) -> pd.DataFrame:
        return parse_runs(self.runs.read_bytes())



def _read_run(path: Path) -> tuple[bytes, str]:
    """A run file committed by an earlier process: its bytes and their SHA-256."""
    data = path.read_bytes()
    return data, sha256_bytes(data)


def _check_unique(keys: list[tuple]) -> None:
    """Each run key once (the pipeline refuses a repeated algorithm or seed; a hand-edited
    manifest could repeat one): two runs with one key are refused, never joined."""
    if len(set(keys)) == len(keys):
        return
    from collections import Counter

    key, count = next((k, n) for k, n in Counter(keys).items() if n > 1)
    bench, dataset, algorithm, seed = key
    raise NasLabError(f"{count} runs share one key: {bench}/{dataset}, {algorithm}, seed {seed} "
                      "(a run is one benchmark, dataset, algorithm and seed)")


__all__ = ["RUN_COLUMNS", "ResultsStore", "check_results", "config_differences", "parse_runs", "run_entry",
           "run_file_text"]
