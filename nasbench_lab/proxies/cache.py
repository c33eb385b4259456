"""The shared proxy-score cache: one SQLite file for every proxy table and every run.

``<cache_dir>/proxies/scores.sqlite`` (``Settings.cache_dir``, ``$NASBENCH_LAB_CACHE``), WAL
journal. Tables:

``scores(config, arch, raw, seconds, created)``
    one row per scored architecture: ``config`` is ``TableConfig.stem()`` (proxy, space,
    dataset, initialisation seed, data batch: everything the score depends on), ``arch`` the
    architecture's index in its space, ``raw`` the raw score (NULL for NaN), ``seconds`` the
    time it took to build the network and score it, in the process that computed it.
``work(config, owner, cells, seconds)``
    how many scores each process computed, and in how long (a counter of computations).
``claims``
    cells being computed (``nasbench_lab.infra.claims``).

Processes (runs under ``--jobs N``, Ray workers on one machine, the ``proxy`` command) read and
write it at once. ``ScoreCache.fill`` claims missing cells a chunk at a time, computes them,
and stores each chunk in one transaction together with dropping its claims; cells claimed by
another live process are waited for, claims of dead processes taken over. So no cell is
computed twice, and a killed process leaves no half-written score. A score does not depend on
which cells are computed with it, so the cache changes no result.
"""
from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from nasbench_lab.infra import cache_layout, claims
from nasbench_lab.infra.claims import current_owner, transaction

#: Cells claimed, computed and stored together (one transaction per chunk).
CHUNK = 48
FILE = "scores.sqlite"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS scores (
        config TEXT NOT NULL, arch INTEGER NOT NULL, raw REAL, seconds REAL NOT NULL, created REAL NOT NULL,
        PRIMARY KEY (config, arch)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS work (
        config TEXT NOT NULL, owner TEXT NOT NULL, cells INTEGER NOT NULL, seconds REAL NOT NULL,
        PRIMARY KEY (config, owner)) WITHOUT ROWID""",
)

#: ``compute(indices) -> [(index, raw score, seconds)]``
Compute = Callable[[list[int]], list[tuple[int, float, float]]]


@dataclass
class FillStats:
    """What one ``fill`` call did: cells it computed (and their compute seconds), cells it
    found already scored (by anyone, before or while it ran), seconds it spent waiting for
    cells other processes were computing, and its wall time."""

    computed: int = 0
    computed_seconds: float = 0.0
    reused: int = 0
    waited_seconds: float = 0.0
    wall_seconds: float = 0.0

    def add(self, other: "FillStats") -> "FillStats":
        """The sum of two calls' counts and seconds (wall time: the longer)."""
        return FillStats(self.computed + other.computed, self.computed_seconds + other.computed_seconds,
                         self.reused + other.reused, self.waited_seconds + other.waited_seconds,
                         max(self.wall_seconds, other.wall_seconds))


def cache_file(cache_dir: Path) -> Path:
    return cache_layout.proxies(cache_dir) / FILE


def _json(indices: Iterable[int]) -> str:
    return json.dumps([int(i) for i in indices])


class ScoreCache:
    """The score cache in one SQLite file; one connection per process (reopened after a fork)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._lock = threading.Lock()

    @classmethod
    def at(cls, cache_dir: Path) -> "ScoreCache":
        """The cache of a cache directory (``<cache_dir>/proxies/scores.sqlite``)."""
        return cls(cache_file(cache_dir))

    def _db(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            conn = claims.open_database(self.path, "proxy score cache")
            for statement in _SCHEMA:
                conn.execute(statement)
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    # -- reading -----------------------------------------------------------------------------
    def read(self, config: str, indices: Iterable[int] | None = None) -> dict[int, tuple[float, float]]:
        """``index -> (raw, seconds)`` of the scored cells among ``indices`` (default: all)."""
        with self._lock:
            conn = self._db()
            if indices is None:
                rows = conn.execute("SELECT arch, raw, seconds FROM scores WHERE config = ?", (config,))
            else:
                rows = conn.execute("SELECT arch, raw, seconds FROM scores WHERE config = ? AND arch IN "
                                    "(SELECT value FROM json_each(?))", (config, _json(indices)))
            return {int(i): (math.nan if raw is None else float(raw), float(sec)) for i, raw, sec in rows}

    def count(self, config: str, indices: Iterable[int] | None = None) -> int:
        """How many of ``indices`` (default: all cells) are scored."""
        with self._lock:
            conn = self._db()
            if indices is None:
                row = conn.execute("SELECT COUNT(*) FROM scores WHERE config = ?", (config,)).fetchone()
            else:
                row = conn.execute("SELECT COUNT(*) FROM scores WHERE config = ? AND arch IN "
                                   "(SELECT value FROM json_each(?))", (config, _json(indices))).fetchone()
            return int(row[0])

    def work(self, config: str) -> tuple[int, float]:
        """(cells computed, their compute seconds) over every process that filled ``config``;
        cells equal scored rows unless a stale claim of a live process was taken over."""
        with self._lock:
            row = self._db().execute("SELECT COALESCE(SUM(cells), 0), COALESCE(SUM(seconds), 0.0) FROM work "
                                     "WHERE config = ?", (config,)).fetchone()
        return int(row[0]), float(row[1])

    # -- writing -----------------------------------------------------------------------------
    def put(self, config: str, results: Sequence[tuple[int, float, float]], *, count_work: bool = True) -> None:
        """Store ``(index, raw, seconds)`` rows and drop this process's claims on them, in one
        transaction (a row already there is kept: the first writer wins)."""
        owner = current_owner()
        now = time.time()
        with self._lock, transaction(self._db()) as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO scores (config, arch, raw, seconds, created) VALUES (?, ?, ?, ?, ?)",
                [(config, int(i), None if math.isnan(raw) else float(raw), float(sec), now) for i, raw, sec in results])
            claims.release(conn, config, [str(int(i)) for i, _, _ in results], owner)
            if count_work and results:
                conn.execute(
                    "INSERT INTO work (config, owner, cells, seconds) VALUES (?, ?, ?, ?) ON CONFLICT (config, owner) "
                    "DO UPDATE SET cells = cells + excluded.cells, seconds = seconds + excluded.seconds",
                    (config, owner.id, len(results), float(sum(sec for _, _, sec in results))))

    def forget(self, config: str) -> int:
        """Deletes every score, work record and claim of ``config``; returns the scores deleted."""
        with self._lock, transaction(self._db()) as conn:
            gone = conn.execute("DELETE FROM scores WHERE config = ?", (config,)).rowcount
            conn.execute("DELETE FROM work WHERE config = ?", (config,))
            conn.execute("DELETE FROM claims WHERE scope = ?", (config,))
        return int(gone)

    def _release(self, config: str, indices: Sequence[int]) -> None:
        with self._lock, transaction(self._db()) as conn:
            claims.release(conn, config, [str(i) for i in indices])

    def _claim(self, config: str, missing: list[int], limit: int,
               known: dict[int, tuple[float, float]]) -> tuple[list[int], list[int]]:
        """In one transaction: drop from ``missing`` what is scored now (into ``known``), claim up
        to ``limit`` of the rest. Returns (claimed, still missing)."""
        with self._lock, transaction(self._db()) as conn:
            rows = conn.execute("SELECT arch, raw, seconds FROM scores WHERE config = ? AND arch IN "
                                "(SELECT value FROM json_each(?))", (config, _json(missing))).fetchall()
            for i, raw, sec in rows:
                known[int(i)] = (math.nan if raw is None else float(raw), float(sec))
            missing = [i for i in missing if i not in known]
            taken, _ = claims.claim(conn, config, [str(i) for i in missing], limit=limit)
        return [int(i) for i in taken], missing

    def fill(self, config: str, indices: Sequence[int], compute: Compute, *, chunk: int | None = None,
             wait: bool = True, on_stored: Callable[[int], None] | None = None,
             ) -> tuple[dict[int, tuple[float, float]], FillStats]:
        """Scores of ``indices``: those in the cache are read, the others claimed ``chunk`` at a
        time (default ``CHUNK``), computed with ``compute`` and stored (``on_stored(n)`` after
        each chunk); cells another process is computing are waited for (with ``wait``; else
        left out of the answer). Returns ``index -> (raw, seconds)`` and what this call did."""
        chunk = chunk or CHUNK
        start = time.perf_counter()
        wanted = list(dict.fromkeys(int(i) for i in indices))
        known = self.read(config, wanted)
        missing = [i for i in wanted if i not in known]
        stats = FillStats()
        pause = None
        while missing:
            taken, missing = self._claim(config, missing, chunk, known)
            if taken:
                pause = None
                try:
                    results = compute(taken)
                except BaseException:
                    self._release(config, taken)
                    raise
                self.put(config, results)
                for i, raw, sec in results:
                    known[i] = (raw, sec)
                stats.computed += len(results)
                stats.computed_seconds += float(sum(sec for _, _, sec in results))
                missing = [i for i in missing if i not in known]
                if on_stored is not None:
                    on_stored(len(results))
            elif missing:  # every missing cell is being computed elsewhere
                if not wait:
                    break
                pause = pause or claims.waiter()
                stats.waited_seconds += next(pause)
        stats.reused = len(wanted) - stats.computed - len(missing)
        stats.wall_seconds = time.perf_counter() - start
        return {i: known[i] for i in wanted if i in known}, stats


__all__ = ["CHUNK", "FillStats", "ScoreCache", "cache_file"]
