"""DARTS (Liu et al. 2019): softmax-relaxed operations, alphas by gradient on the validation half."""
from __future__ import annotations

from nasbench_lab.core.hyperparams import hyperparameter, one_of

from .supernet_search import SupernetSearch


def darts_strategy(order: int):
    """The DARTS strategy: first order, or (``order=2``) the finite-difference second-order
    hypergradient with the virtual step's learning rate = the current weight learning rate."""
    import torch  # noqa: F401

    from nasbench_lab.supernet.curvature import second_order_hypergradient
    from nasbench_lab.supernet.training import Strategy

    class DARTSStrategy(Strategy):
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

    return DARTSStrategy()


class DARTS(SupernetSearch):
    """DARTS: softmax mixture of operations trained by gradient (order=1 first order, 2 second order); derived cell = per-edge argmax."""

    method = "darts"
    order: int = hyperparameter(1, one_of(1, 2), "1: first-order alpha gradient; 2: finite-difference second order")

    def strategy(self):
        return darts_strategy(self.order)
