"""ProxylessNAS (Cai et al. 2019): binarised paths and a differentiable expected-cost term.

Weight steps train one path per slot, sampled from ``softmax(alpha)`` (binarised: one active
path, so memory is that of one network). Architecture steps sample, per slot, two distinct
candidates from ``softmax(alpha)``, renormalise their probabilities ``p'`` over the pair and
make one of them active (drawn from ``p'``); the gradient is the paper's binary-gate estimator
``dL/dalpha_k = sum_m dL/dg_m p'_m (delta_km - p'_k)`` over the pair. The second sampled path is
computed only for ``dL/dg`` (its gate value is 1e-30, negligible in the forward pass).

The cost term is the expectation of a cost of the run (the first constrained cost, else the
first objective cost, e.g. ``latency_ms:pixel3`` from the NB201 latency tables) under the
per-slot distributions. When the supernet has at most ``max_paths`` paths it is exact: the table
of every path's cost (from the run's free cost model), contracted with the slot probabilities;
for a one-hot architecture it is that architecture's cost. Larger supernets (the DynamicNet one:
millions of paths, each latency a measurement) get ProxylessNAS's per-layer lookup table: an
additive model ``cost ~ sum over slots of w[slot][choice]`` fitted by least squares to the cost
model's values on ``fit_paths`` uniform paths plus one path per (slot, choice); its expectation
is exact for the model (for a one-hot architecture: the model's cost of it), and its fit (R^2 on
the paths measured) goes into the run's record. The architecture loss adds ``cost_weight`` x
expected cost / scale (scale: the limit when constrained, else the mean cost of the paths
looked up). With a limit, the ranking keeps only architectures within it (their own costs).

Warm-up (the paper trains the weights alone for 40 of its 160 search epochs): the first
``floor(warmup_fraction x epochs)`` epochs take weight steps only (one path sampled from the
untouched, near-uniform ``softmax(alpha)``), no architecture or cost step. The alphas learn only
what single paths' accuracies say, so the warm-up must train single paths first: on the NB201
cell's digits proxy their accuracy ranks cells backwards until about 100 uniform epochs
(``experiments/single_path_signal.py``; ``docs/one-shot.md``).
"""
from __future__ import annotations

import string
from typing import Sequence

import numpy as np

from nasbench_lab.core.hyperparams import hyperparameter, integer, number, one_of
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

    import torch

    slots = net.slots()
    if int(np.prod(slots)) > max_paths:
        raise NasLabError(f"the supernet has {int(np.prod(slots))} paths, more than max_paths={max_paths} "
                          "the expected-cost table may hold")
    values = [model(net.arch_of(c))[cost] for c in itertools.product(*(range(n) for n in slots))]
    return torch.tensor(values, dtype=torch.float64).reshape(slots)


def additive_cost(net, model: CostModel, cost: str, samples: int, rng: np.random.Generator) -> "AdditiveCost":
    """Per-slot cost tables fitted by least squares to the ``cost`` of ``samples`` uniform paths
    plus one random path per (slot, choice) (so every choice is measured at least once)."""
    slots = list(net.slots())
    offsets = np.cumsum([0, *slots])
    paths = []
    for s, n in enumerate(slots):
        for k in range(n):
            choice = [int(rng.integers(m)) for m in slots]
            choice[s] = k
            paths.append(choice)
    paths += [[int(rng.integers(m)) for m in slots] for _ in range(samples)]
    design = np.zeros((len(paths), int(offsets[-1])))
    for i, choice in enumerate(paths):
        design[i, offsets[:-1] + np.asarray(choice)] = 1.0
    values = np.array([model(net.arch_of(tuple(c)))[cost] for c in paths], dtype=float)
    weights = np.linalg.lstsq(design, values, rcond=None)[0]
    residual = float(((design @ weights - values) ** 2).sum())
    total = float(((values - values.mean()) ** 2).sum())
    r2 = 1.0 - residual / total if total > 0 else 1.0
    return AdditiveCost([weights[offsets[s]:offsets[s + 1]] for s in range(len(slots))], float(values.mean()),
                        {"model": "additive", "cost": cost, "paths": len(paths), "r2": round(r2, 4)})


class AdditiveCost:
    """A cost as a sum of per-slot tables: ``expected`` contracts each with its slot's probabilities."""

    def __init__(self, weights: Sequence[np.ndarray], mean: float, fit: dict) -> None:
        import torch

        self.weights = [torch.tensor(np.asarray(w), dtype=torch.float64) for w in weights]
        self.mean, self.fit = mean, fit

    def of(self, choices: Sequence[int]) -> float:
        """The model's cost of one path."""
        return float(sum(float(w[c]) for w, c in zip(self.weights, choices)))

    def to(self, device) -> "AdditiveCost":
        self.weights = [w.to(device) for w in self.weights]
        return self

    def expected(self, probabilities: Sequence):
        return sum((p * w.to(device=p.device, dtype=p.dtype)).sum() for p, w in zip(probabilities, self.weights))


class ExactCost:
    """A cost as the table of every path's cost (``cost_table``)."""

    def __init__(self, table) -> None:
        self.table, self.mean, self.fit = table, float(table.mean()), {"model": "exact"}

    def of(self, choices: Sequence[int]) -> float:
        """The cost of one path."""
        return float(self.table[tuple(int(c) for c in choices)])

    def to(self, device) -> "ExactCost":
        self.table = self.table.to(device)
        return self

    def expected(self, probabilities: Sequence):
        return expected_cost(self.table.to(probabilities[0].device), probabilities)


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


def proxyless_strategy(cost_of, weight: float, warmup: int = 0, estimator: str = "gradient",
                       samples: int = 8, baseline_decay: float = 0.9):
    """One sampled path per weight step; cost = ``weight`` x cost / scale (``cost_of(net)``:
    (``ExactCost`` or ``AdditiveCost``, scale) or None); no architecture step in the first
    ``warmup`` epochs. ``estimator`` "gradient" (-G): binary gates, the expected cost as a
    penalty; "reinforce" (-R): per step, ``samples`` paths from ``softmax(alpha)``, each rewarded
    with its validation-batch accuracy less its cost, REINFORCE with a moving-average baseline."""
    import torch

    from nasbench_lab.supernet.training import Strategy

    from .enas import Controller, path_accuracy

    class ProxylessStrategy(Strategy):
        def setup(self, trainer):
            found = cost_of(trainer.net)
            self.cost, self.scale = found if found is not None else (None, 1.0)
            if self.cost is not None:
                self.cost.to(trainer.device)  # once, not per architecture step
            if estimator == "reinforce":
                self.controller = Controller(trainer.alphas, trainer.config.arch_lr, 0.0, baseline_decay)

        def weights(self, trainer, phase):
            if phase == "arch":
                return [binary_gates(a, trainer.generator) for a in trainer.alphas]
            picks = [torch.multinomial(a.detach().softmax(-1).cpu(), 1, generator=trainer.generator)
                     for a in trainer.alphas]
            return [torch.nn.functional.one_hot(c[0], a.numel()).float().to(trainer.device)
                    for c, a in zip(picks, trainer.alphas)]

        def arch_step(self, trainer, train, valid):
            if trainer.epoch < warmup:  # trainer.epoch: epochs finished so far
                return
            if estimator == "gradient":
                super().arch_step(trainer, train, valid)
                return
            for _ in range(samples):
                self.controller.step(lambda choices: self.reward(trainer, choices, valid), trainer.generator)

        def reward(self, trainer, choices, valid) -> float:
            """Validation accuracy of the path, less its weighted cost (the -G loss's trade-off)."""
            accuracy = path_accuracy(trainer, choices, valid)
            if self.cost is None or not weight:
                return accuracy
            return accuracy - weight * self.cost.of(choices) / self.scale

        def epoch_end(self, trainer, record):
            if trainer.epoch <= warmup:
                record.extra["warmup"] = True
            elif estimator == "reinforce":
                record.extra["baseline"] = self.controller.baseline
            return False

        def penalty(self, trainer):
            if self.cost is None or not weight:
                return 0.0
            probs = [a.softmax(-1).double() for a in trainer.alphas]
            return weight * self.cost.expected(probs).float() / self.scale

    return ProxylessStrategy()


class ProxylessNAS(SupernetSearch):
    """ProxylessNAS: binarised single-path training, two-path binary-gate alpha gradients, plus a differentiable expected-cost (e.g. latency) term; within --constraint when given."""

    method = "proxylessnas"
    arch_lr: float = hyperparameter(1e-3, number(0), "architecture learning rate (Adam; 1e-3 as ProxylessNAS)")
    cost_weight: float = hyperparameter(0.1, number(0), "weight of the expected cost / scale in the alpha loss "
                                                        "(0: accuracy only); the cost is the run's first constrained "
                                                        "cost, else its first objective cost")
    max_paths: int = hyperparameter(100_000, integer(1), "largest number of supernet paths the exact cost table "
                                                         "holds; above it, an additive per-slot model is fitted")
    fit_paths: int = hyperparameter(200, integer(1), "uniform paths (besides one per slot choice) the additive "
                                                     "cost model is fitted on")
    warmup_fraction: float = hyperparameter(0.25, number(0, 1, open_high=True),
                                            "share of the epochs (rounded down) that train the weights only, "
                                            "before any alpha or cost step (the paper: 40 of 160; small "
                                            "proxies need single paths trained first, digits: 100 of 150)")
    estimator: str = hyperparameter("gradient", one_of("gradient", "reinforce"),
                                    "the alpha update: binary-gate gradients (ProxylessNAS-G) or REINFORCE on "
                                    "sampled paths' validation accuracy less their weighted cost (-R)")
    reinforce_samples: int = hyperparameter(8, integer(1), "paths sampled and rewarded per architecture step (-R)")

    def warmup_epochs(self) -> int:
        """The warm-up epochs: ``floor(warmup_fraction x epochs)``."""
        return int(self.warmup_fraction * self.epochs + 1e-9)

    def cost_of(self, net):
        """(cost model, scale) of the run's cost, or None without costs; the model's fit is recorded."""
        model = self.cost_model
        cost = run_cost(model.problem)
        if cost is None or not self.cost_weight:
            return None
        if int(np.prod(net.slots())) <= self.max_paths:
            found = ExactCost(cost_table(net, model, cost, self.max_paths))
        else:
            found = additive_cost(net, model, cost, self.fit_paths, self.rng)
        self.record_extra["cost_model"] = found.fit
        limits = [c.limit for c in model.problem.constraints if c.cost == cost]
        return found, limits[0] if limits and limits[0] > 0 else found.mean

    def strategy(self):
        self.record_extra["warmup_epochs"] = self.warmup_epochs()
        self.record_extra["estimator"] = self.estimator
        return proxyless_strategy(self.cost_of, self.cost_weight, self.warmup_epochs(), self.estimator,
                                  self.reinforce_samples)

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
