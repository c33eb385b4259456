"""DARTS (Liu et al. 2019): softmax-relaxed operations, alphas by gradient on the validation half."""
from __future__ import annotations

import numpy as np

from nasbench_lab.hyperparams import one_of
from nasbench_lab.space import SearchSpace

from .supernet_search import COMMON_RANGES, SupernetSearch


def darts_strategy(order: int):
    """The DARTS strategy: first order, or (``order=2``) the finite-difference second-order
    hypergradient with the virtual step's learning rate = the current weight learning rate."""
    import torch  # noqa: F401

    from nasbench_lab.supernet.curvature import second_order_hypergradient
    from nasbench_lab.supernet.training import Strategy

    class DartsStrategy(Strategy):
        def arch_step(self, trainer, train, valid):
            if order == 1:
                return super().arch_step(trainer, train, valid)
            trainer.arch_opt.zero_grad()
            grads = second_order_hypergradient(
                lambda: trainer.loss(train, self.weights(trainer, "arch")),
                lambda: trainer.loss(valid, self.weights(trainer, "arch")),
                trainer.weight_params, trainer.alphas, xi=trainer.schedule.get_last_lr()[0],
                weight_decay=trainer.config.weight_decay)
            for a, g in zip(trainer.alphas, grads):
                a.grad = g.detach()
            trainer.arch_opt.step()

    return DartsStrategy()


class Darts(SupernetSearch):
    """DARTS: softmax mixture of operations trained by gradient (order=1 first order, 2 second order); derived cell = per-edge argmax."""

    method = "darts"
    hyperparameter_ranges = {**COMMON_RANGES, "order": one_of(1, 2)}

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, epochs: int = 10, batch_size: int = 64,
                 width: int = 0, depth: int = 0, lr: float = 0.025, arch_lr: float = 3e-4, max_train: int = 0,
                 threads: int = 1, device: str = "cpu", order: int = 1) -> None:
        """Supernet (``width``/``depth``: the space's C and N, 0 = CPU default 8 and 1) trained
        ``epochs`` epochs with batches of ``batch_size`` on the search data's train half (SGD,
        cosine from ``lr``), alphas by Adam (``arch_lr``) on the validation half; ``max_train``
        caps each half (0 = all); ``threads`` torch threads; ``device`` cpu or cuda."""
        super().__init__(space, rng, epochs=epochs, batch_size=batch_size, width=width, depth=depth, lr=lr,
                         arch_lr=arch_lr, max_train=max_train, threads=threads, device=device)
        self.order = int(order)

    def strategy(self):
        return darts_strategy(self.order)
