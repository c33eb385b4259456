"""SPOS (Guo et al. 2020): single-path supernet trained with uniformly sampled paths, then
candidate architectures ranked by their inherited-weight validation accuracy."""
from __future__ import annotations

import numpy as np

from nasbench_lab.hyperparams import integer
from nasbench_lab.space import SearchSpace

from .supernet_search import COMMON_RANGES, SupernetSearch


def spos_strategy():
    """One-hot weights, each slot's choice uniform from the run's generator; no alphas learned."""
    import torch

    from nasbench_lab.supernet.training import Strategy

    class SposStrategy(Strategy):
        learns_alphas = False

        def weights(self, trainer, phase):
            return [torch.nn.functional.one_hot(torch.randint(a.numel(), (), generator=trainer.generator),
                                                a.numel()).float().to(trainer.device) for a in trainer.alphas]

        def probabilities(self, trainer):
            return [torch.full((a.numel(),), 1.0 / a.numel()) for a in trainer.alphas]

    return SposStrategy()


class Spos(SupernetSearch):
    """SPOS: uniform single-path supernet training, then sampled candidates ranked by inherited-weight accuracy (BN recalibrated)."""

    method = "spos"
    hyperparameter_ranges = {**COMMON_RANGES, "candidates": integer(1), "recalibration": integer(2),
                             "eval_samples": integer(1)}

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, epochs: int = 10, batch_size: int = 64,
                 width: int = 0, depth: int = 0, lr: float = 0.025, arch_lr: float = 0.0, max_train: int = 0,
                 threads: int = 1, device: str = "cpu", candidates: int = 50, recalibration: int = 256,
                 eval_samples: int = 500) -> None:
        """As ``darts`` (see there; no alphas, ``arch_lr`` unused); then ``candidates``
        architectures drawn uniformly from the supernet's paths (a choice per slot: the
        whole space on nb201, the part a supernet covers elsewhere) are scored by inherited-weight accuracy on
        ``eval_samples`` validation images, BatchNorm statistics re-estimated on
        ``recalibration`` training images per candidate; queries go down that ranking."""
        super().__init__(space, rng, epochs=epochs, batch_size=batch_size, width=width, depth=depth, lr=lr,
                         arch_lr=arch_lr, max_train=max_train, threads=threads, device=device)
        self.candidates, self.recalibration, self.eval_samples = int(candidates), int(recalibration), int(eval_samples)

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
