"""PPO (Schulman et al. 2017) on REINFORCE's categorical policy: batches of sampled
architectures, the clipped surrogate objective, an entropy bonus and several Adam epochs per
batch (torch, CPU, one thread; samples drawn with the algorithm's numpy rng)."""
from __future__ import annotations

import numpy as np

from nasbench_lab.core.hyperparams import hyperparameter, integer, number
from nasbench_lab.core.oracle import Query

from .reinforce import Choices, Reinforce


class PPO(Reinforce):
    """PPO: REINFORCE's policy and EMA baseline, clipped surrogate, entropy bonus, epochs per batch.

    Each batch samples ``batch`` architectures from the policy (their log-probabilities kept);
    once all are told, the advantage of each is its search metric minus the EMA baseline (updated
    reward by reward, as REINFORCE's), and ``epochs`` Adam steps maximise
    ``mean(min(ratio * A, clip(ratio, 1 - clip, 1 + clip) * A)) + entropy_bonus * entropy``,
    ``ratio`` = p_new(arch) / p_old(arch)."""

    learning_rate: float = hyperparameter(0.01, number(0, open_low=True), "Adam's learning rate on the logits")
    batch: int = hyperparameter(10, integer(1), "architectures sampled per policy update")
    epochs: int = hyperparameter(4, integer(1), "Adam steps on each batch")
    clip: float = hyperparameter(0.2, number(0, 1, open_low=True), "the probability ratio is clipped to [1 - clip, 1 + clip]")
    entropy_bonus: float = hyperparameter(0.01, number(0), "weight of the policy's entropy in the objective")

    def setup(self) -> None:
        super().setup()
        self.told: list[tuple[Choices, float]] = []
        self.updates = 0

    def batch_size(self) -> int:
        return self.batch

    def tell(self, query: Query) -> None:
        self.queried.add(query.arch)
        self.baseline.update(query.search_metric)
        choices = self.next_pending(query.arch)
        if choices is not None:
            self.told.append((choices, query.search_metric - self.baseline.value))
        if not self.pending and self.told:
            self.update([c for c, _ in self.told], [a for _, a in self.told])
            self.told = []

    def update(self, choices: list[Choices], advantages: list[float]) -> None:
        """``epochs`` Adam steps of the clipped surrogate (with entropy bonus) on one batch."""
        policy = self.get_policy()
        torch = policy.torch
        adv = torch.as_tensor(np.asarray(advantages, dtype=np.float64))
        with torch.no_grad():
            old = policy.log_prob(choices)
        for _ in range(self.epochs):
            ratio = torch.exp(policy.log_prob(choices) - old)
            surrogate = torch.minimum(ratio * adv, torch.clamp(ratio, 1 - self.clip, 1 + self.clip) * adv)
            self.last_gradient = policy.step(-surrogate.mean() - self.entropy_bonus * policy.entropy())
        self.updates += 1
