"""Declared hyper-parameters: each one's default, valid values and one line of doc, together.

An algorithm declares each hyper-parameter once, as a class attribute::

    class MySearch(AskTellAlgorithm):
        population_size = hyperparameter(10, integer(2), "architectures kept alive")
        sample_size = hyperparameter(3, integer(1, "population_size"), "tournament size")  # a bound may name another
        cooling = hyperparameter(0.9, number(0, 1, open_low=True), "temperature factor per step")
        loss = hyperparameter("mse", one_of("mse", "pairwise"), "the predictor's loss")

The framework checks every value (``check_values``: types first, then bounds) before any run and
again when the algorithm is built, then sets it on the instance (``self.population_size``); no
algorithm checks its own values. (Older classes that take keyword-only constructor arguments and
declare ``hyperparameter_ranges`` still work.) ``nasbench-lab list`` prints ``describe()`` and the doc.
"""
from __future__ import annotations

import functools
import inspect
import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence, Union

from nasbench_lab.errors import NasLabError

#: The largest seed any seed parameter takes (numpy's and torch's seeding take 32-bit seeds).
MAX_SEED = 2**32 - 1
#: The most threads a thread-count parameter takes (beyond, a typo: torch's takes a C int).
MAX_THREADS = 1024

#: A bound: a number, the name of another hyper-parameter, or None (unbounded).
Bound = Union[int, float, str, None]


class HyperparameterError(NasLabError, ValueError):
    """A hyper-parameter value of the wrong type or outside its declared range."""


@dataclass(frozen=True)
class Range:
    """The valid values of one hyper-parameter. ``kind``: integer, number, boolean, text, choice
    or any; ``low``/``high`` bound integers and numbers (inclusive unless ``open_low`` /
    ``open_high``); ``choices`` (a sequence, or a function returning one, read when needed)."""

    kind: str
    low: Bound = None
    high: Bound = None
    open_low: bool = False
    open_high: bool = False
    choices: Union[Sequence[Any], Callable[[], Sequence[Any]]] = ()

    @classmethod
    def like(cls, default: Any) -> "Range":
        """The range of an undeclared hyper-parameter: the type of its default."""
        if isinstance(default, bool):
            return cls("boolean")
        if isinstance(default, numbers.Integral):
            return cls("integer")
        if isinstance(default, numbers.Real):
            return cls("number")
        if isinstance(default, str):
            return cls("text")
        return cls("any")

    def options(self) -> tuple[Any, ...]:
        return tuple(self.choices() if callable(self.choices) else self.choices)

    def describe(self) -> str:
        """E.g. ``integer >= 2``, ``number in (0, 1]``, ``one of 'mse', 'pairwise'``."""
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.options())
        if self.kind == "boolean":
            return "true or false"
        if self.kind in ("text", "any"):
            return {"text": "string", "any": "any value"}[self.kind]
        if self.low is not None and self.high is not None:
            return (f"{self.kind} in {'(' if self.open_low else '['}{self.low}, "
                    f"{self.high}{')' if self.open_high else ']'}")
        if self.low is not None:
            return f"{self.kind} {'>' if self.open_low else '>='} {self.low}"
        if self.high is not None:
            return f"{self.kind} {'<' if self.open_high else '<='} {self.high}"
        return self.kind

    def phrase(self) -> str:
        """``describe()`` with an article, for error messages."""
        text = self.describe()
        return f"an {text}" if text.startswith("integer") else f"a {text}" if self.kind in ("number", "text") else text

    def convert(self, value: Any) -> Any:
        """``value`` in this range's type (an integer is a valid number), or raise ``ValueError``."""
        if self.kind == "integer" and isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        if self.kind == "number" and isinstance(value, numbers.Real) and not isinstance(value, bool):
            if math.isfinite(value):
                return float(value)
        if self.kind == "boolean" and isinstance(value, bool):
            return value
        if self.kind == "text" and isinstance(value, str):
            return value
        if self.kind == "choice" and any(type(value) is type(c) and value == c for c in self.options()):
            return value
        if self.kind == "any":
            return value
        raise ValueError(value)

    def violates(self, value: Any, values: Mapping[str, Any]) -> str | None:
        """None if ``value`` (converted) is within the bounds, else a note naming the values of
        the hyper-parameters the bounds refer to ("" when they are plain numbers). ``values``:
        every hyper-parameter, for named bounds."""
        if self.kind not in ("integer", "number"):
            return None
        low, high = self._bound(self.low, values), self._bound(self.high, values)
        too_low = low is not None and (value <= low if self.open_low else value < low)
        too_high = high is not None and (value >= high if self.open_high else value > high)
        if not (too_low or too_high):
            return None
        named = [f"{b} = {values[b]!r}" for b in (self.low, self.high) if isinstance(b, str) and b in values]
        return f" ({'; '.join(named)})" if named else ""

    @staticmethod
    def _bound(bound: Bound, values: Mapping[str, Any]) -> float | None:
        if isinstance(bound, str):
            other = values.get(bound)
            return other if isinstance(other, numbers.Real) and not isinstance(other, bool) else None
        return bound


@dataclass(frozen=True)
class HyperParameter:
    """One declared hyper-parameter of an algorithm: ``default``, its ``range`` (None: the
    type of the default) and one line of ``doc``."""

    default: Any
    range: Range | None = None
    doc: str = ""

    def valid(self) -> Range:
        return self.range or Range.like(self.default)


def hyperparameter(default: Any, range: Range | None = None, doc: str = "") -> Any:
    """Declare a hyper-parameter as a class attribute (typed ``Any`` so that
    ``population_size: int = hyperparameter(10, integer(2), "...")`` type-checks)."""
    return HyperParameter(default, range, doc)


def declared(cls: type) -> dict[str, HyperParameter]:
    """The ``HyperParameter`` attributes of ``cls`` and its bases, base classes' first (a
    subclass may redeclare one to change its default or range)."""
    return dict(_declared(cls))


@functools.lru_cache(maxsize=None)
def _declared(cls: type) -> dict[str, HyperParameter]:
    """``declared``, looked up once per class (an algorithm is built once per run)."""
    out: dict[str, HyperParameter] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, HyperParameter):
                out[name] = value
            else:
                out.pop(name, None)  # a subclass replaced the declaration by a plain attribute
    return out


def integer(low: Bound = None, high: Bound = None) -> Range:
    """A whole number in [``low``, ``high``] (either may be None, or another hyper-parameter's name)."""
    return Range("integer", low, high)


def number(low: Bound = None, high: Bound = None, *, open_low: bool = False, open_high: bool = False) -> Range:
    """A finite real number between ``low`` and ``high`` (exclusive where ``open_*``)."""
    return Range("number", low, high, open_low, open_high)


def one_of(*choices: Any) -> Range:
    """One of ``choices``; a single callable argument gives them when needed (e.g. a registry's names)."""
    if len(choices) == 1 and callable(choices[0]):
        return Range("choice", choices=choices[0])
    return Range("choice", choices=tuple(choices))


def boolean() -> Range:
    return Range("boolean")


def text() -> Range:
    return Range("text")


def check_values(owner: str, ranges: Mapping[str, Range], values: Mapping[str, Any]) -> dict[str, Any]:
    """Every value of ``values`` checked against its range (types first, then bounds, so a
    bound naming another hyper-parameter sees a checked value); return them converted.
    Raises ``HyperparameterError`` naming ``owner``, the parameter, the value and the range."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        valid = ranges.get(name) or Range("any")
        if value is inspect.Parameter.empty:
            raise HyperparameterError(f"{owner}: {name} has no default: give it a value ({valid.phrase()})")
        try:
            out[name] = valid.convert(value)
        except ValueError:
            raise HyperparameterError(f"{owner}: {name} must be {valid.phrase()}, got {value!r}") from None
    for name, value in out.items():
        valid = ranges.get(name) or Range("any")
        note = valid.violates(value, out)
        if note is not None:
            raise HyperparameterError(f"{owner}: {name} must be {valid.phrase()}, got {values[name]!r}{note}")
    return out
