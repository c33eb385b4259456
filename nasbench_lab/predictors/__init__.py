"""Performance predictors: learn an architecture's accuracy from its graph (GIN) or from its
flat encoding (MLP, trees), and the predictor study that compares them.

``make_predictor(name, seed=..., **params)`` builds one by name: ``gin``, ``gin-ensemble``,
``mlp``, ``gbdt``, ``rf``.
"""
from __future__ import annotations

from typing import Any

from .base import LOSSES, Predictor, PredictorError
from .features import FlatEncoder, flat_features

#: name -> (module:class, fixed keyword arguments)
PREDICTORS: dict[str, tuple[str, dict[str, Any]]] = {
    "gin": ("nasbench_lab.predictors.gin:GINPredictor", {}),
    "gin-ensemble": ("nasbench_lab.predictors.gin:GINEnsemble", {}),
    "mlp": ("nasbench_lab.predictors.baselines:MLPPredictor", {}),
    "gbdt": ("nasbench_lab.predictors.baselines:TreePredictor", {"kind": "gbdt"}),
    "rf": ("nasbench_lab.predictors.baselines:TreePredictor", {"kind": "rf"}),
}


def predictor_class(name: str):
    from nasbench_lab.core.registry import import_object

    if name not in PREDICTORS:
        raise PredictorError(f"unknown predictor {name!r}; choose from: {', '.join(PREDICTORS)}")
    path, fixed = PREDICTORS[name]
    return import_object(path), fixed


def make_predictor(name: str, *, seed: int = 0, **params: Any) -> Predictor:
    """A predictor by name with hyper-parameters ``params`` (unknown ones are refused)."""
    cls, fixed = predictor_class(name)
    allowed = set(cls.hyperparameters())
    if name == "gin-ensemble":
        from .gin import GINPredictor

        allowed |= set(GINPredictor.hyperparameters())
    unknown = set(params) - allowed - {"seed"}
    if unknown:
        raise PredictorError(
            f"predictor {name!r} has no hyper-parameter {', '.join(sorted(unknown))}; it has: "
            + ", ".join(sorted(allowed - set(fixed) - {"seed"}))
        )
    try:
        return cls(**{**fixed, **params, "seed": seed})
    except TypeError as exc:
        raise PredictorError(f"bad hyper-parameters for predictor {name!r}: {exc}") from None


__all__ = ["LOSSES", "PREDICTORS", "FlatEncoder", "Predictor", "PredictorError", "flat_features",
           "make_predictor", "predictor_class"]
