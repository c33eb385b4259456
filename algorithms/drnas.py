"""DrNAS (Chen et al. 2021): architecture mixing weights drawn from a learned Dirichlet.

Optionally (``progressive_keep`` > 0) the paper's progressive search in two stages: stage 1
trains a partial-channel supernet (each operation sees 1/``progressive_channels`` of the
channels) over the whole space for ``epochs // 2`` epochs; then each slot's space is pruned to
the ``progressive_keep`` operations of largest Dirichlet mean, and stage 2 trains a full-channel
supernet (fresh weights, the stage-1 concentrations carried over) over the pruned space for the
remaining epochs. The default (0) is the single-stage DrNAS of earlier releases.
"""
from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any, Sequence

from nasbench_lab.core.context import RunContext
from nasbench_lab.core.hyperparams import hyperparameter, integer, number

from .supernet_search import SupernetSearch


def drnas_strategy(kl_weight: float, keep: Sequence[Sequence[int]] | None = None):
    """Weights ~ Dirichlet(elu(alpha) + 1), reparameterised; the architecture loss adds
    ``kl_weight`` x KL(Dir(concentration) || Dir(1)); probabilities = the Dirichlet mean. With
    ``keep`` (per slot, the choices left after pruning) the Dirichlet is over those choices only
    and the pruned ones get weight and probability 0."""
    import torch
    from torch.distributions import Dirichlet, kl_divergence

    from nasbench_lab.supernet.training import Strategy

    def concentration(a):
        return torch.nn.functional.elu(a) + 1.0

    def kept(trainer):
        if keep is None:
            return [(a, None) for a in trainer.alphas]
        return [(a[list(k)], torch.tensor(list(k), device=a.device)) for a, k in zip(trainer.alphas, keep)]

    def spread(values, index, like):
        return values if index is None else torch.zeros_like(like).index_put((index,), values)

    class DrNASStrategy(Strategy):
        def weights(self, trainer, phase):
            return [spread(Dirichlet(concentration(a)).rsample(), i, full)
                    for (a, i), full in zip(kept(trainer), trainer.alphas)]

        def penalty(self, trainer):
            return kl_weight * sum(kl_divergence(Dirichlet(concentration(a)), Dirichlet(torch.ones_like(a)))
                                   for a, _ in kept(trainer))

        def probabilities(self, trainer):
            out = []
            for (a, i), full in zip(kept(trainer), trainer.alphas):
                c = concentration(a.detach())
                out.append(spread(c / c.sum(), i, full.detach()))
            return out

    return DrNASStrategy()


def pruned(probabilities: Sequence, keep: int) -> list[list[int]]:
    """Per slot, the ``keep`` choices of largest probability (ties: the first), in index order."""
    out = []
    for p in probabilities:
        values = [float(v) for v in p]
        best = sorted(range(len(values)), key=lambda c: (-values[c], c))[:keep]
        out.append(sorted(best))
    return out


class DrNAS(SupernetSearch):
    """DrNAS: operation weights sampled from a Dirichlet whose concentration is learned, KL regulariser; derived cell = per-edge argmax of the mean (optionally progressive: partial channels, then pruned space)."""

    method = "drnas"
    arch_lr: float = hyperparameter(6e-4, number(0), "architecture learning rate (Adam; 6e-4 as DrNAS)")
    kl_weight: float = hyperparameter(1e-3, number(0), "weight of KL(Dir(concentration) || Dir(1)) in the alpha loss")
    progressive_keep: int = hyperparameter(0, integer(0), "progressive search: operations kept per slot after "
                                                          "stage 1 (0: off, single stage; DrNAS on NB201 keeps 3)")
    progressive_channels: int = hyperparameter(4, integer(1), "progressive search: stage 1's partial-channel K "
                                                              "(each operation sees 1/K of the channels)")

    def strategy(self):
        return drnas_strategy(self.kl_weight)

    def train_supernet(self, context: RunContext, seed: int) -> tuple[Any, Any, list]:
        """One stage (default), or the progressive two stages (see the module docstring)."""
        if not self.progressive_keep:
            return super().train_supernet(context, seed)
        from nasbench_lab.errors import ParameterError
        from nasbench_lab.supernet.build import build_trainer

        settings = self.supernet_settings
        if settings.epochs < 2:
            raise ParameterError("epochs", "the progressive search needs at least 2 epochs (one per stage)",
                                 settings.epochs)
        first = settings.epochs // 2
        stage1 = replace(settings, epochs=first, partial_channels=self.progressive_channels)
        trainer, _ = build_trainer(self.space, context.dataset, context.settings, stage1, seed, self.strategy())
        history = trainer.train()
        keep = pruned(trainer.strategy.probabilities(trainer), self.progressive_keep)
        stage2 = replace(settings, epochs=settings.epochs - first, partial_channels=1)
        final, config = build_trainer(self.space, context.dataset, context.settings, stage2, seed,
                                      drnas_strategy(self.kl_weight, keep))
        for a, b in zip(final.alphas, trainer.alphas):
            a.data.copy_(b.detach())
        self.record_extra["progressive"] = {"stage1_epochs": [asdict(r) for r in history], "kept": keep,
                                            "stage1_partial_channels": self.progressive_channels}
        return final, config, final.train()
