"""PC-DARTS (Xu et al. 2020): partial-channel connections and edge normalisation."""
from __future__ import annotations

import numpy as np

from nasbench_lab.hyperparams import integer
from nasbench_lab.space import SearchSpace

from .supernet_search import COMMON_RANGES, SupernetSearch


def pc_darts_strategy():
    """Softmax over operations times a softmax over the edges into each node (edge betas)."""
    import torch

    from nasbench_lab.supernet.training import Strategy

    class PcDartsStrategy(Strategy):
        def setup(self, trainer):
            self.groups = trainer.net.slot_groups()
            self.betas = [(1e-3 * torch.randn(len(g), generator=trainer.generator)).to(trainer.device)
                          .requires_grad_() for g in self.groups]

        def extra_parameters(self):
            return self.betas

        def weights(self, trainer, phase):
            out = [a.softmax(-1) for a in trainer.alphas]
            for group, beta in zip(self.groups, self.betas):
                for position, slot in enumerate(group):
                    out[slot] = out[slot] * beta.softmax(-1)[position]
            return out

        def epoch_end(self, trainer, record):
            record.extra["edge_weights"] = [[round(float(v), 6) for v in b.detach().softmax(-1)] for b in self.betas]
            return False

    return PcDartsStrategy()


class PcDarts(SupernetSearch):
    """PC-DARTS: operations see 1/K of the channels, edges into a node normalised by softmax betas; derived cell = per-edge argmax."""

    method = "pc-darts"
    hyperparameter_ranges = {**COMMON_RANGES, "partial_channels": integer(1)}

    def __init__(self, space: SearchSpace, rng: np.random.Generator, *, epochs: int = 10, batch_size: int = 64,
                 width: int = 0, depth: int = 0, lr: float = 0.025, arch_lr: float = 3e-4, max_train: int = 0,
                 threads: int = 1, device: str = "cpu", partial_channels: int = 4) -> None:
        """As ``darts`` (see there); each mixed operation sees ``partial_channels`` = K: 1/K of
        its input channels (K must divide the supernet's widths)."""
        super().__init__(space, rng, epochs=epochs, batch_size=batch_size, width=width, depth=depth, lr=lr,
                         arch_lr=arch_lr, max_train=max_train, threads=threads, device=device,
                         partial_channels=partial_channels)

    def strategy(self):
        return pc_darts_strategy()
