"""Once-for-All over the DynamicNet space: one elastic supernet, any sub-network extracted.

Modules: ``structure`` (stages, configurations, decision slots; every configuration is a
DynamicNet architecture), ``elastic`` (layers with elastic width and kernel), ``supernet``
(``OFASupernet``: run, importance sorting, extraction), ``shrinking`` (the progressive-shrinking
schedule and training loop), ``store`` (the trained supernet cached on disk), ``evolution``
(configurations evolved under cost limits) and ``limits`` (the costs a limit can bound).
"""
from .structure import DIMENSIONS, PRESETS, OFAConfig, OFAStructure, Stage, preset
from .supernet import OFASupernet

__all__ = ["DIMENSIONS", "PRESETS", "OFAConfig", "OFAStructure", "OFASupernet", "Stage", "preset"]
