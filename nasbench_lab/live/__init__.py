"""Live benchmarks: a query trains the architecture (for spaces no table covers).

Generic: any search space whose architectures can be trained plugs in with a trainer and a
scorer; nothing here knows a particular space.

Pieces
------
``Recipe`` (``recipe.py``)
    The fixed training recipe (epochs, optimiser, learning rate, batch size, seed, ...). Part
    of the cache key. Users set it with ``--benchmark-option NAME.FIELD=VALUE``.
``fit_classifier`` / ``accuracy`` / ``measure_latency`` (``training.py``)
    A plain, seeded classification training loop on tensors. A non-finite loss raises
    ``Diverged``.
``LiveBenchmark`` (``benchmark.py``)
    The ``Benchmark`` base. Subclasses give a *trainer* that sees the training and validation
    data only (``train(arch) -> TrainResult``: validation accuracy, costs, trained weights) and
    a *scorer* that evaluates trained weights on the test data. ``search_metric_fn()`` hands the oracle
    a function built from the trainer and a search-only view of the cache, so neither test data
    nor test accuracies are reachable from an algorithm.
``LiveCache`` (``cache.py``)
    Results in SQLite (``<cache_dir>/live/<benchmark>.sqlite``), keyed by sha256 of the
    benchmark, dataset fingerprint, the space's canonical hash of the architecture, the recipe
    and a cache version. Safe for parallel processes (WAL journal, busy timeout, first writer
    wins); a process claims an architecture before training it, so parallel processes never
    train the same one at once (the claim of a dead process is taken over). The trained weights
    are kept in the row only until the test accuracy is recorded. Its ``checkpoints`` table keeps
    partly trained networks for multi-fidelity search (``fidelity.py``: the validation accuracy
    after each number of epochs reached, and the latest training state to resume from).

Failures: a training whose loss becomes NaN/inf is recorded with status ``diverged`` and
``FAILED_VALUE`` (0.0 accuracy) for both the search and the report metric; it is cached like
any other result and never crashes a run. ``best_report`` is unknown (NaN), so regret is NaN
("n/a" in the leaderboard).
"""
from .benchmark import CACHE_VERSION, LiveBenchmark, data_fingerprint
from .cache import LiveCache, SearchLedger, SearchRecord
from .recipe import OPTIMISERS, SCHEDULES, Recipe, RecipeError, coerce, split_options
from .training import (
    FAILED_VALUE,
    Diverged,
    FitOutcome,
    TrainResult,
    accuracy,
    fit_classifier,
    make_optimizer,
    measure_latency,
)

__all__ = [
    "CACHE_VERSION", "LiveBenchmark", "data_fingerprint", "LiveCache", "SearchLedger", "SearchRecord",
    "OPTIMISERS", "SCHEDULES", "Recipe", "RecipeError", "coerce", "split_options", "FAILED_VALUE",
    "Diverged", "FitOutcome", "TrainResult", "accuracy", "fit_classifier", "make_optimizer",
    "measure_latency",
]
