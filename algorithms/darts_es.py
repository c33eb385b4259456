"""DARTS-ES (Zela et al. 2020, RobustDARTS): first-order DARTS stopped early when the dominant
Hessian eigenvalue of the validation loss w.r.t. the alphas grows."""
from __future__ import annotations

import numpy as np

from nasbench_lab.hyperparams import integer, number
from nasbench_lab.space import SearchSpace

from .supernet_search import COMMON_RANGES, SupernetSearch


def darts_es_strategy(window: int, ratio: float, batch: int, iterations: int):
    """After each epoch: eigenvalue by ``iterations`` power-iteration steps on the first
    ``batch`` validation images. Stop at epoch i when the mean eigenvalue of the last ``window``
    epochs exceeds ``ratio`` x the mean of the ``window`` before (RobustDARTS: 1/0.75), and go
    back to the alphas of epoch i - window."""
    from nasbench_lab.supernet.curvature import dominant_eigenvalue
    from nasbench_lab.supernet.training import Strategy

    class DartsEsStrategy(Strategy):
        def setup(self, trainer):
            self.eigenvalues, self.snapshots = [], []

        def epoch_end(self, trainer, record):
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

    return DartsEsStrategy()


class DartsEs(SupernetSearch):
    """DARTS-ES (RobustDARTS): first-order DARTS stopped when the Hessian's dominant eigenvalue w.r.t. alphas grows, alphas taken from before the rise."""

    method = "darts-es"
    hyperparameter_ranges = {**COMMON_RANGES, "es_window": integer(1), "es_ratio": number(1),
                             "es_batch": integer(2), "es_iterations": integer(1)}

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, epochs: int = 10, batch_size: int = 64,
                 width: int = 0, depth: int = 0, lr: float = 0.025, arch_lr: float = 3e-4, max_train: int = 0,
                 threads: int = 1, device: str = "cpu", es_window: int = 2, es_ratio: float = 1 / 0.75,
                 es_batch: int = 64, es_iterations: int = 10) -> None:
        """As ``darts`` (see there); the eigenvalue is estimated after each epoch on
        ``es_batch`` validation images by ``es_iterations`` Hessian-vector products; training
        stops when the mean over ``es_window`` epochs rises by more than ``es_ratio``."""
        super().__init__(space, rng, epochs=epochs, batch_size=batch_size, width=width, depth=depth, lr=lr,
                         arch_lr=arch_lr, max_train=max_train, threads=threads, device=device)
        self.es_window, self.es_ratio = int(es_window), float(es_ratio)
        self.es_batch, self.es_iterations = int(es_batch), int(es_iterations)

    def strategy(self):
        return darts_es_strategy(self.es_window, self.es_ratio, self.es_batch, self.es_iterations)
