"""GDAS (Dong & Yang 2019): one operation per edge sampled by Gumbel-softmax (hard, straight-through)."""
from __future__ import annotations

from nasbench_lab.core.hyperparams import hyperparameter, number

from .supernet_search import SupernetSearch


def gdas_strategy(tau_max: float, tau_min: float):
    """Hard Gumbel-softmax weights: the forward runs the sampled operation only, gradients reach
    every alpha through the soft sample; temperature linear from ``tau_max`` to ``tau_min``."""
    import torch

    from nasbench_lab.supernet.training import Strategy, linear_temperature

    class GDASStrategy(Strategy):
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

    return GDASStrategy()


class GDAS(SupernetSearch):
    """GDAS: one operation per edge sampled by hard Gumbel-softmax, temperature 10 -> 0.1; derived cell = per-edge argmax."""

    method = "gdas"
    tau_max: float = hyperparameter(10.0, number(0, open_low=True), "Gumbel temperature of the first epoch")
    tau_min: float = hyperparameter(0.1, number(0, "tau_max", open_low=True),
                                    "Gumbel temperature of the last epoch (linear in between)")

    def strategy(self):
        return gdas_strategy(self.tau_max, self.tau_min)
