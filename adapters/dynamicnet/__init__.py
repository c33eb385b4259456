"""DynamicNet: the user's own building blocks, the search space over them and its live benchmark.

Modules: ``layers`` (layer configurations), ``encoding`` (layer graphs <-> ``ArchGraph``),
``net`` (the ``DynamicNet`` module built from them), ``blocks`` and ``space`` (the
``DynamicNetSpace`` of MLPs and small CNNs), ``data`` (classification datasets) and
``benchmark`` (the ``dynamicnet`` live benchmark), ``supernet`` (its weight-sharing supernet) and
``costs``. The package defines the space's ``ENTRY`` and exports the layer and network API
(imported on first use, so reading the entry imports no torch):

>>> from nasbench_lab.adapters.dynamicnet import DynamicNet, Linearcfg, Activationcfg
>>> net = DynamicNet([Linearcfg(32), Activationcfg("relu"), Linearcfg(10)], input_shape=(64,), seed=0)
>>> net.save("mlp.npz"); same = DynamicNet.load("mlp.npz")
"""
from __future__ import annotations

import importlib
from typing import Any

from nasbench_lab.core.space_entry import SpaceEntry

ENTRY = SpaceEntry(
    name="dynamicnet",
    space=f"{__name__}.space:DynamicNetSpace",
    benchmarks={"dynamicnet": f"{__name__}.benchmark:SPEC"},
    supernet=f"{__name__}.supernet",
)

#: exported name -> the module defining it
_EXPORTS = {
    **dict.fromkeys(["ACTIVATIONS", "PARAMS", "SCALES", "VOCAB", "Activationcfg", "BatchNormcfg", "Convcfg",
                     "Dropoutcfg", "Flattencfg", "Inputcfg", "LayerCfg", "Linearcfg", "Mergecfg", "Poolcfg",
                     "ShapeError"], "layers"),
    **dict.fromkeys(["decode_layers", "encode_layers"], "encoding"),
    **dict.fromkeys(["FORMAT_VERSION", "DynamicNet", "NetFileError", "WeightsError", "analyse"], "net"),
}
__all__ = ["ENTRY", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
