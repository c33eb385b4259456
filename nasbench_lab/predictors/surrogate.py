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


class GINSurrogate:
    """An ensemble of ``members`` GINs fitted to (architecture, search metric) pairs.

    The first ``fit`` trains from scratch for ``epochs``; later calls continue from the current
    weights for ``refit_epochs`` (a warm start), unless ``refit_epochs`` is 0 (always from
    scratch). ``score`` returns the ensemble mean in z-score units of the training targets
    (and the members' standard deviation), so temperatures and thresholds do not depend on the
    benchmark's scale. Graph encodings are cached.
    """

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, members: int = 1,
                 epochs: int = 100, refit_epochs: int = 20, gin: dict[str, Any] | None = None) -> None:
        if members < 1 or epochs < 1 or refit_epochs < 0:
            raise ValueError("need members >= 1, epochs >= 1 and refit_epochs >= 0")
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

    def fit(self, archs: Sequence[Arch], values: Sequence[float]) -> None:
        start = time.perf_counter()
        graphs = [self.graph(a) for a in archs]
        y = np.asarray(values, dtype=float)
        for model in self.models:
            seed = int(self.rng.integers(2**31 - 1))
            if self.fits and self.refit_epochs:
                model.refit(graphs, y, epochs=self.refit_epochs, seed=seed)
            else:
                model.fit(graphs, y, seed=seed)
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
