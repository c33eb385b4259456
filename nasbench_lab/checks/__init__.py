"""``nasbench-lab validate``: checks that re-derive the library's key figures through its own
public paths and compare each with the published (or exact) value within a tolerance.

``check.py`` holds the small objects (``Check``, ``Measurement``, ``Result``), ``registry.py`` the
families (one module each: ``protocol``, ``tables``, ``proxies``, ``predictors``, ``graph``,
``oneshot``), ``suite.py`` runs a selection in a fresh cache and writes the outputs. The package
sits above ``reports`` in the layer contract: checks run leaderboards (``api``) and draw figures.
"""
from nasbench_lab.checks.check import Check, Measurement, Result
from nasbench_lab.checks.context import ValidationContext

__all__ = ["Check", "Measurement", "Result", "ValidationContext"]
