"""DrNAS (Chen et al. 2021): architecture mixing weights drawn from a learned Dirichlet."""
from __future__ import annotations

from nasbench_lab.core.hyperparams import hyperparameter, number

from .supernet_search import SupernetSearch


def drnas_strategy(kl_weight: float):
    """Weights ~ Dirichlet(elu(alpha) + 1), reparameterised; the architecture loss adds
    ``kl_weight`` x KL(Dir(concentration) || Dir(1)); probabilities = the Dirichlet mean."""
    import torch
    from torch.distributions import Dirichlet, kl_divergence

    from nasbench_lab.supernet.training import Strategy

    def concentration(a):
        return torch.nn.functional.elu(a) + 1.0

    class DrNASStrategy(Strategy):
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

    return DrNASStrategy()


class DrNAS(SupernetSearch):
    """DrNAS: operation weights sampled from a Dirichlet whose concentration is learned, KL regulariser; derived cell = per-edge argmax of the mean."""

    method = "drnas"
    arch_lr: float = hyperparameter(6e-4, number(0), "architecture learning rate (Adam; 6e-4 as DrNAS)")
    kl_weight: float = hyperparameter(1e-3, number(0), "weight of KL(Dir(concentration) || Dir(1)) in the alpha loss")

    def strategy(self):
        return drnas_strategy(self.kl_weight)
