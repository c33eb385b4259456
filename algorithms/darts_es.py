"""DARTS-ES (Zela et al. 2020, RobustDARTS): first-order DARTS stopped early when the dominant
Hessian eigenvalue of the validation loss w.r.t. the alphas grows."""
from __future__ import annotations

import numpy as np

from nasbench_lab.core.hyperparams import hyperparameter, integer, number

from .supernet_search import SupernetSearch


def darts_es_strategy(window: int, ratio: float, batch: int, iterations: int, warmup: int = 0):
    """After each epoch: eigenvalue by ``iterations`` power-iteration steps on the first
    ``batch`` validation images. Stop at epoch i when the mean eigenvalue of the last ``window``
    epochs exceeds ``ratio`` x the mean of the ``window`` before (RobustDARTS: 1/0.75), and go
    back to the alphas of epoch i - window. The first ``warmup`` epochs are not watched (no
    eigenvalue is estimated), so the comparison starts from epoch ``warmup + 1``."""
    from nasbench_lab.supernet.curvature import dominant_eigenvalue
    from nasbench_lab.supernet.training import Strategy

    class DARTSESStrategy(Strategy):
        def setup(self, trainer):
            self.eigenvalues, self.snapshots = [], []

        def epoch_end(self, trainer, record):
            if trainer.epoch <= warmup:
                record.extra["warmup"] = True
                return False
            x, y = (t[:batch].to(trainer.device) for t in trainer.data.valid)
            trainer.net.train()
            value = dominant_eigenvalue(lambda: trainer.loss((x, y), self.weights(trainer, "arch")),
                                        trainer.alphas, iterations, trainer.generator)
            self.eigenvalues.append(value)
            self.snapshots.append([a.detach().clone() for a in trainer.alphas])
            record.extra["eigenvalue"] = value
            if len(self.eigenvalues) < 2 * window:
                return False
            recent = float(np.mean(self.eigenvalues[-window:]))
            before = float(np.mean(self.eigenvalues[-2 * window:-window]))
            if before > 0 and recent / before > ratio:
                back = self.snapshots[-window - 1]
                for a, s in zip(trainer.alphas, back):
                    a.data.copy_(s)
                record.extra["stopped"] = {"at_epoch": trainer.epoch, "alphas_of_epoch": trainer.epoch - window,
                                           "ratio": recent / before}
                return True
            return False

    return DARTSESStrategy()


class DARTSES(SupernetSearch):
    """DARTS-ES (RobustDARTS): first-order DARTS stopped when the Hessian's dominant eigenvalue w.r.t. alphas grows, alphas taken from before the rise."""

    method = "darts-es"
    es_window: int = hyperparameter(2, integer(1), "epochs averaged on each side of the eigenvalue comparison")
    es_ratio: float = hyperparameter(1 / 0.75, number(1), "stop when the recent mean eigenvalue exceeds ratio x the one before")
    es_batch: int = hyperparameter(64, integer(2), "validation images the eigenvalue is estimated on")
    es_iterations: int = hyperparameter(10, integer(1), "Hessian-vector products (power iterations) per estimate")
    es_warmup: int = hyperparameter(0, integer(0), "epochs trained before the eigenvalue is watched (0: from the first)")

    def strategy(self):
        return darts_es_strategy(self.es_window, self.es_ratio, self.es_batch, self.es_iterations, self.es_warmup)
