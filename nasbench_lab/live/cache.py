"""The SQLite cache of a live benchmark: ``SearchLedger`` (search side) and ``LiveCache`` (full).

Rows are keyed by the benchmark's cache key. Safe for parallel processes (WAL journal, busy
timeout, first writer wins), and no architecture is trained twice at once: a process claims a
key before training it (``claim``; ``nasbench_lab.infra.claims``), others wait for its row, and the
claim of a process that died is taken over. The trained weights are kept in the row only until
the test accuracy is recorded.
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np

from nasbench_lab.infra import claims
from ..errors import NasLabError
from .training import FAILED_VALUE, TrainResult


@dataclass(frozen=True)
class SearchRecord:
    """The search side of a cached row (no test accuracy)."""

    status: str
    search: float
    costs: dict[str, float]
    seconds: float
    message: str


_SCHEMA = """
CREATE TABLE IF NOT EXISTS evaluations (
    key TEXT PRIMARY KEY,
    benchmark TEXT NOT NULL,
    dataset TEXT NOT NULL,
    arch TEXT NOT NULL,
    canonical TEXT NOT NULL,
    recipe TEXT NOT NULL,
    status TEXT NOT NULL,
    search REAL NOT NULL,
    report REAL,
    costs TEXT NOT NULL,
    train_seconds REAL NOT NULL,
    message TEXT NOT NULL,
    weights BLOB,
    created TEXT NOT NULL
)
"""
#: Partly trained networks (multi-fidelity search, ``nasbench_lab.live.fidelity``): the search
#: metric after ``epochs`` epochs of the recipe's schedule and, until the full training is
#: reached, the state to resume from (``torch.save`` of weights, optimiser, random states, step).
_CHECKPOINTS = """
CREATE TABLE IF NOT EXISTS checkpoints (
    key TEXT NOT NULL,
    epochs INTEGER NOT NULL,
    search REAL NOT NULL,
    diverged INTEGER NOT NULL,
    state BLOB,
    PRIMARY KEY (key, epochs)
)
"""
#: The columns a cache file must have (read off the schema above).
_COLUMNS = tuple(line.split()[0] for line in _SCHEMA.strip().splitlines()[1:-1])
#: The scope of training claims in the ``claims`` table.
CLAIM_SCOPE = "train"
#: Connections inherited through fork are never used nor closed in the child (sqlite rule).
_INHERITED: list[sqlite3.Connection] = []


class SearchLedger:
    """The search-side view of the cache: reads and writes the search columns (and the
    trained weights), never the test accuracy. ``path=None`` keeps everything in memory."""

    def __init__(self, path: Path | None, memory_name: str = "") -> None:
        self.path = Path(path) if path is not None else None
        #: Connections of one process with the same ``memory_name`` share one in-memory database.
        self.memory_name = memory_name or f"nasbench-live-{uuid.uuid4().hex}"
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._lock = threading.Lock()
        self._memory: dict[str, SearchRecord] = {}

    def _db(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        if self._conn is not None:
            _INHERITED.append(self._conn)
            self._memory.clear()
        target = f"file:{self.memory_name}?mode=memory&cache=shared"
        if self.path is not None:
            target = self.path.resolve().as_uri()
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(target, timeout=120, isolation_level=None, check_same_thread=False, uri=True)
            conn.execute("PRAGMA busy_timeout = 120000")
            if self.path is not None:
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(_SCHEMA)
            conn.execute(_CHECKPOINTS)
            conn.execute(claims.CLAIMS_SCHEMA)
            missing = [c for c in _COLUMNS if c not in {row[1] for row in conn.execute("PRAGMA table_info(evaluations)")}]
        except (sqlite3.DatabaseError, OSError) as exc:
            raise NasLabError(f"live cache {self.path or target} is not a usable SQLite database ({exc}); "
                              "delete it to start afresh") from None
        if missing:
            conn.close()
            raise NasLabError(f"live cache {self.path} has another schema (its evaluations table lacks "
                              f"{', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}); delete it to start afresh")
        self._conn, self._pid = conn, os.getpid()
        return conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, claims.transaction(self._db()) as conn:
            yield conn

    def _query(self, sql: str, args: tuple) -> tuple | None:
        with self._lock:
            return self._db().execute(sql, args).fetchone()

    def read_search(self, key: str) -> SearchRecord | None:
        if key in self._memory:
            return self._memory[key]
        row = self._query("SELECT status, search, costs, train_seconds, message FROM evaluations WHERE key = ?", (key,))
        if row is None:
            return None
        rec = SearchRecord(row[0], float(row[1]), json.loads(row[2]), float(row[3]), row[4])
        self._memory[key] = rec
        return rec

    def claim(self, key: str) -> SearchRecord | None:
        """The row of ``key``, waiting while another live process trains it; None when this
        process now holds the claim (it trains, then ``write_search`` or ``release``)."""
        pause = None
        while True:
            rec = self.read_search(key)
            if rec is not None:
                return rec
            with self._transaction() as conn:
                done = conn.execute("SELECT 1 FROM evaluations WHERE key = ?", (key,)).fetchone() is not None
                taken = [] if done else claims.claim(conn, CLAIM_SCOPE, [key])[0]
            if taken:
                return None
            if not done:
                pause = pause or claims.waiter(longest=1.0)
                next(pause)

    def release(self, key: str) -> None:
        """Drops this process's claim on ``key`` (a training that raised)."""
        with self._transaction() as conn:
            claims.release(conn, CLAIM_SCOPE, [key])

    def write_search(self, key: str, meta: Mapping[str, str], result: TrainResult) -> SearchRecord:
        """Insert a training result unless another process got there first, and drop this
        process's claim on ``key``, in one transaction; return the row."""
        weights = None if result.weights is None else np.ascontiguousarray(result.weights, dtype=np.float32).tobytes()
        report = FAILED_VALUE if result.status != "ok" else None
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO evaluations (key, benchmark, dataset, arch, canonical, recipe, status, search,"
                " report, costs, train_seconds, message, weights, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (key, meta["benchmark"], meta["dataset"], meta["arch"], meta["canonical"], meta["recipe"],
                 result.status, float(result.search), report, json.dumps(result.costs, sort_keys=True),
                 float(result.seconds), result.message, weights, time.strftime("%Y-%m-%dT%H:%M:%S")),
            )
            claims.release(conn, CLAIM_SCOPE, [key])
        self._memory.pop(key, None)
        rec = self.read_search(key)
        assert rec is not None
        return rec

    def checkpoint(self, key: str, epochs: int) -> tuple[float, bool] | None:
        """The search metric of ``key`` after ``epochs`` epochs and whether it had diverged (None: not kept)."""
        row = self._query("SELECT search, diverged FROM checkpoints WHERE key = ? AND epochs = ?", (key, int(epochs)))
        return None if row is None else (float(row[0]), bool(row[1]))

    def resume_point(self, key: str, epochs: int) -> tuple[int, bool, bytes | None] | None:
        """The latest kept point of ``key`` before ``epochs`` that training can resume from (a
        saved state, or a divergence): its epochs, whether it diverged, the state."""
        row = self._query("SELECT epochs, diverged, state FROM checkpoints WHERE key = ? AND epochs < ?"
                          " AND (state IS NOT NULL OR diverged) ORDER BY epochs DESC LIMIT 1", (key, int(epochs)))
        return None if row is None else (int(row[0]), bool(row[1]), None if row[2] is None else bytes(row[2]))

    def write_checkpoint(self, key: str, epochs: int, search: float, diverged: bool, state: bytes | None,
                         final: bool = False) -> None:
        """Keep a partly trained network (first writer wins: trainings are deterministic). Only
        the latest state of a key is kept (a new one drops those below it: a promotion resumes
        from the furthest point), and ``final`` (the full training reached) drops them all:
        nothing resumes past it. Values are kept at every point."""
        with self._transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO checkpoints (key, epochs, search, diverged, state) VALUES (?,?,?,?,?)",
                         (key, int(epochs), float(search), int(bool(diverged)), state))
            if final or state is not None:
                conn.execute("UPDATE checkpoints SET state = NULL WHERE key = ? AND epochs < ?", (key, int(epochs)))

    def count(self) -> int:
        row = self._query("SELECT COUNT(*) FROM evaluations", ())
        return int(row[0]) if row else 0


class LiveCache(SearchLedger):
    """The full cache (the benchmark's side): adds the test accuracy."""

    def read_report(self, key: str) -> tuple[float | None, np.ndarray | None]:
        row = self._query("SELECT status, report, weights FROM evaluations WHERE key = ?", (key,))
        if row is None:
            return None, None
        if row[1] is not None:
            return float(row[1]), None
        return None, (np.frombuffer(row[2], dtype=np.float32).copy() if row[2] is not None else None)

    def write_report(self, key: str, report: float) -> None:
        with self._transaction() as conn:
            conn.execute("UPDATE evaluations SET report = ?, weights = NULL WHERE key = ? AND report IS NULL", (float(report), key))

    def row(self, key: str) -> dict[str, Any] | None:
        """Every column except the weights (for inspection and tests)."""
        with self._lock:
            cur = self._db().execute(
                "SELECT key, benchmark, dataset, arch, canonical, recipe, status, search, report, costs,"
                " train_seconds, message, weights IS NOT NULL, created FROM evaluations WHERE key = ?", (key,))
            row = cur.fetchone()
            names = [d[0] for d in cur.description]
        if row is None:
            return None
        out = dict(zip(names, row))
        out["has_weights"] = bool(out.pop("weights IS NOT NULL"))
        out["costs"] = json.loads(out["costs"])
        return out
