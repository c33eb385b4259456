"""A GIN surrogate for search algorithms: trained on queried architectures (search metric only),
it scores any number of architectures for free.

Used by the GIN-guided searches (``nasbench_lab.algorithms.surrogate_search``). Every random choice comes from the algorithm's
numpy Generator (model seeds are drawn from it), and torch runs single-threaded while fitting
and predicting, so a run depends only on its seed.
"""
from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from nasbench_lab.core.space import Arch, SearchSpace, crossover, valid_member  # noqa: F401 (re-exported)

from .gin import GINPredictor


#: What each member of a ``GINSurrogate`` is fitted on.
MEMBER_DATA = ("all", "folds")


class GINSurrogate:
    """An ensemble of ``members`` GINs fitted to (architecture, search metric) pairs.

    The first ``fit`` trains from scratch for ``epochs``; later calls continue from the current
    weights for ``refit_epochs`` (a warm start), unless ``refit_epochs`` is 0 (always from
    scratch). ``score`` returns the ensemble mean in z-score units of the training targets
    (and the members' standard deviation), so temperatures and thresholds do not depend on the
    benchmark's scale. Graph encodings are cached.

    ``data="folds"`` (with ``members`` >= 2) fits member ``i`` on every record but those of fold
    ``i``: each record is dealt to one of ``members`` folds when first fitted (balanced, in a random
    order from ``rng``), as PNAS's ensemble of predictors each trained on a different
    (members - 1)/members of the data. ``data="all"`` fits every member on every record (the
    members differ only by their seeds).
    """

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, members: int = 1,
                 epochs: int = 100, refit_epochs: int = 20, gin: dict[str, Any] | None = None,
                 data: str = "all") -> None:
        if members < 1 or epochs < 1 or refit_epochs < 0:
            raise ValueError("need members >= 1, epochs >= 1 and refit_epochs >= 0")
        if data not in MEMBER_DATA:
            raise ValueError(f"data must be one of {', '.join(MEMBER_DATA)}, not {data!r}")
        self.data = data
        self.folds = np.zeros(0, dtype=int)  # the fold of each record fitted so far (data="folds")
        self.space, self.rng = space, rng
        self.epochs, self.refit_epochs = int(epochs), int(refit_epochs)
        params = {"threads": 1, "min_steps": 0, **(gin or {}), "epochs": int(epochs)}
        self.models = [GINPredictor(**params) for _ in range(members)]
        self._graphs: dict[Arch, Any] = {}
        self.fits = 0
        self.seconds = 0.0  # time spent encoding, fitting and predicting (compute outside queries)

    def graph(self, arch: Arch):
        g = self._graphs.get(arch)
        if g is None:
            g = self._graphs[arch] = self.space.encode(arch)
        return g

    def member_rows(self, n: int) -> list[np.ndarray]:
        """The records (indices into the first ``n`` fitted) each member is fitted on; with
        ``data="folds"``, records beyond those already dealt are dealt to folds now."""
        k = len(self.models)
        if self.data == "all" or k == 1:
            return [np.arange(n)] * k
        if n > len(self.folds):
            new = (np.arange(len(self.folds), n) % k)[self.rng.permutation(n - len(self.folds))]
            self.folds = np.concatenate([self.folds, new])
        return [np.flatnonzero(self.folds[:n] != i) for i in range(k)]

    def fit(self, archs: Sequence[Arch], values: Sequence[float]) -> None:
        """Fit every member on its records (``member_rows``) of ``archs`` and their ``values``,
        in the order first told (a warm start after the first fit unless ``refit_epochs`` is 0)."""
        start = time.perf_counter()
        graphs = [self.graph(a) for a in archs]
        y = np.asarray(values, dtype=float)
        for model, rows in zip(self.models, self.member_rows(len(graphs))):
            seed = int(self.rng.integers(2**31 - 1))
            sub = [graphs[i] for i in rows]
            if self.fits and self.refit_epochs:
                model.refit(sub, y[rows], epochs=self.refit_epochs, seed=seed)
            else:
                model.fit(sub, y[rows], seed=seed)
        self.fits += 1
        self.seconds += time.perf_counter() - start

    def score(self, archs: Sequence[Arch]) -> tuple[np.ndarray, np.ndarray]:
        """Predicted z-scores (ensemble mean) and the members' spread, one per architecture."""
        if not archs:
            return np.zeros(0), np.zeros(0)
        start = time.perf_counter()
        graphs = [self.graph(a) for a in archs]
        preds = np.stack([m.predict_scores(graphs) for m in self.models])
        self.seconds += time.perf_counter() - start
        return preds.mean(0), preds.std(0)
