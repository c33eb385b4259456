"""PC-DARTS (Xu et al. 2020): partial-channel connections and edge normalisation."""
from __future__ import annotations

from nasbench_lab.core.hyperparams import hyperparameter, integer

from .supernet_search import SupernetSearch


def pc_darts_strategy():
    """Softmax over operations times a softmax over the edges into each node (edge betas)."""
    import torch

    from nasbench_lab.supernet.training import Strategy

    class PCDARTSStrategy(Strategy):
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

    return PCDARTSStrategy()


class PCDARTS(SupernetSearch):
    """PC-DARTS: operations see 1/K of the channels, edges into a node normalised by softmax betas; derived cell = per-edge argmax."""

    method = "pc-darts"
    partial_channels: int = hyperparameter(4, integer(1), "K: each operation sees 1/K of its input channels "
                                           "(K must divide the supernet's widths)")

    def strategy(self):
        return pc_darts_strategy()
