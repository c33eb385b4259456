"""ProxylessNAS (Cai et al. 2019): binarised paths and a differentiable expected-cost term.

Weight steps train one path per slot, sampled from ``softmax(alpha)`` (binarised: one active
path, so memory is that of one network). Architecture steps sample, per slot, two distinct
candidates from ``softmax(alpha)``, renormalise their probabilities ``p'`` over the pair and
make one of them active (drawn from ``p'``); the gradient is the paper's binary-gate estimator
``dL/dalpha_k = sum_m dL/dg_m p'_m (delta_km - p'_k)`` over the pair. The second sampled path is
computed only for ``dL/dg`` (its gate value is 1e-30, negligible in the forward pass).

The cost term is the exact expectation of a cost of the run (the first constrained cost, else
the first objective cost, e.g. ``latency_ms:pixel3`` from the NB201 latency tables) under the
per-slot distributions: the table of every path's cost (from the run's free cost model),
contracted with the slot probabilities; for a one-hot architecture it is that architecture's
cost. The architecture loss adds ``cost_weight`` x expected cost / scale (scale: the limit when
constrained, else the table's mean). With a limit, the ranking keeps only architectures within it.
"""
from __future__ import annotations

import string
from typing import Sequence

from nasbench_lab.core.hyperparams import hyperparameter, integer, number
from nasbench_lab.core.objectives import Problem
from nasbench_lab.core.oracle import CostModel
from nasbench_lab.errors import NasLabError

from .supernet_search import SupernetSearch

#: the gate value of the second path of an architecture step (computed for its gradient only)
SECOND_GATE = 1e-30


def run_cost(problem: Problem) -> str | None:
    """The cost the term uses: the first constrained cost, else the first objective cost (None: none)."""
    if problem.constraints:
        return problem.constraints[0].cost
    return problem.objective_costs[0] if problem.objective_costs else None


def cost_table(net, model: CostModel, cost: str, max_paths: int):
    """The ``cost`` of every path of ``net`` as a tensor of shape ``slots()`` (free lookups)."""
    import itertools

    import numpy as np
    import torch

    slots = net.slots()
    if int(np.prod(slots)) > max_paths:
        raise NasLabError(f"the supernet has {int(np.prod(slots))} paths, more than max_paths={max_paths} "
                          "the expected-cost table may hold")
    values = [model(net.arch_of(c))[cost] for c in itertools.product(*(range(n) for n in slots))]
    return torch.tensor(values, dtype=torch.float64).reshape(slots)


def expected_cost(table, probabilities: Sequence):
    """The exact expected cost under independent per-slot ``probabilities`` (one vector per slot)."""
    import torch

    letters = string.ascii_letters[:len(probabilities)]
    spec = f"{letters}," + ",".join(letters) + "->"
    return torch.einsum(spec, table.to(probabilities[0].dtype), *probabilities)


def binary_gates(alpha, generator, eps: float = SECOND_GATE):
    """The architecture step's gates of one slot: two distinct candidates drawn from
    ``softmax(alpha)``, one made active from the renormalised pair; forward value one-hot (plus
    ``eps`` on the second), gradient the binary-gate estimator through the pair's softmax."""
    import torch

    probs = alpha.detach().softmax(-1).cpu()
    pair = torch.multinomial(probs, 2, replacement=False, generator=generator).to(alpha.device)
    p = alpha[pair].softmax(-1)
    active = int(torch.multinomial(p.detach().cpu(), 1, generator=generator))
    value = torch.full((2,), eps, dtype=alpha.dtype, device=alpha.device)
    value[active] = 1.0
    gates = torch.zeros_like(alpha).index_put((pair,), value)
    soft = torch.zeros_like(alpha).index_put((pair,), p)
    return gates + (soft - soft.detach())  # exactly the gate values forward (x - x == 0)


def proxyless_strategy(cost_of, weight: float):
    """One sampled path per weight step; binary gates per architecture step; penalty =
    ``weight`` x expected cost / scale (``cost_of(net)``: (table, scale) or None)."""
    import torch

    from nasbench_lab.supernet.training import Strategy

    class ProxylessStrategy(Strategy):
        def setup(self, trainer):
            found = cost_of(trainer.net)
            self.table, self.scale = found if found is not None else (None, 1.0)
            if self.table is not None:
                self.table = self.table.to(trainer.device)  # once, not per architecture step

        def weights(self, trainer, phase):
            if phase == "arch":
                return [binary_gates(a, trainer.generator) for a in trainer.alphas]
            picks = [torch.multinomial(a.detach().softmax(-1).cpu(), 1, generator=trainer.generator)
                     for a in trainer.alphas]
            return [torch.nn.functional.one_hot(c[0], a.numel()).float().to(trainer.device)
                    for c, a in zip(picks, trainer.alphas)]

        def penalty(self, trainer):
            if self.table is None or not weight:
                return 0.0
            probs = [a.softmax(-1).double() for a in trainer.alphas]
            return weight * expected_cost(self.table, probs).float() / self.scale

    return ProxylessStrategy()


class ProxylessNAS(SupernetSearch):
    """ProxylessNAS: binarised single-path training, two-path binary-gate alpha gradients, plus a differentiable expected-cost (e.g. latency) term; within --constraint when given."""

    method = "proxylessnas"
    arch_lr: float = hyperparameter(1e-3, number(0), "architecture learning rate (Adam; 1e-3 as ProxylessNAS)")
    cost_weight: float = hyperparameter(0.1, number(0), "weight of the expected cost / scale in the alpha loss "
                                                        "(0: accuracy only); the cost is the run's first constrained "
                                                        "cost, else its first objective cost")
    max_paths: int = hyperparameter(100_000, integer(1), "largest number of supernet paths the cost table may hold")

    def cost_of(self, net):
        """(cost table, scale) of the run's cost, or None without costs."""
        model = self.cost_model
        cost = run_cost(model.problem)
        if cost is None or not self.cost_weight:
            return None
        table = cost_table(net, model, cost, self.max_paths)
        limits = [c.limit for c in model.problem.constraints if c.cost == cost]
        scale = limits[0] if limits and limits[0] > 0 else float(table.mean())
        return table, scale

    def strategy(self):
        return proxyless_strategy(self.cost_of, self.cost_weight)

    def rank(self, trainer):
        """By slot probabilities (the derived architecture first), only those within the limits."""
        ranked = super().rank(trainer)
        if not self.cost_model.problem.constraints:
            return ranked
        return within_limits(ranked, self.cost_model)


def within_limits(ranked, model: CostModel):
    """The architectures of ``ranked`` within the run's limits, in order; a ``NasLabError`` if none is."""
    found = False
    for arch in ranked:
        if model.feasible(arch):
            found = True
            yield arch
    if not found:
        raise NasLabError("no derivable architecture of the supernet is within the limits "
                          f"({', '.join(c.describe() for c in model.problem.constraints)})")
