"""Zero-cost proxies behind one registry: ``PROXIES[name](net, batch) -> float``.

Each entry is a ``Proxy``: the function (``measures.py``), whether it needs data, how the
network should be built for it (with or without BatchNorm, weight dtype), and how its score is
reported (SynFlow on a log10 scale: its values span tens of orders of magnitude).

``nasbench_lab.proxies.scores`` computes a proxy for every architecture of a space (in parallel,
resumable, exported as CSV) through the shared score cache ``nasbench_lab.proxies.cache``
(SQLite, safe for parallel processes); ``nasbench_lab.cli.proxy`` is the ``nasbench-lab proxy`` command.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import UnknownNameError

if TYPE_CHECKING:  # torch is imported only when a proxy runs (keeps the CLI quick to start)
    from torch import nn

    from .data import Batch

#: Reported value of a score that is zero on a log scale, or undefined (NaN/inf): below every
#: real value (log10 of the smallest positive double is -323.3).
LOG_FLOOR = -324.0
FLOOR = -1e300


@dataclass(frozen=True)
class Proxy:
    """A zero-cost proxy. ``function`` names the function of ``measures`` that returns the raw
    score, ``fn(net, batch)`` (higher = better).

    ``needs_data``: uses images and labels (else only the input shape). ``batchnorm``: build
    networks with BatchNorm for it. ``dtype``: name of the weight dtype of the networks it is given.
    ``log_scale``: reported as log10 of the raw score. ``prunable``: its value does not change
    when operations that cannot reach the output are left out (networks may be built pruned)."""

    name: str
    function: str
    description: str
    needs_data: bool
    batchnorm: bool = True
    dtype: str = "float32"
    log_scale: bool = False
    prunable: bool = False

    @property
    def fn(self):
        from . import measures

        return getattr(measures, self.function)

    @property
    def torch_dtype(self) -> Any:
        import torch

        return getattr(torch, self.dtype)

    def __call__(self, net: "nn.Module", batch: "Batch") -> float:
        return float(self.fn(net, batch))

    def report(self, raw: float) -> float:
        """The reported value: log10 for log-scale proxies; zero (on a log scale) and
        undefined scores map to the floor (``LOG_FLOOR`` / ``FLOOR``)."""
        if self.log_scale:
            return math.log10(raw) if math.isfinite(raw) and raw > 0 else LOG_FLOOR
        return raw if math.isfinite(raw) else FLOOR

    @property
    def floor(self) -> float:
        return LOG_FLOOR if self.log_scale else FLOOR

    @property
    def unit(self) -> str:
        return "log10" if self.log_scale else "raw"


PROXIES: dict[str, Proxy] = {
    p.name: p
    for p in (
        Proxy("synflow", "synflow", "SynFlow: sum |theta dR/dtheta|, |weights| in float64, input of ones, "
              "no BatchNorm; reported as log10", needs_data=False, batchnorm=False, dtype="float64",
              log_scale=True, prunable=True),
        Proxy("snip", "snip", "SNIP: sum |theta dL/dtheta| (cross-entropy on the batch)", needs_data=True),
        Proxy("grad_norm", "grad_norm", "sum over layers of ||dL/dW||", needs_data=True),
        Proxy("grasp", "grasp", "GraSP: sum -theta (H g)", needs_data=True),
        Proxy("fisher", "fisher", "Fisher: sum 0.5 mean((sum z dL/dz)^2) over layer outputs", needs_data=True),
        Proxy("jacob_cov", "jacob_cov", "Jacobian covariance of input gradients (Mellor et al. v1)",
              needs_data=True),
        Proxy("nwot", "nwot", "NASWOT: log|det K| of ReLU binary codes (Mellor et al. 2021)", needs_data=True),
        Proxy("params", "params", "parameters (millions)", needs_data=False),
        Proxy("flops", "flops", "FLOPs (millions, Conv2d + Linear multiply-accumulates, one image)",
              needs_data=False),
    )
}


def get_proxy(name: str) -> Proxy:
    if name not in PROXIES:
        raise UnknownNameError(f"unknown proxy {name!r}; choose from: {', '.join(PROXIES)}")
    return PROXIES[name]


def proxy_batch(proxy: Proxy | str, dataset: str, image_dir=None, batch_size: int = 64, seed: int = 0) -> "Batch":
    """The batch a proxy runs on: the input shape only for data-free proxies, else images from
    ``image_dir`` or a synthetic batch."""
    from .data import load_batch, shape_batch

    proxy = get_proxy(proxy) if isinstance(proxy, str) else proxy
    if not proxy.needs_data:
        return shape_batch(dataset)
    return load_batch(dataset, image_dir, batch_size, seed)


def score(name: str, net: "nn.Module", batch: "Batch") -> float:
    """The raw score of proxy ``name`` for ``net`` on ``batch``."""
    return get_proxy(name)(net, batch)


_FROM_DATA = ("Batch", "load_batch", "shape_batch", "synthetic_batch")


def __getattr__(name: str) -> Any:
    """``Batch`` and the batch loaders of ``.data``, imported (with torch) on first use."""
    if name in _FROM_DATA:
        from . import data

        return getattr(data, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FLOOR", "LOG_FLOOR", "PROXIES", "Proxy", "get_proxy", "proxy_batch", "score", *_FROM_DATA]
