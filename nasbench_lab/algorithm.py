"""The Algorithm interface: ask/tell for black-box methods, ``search`` for one-shot methods."""
from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from .errors import NasLabError
from .oracle import Oracle
from .space import Arch, FiniteSpace, SearchSpace


class Algorithm(ABC):
    """A search algorithm. Subclasses take ``space`` and ``rng`` then keyword-only
    hyper-parameters with documented defaults, and implement ``run(oracle)``."""

    #: Search-space capabilities the algorithm needs ("finite" for index-based methods).
    requires: ClassVar[tuple[str, ...]] = ()

    def __init__(self, space: SearchSpace, rng: np.random.Generator) -> None:
        self.space = space
        self.rng = rng

    @abstractmethod
    def run(self, oracle: Oracle) -> None:
        """Spend the oracle's budget."""

    @classmethod
    def check_space(cls, space: SearchSpace) -> None:
        """Raise ``NasLabError`` if the algorithm cannot search ``space`` (called before any
        run, so an impossible pairing fails at once). The default checks ``requires``."""
        if "finite" in cls.requires and not isinstance(space, FiniteSpace):
            raise NasLabError(f"{cls.__name__} needs an enumerable search space; {space.name!r} is not")

    @classmethod
    def hyperparameters(cls) -> dict[str, Any]:
        """Keyword-only constructor arguments and their defaults."""
        sig = inspect.signature(cls.__init__)
        return {
            p.name: p.default
            for p in sig.parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        }

    @classmethod
    def summary(cls) -> str:
        doc = inspect.getdoc(cls) or ""
        return doc.splitlines()[0] if doc else cls.__name__


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

    def run(self, oracle: Oracle) -> None:
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

    def run(self, oracle: Oracle) -> None:
        import time

        start = time.perf_counter()
        arch = self.search(oracle)
        oracle.add_compute(time.perf_counter() - start)
        oracle.query(arch)
