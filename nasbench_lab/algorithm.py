"""The Algorithm interface: ask/tell for black-box methods, ``search`` for one-shot methods."""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Mapping

import numpy as np

from .context import RunContext
from .errors import NasLabError
from .hyperparams import Range, check_values
from .introspect import first_doc_line, keyword_defaults
from .oracle import Oracle
from .space import Arch, FiniteSpace, SearchSpace


class Algorithm(ABC):
    """A search algorithm. Subclasses take ``space`` and ``rng`` then keyword-only
    hyper-parameters with documented defaults, and implement ``run(oracle, context)``: spend
    the oracle's budget; ``context`` (a ``RunContext``) says which run this is and records
    compute spent outside queries."""

    #: Search-space capabilities the algorithm needs ("finite" for index-based methods).
    requires: ClassVar[tuple[str, ...]] = ()

    #: Valid values of the keyword-only hyper-parameters (``nasbench_lab.hyperparams``:
    #: ``integer``, ``number``, ``one_of``, ``boolean``, ``text``); an undeclared one must have
    #: its default's type.
    hyperparameter_ranges: ClassVar[Mapping[str, Range]] = {}

    def __init__(self, space: SearchSpace, rng: np.random.Generator) -> None:
        self.space = space
        self.rng = rng

    @abstractmethod
    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        """Spend the oracle's budget (``context`` None: a run outside the runner)."""

    @staticmethod
    def context_for(oracle: Oracle, context: RunContext | None) -> RunContext:
        """``context``, or for a run outside the runner one that records compute on the oracle."""
        return context if context is not None else RunContext(record_compute=oracle.add_compute)

    @classmethod
    def check_space(cls, space: SearchSpace) -> None:
        """Raise ``NasLabError`` if the algorithm cannot search ``space`` (called before any
        run, so an impossible pairing fails at once). The default checks ``requires``."""
        if "finite" in cls.requires and not isinstance(space, FiniteSpace):
            raise NasLabError(f"{cls.__name__} needs an enumerable search space; {space.name!r} is not")

    @classmethod
    def hyperparameters(cls) -> dict[str, Any]:
        """Keyword-only constructor arguments and their defaults."""
        return keyword_defaults(cls)

    @classmethod
    def ranges(cls) -> dict[str, Range]:
        """Each hyper-parameter's range: declared, else the type of its default."""
        defaults = cls.hyperparameters()
        stray = sorted(set(cls.hyperparameter_ranges) - set(defaults))
        if stray:
            raise NasLabError(f"{cls.__name__} declares ranges for {', '.join(stray)}, which are not "
                              "keyword-only arguments of its constructor")
        return {k: cls.hyperparameter_ranges.get(k) or Range.like(d) for k, d in defaults.items()}

    @classmethod
    def check_hyperparameters(cls, values: Mapping[str, Any], name: str | None = None) -> dict[str, Any]:
        """``values`` (every hyper-parameter) checked against ``ranges()`` and converted (an
        integer given for a number becomes a float); a ``HyperparameterError`` names the
        algorithm (``name``, else the class), the parameter, the bad value and the valid range."""
        return check_values(f"algorithm {name or cls.__name__!r}", cls.ranges(), values)

    @classmethod
    def summary(cls) -> str:
        return first_doc_line(cls)


class AskTellAlgorithm(Algorithm):
    """A black-box method: ``ask()`` proposes an architecture, ``tell()`` gives its value.

    ``run`` loops until the budget is spent. Asking an architecture already queried is free, so a
    method that keeps proposing known architectures is stopped after ``max_free_repeats`` in a
    row (e.g. when it has converged on a small space).
    """

    max_free_repeats: ClassVar[int] = 10_000

    @abstractmethod
    def ask(self) -> Arch:
        """Propose the next architecture to evaluate."""

    @abstractmethod
    def tell(self, arch: Arch, value: float) -> None:
        """Receive the search metric of an asked architecture."""

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        repeats = 0
        while not oracle.exhausted and repeats < self.max_free_repeats:
            arch = self.ask()
            repeats = repeats + 1 if oracle.seen(arch) else 0
            self.tell(arch, oracle.query(arch))


class OneShotAlgorithm(Algorithm):
    """A method that trains a supernet: ``search`` returns the chosen architecture, which is
    then queried once; its compute time is recorded beside the queries."""

    @abstractmethod
    def search(self, oracle: Oracle) -> Arch:
        """Find an architecture (queries through ``oracle`` are optional and counted)."""

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        context = self.context_for(oracle, context)
        start = time.perf_counter()
        arch = self.search(oracle)
        context.record_compute(time.perf_counter() - start)
        oracle.query(arch)
