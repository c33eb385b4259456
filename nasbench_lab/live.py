"""Live benchmarks: a query trains the architecture (for spaces no table covers).

Pieces
------
``Recipe``
    The fixed training recipe (epochs, optimiser, learning rate, batch size, seed, ...). Part
    of the cache key. Users set it with ``--benchmark-option NAME.FIELD=VALUE``.
``fit_classifier`` / ``accuracy`` / ``measure_latency``
    A plain, seeded classification training loop on tensors. A non-finite loss raises
    ``Diverged``.
``LiveBenchmark``
    The ``Benchmark`` base. Subclasses give a *trainer* that sees the training and validation
    data only (``train(arch) -> TrainResult``: validation accuracy, costs, trained weights) and
    a *scorer* that evaluates trained weights on the test data. ``searcher()`` hands the oracle
    a function built from the trainer and a search-only view of the cache, so neither test data
    nor test accuracies are reachable from an algorithm.
``LiveCache``
    Results in SQLite (``<cache_dir>/live/<benchmark>.sqlite``), keyed by sha256 of the
    benchmark, dataset fingerprint, the space's canonical hash of the architecture, the recipe
    and a cache version. Safe for parallel processes (WAL journal, busy timeout, first writer
    wins). The trained weights are kept in the row only until the test accuracy is recorded.

Failures: a training whose loss becomes NaN/inf is recorded with status ``diverged`` and
``FAILED_VALUE`` (0.0 accuracy) for both the search and the report metric; it is cached like
any other result and never crashes a run. ``best_report`` is unknown (NaN), so regret is NaN
("n/a" in the leaderboard).
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from .benchmark import Benchmark
from .errors import NasLabError, UnknownNameError
from .space import Arch, SearchSpace

#: Search and report metric of a training that diverged (documented failure value).
FAILED_VALUE = 0.0
#: Bumped when the meaning of cached rows changes (invalidates old rows).
CACHE_VERSION = 1
OPTIMISERS = ("adam", "adamw", "sgd")
SCHEDULES = ("cosine", "constant")


class Diverged(Exception):
    """Training produced a non-finite loss."""


class RecipeError(NasLabError, ValueError):
    """An invalid training-recipe value."""


@dataclass(frozen=True)
class Recipe:
    """How every architecture is trained (the same for all of them).

    ``epochs`` passes over the training data in shuffled mini-batches of ``batch_size``;
    ``optimizer`` adam | adamw | sgd (with ``momentum``, Nesterov off) at learning rate ``lr``,
    ``weight_decay``; ``schedule`` cosine (to 0 over all steps) | constant; ``seed`` seeds the
    weight initialisation, shuffling and dropout; ``max_train`` > 0 trains on the first
    ``max_train`` training samples only (0 = all).
    """

    epochs: int = 20
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float = 0.003
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "cosine"
    seed: int = 0
    max_train: int = 0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RecipeError(f"recipe {name} must be a whole number >= 1, got {value!r}")
        for name in ("seed", "max_train"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise RecipeError(f"recipe {name} must be a whole number >= 0, got {value!r}")
        for name in ("lr", "momentum", "weight_decay"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise RecipeError(f"recipe {name} must be a finite number >= 0, got {value!r}")
            object.__setattr__(self, name, float(value))
        if self.optimizer not in OPTIMISERS:
            raise RecipeError(f"unknown optimizer {self.optimizer!r}; choose from {', '.join(OPTIMISERS)}")
        if self.schedule not in SCHEDULES:
            raise RecipeError(f"unknown schedule {self.schedule!r}; choose from {', '.join(SCHEDULES)}")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def describe(self) -> str:
        extra = f", first {self.max_train} training samples" if self.max_train else ""
        wd = f", weight decay {self.weight_decay:g}" if self.weight_decay else ""
        return (f"{self.epochs} epochs of {self.optimizer} (lr {self.lr:g}, {self.schedule}{wd}), "
                f"batch {self.batch_size}, seed {self.seed}{extra}")

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    def replace(self, **changes: Any) -> "Recipe":
        return dataclasses.replace(self, **changes)


def coerce(value: Any, like: Any, what: str) -> Any:
    """Convert a user-given option value (from JSON or a plain string) to the type of ``like``."""
    try:
        if isinstance(like, bool):
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered in ("1", "true", "yes", "on"):
                    return True
                if lowered in ("0", "false", "no", "off"):
                    return False
                raise ValueError
            return bool(value)
        if isinstance(like, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str):
                return int(value)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            raise ValueError
        if isinstance(like, float):
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise RecipeError(f"option {what} expects a {type(like).__name__}, got {value!r}") from None


def split_options(
    options: Mapping[str, Any], extra_defaults: Mapping[str, Any], benchmark: str
) -> tuple[Recipe, dict[str, Any]]:
    """Split benchmark options into a ``Recipe`` and the remaining (non-recipe) options,
    coercing types and refusing unknown names."""
    base = Recipe()
    known = set(Recipe.fields()) | set(extra_defaults)
    unknown = sorted(set(options) - known)
    if unknown:
        raise UnknownNameError(
            f"benchmark {benchmark!r} has no option {', '.join(unknown)}; it has: {', '.join(sorted(known))}"
        )
    recipe_values = {k: coerce(v, getattr(base, k), f"{benchmark}.{k}") for k, v in options.items() if k in Recipe.fields()}
    extra = {k: coerce(options[k], d, f"{benchmark}.{k}") if k in options else d for k, d in extra_defaults.items()}
    return Recipe(**recipe_values), extra


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run torch with ``n`` intra-op threads (restored afterwards); n <= 0 leaves it alone."""
    import torch

    if n <= 0:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def make_optimizer(params, recipe: Recipe):
    import torch

    if recipe.optimizer == "sgd":
        return torch.optim.SGD(params, lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay)
    cls = torch.optim.AdamW if recipe.optimizer == "adamw" else torch.optim.Adam
    return cls(params, lr=recipe.lr, weight_decay=recipe.weight_decay)


@dataclass(frozen=True)
class FitOutcome:
    epochs: int
    steps: int
    final_loss: float
    seconds: float


def fit_classifier(model, x, y, recipe: Recipe) -> FitOutcome:
    """Train ``model`` (a ``torch.nn.Module`` giving logits) on tensors ``x``, ``y`` with
    cross-entropy. Seeds everything from ``recipe.seed`` inside ``torch.random.fork_rng`` (the
    caller's global torch state is untouched); raises ``Diverged`` on a non-finite loss. The
    caller builds the model (seeding its initialisation) beforehand."""
    import torch
    import torch.nn.functional as F

    start = time.perf_counter()
    if recipe.max_train:
        x, y = x[: recipe.max_train], y[: recipe.max_train]
    n = int(x.shape[0])
    if n == 0:
        raise NasLabError("no training samples")
    per_epoch = (n + recipe.batch_size - 1) // recipe.batch_size
    total = per_epoch * recipe.epochs
    loss_value = float("nan")
    step = 0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(recipe.seed + 1)  # dropout masks
        shuffle = torch.Generator().manual_seed(recipe.seed)
        opt = make_optimizer(model.parameters(), recipe)
        base_lr = recipe.lr
        model.train()
        for epoch in range(recipe.epochs):
            perm = torch.randperm(n, generator=shuffle)
            for b in range(per_epoch):
                idx = perm[b * recipe.batch_size: (b + 1) * recipe.batch_size]
                if recipe.schedule == "cosine":
                    for group in opt.param_groups:
                        group["lr"] = 0.5 * base_lr * (1 + math.cos(math.pi * step / total))
                loss = F.cross_entropy(model(x[idx]), y[idx])
                if not torch.isfinite(loss):
                    raise Diverged(f"loss became {loss.item()} at epoch {epoch + 1}, step {step + 1}")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                step += 1
                loss_value = float(loss.detach())
    model.eval()
    return FitOutcome(recipe.epochs, step, loss_value, time.perf_counter() - start)


def accuracy(model, x, y, batch: int = 2048) -> float:
    """Top-1 accuracy in percent (eval mode, no gradients)."""
    import torch

    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, int(x.shape[0]), batch):
            logits = model(x[i: i + batch])
            if not torch.isfinite(logits).all():
                raise Diverged("the network outputs non-finite logits")
            correct += int((logits.argmax(1) == y[i: i + batch]).sum())
    return 100.0 * correct / max(1, int(x.shape[0]))


def measure_latency(model, sample, repeats: int = 20, warmup: int = 3) -> float:
    """Median wall time in milliseconds of one forward pass on ``sample`` (a batch of one),
    eval mode, no gradients, in the current torch thread setting."""
    import torch

    model.eval()
    times = []
    with torch.no_grad():
        for k in range(warmup + repeats):
            t = time.perf_counter()
            model(sample)
            if k >= warmup:
                times.append(time.perf_counter() - t)
    return 1000.0 * float(np.median(times)) if times else float("nan")


# ---------------------------------------------------------------------------------------------
# Cache
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainResult:
    """What a trainer returns: status ``ok`` or ``diverged``, the search metric, costs, the
    trained weights (float32 vector; None for a failure), seconds and a message."""

    status: str
    search: float
    costs: dict[str, float] = field(default_factory=dict)
    weights: np.ndarray | None = None
    seconds: float = 0.0
    message: str = ""

    @classmethod
    def failed(cls, message: str, costs: Mapping[str, float] | None = None, seconds: float = 0.0) -> "TrainResult":
        return cls("diverged", FAILED_VALUE, dict(costs or {}), None, seconds, message)


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
            self.path.parent.mkdir(parents=True, exist_ok=True)
            target = self.path.resolve().as_uri()
        try:
            conn = sqlite3.connect(target, timeout=120, isolation_level=None, check_same_thread=False, uri=True)
            conn.execute("PRAGMA busy_timeout = 120000")
            if self.path is not None:
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise NasLabError(f"live cache {target} is not a usable SQLite database ({exc}); delete it to start afresh") from None
        self._conn, self._pid = conn, os.getpid()
        return conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._db()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

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

    def write_search(self, key: str, meta: Mapping[str, str], result: TrainResult) -> SearchRecord:
        """Insert a training result unless another process got there first; return the row."""
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
        self._memory.pop(key, None)
        rec = self.read_search(key)
        assert rec is not None
        return rec

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


# ---------------------------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------------------------


class _Keys:
    """Cache keys and row metadata (shared by both sides; holds no data, no benchmark)."""

    def __init__(self, name: str, data_id: str, space: SearchSpace, recipe: Recipe) -> None:
        self.name, self.data_id, self.space = name, data_id, space
        self.recipe = recipe.as_dict()
        self.recipe_json = json.dumps(self.recipe, sort_keys=True)

    def key(self, arch: Arch) -> str:
        blob = json.dumps(
            {"v": CACHE_VERSION, "benchmark": self.name, "data": self.data_id,
             "arch": self.space.canonical(arch), "recipe": self.recipe},
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    def meta(self, arch: Arch) -> dict[str, str]:
        return {"benchmark": self.name, "dataset": self.data_id, "arch": self.space.format(arch),
                "canonical": self.space.canonical(arch), "recipe": self.recipe_json}


class _Searcher:
    """The function an oracle receives: trains (or finds in the cache) and returns the
    validation accuracy only. Holds the trainer (training and validation data) and the
    search-side ledger; no test data, no test accuracy."""

    def __init__(self, trainer: Callable[[Arch], TrainResult], ledger: SearchLedger,
                 key: Callable[[Arch], str], meta: Callable[[Arch], dict[str, str]]) -> None:
        self._trainer, self._ledger, self._key, self._meta = trainer, ledger, key, meta
        self.trained = 0

    def record(self, arch: Arch) -> SearchRecord:
        key = self._key(arch)
        rec = self._ledger.read_search(key)
        if rec is None:
            try:
                result = self._trainer(arch)
            except Diverged as exc:
                result = TrainResult.failed(str(exc))
            self.trained += 1
            rec = self._ledger.write_search(key, self._meta(arch), result)
        return rec

    def __call__(self, arch: Arch) -> float:
        return self.record(arch).search


class LiveBenchmark(Benchmark):
    """A benchmark whose queries train (see the module docstring).

    ``trainer(arch) -> TrainResult`` sees training and validation data only; it may raise
    ``Diverged``. ``scorer(arch, weights) -> float`` gives the test accuracy of trained weights.
    ``data_id`` identifies the data (name and fingerprint) in the cache key; ``cache_path`` is
    the SQLite file (None: in memory, this process only).
    """

    failure_value = FAILED_VALUE

    def __init__(
        self,
        *,
        name: str,
        dataset: str,
        space: SearchSpace,
        recipe: Recipe,
        data_id: str,
        trainer: Callable[[Arch], TrainResult],
        scorer: Callable[[Arch, np.ndarray], float],
        cache_path: Path | None,
        search_metric: str = "valid_acc",
        report_metric: str = "test_acc",
        costs: tuple[str, ...] = (),
        note: str = "",
    ) -> None:
        self.name, self.dataset, self.space, self.recipe, self.data_id = name, dataset, space, recipe, data_id
        self.search_metric_name, self.report_metric_name = search_metric, report_metric
        self.cost_names, self.note = tuple(costs), note
        self.cache = LiveCache(cache_path)
        self._trainer, self._scorer = trainer, scorer
        self._keys = _Keys(name, data_id, space, recipe)
        ledger = SearchLedger(cache_path, self.cache.memory_name)
        self._searcher = _Searcher(trainer, ledger, self._keys.key, self._keys.meta)
        self._reports: dict[str, float] = {}

    def key(self, arch: Arch) -> str:
        """Cache key: sha256 of benchmark, data fingerprint, canonical hash, recipe, version."""
        return self._keys.key(arch)

    # -- metrics -------------------------------------------------------------------------------
    def searcher(self) -> Callable[[Arch], float]:
        return self._searcher

    def evaluate(self, arch: Arch) -> SearchRecord:
        """The search-side record of ``arch`` (training it if it is not cached)."""
        return self._searcher.record(arch)

    def search_metric(self, arch: Arch) -> float:
        return self.evaluate(arch).search

    def status(self, arch: Arch) -> str:
        return self.evaluate(arch).status

    def report_metric(self, arch: Arch) -> float:
        key = self.key(arch)
        if key in self._reports:
            return self._reports[key]
        rec = self.evaluate(arch)
        if rec.status != "ok":
            value = self.failure_value
        else:
            value, weights = self.cache.read_report(key)
            if value is None:
                if weights is None:  # weights gone (e.g. the row was written elsewhere): retrain
                    try:
                        weights = self._trainer(arch).weights
                    except Diverged:
                        weights = None
                value = self.failure_value if weights is None else float(self._scorer(arch, weights))
                self.cache.write_report(key, value)
                value, _ = self.cache.read_report(key)  # the first writer's value
        self._reports[key] = float(value)  # type: ignore[arg-type]
        return float(value)  # type: ignore[arg-type]

    def costs(self, arch: Arch) -> dict[str, float]:
        rec = self.evaluate(arch)
        return {c: float(rec.costs.get(c, float("nan"))) for c in self.cost_names}

    @property
    def best_report(self) -> float:
        """Unknown for a live benchmark: NaN (regret shows as n/a)."""
        return float("nan")

    @property
    def trainings(self) -> int:
        """Trainings run by this process (cache misses)."""
        return self._searcher.trained


def data_fingerprint(*arrays: np.ndarray) -> str:
    """A short sha1 of the arrays' shapes, dtypes and bytes."""
    h = hashlib.sha1()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:12]
