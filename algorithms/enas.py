"""ENAS (Pham et al. 2018): a controller samples architectures of the shared supernet and is
trained by REINFORCE on their validation accuracy.

Each epoch alternates the paper's two phases: (1) a pass over the train half in which each
mini-batch trains the shared weights of one path sampled from the controller (controller fixed);
(2) ``controller_steps`` REINFORCE steps, each sampling a path and rewarding it with its accuracy
on one validation batch (shared weights fixed), with an entropy bonus and a moving-average
baseline. The controller here is per slot (independent categorical logits, one vector per
slot: the trainer's ``alphas``), not the paper's LSTM. The derived architecture is the
controller's most likely one (``derive_samples=0``), or as the paper the best of
``derive_samples`` sampled paths by accuracy on one validation batch.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from nasbench_lab.core.hyperparams import hyperparameter, integer, number

from .supernet_search import SupernetSearch


def reinforce_loss(logits: Sequence, choices: Sequence[int], reward: float, baseline: float,
                   entropy_weight: float):
    """REINFORCE loss of one sampled path: ``-(reward - baseline) * log p(choices)`` minus
    ``entropy_weight`` x the summed per-slot entropy (minimising it raises the probability of
    paths rewarded above the baseline, and keeps the controller exploring)."""
    import torch

    log_p = [torch.log_softmax(a, -1) for a in logits]
    chosen = sum(lp[c] for lp, c in zip(log_p, choices))
    ent = sum(-(lp.exp() * lp).sum() for lp in log_p)
    return -(reward - baseline) * chosen - entropy_weight * ent


def sample_choices(logits: Sequence, generator) -> list[int]:
    """One choice per slot drawn from ``softmax(logits[s])`` with ``generator``."""
    import torch

    return [int(torch.multinomial(a.detach().softmax(-1).cpu(), 1, generator=generator)) for a in logits]


class Controller:
    """The per-slot controller's REINFORCE learner: Adam on the logits, a moving-average baseline."""

    def __init__(self, logits: list, lr: float, entropy_weight: float, baseline_decay: float) -> None:
        import torch

        self.logits, self.entropy_weight, self.decay = logits, entropy_weight, baseline_decay
        self.optimizer = torch.optim.Adam(logits, lr)
        self.baseline: float | None = None
        self.rewards: list[float] = []

    def step(self, reward_of: Callable[[list[int]], float], generator) -> float:
        """Sample a path, reward it with ``reward_of(choices)``, take one REINFORCE step; the reward."""
        choices = sample_choices(self.logits, generator)
        reward = float(reward_of(choices))
        baseline = reward if self.baseline is None else self.baseline
        self.optimizer.zero_grad()
        reinforce_loss(self.logits, choices, reward, baseline, self.entropy_weight).backward()
        self.optimizer.step()
        self.baseline = self.decay * baseline + (1 - self.decay) * reward
        self.rewards.append(reward)
        return reward


def path_accuracy(trainer, choices: Sequence[int], batch: tuple) -> float:
    """Accuracy (fraction) of the path ``choices`` on ``batch`` with the shared weights (train-mode
    BatchNorm, i.e. batch statistics, as ENAS evaluates sampled children)."""
    import torch

    net = trainer.net
    x, y = batch
    with torch.no_grad():
        net.train()
        logits = net(x, net.arch_weights(net.arch_of(choices)))
    return float((logits.argmax(1) == y).float().mean())


def enas_strategy(steps: int, entropy_weight: float, baseline_decay: float, lr: float):
    """Weights: a one-hot path sampled from the controller per weight step; no interleaved alpha
    step; after each epoch, ``steps`` controller steps on validation batches."""
    from nasbench_lab.supernet.training import Strategy

    class ENASStrategy(Strategy):
        learns_alphas = False

        def setup(self, trainer):
            self.controller = Controller(trainer.alphas, lr, entropy_weight, baseline_decay)

        def weights(self, trainer, phase):
            choices = sample_choices(trainer.alphas, trainer.generator)
            return trainer.net.arch_weights(trainer.net.arch_of(choices))

        def epoch_end(self, trainer, record):
            valid = trainer.batches(trainer.data.valid)
            rewards = [self.controller.step(lambda c, b=valid[i % len(valid)]: path_accuracy(trainer, c, b),
                                            trainer.generator) for i in range(steps)]
            record.extra["controller_reward"] = float(np.mean(rewards)) if rewards else None
            record.extra["baseline"] = self.controller.baseline
            return False

        def probabilities(self, trainer):
            return [a.detach().softmax(-1) for a in trainer.alphas]

    return ENASStrategy()


class ENAS(SupernetSearch):
    """ENAS: per-slot controller trained by REINFORCE (entropy bonus, moving-average baseline) on shared-weight validation accuracy, alternating with shared-weight training; derived = most likely path (or best of N sampled)."""

    method = "enas"
    arch_lr: float = hyperparameter(3.5e-4, number(0, open_low=True), "controller learning rate (Adam; 3.5e-4 as ENAS)")
    controller_steps: int = hyperparameter(50, integer(0), "REINFORCE steps of the controller phase after each epoch")
    entropy_weight: float = hyperparameter(1e-4, number(0), "weight of the controller's entropy bonus (1e-4 as ENAS)")
    baseline_decay: float = hyperparameter(0.99, number(0, 1), "decay of the reward's moving-average baseline")
    derive_samples: int = hyperparameter(0, integer(0), "0: derive the most likely path; N: the best of N sampled "
                                                        "paths on one validation batch (as the paper)")

    def strategy(self):
        return enas_strategy(self.controller_steps, self.entropy_weight, self.baseline_decay, self.arch_lr)

    def rank(self, trainer):
        """The most likely paths first; with ``derive_samples``, the best sampled paths before them."""
        likely = super().rank(trainer)
        if not self.derive_samples:
            return likely
        batch = trainer.batches(trainer.data.valid)[0]
        pool = list(dict.fromkeys(trainer.net.arch_of(sample_choices(trainer.alphas, trainer.generator))
                                  for _ in range(self.derive_samples)))
        scores = [100.0 * path_accuracy(trainer, trainer.net.choices_of(a), batch) for a in pool]
        order = np.argsort(-np.asarray(scores), kind="stable")
        self.inherited = [(list(trainer.net.choices_of(pool[i])), scores[i]) for i in order]
        return _chain_unique([pool[i] for i in order], likely)


def _chain_unique(first: list, rest):
    seen = set(first)
    yield from first
    for arch in rest:
        if arch not in seen:
            seen.add(arch)
            yield arch
