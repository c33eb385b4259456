"""SPOS (Guo et al. 2020): single-path supernet trained with uniformly sampled paths, then
candidate architectures ranked by their inherited-weight validation accuracy."""
from __future__ import annotations

import numpy as np

from nasbench_lab.core.hyperparams import hyperparameter, integer, number

from .supernet_search import SupernetSearch


def spos_strategy():
    """One-hot weights, each slot's choice uniform from the run's generator; no alphas learned."""
    import torch

    from nasbench_lab.supernet.training import Strategy

    class SPOSStrategy(Strategy):
        learns_alphas = False

        def weights(self, trainer, phase):
            return [torch.nn.functional.one_hot(torch.randint(a.numel(), (), generator=trainer.generator),
                                                a.numel()).float().to(trainer.device) for a in trainer.alphas]

        def probabilities(self, trainer):
            return [torch.full((a.numel(),), 1.0 / a.numel()) for a in trainer.alphas]

    return SPOSStrategy()


class SPOS(SupernetSearch):
    """SPOS: uniform single-path supernet training, then sampled candidates ranked by inherited-weight accuracy (BN recalibrated)."""

    method = "spos"
    arch_lr: float = hyperparameter(0.0, number(0), "unused (SPOS learns no alphas)")
    candidates: int = hyperparameter(50, integer(1), "paths drawn uniformly and ranked by inherited-weight accuracy")
    recalibration: int = hyperparameter(256, integer(2), "training images BatchNorm statistics are re-estimated on")
    eval_samples: int = hyperparameter(500, integer(1), "validation images each candidate is scored on")

    def strategy(self):
        return spos_strategy()

    def rank(self, trainer):
        """Distinct candidates drawn uniformly, best inherited accuracy first; kept in the record."""
        from nasbench_lab.supernet.evaluation import inherited_accuracy, sample_paths

        pool = sample_paths(trainer.net, self.rng, self.candidates)
        valid = tuple(t[: self.eval_samples] for t in trainer.data.valid)
        recal = trainer.data.train[0][: self.recalibration]
        scores = [inherited_accuracy(trainer.net, arch, valid, recal) for arch in pool]
        order = np.argsort(-np.asarray(scores), kind="stable")
        self.inherited = [(list(trainer.net.choices_of(pool[i])), scores[i]) for i in order]
        return [pool[i] for i in order]
