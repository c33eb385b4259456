"""REINFORCE as run in NAS-Bench-201 (Dong & Yang 2020; Williams 1992): a per-slot categorical
policy (one softmax per edge of an NB201 cell, per choice of a categorical space), trained with
Adam on ``-log p(arch) * (reward - baseline)``, the baseline an exponential moving average of the
rewards. The policy's logits and gradients are torch tensors (CPU, one thread); every sample is
drawn with the algorithm's numpy ``rng``, so the same seed gives the same run."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Sequence

import numpy as np

from nasbench_lab.core.algorithm import AskTellAlgorithm
from nasbench_lab.core.context import RunContext
from nasbench_lab.core.hyperparams import hyperparameter, integer, number
from nasbench_lab.core.oracle import Oracle, Query
from nasbench_lab.core.space import Arch, SearchSpace, sample_unseen, valid_member
from nasbench_lab.errors import ArchError, NasLabError
from nasbench_lab.infra.parallel import torch_threads

Choices = tuple[int, ...]


@dataclass(frozen=True)
class Slots:
    """A space as categorical slots: ``sizes[k]`` choices in slot ``k``; ``decode(choices)`` is
    the architecture (None when the choices spell no member of the space)."""

    sizes: tuple[int, ...]
    decode: Callable[[Choices], Arch | None]


def categorical_slots(space: SearchSpace) -> Slots:
    """The slots of a space with ``categorical()`` / ``from_categorical`` (nb201, nasbench-graph),
    or of a DynamicNet space (its macro choices); ``NasLabError`` for any other space."""
    if callable(getattr(space, "categorical", None)) and callable(getattr(space, "from_categorical", None)):
        slots = space.categorical()  # type: ignore[attr-defined]

        def decode(choices: Choices) -> Arch | None:
            try:
                arch = space.from_categorical([values[c] for (_, values), c in zip(slots, choices)])  # type: ignore[attr-defined]
            except (ArchError, ValueError, KeyError, IndexError):
                return None
            return valid_member(space, arch)

        return Slots(tuple(len(values) for _, values in slots), decode)
    if hasattr(space, "conv_widths") and hasattr(space, "repair"):
        return dynamicnet_slots(space)
    raise NasLabError(f"a categorical policy needs a space given as categorical choices (nb201, nasbench-graph) "
                      f"or DynamicNet; {space.name!r} is not")


def dynamicnet_slots(space: Any) -> Slots:
    """DynamicNet's choices as slots: the numbers of conv and dense blocks, then every field of
    each possible conv block and each possible dense block (the unused ones are ignored). Choices
    with no block, too many blocks or too many parameters decode to None; others are repaired."""
    from nasbench_lab.adapters.dynamicnet.blocks import Block

    conv = [space.conv_widths, space.kernels, space.activations, (False, True), space.pools, space.dropouts,
            (False, True)]
    dense = [space.dense_widths, space.activations, (False, True), space.dropouts, (False, True)]
    head = [tuple(range(space.max_conv + 1)), tuple(range(space.max_dense + 1))]
    options = head + conv * space.max_conv + dense * space.max_dense

    def decode(choices: Choices) -> Arch | None:
        v = [options[k][c] for k, c in enumerate(choices)]
        n_conv, n_dense = v[0], v[1]
        if not 1 <= n_conv + n_dense <= space.max_blocks:
            return None
        blocks = []
        for i in range(n_conv):
            w, k, a, bn, p, d, s = v[2 + 7 * i: 9 + 7 * i]
            blocks.append(Block("conv", int(w), str(a), int(k), bool(bn), str(p), float(d), bool(s)))
        start = 2 + 7 * space.max_conv
        for i in range(n_dense):
            w, a, bn, d, s = v[start + 5 * i: start + 5 * i + 5]
            blocks.append(Block("dense", int(w), str(a), 0, bool(bn), "none", float(d), bool(s)))
        arch = space.repair(blocks)
        return arch if space.param_count(arch) <= space.max_params else None

    return Slots(tuple(len(o) for o in options), decode)


class ExponentialMovingAverage:
    """The reward baseline: a bias-corrected exponential moving average (as NB201's REINFORCE):
    after rewards r_1..r_t, ``value`` = sum_i (1-m) m^(t-i) r_i / sum_i (1-m) m^(t-i)."""

    def __init__(self, momentum: float) -> None:
        self.momentum = momentum
        self.numerator = 0.0
        self.denominator = 0.0

    def update(self, reward: float) -> None:
        self.numerator = self.momentum * self.numerator + (1 - self.momentum) * reward
        self.denominator = self.momentum * self.denominator + (1 - self.momentum)

    @property
    def value(self) -> float:
        return self.numerator / self.denominator if self.denominator else 0.0


class CategoricalPolicy:
    """Independent softmaxes over the slots' choices (logits start at 0: uniform)."""

    def __init__(self, sizes: Sequence[int], learning_rate: float) -> None:
        import torch

        self.torch = torch
        self.sizes = tuple(sizes)
        self.logits = [torch.zeros(n, dtype=torch.float64, requires_grad=True) for n in self.sizes]
        self.optimizer = torch.optim.Adam(self.logits, lr=learning_rate)

    def probabilities(self) -> list[np.ndarray]:
        with self.torch.no_grad():
            return [self.torch.softmax(t, 0).numpy() for t in self.logits]

    def sample(self, rng: np.random.Generator) -> Choices:
        return tuple(int(rng.choice(len(p), p=p / p.sum())) for p in self.probabilities())

    def log_prob(self, choices: Sequence[Choices]) -> Any:
        """log p of each of ``choices`` (a tensor, differentiable in the logits)."""
        torch = self.torch
        index = torch.as_tensor(np.asarray(choices, dtype=np.int64).reshape(len(choices), len(self.sizes)))
        return sum(torch.log_softmax(t, 0)[index[:, k]] for k, t in enumerate(self.logits))

    def entropy(self) -> Any:
        torch = self.torch
        return sum(-(torch.softmax(t, 0) * torch.log_softmax(t, 0)).sum() for t in self.logits)

    def step(self, loss: Any) -> list[np.ndarray]:
        """One Adam step on ``loss``; returns the gradient of each slot's logits."""
        self.optimizer.zero_grad()
        loss.backward()
        grads = [t.grad.detach().numpy().copy() for t in self.logits]
        self.optimizer.step()
        return grads


class Reinforce(AskTellAlgorithm):
    """REINFORCE (NAS-Bench-201's): a categorical policy per slot, Adam, an EMA reward baseline.

    Each ask samples one architecture from the policy (choices that spell no member are drawn
    again, at most ``max_tries`` times); each tell updates the baseline with the search metric,
    then takes one Adam step on ``-log p(arch) * (reward - baseline)``. An architecture already
    queried is told its stored record (free) and still teaches the policy; after
    ``max_repeats`` such samples in a row a uniformly random unqueried architecture is asked
    instead, so the whole budget is spent. Reward: the search metric as stored (accuracy in %)."""

    learning_rate: float = hyperparameter(0.01, number(0, open_low=True), "Adam's learning rate on the logits")
    momentum: float = hyperparameter(0.9, number(0, 1, open_high=True), "the reward baseline's EMA momentum")
    max_tries: int = hyperparameter(100, integer(1), "policy draws to find choices that spell a member of the space")
    max_repeats: int = hyperparameter(50, integer(1), "already-queried samples in a row before a random unqueried "
                                                      "architecture is asked")

    @classmethod
    def check_space(cls, space: SearchSpace) -> None:
        categorical_slots(space)

    def setup(self) -> None:
        self.slots = categorical_slots(self.space)
        self.policy: CategoricalPolicy | None = None
        self.baseline = ExponentialMovingAverage(self.momentum)
        self.queried: set[Arch] = set()
        self.pending: deque[tuple[Arch, Choices | None]] = deque()
        self.repeats = 0
        self.last_gradient: list[np.ndarray] = []

    def get_policy(self) -> CategoricalPolicy:
        if self.policy is None:
            self.policy = CategoricalPolicy(self.slots.sizes, self.learning_rate)
        return self.policy

    def draw(self) -> tuple[Arch, Choices | None] | None:
        """An architecture and the choices that spelled it (None: a random unqueried fallback),
        or None when every architecture is queried."""
        policy = self.get_policy()
        if self.repeats < self.max_repeats:
            for _ in range(self.max_tries):
                choices = policy.sample(self.rng)
                arch = self.slots.decode(choices)
                if arch is not None:
                    self.repeats = self.repeats + 1 if arch in self.queried else 0
                    return arch, choices
        self.repeats = 0
        arch = sample_unseen(self.space, self.rng, self.queried.__contains__)
        return None if arch is None else (arch, None)

    #: Asks go through ``ask_batch`` (a batch of one here): an empty batch ends the run.
    batched: ClassVar[bool] = True

    def ask_batch(self, n: int) -> list[Arch]:
        out = []
        for _ in range(n):
            drawn = self.draw()
            if drawn is None:
                break  # every architecture is queried
            self.pending.append(drawn)
            out.append(drawn[0])
        return out

    def ask(self) -> Arch:
        batch = self.ask_batch(1)
        if not batch:
            raise NasLabError(f"{type(self).__name__}: every architecture of the space is queried")
        return batch[0]

    def next_pending(self, arch: Arch) -> Choices | None:
        """The choices that spelled ``arch``, the oldest pending draw (None for a fallback)."""
        if self.pending and self.pending[0][0] == arch:
            return self.pending.popleft()[1]
        return None

    def tell(self, query: Query) -> None:
        self.queried.add(query.arch)
        self.baseline.update(query.search_metric)
        choices = self.next_pending(query.arch)
        if choices is None:
            return  # a random fallback: the baseline learns, the policy did not draw it
        self.learn([choices], [query.search_metric - self.baseline.value])

    def learn(self, choices: list[Choices], advantages: list[float]) -> list[np.ndarray]:
        """One Adam step on ``-sum_i log p(choices_i) * advantages_i``; returns the gradients."""
        policy = self.get_policy()
        weights = policy.torch.as_tensor(np.asarray(advantages, dtype=np.float64))
        self.last_gradient = policy.step(-(policy.log_prob(choices) * weights).sum())
        return self.last_gradient

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        with torch_threads(1):
            super().run(oracle, context)
