"""Claims in a shared SQLite file, so that processes sharing a cache never compute an item twice.

The protocol (used by the proxy-score cache and the live-training cache):

1. In one transaction a worker looks up which items are still missing from its results table
   and claims some of them (``claim``): one ``claims`` row per item naming the owner (host,
   pid, a per-process token) and the time.
2. It computes the claimed items, then, in one transaction, stores their results and drops its
   claims (``release``). A result is visible whole or not at all (SQLite transactions, WAL).
3. Items claimed by another live owner are waited for (poll the results table). A claim is
   *stale*, and taken over by the next worker that asks for the item, when its owner on this
   host is dead (the pid is gone or a zombie), or when its owner is on another host (whose
   processes cannot be checked) and the claim is older than ``stale_after`` seconds. A claim
   of a live process on this host is never taken over, however long it computes.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from nasbench_lab.errors import NasLabError

#: A claim of another host older than this (seconds) is stale.
STALE_AFTER = 600.0
BUSY_TIMEOUT_MS = 120_000
SETUP_TRIES = 100  # x 50 ms: how long opening waits for another process setting up the same file

CLAIMS_SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    scope TEXT NOT NULL,
    item TEXT NOT NULL,
    owner TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    claimed REAL NOT NULL,
    PRIMARY KEY (scope, item)
) WITHOUT ROWID
"""


@dataclass(frozen=True)
class Owner:
    """Who holds a claim: host name, process id and a token unique to the process."""

    host: str
    pid: int
    token: str

    @property
    def id(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"


_OWNER: list[Owner] = []


def current_owner() -> Owner:
    """The owner identity of this process (a new one after a fork)."""
    if not _OWNER or _OWNER[0].pid != os.getpid():
        _OWNER[:] = [Owner(socket.gethostname(), os.getpid(), uuid.uuid4().hex[:12])]
    return _OWNER[0]


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux): the signal check is all we have
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def is_stale(host: str, pid: int, claimed: float, *, now: float, stale_after: float = STALE_AFTER) -> bool:
    """Whether a claim may be taken over: its owner died on this host, or it is another
    host's and older than ``stale_after`` seconds."""
    if host == current_owner().host:
        return not process_alive(pid)
    return now - claimed > stale_after


def open_database(path: Path, what: str) -> sqlite3.Connection:
    """A connection to the SQLite file ``path`` in WAL mode (readers never block the writer),
    autocommit (transactions are explicit), with a long busy timeout. ``what`` names the file
    in the one-line error raised when it is not a usable database."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        for attempt in range(SETUP_TRIES):  # switching to WAL can report "locked" at once, busy timeout
            try:                             # or not, while another process opens the same new file
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute(CLAIMS_SCHEMA)
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == SETUP_TRIES - 1:
                    raise
                time.sleep(0.05)
    except (sqlite3.DatabaseError, OSError) as exc:
        raise NasLabError(f"{what} {path} is not a usable SQLite database ({exc}); delete it to start afresh") from None
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` (the write lock, taken at once) ... ``COMMIT``; rolled back on error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def claim(conn: sqlite3.Connection, scope: str, items: Sequence[str], *, limit: int | None = None,
          owner: Owner | None = None, stale_after: float = STALE_AFTER) -> tuple[list[str], list[str]]:
    """Claim, inside the caller's transaction, the ``items`` (in order, at most ``limit``) that
    nobody else holds, taking over stale claims. Returns ``(claimed, held by other live owners)``.
    The caller passes only items whose results are still missing."""
    owner = owner or current_owner()
    now = time.time()
    held_rows = conn.execute(
        "SELECT item, owner, host, pid, claimed FROM claims WHERE scope = ? AND item IN (SELECT value FROM json_each(?))",
        (scope, json.dumps(list(items))),
    ).fetchall()
    held = {item: (who, host, pid, when) for item, who, host, pid, when in held_rows}
    taken: list[str] = []
    waiting: list[str] = []
    for item in items:
        if item in held:
            who, host, pid, when = held[item]
            if who != owner.id and not is_stale(host, pid, when, now=now, stale_after=stale_after):
                waiting.append(item)
                continue
        if limit is None or len(taken) < limit:
            taken.append(item)
    conn.executemany(
        "INSERT OR REPLACE INTO claims (scope, item, owner, host, pid, claimed) VALUES (?, ?, ?, ?, ?, ?)",
        [(scope, item, owner.id, owner.host, owner.pid, now) for item in taken],
    )
    return taken, waiting


def release(conn: sqlite3.Connection, scope: str, items: Sequence[str], owner: Owner | None = None) -> None:
    """Drop this owner's claims on ``items`` (inside the caller's transaction)."""
    owner = owner or current_owner()
    conn.executemany("DELETE FROM claims WHERE scope = ? AND item = ? AND owner = ?",
                     [(scope, item, owner.id) for item in items])


def waiter(first: float = 0.02, longest: float = 0.5) -> Iterator[float]:
    """Sleeps of a polling loop: ``first`` seconds, doubling up to ``longest``; yields each."""
    delay = first
    while True:
        time.sleep(delay)
        yield delay
        delay = min(2 * delay, longest)


__all__ = ["CLAIMS_SCHEMA", "STALE_AFTER", "Owner", "claim", "current_owner", "is_stale", "open_database",
           "process_alive", "release", "transaction", "waiter"]
