"""DynamicNet: the user's own building blocks, the search space over them and its live benchmark.

Modules: ``layers`` (layer configurations), ``encoding`` (layer graphs <-> ``ArchGraph``),
``net`` (the ``DynamicNet`` module built from them), ``blocks`` and ``space`` (the
``DynamicNetSpace`` of MLPs and small CNNs), ``data`` (classification datasets) and
``benchmark`` (the ``dynamicnet`` live benchmark). The package exports the layer and network API:

>>> from nasbench_lab.adapters.dynamicnet import DynamicNet, Linearcfg, Activationcfg
>>> net = DynamicNet([Linearcfg(32), Activationcfg("relu"), Linearcfg(10)], input_shape=(64,), seed=0)
>>> net.save("mlp.npz"); same = DynamicNet.load("mlp.npz")
"""
from .layers import (
    ACTIVATIONS,
    PARAMS,
    SCALES,
    VOCAB,
    Activationcfg,
    BatchNormcfg,
    Convcfg,
    Dropoutcfg,
    Flattencfg,
    Inputcfg,
    LayerCfg,
    Linearcfg,
    Mergecfg,
    Poolcfg,
    ShapeError,
)
from .encoding import decode_layers, encode_layers
from .net import FORMAT_VERSION, DynamicNet, NetFileError, WeightsError, analyse

__all__ = [
    "ACTIVATIONS", "PARAMS", "SCALES", "VOCAB", "Activationcfg", "BatchNormcfg", "Convcfg", "Dropoutcfg",
    "Flattencfg", "Inputcfg", "LayerCfg", "Linearcfg", "Mergecfg", "Poolcfg", "ShapeError", "decode_layers",
    "encode_layers", "FORMAT_VERSION", "DynamicNet", "NetFileError", "WeightsError", "analyse",
]
