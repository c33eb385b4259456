"""The user's own building blocks: layer configurations and the ``DynamicNet`` built from them.

>>> from nasbench_lab.dynamicnet import DynamicNet, Linearcfg, Activationcfg
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
    decode_layers,
    encode_layers,
)
from .net import FORMAT_VERSION, DynamicNet, NetFileError, WeightsError, analyse

__all__ = [
    "ACTIVATIONS", "PARAMS", "SCALES", "VOCAB", "Activationcfg", "BatchNormcfg", "Convcfg", "Dropoutcfg",
    "Flattencfg", "Inputcfg", "LayerCfg", "Linearcfg", "Mergecfg", "Poolcfg", "ShapeError", "decode_layers",
    "encode_layers", "FORMAT_VERSION", "DynamicNet", "NetFileError", "WeightsError", "analyse",
]
