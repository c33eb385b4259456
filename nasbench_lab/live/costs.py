"""Cost models of live spaces: costs measured without training (parameters, MACs, latency on this
CPU), cached in SQLite like trainings so a search sees the same value on every query and rerun.

``MeasuredCosts(measure, key, path)`` is the function an oracle receives: ``arch -> {cost: value}``.
``measure(arch)`` builds the network and measures it (no data beyond one input sample); the first
measurement of a key is kept (first writer wins across processes), so a run is reproducible once
the cache holds its architectures. Latency depends on the machine: the key includes the host.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping

from ..errors import NasLabError

_SCHEMA = """CREATE TABLE IF NOT EXISTS costs (key TEXT PRIMARY KEY, arch TEXT NOT NULL, costs TEXT NOT NULL,
created TEXT NOT NULL)"""


def cost_key(**parts: Any) -> str:
    """sha256 of ``parts`` and this host (machine, processor, node name)."""
    host = {"machine": platform.machine(), "processor": platform.processor(), "node": platform.node()}
    return hashlib.sha256(json.dumps({**parts, "host": host}, sort_keys=True, default=str).encode()).hexdigest()


class MeasuredCosts:
    """``arch -> costs``: cached measurements (``path`` None: in memory, this process only)."""

    def __init__(self, measure: Callable[[Any], Mapping[str, float]], key: Callable[[Any], str],
                 fmt: Callable[[Any], str], path: Path | None) -> None:
        self._measure, self._key, self._fmt, self.path = measure, key, fmt, path
        self._memory: dict[str, dict[str, float]] = {}
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._lock = threading.Lock()
        self.measured = 0

    def _db(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        if self._conn is None or self._pid != os.getpid():
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(str(self.path), timeout=120, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute(_SCHEMA)
            except (sqlite3.DatabaseError, OSError) as exc:
                raise NasLabError(f"cost cache {self.path} is not a usable SQLite database ({exc}); delete it") from None
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def __call__(self, arch: Any) -> dict[str, float]:
        key = self._key(arch)
        if key in self._memory:
            return dict(self._memory[key])
        with self._lock:
            db = self._db()
            row = db.execute("SELECT costs FROM costs WHERE key = ?", (key,)).fetchone() if db else None
            if row is None:
                costs = {k: float(v) for k, v in self._measure(arch).items()}
                self.measured += 1
                if db is not None:
                    db.execute("INSERT OR IGNORE INTO costs (key, arch, costs, created) VALUES (?,?,?,?)",
                               (key, self._fmt(arch), json.dumps(costs, sort_keys=True), time.strftime("%Y-%m-%dT%H:%M:%S")))
                    row = db.execute("SELECT costs FROM costs WHERE key = ?", (key,)).fetchone()
            if row is not None:
                costs = {k: float(v) for k, v in json.loads(row[0]).items()}
        self._memory[key] = costs
        return dict(costs)
