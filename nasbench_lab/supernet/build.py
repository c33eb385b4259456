"""Building a one-shot search: the settings every weight-sharing method shares and the library
function that turns them into a ``Trainer`` (supernet, search data, strategy, recipe).

Used by the one-shot algorithms (``algorithms/supernet_search.py``) and by the supernet ranker
(``nasbench_lab.running.supernet_correlation``), so both train exactly the same supernet. torch is imported
only when a trainer is built.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nasbench_lab.infra.settings import Settings
from nasbench_lab.infra.torch_device import device_type
from nasbench_lab.core.space import SearchSpace

from nasbench_lab.supernet.provider import SearchData, SupernetConfig, supernet_provider

if TYPE_CHECKING:
    from .training import Strategy, TrainConfig, Trainer


@dataclass(frozen=True)
class SupernetSettings:
    """What every one-shot method shares: ``epochs`` of training with batches of ``batch_size``,
    the supernet's ``width``/``depth`` (0 = the space's CPU default), the weight learning rate
    ``lr`` (SGD, cosine) and the alphas' ``arch_lr`` (Adam), ``max_train`` images per search half
    (0 = all), torch ``threads``, the torch ``device`` (cpu, cuda, cuda:N or auto:
    ``nasbench_lab.infra.torch_device``) and ``partial_channels`` (PC-DARTS's K; 1 = all)."""

    epochs: int = 10
    batch_size: int = 64
    width: int = 0
    depth: int = 0
    lr: float = 0.025
    arch_lr: float = 3e-4
    max_train: int = 0
    threads: int = 1
    device: str = "cpu"
    partial_channels: int = 1

    def train_config(self, seed: int) -> "TrainConfig":
        """The training recipe of a search seeded with ``seed``, on the resolved device (``auto``
        -> cuda or cpu; cuda without a CUDA device: a ``ParameterError`` naming ``device``)."""
        from .training import TrainConfig

        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, arch_lr=self.arch_lr,
                           seed=seed, device=device_type(self.device))

    def supernet_config(self, seed: int) -> SupernetConfig:
        """The supernet's shape (``width``/``depth`` 0: the space's default) and seed."""
        return SupernetConfig(width=self.width or None, depth=self.depth or None,
                              partial_channels=self.partial_channels, seed=seed)


def trimmed(data: SearchData, max_train: int) -> SearchData:
    """``data`` with each half cut to its first ``max_train`` samples (0: unchanged)."""
    if not max_train:
        return data
    return SearchData(tuple(t[:max_train] for t in data.train), tuple(t[:max_train] for t in data.valid),
                      data.source, data.proxy)


def build_trainer(space: SearchSpace, dataset: str | None, settings: Settings, supernet: SupernetSettings,
                  seed: int, strategy: "Strategy") -> tuple["Trainer", SupernetConfig]:
    """The trainer of one search on ``space`` and ``dataset``: the space's supernet shaped by
    ``supernet``, its search data (trimmed to ``supernet.max_train``) and ``strategy`` (a method's
    ``Strategy``), all seeded with ``seed``; and the supernet's config (for records)."""
    from .training import Trainer

    train_config = supernet.train_config(seed)  # the device checked before anything is built
    provider = supernet_provider(space.name)
    config = supernet.supernet_config(seed)
    net = provider.build_supernet(space, dataset, config)
    data = trimmed(provider.search_data(dataset, settings, seed=seed), supernet.max_train)
    return Trainer(net, data, strategy, train_config), config
