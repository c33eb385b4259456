"""The Algorithm interface: ask/tell for black-box methods, ``search`` for one-shot methods."""
from __future__ import annotations

import functools
import inspect
import time
import warnings
from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar, Mapping

import numpy as np

from nasbench_lab.core.context import RunContext
from nasbench_lab.errors import NasLabError
from nasbench_lab.core.hyperparams import HyperparameterError, Range, check_values, declared
from nasbench_lab.infra.introspect import first_doc_line, keyword_defaults, required_positional
from nasbench_lab.core.objectives import Problem
from nasbench_lab.core.oracle import CostModel, Oracle, Query
from nasbench_lab.core.space import Arch, FiniteSpace, SearchSpace


#: Why a run ended (the ``stop`` column of its rows): its whole query budget spent, or short of it.
BUDGET_SPENT = "budget"
FREE_REPEATS = "free repeats"  # max_free_repeats known architectures asked in a row
NO_PROPOSAL = "nothing to propose"  # an empty batch
SPACE_EXHAUSTED = "space exhausted"  # every architecture of a finite space queried
TIME_BUDGET = "time budget"  # the wall-clock budget (--time-budget) ran out
RETURNED = "algorithm returned"  # run() returned early for a reason of its own


class Algorithm(ABC):
    """A search algorithm, built as ``cls(space, rng, **hyper_parameters)``.

    Hyper-parameters are class attributes declared with ``nasbench_lab.core.hyperparams.hyperparameter``
    (default, range, one line of doc); ``__init__`` checks the values given and sets each one on
    the instance, then calls ``setup()``, where a subclass makes its state. Subclasses implement
    ``run(oracle, context)``: spend the oracle's budget; ``context`` (a ``RunContext``) says which
    run this is and records compute spent outside queries."""

    #: What the algorithm needs: "finite" (an enumerable space, index-based methods), "epochs"
    #: (a budget of training epochs: multi-fidelity methods, ``nasbench_lab.core.fidelity``).
    requires: ClassVar[tuple[str, ...]] = ()

    #: Valid values of the keyword-only hyper-parameters (``nasbench_lab.core.hyperparams``:
    #: ``integer``, ``number``, ``one_of``, ``boolean``, ``text``); an undeclared one must have
    #: its default's type.
    hyperparameter_ranges: ClassVar[Mapping[str, Range]] = {}

    #: Why ``run`` returned before the budget was spent, when the algorithm itself knows
    #: (``FREE_REPEATS``, ``NO_PROPOSAL``); None otherwise. Read by the runner.
    stop_reason: str | None = None

    def __init__(self, space: SearchSpace, rng: np.random.Generator, **values: Any) -> None:
        self.space = space
        self.rng = rng
        if values or declared(type(self)):
            for name, value in self.checked(values).items():
                setattr(self, name, value)
        self.setup()

    def setup(self) -> None:
        """Make the algorithm's state once its hyper-parameters are set (default: nothing)."""

    @classmethod
    def checked(cls, values: Mapping[str, Any], name: str | None = None) -> dict[str, Any]:
        """Every hyper-parameter: ``values`` over the defaults, checked and converted; an unknown
        name or a missing value raises ``HyperparameterError``."""
        defaults = cls.hyperparameters()
        unknown = sorted(set(values) - set(defaults))
        if unknown:
            raise HyperparameterError(f"algorithm {name or cls.__name__!r} has no hyper-parameter "
                                      f"{', '.join(unknown)}; it has: {', '.join(defaults) or 'none'}")
        return cls.check_hyperparameters({**defaults, **values}, name)

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
    def check_problem(cls, problem: Problem) -> None:
        """Raise ``NasLabError`` if the algorithm cannot search ``problem`` (objectives and
        constraints; called before any run). The default accepts any: a single-objective
        method maximises the search metric and the incumbent is the best feasible architecture."""

    @classmethod
    def hyperparameters(cls) -> dict[str, Any]:
        """Each hyper-parameter and its default (declared ones; for an older class, its
        keyword-only constructor arguments)."""
        found = declared(cls)
        if found:
            return {name: hp.default for name, hp in found.items()}
        return keyword_defaults(cls)

    @classmethod
    def hyperparameter_docs(cls) -> dict[str, str]:
        """Each declared hyper-parameter's line of doc ("" for an older class)."""
        found = declared(cls)
        return {name: found[name].doc if name in found else "" for name in cls.hyperparameters()}

    @classmethod
    def ranges(cls) -> dict[str, Range]:
        """Each hyper-parameter's range: declared, else the type of its default."""
        found = declared(cls)
        if found:
            return {name: hp.valid() for name, hp in found.items()}
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
    """A black-box method: ``ask()`` proposes an architecture, ``tell(query)`` gives its record
    (``nasbench_lab.core.oracle.Query``: architecture, search metric, costs, violation).

    ``run`` loops until the budget is spent; before the loop it hands over the run's ``problem``
    and free ``cost_model`` (``arch -> {cost: value}``, with ``violation``/``feasible``; no
    metric), for methods that screen candidates before asking; the oracle itself is never kept.
    A batch method sets ``batched`` and implements ``ask_batch(n)``; the loop then asks for
    ``batch_size()`` architectures at a time and tells each record in order. Asking an architecture already queried is free,
    so a method that keeps proposing known architectures is stopped after ``max_free_repeats``
    in a row (e.g. when it has converged on a small space); such a run is reported as short
    (``stop_reason``), never averaged silently with full ones. An older ``tell(arch, value)`` is
    still called that way, with a ``DeprecationWarning``.
    """

    max_free_repeats: ClassVar[int] = 10_000
    problem: Problem = Problem()
    cost_model: CostModel = CostModel(Problem())

    @abstractmethod
    def ask(self) -> Arch:
        """Propose the next architecture to evaluate."""

    #: True for a batch method: the loop calls ``ask_batch(batch_size())`` instead of ``ask()``.
    batched: ClassVar[bool] = False

    def ask_batch(self, n: int) -> list[Arch]:
        """Propose ``n`` architectures, queried (and told) in order; an empty batch ends the run
        (used when ``batched``; the default asks ``n`` times)."""
        return [self.ask() for _ in range(n)]

    def batch_size(self) -> int:
        """How many architectures the next ``ask_batch`` should propose."""
        return 1

    @abstractmethod
    def tell(self, query: Query) -> None:
        """Receive the record of an asked architecture (search metric, costs, violation)."""

    def prepare(self, problem: Problem, cost_model: CostModel) -> None:
        """Hand over the run's problem and free cost model (called by ``run`` before the loop)."""
        self.problem, self.cost_model = problem, cost_model

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        self.prepare(oracle.problem, oracle.cost_model)
        tell = self.tell if not legacy_tell(self) else self._tell_legacy
        repeats = 0
        self.stop_reason = None
        while not oracle.exhausted and repeats < self.max_free_repeats:
            batch = self.ask_batch(self.batch_size()) if self.batched else [self.ask()]
            if not batch:
                self.stop_reason = NO_PROPOSAL
                return
            for k, arch in enumerate(batch):
                if k and (oracle.exhausted or repeats >= self.max_free_repeats):  # k = 0: checked above
                    break
                repeats = repeats + 1 if oracle.seen(arch) else 0
                tell(oracle.evaluate(arch))
        if repeats >= self.max_free_repeats and not oracle.exhausted:
            self.stop_reason = FREE_REPEATS

    def _tell_legacy(self, query: Query) -> None:
        self.tell(query.arch, query.search_metric)  # type: ignore[call-arg]


def legacy_tell(algorithm: AskTellAlgorithm) -> bool:
    """Whether ``algorithm.tell`` is the older ``tell(arch, value)`` (warns once per run)."""
    tell = algorithm.tell
    legacy = _legacy_tell(tell.__func__) if inspect.ismethod(tell) else required_positional(tell) >= 2
    if legacy:
        warnings.warn(f"{type(algorithm).__name__}.tell(arch, value) is deprecated: define tell(self, query) "
                      "(a nasbench_lab.core.oracle.Query with arch, search_metric, costs, violation)",
                      DeprecationWarning, stacklevel=3)
    return legacy


@functools.lru_cache(maxsize=None)
def _legacy_tell(function: Callable[..., Any]) -> bool:
    """Whether the ``tell`` method ``function`` needs two arguments after ``self`` (looked at once)."""
    return required_positional(function) >= 3


class BatchAlgorithm(AskTellAlgorithm):
    """A black-box method that proposes a batch at a time (e.g. a generation): it implements
    ``ask_batch(n)`` and ``batch_size()``; ``ask()`` hands out the current batch one by one."""

    batched: ClassVar[bool] = True

    @abstractmethod
    def ask_batch(self, n: int) -> list[Arch]:
        """Propose ``n`` architectures, told in order; an empty batch ends the run."""

    def ask(self) -> Arch:
        """The next architecture of the current batch (a new batch when it is used up)."""
        queue: list[Arch] = self.__dict__.setdefault("_batch", [])
        if not queue:
            queue.extend(self.ask_batch(self.batch_size()))
        if not queue:
            raise NasLabError(f"{type(self).__name__} has nothing left to propose")
        return queue.pop(0)


class OneShotAlgorithm(Algorithm):
    """A method that trains a supernet: ``search(oracle, context)`` returns the chosen
    architecture, which is then queried once; its compute time is recorded beside the queries."""

    @abstractmethod
    def search(self, oracle: Oracle, context: RunContext) -> Arch:
        """Find an architecture (queries through ``oracle`` are optional and counted); ``context``
        is always given: the run (benchmark, dataset, seed, settings) and its compute recorder."""

    def run(self, oracle: Oracle, context: RunContext | None = None) -> None:
        context = self.context_for(oracle, context)
        start = time.perf_counter()
        arch = self.search(oracle, context)
        context.record_compute(time.perf_counter() - start)
        oracle.query(arch)
