"""DrNAS (Chen et al. 2021): architecture mixing weights drawn from a learned Dirichlet."""
from __future__ import annotations

import numpy as np

from nasbench_lab.hyperparams import number
from nasbench_lab.space import SearchSpace

from .supernet_search import COMMON_RANGES, SupernetSearch


def drnas_strategy(kl_weight: float):
    """Weights ~ Dirichlet(elu(alpha) + 1), reparameterised; the architecture loss adds
    ``kl_weight`` x KL(Dir(concentration) || Dir(1)); probabilities = the Dirichlet mean."""
    import torch
    from torch.distributions import Dirichlet, kl_divergence

    from nasbench_lab.supernet.training import Strategy

    def concentration(a):
        return torch.nn.functional.elu(a) + 1.0

    class DrnasStrategy(Strategy):
        def weights(self, trainer, phase):
            return [Dirichlet(concentration(a)).rsample() for a in trainer.alphas]

        def penalty(self, trainer):
            return kl_weight * sum(kl_divergence(Dirichlet(concentration(a)), Dirichlet(torch.ones_like(a)))
                                   for a in trainer.alphas)

        def probabilities(self, trainer):
            out = []
            for a in trainer.alphas:
                c = concentration(a.detach())
                out.append(c / c.sum())
            return out

    return DrnasStrategy()


class Drnas(SupernetSearch):
    """DrNAS: operation weights sampled from a Dirichlet whose concentration is learned, KL regulariser; derived cell = per-edge argmax of the mean."""

    method = "drnas"
    hyperparameter_ranges = {**COMMON_RANGES, "kl_weight": number(0)}

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, epochs: int = 10, batch_size: int = 64,
                 width: int = 0, depth: int = 0, lr: float = 0.025, arch_lr: float = 6e-4, max_train: int = 0,
                 threads: int = 1, device: str = "cpu", kl_weight: float = 1e-3) -> None:
        """As ``darts`` (see there; ``arch_lr`` 6e-4 as DrNAS); ``kl_weight`` scales the KL
        divergence to the uniform Dirichlet Dir(1)."""
        super().__init__(space, rng, epochs=epochs, batch_size=batch_size, width=width, depth=depth, lr=lr,
                         arch_lr=arch_lr, max_train=max_train, threads=threads, device=device)
        self.kl_weight = float(kl_weight)

    def strategy(self):
        return drnas_strategy(self.kl_weight)
