"""The training recipe of a live benchmark: fixed for every architecture, part of the cache key.

Users set it with ``--benchmark-option NAME.FIELD=VALUE``; ``split_options`` separates the
recipe fields from a benchmark's other options and coerces their types.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import NasLabError, UnknownNameError

OPTIMISERS = ("adam", "adamw", "sgd")
SCHEDULES = ("cosine", "constant")


class RecipeError(NasLabError, ValueError):
    """An invalid training-recipe value."""


@dataclass(frozen=True)
class Recipe:
    """How every architecture is trained (the same for all of them).

    ``epochs`` passes over the training data in shuffled mini-batches of ``batch_size``;
    ``optimizer`` adam | adamw | sgd (with ``momentum``, Nesterov off) at learning rate ``lr``,
    ``weight_decay``; ``schedule`` cosine (to 0 over all steps) | constant; ``seed`` seeds the
    weight initialisation, shuffling and dropout; ``max_train`` > 0 trains on the first
    ``max_train`` training samples only (0 = all).
    """

    epochs: int = 20
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float = 0.003
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "cosine"
    seed: int = 0
    max_train: int = 0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RecipeError(f"recipe {name} must be a whole number >= 1, got {value!r}")
        for name in ("seed", "max_train"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise RecipeError(f"recipe {name} must be a whole number >= 0, got {value!r}")
        for name in ("lr", "momentum", "weight_decay"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise RecipeError(f"recipe {name} must be a finite number >= 0, got {value!r}")
            object.__setattr__(self, name, float(value))
        if self.optimizer not in OPTIMISERS:
            raise RecipeError(f"unknown optimizer {self.optimizer!r}; choose from {', '.join(OPTIMISERS)}")
        if self.schedule not in SCHEDULES:
            raise RecipeError(f"unknown schedule {self.schedule!r}; choose from {', '.join(SCHEDULES)}")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def describe(self) -> str:
        extra = f", first {self.max_train} training samples" if self.max_train else ""
        wd = f", weight decay {self.weight_decay:g}" if self.weight_decay else ""
        return (f"{self.epochs} epochs of {self.optimizer} (lr {self.lr:g}, {self.schedule}{wd}), "
                f"batch {self.batch_size}, seed {self.seed}{extra}")

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    def replace(self, **changes: Any) -> "Recipe":
        return dataclasses.replace(self, **changes)


def coerce(value: Any, like: Any, what: str) -> Any:
    """Convert a user-given option value (from JSON or a plain string) to the type of ``like``."""
    try:
        if isinstance(like, bool):
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered in ("1", "true", "yes", "on"):
                    return True
                if lowered in ("0", "false", "no", "off"):
                    return False
                raise ValueError
            return bool(value)
        if isinstance(like, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str):
                return int(value)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            raise ValueError
        if isinstance(like, float):
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise RecipeError(f"option {what} expects a {type(like).__name__}, got {value!r}") from None


def split_options(
    options: Mapping[str, Any], extra_defaults: Mapping[str, Any], benchmark: str
) -> tuple[Recipe, dict[str, Any]]:
    """Split benchmark options into a ``Recipe`` and the remaining (non-recipe) options,
    coercing types and refusing unknown names."""
    base = Recipe()
    known = set(Recipe.fields()) | set(extra_defaults)
    unknown = sorted(set(options) - known)
    if unknown:
        raise UnknownNameError(
            f"benchmark {benchmark!r} has no option {', '.join(unknown)}; it has: {', '.join(sorted(known))}"
        )
    recipe_values = {k: coerce(v, getattr(base, k), f"{benchmark}.{k}") for k, v in options.items() if k in Recipe.fields()}
    extra = {k: coerce(options[k], d, f"{benchmark}.{k}") if k in options else d for k, d in extra_defaults.items()}
    return Recipe(**recipe_values), extra
