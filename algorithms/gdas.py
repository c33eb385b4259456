"""GDAS (Dong & Yang 2019): one operation per edge sampled by Gumbel-softmax (hard, straight-through)."""
from __future__ import annotations

import numpy as np

from nasbench_lab.hyperparams import number
from nasbench_lab.space import SearchSpace

from .supernet_search import COMMON_RANGES, SupernetSearch


def gdas_strategy(tau_max: float, tau_min: float):
    """Hard Gumbel-softmax weights: the forward runs the sampled operation only, gradients reach
    every alpha through the soft sample; temperature linear from ``tau_max`` to ``tau_min``."""
    import torch

    from nasbench_lab.supernet.training import Strategy, linear_temperature

    class GdasStrategy(Strategy):
        tau = tau_max

        def weights(self, trainer, phase):
            out = []
            for a in trainer.alphas:
                while True:
                    u = trainer.uniform(a.shape).clamp_(1e-12, 1 - 1e-12)
                    soft = ((a.log_softmax(-1) - torch.log(-torch.log(u))) / self.tau).softmax(-1)
                    if torch.isfinite(soft).all():
                        break
                hard = torch.nn.functional.one_hot(soft.argmax(), a.numel()).to(soft.dtype)
                out.append(hard - soft.detach() + soft)
            return out

        def epoch_end(self, trainer, record):
            record.extra["tau"] = self.tau
            self.tau = linear_temperature(tau_max, tau_min, trainer.epoch, trainer.config.epochs)
            return False

    return GdasStrategy()


class Gdas(SupernetSearch):
    """GDAS: one operation per edge sampled by hard Gumbel-softmax, temperature 10 -> 0.1; derived cell = per-edge argmax."""

    method = "gdas"
    hyperparameter_ranges = {**COMMON_RANGES, "tau_max": number(0, open_low=True),
                             "tau_min": number(0, "tau_max", open_low=True)}

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, epochs: int = 10, batch_size: int = 64,
                 width: int = 0, depth: int = 0, lr: float = 0.025, arch_lr: float = 3e-4, max_train: int = 0,
                 threads: int = 1, device: str = "cpu", tau_max: float = 10.0, tau_min: float = 0.1) -> None:
        """As ``darts`` (see there), with the Gumbel temperature annealed linearly from
        ``tau_max`` (first epoch) to ``tau_min`` (last epoch)."""
        super().__init__(space, rng, epochs=epochs, batch_size=batch_size, width=width, depth=depth, lr=lr,
                         arch_lr=arch_lr, max_train=max_train, threads=threads, device=device)
        self.tau_max, self.tau_min = float(tau_max), float(tau_min)

    def strategy(self):
        return gdas_strategy(self.tau_max, self.tau_min)
