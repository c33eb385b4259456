"""Once-for-All over the DynamicNet space: one elastic supernet, any sub-network extracted.

Modules: ``structure`` (stages, configurations, decision slots; every configuration is a
DynamicNet architecture), ``elastic`` (layers with elastic width and kernel), ``supernet``
(``OFASupernet``: run, importance sorting, extraction), ``shrinking`` (the progressive-shrinking
schedule and training loop) and ``store`` (the trained supernet cached on disk). The OFA search
(evolution under cost limits) is an algorithm: ``nasbench_lab.algorithms.ofa_search``.
"""
from .structure import DIMENSIONS, PRESETS, OFAConfig, OFAStructure, Stage, preset
from .supernet import OFASupernet

__all__ = ["DIMENSIONS", "PRESETS", "OFAConfig", "OFAStructure", "OFASupernet", "Stage", "preset"]
