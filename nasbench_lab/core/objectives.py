"""Hardware-aware search problems: which objectives a run optimises and which cost limits it obeys.

``--objectives search,latency:pixel3`` (the search metric maximised, every cost minimised) and
``--constraint latency:pixel3<=5`` (repeatable) become one ``Problem``, checked against each
benchmark's costs before any run, recorded in ``config.json`` and handed to the oracle, which
serves the problem's costs (never the report metric). Cost names are those of
``nasbench_lab.core.costs``; ``latency``, ``params``, ``flops``, ``flash`` and ``peak`` are accepted for
``latency_ms``, ``params_m``, ``flops_m``, ``flash_kb`` and ``peak_kb``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from nasbench_lab.core.costs import check_cost
from nasbench_lab.errors import NasLabError

#: The accuracy objective: the benchmark's search metric (the report metric is never an objective).
ACCURACY = "search"
ACCURACY_NAMES = ("search", "valid_acc", "accuracy")
HIDDEN_NAMES = ("report", "test_acc")
#: Short cost spellings accepted on the command line.
COST_ALIASES = {"latency": "latency_ms", "params": "params_m", "flops": "flops_m", "macs": "flops_m",
                "flash": "flash_kb", "peak": "peak_kb"}


def cost_name(text: str, where: str = "") -> str:
    """``latency:pixel3`` -> ``latency_ms:pixel3``; a name outside the vocabulary is an error."""
    base, sep, device = str(text).strip().partition(":")
    return check_cost(COST_ALIASES.get(base, base) + sep + device, where)


@dataclass(frozen=True)
class Constraint:
    """``cost <= limit``; ``violation`` is the excess relative to the limit (0 when satisfied)."""

    cost: str
    limit: float

    def violation(self, value: float) -> float:
        excess = float(value) - self.limit
        if not excess > 0:
            return 0.0 if excess == excess else math.inf  # a NaN cost is never feasible
        return excess / abs(self.limit) if self.limit else excess

    def describe(self) -> str:
        return f"{self.cost}<={self.limit:g}"


def parse_constraint(text: str) -> Constraint:
    """``latency:pixel3<=5`` -> ``Constraint("latency_ms:pixel3", 5.0)``."""
    match = re.fullmatch(r"\s*([^<>=]+?)\s*<=\s*([^<>=]+?)\s*", str(text))
    if not match:
        raise NasLabError(f"--constraint expects COST<=LIMIT (a cost bounded from above, e.g. latency:pixel3<=5), "
                          f"got {text!r}")
    cost = cost_name(match[1], f"--constraint {text!r}")
    try:
        limit = float(match[2])
    except ValueError:
        raise NasLabError(f"--constraint {text!r}: the limit must be a number, got {match[2]!r}") from None
    if not math.isfinite(limit) or limit < 0:
        raise NasLabError(f"--constraint {text!r}: the limit must be a finite number >= 0")
    return Constraint(cost, limit)


def parse_objectives(text: str) -> tuple[str, ...]:
    """``search,latency:pixel3`` -> ``("search", "latency_ms:pixel3")``: the accuracy objective
    first, then one or more distinct costs."""
    names = [n.strip() for n in str(text).split(",") if n.strip()]
    hidden = [n for n in names if n in HIDDEN_NAMES]
    if hidden:
        raise NasLabError(f"--objectives: {hidden[0]!r} is the report metric, hidden from search; "
                          "use 'search' (the benchmark's search metric)")
    accuracy = [n for n in names if n in ACCURACY_NAMES]
    costs = [cost_name(n, "--objectives") for n in names if n not in ACCURACY_NAMES]
    if len(accuracy) != 1 or not costs:
        raise NasLabError(f"--objectives needs 'search' and at least one cost (e.g. search,latency:pixel3), got {text!r}")
    if len(set(costs)) != len(costs):
        raise NasLabError(f"--objectives lists a cost twice: {text!r}")
    return (ACCURACY, *costs)


@dataclass(frozen=True)
class Problem:
    """What a hardware-aware run optimises. ``objectives``: ``()`` (the search metric alone) or
    ``("search", cost, ...)``; ``constraints``: upper limits on costs; ``reference``: the
    hypervolume reference point (accuracy, then one value per cost objective), None for the
    default (the median architecture's accuracy and the largest cost on the true front)."""

    objectives: tuple[str, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    reference: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.reference is not None and len(self.reference) != len(self.objectives):
            raise NasLabError(f"--hv-reference needs {len(self.objectives) or 'no'} values (one per objective: "
                              f"{', '.join(self.objectives) or 'pass --objectives first'}), got {len(self.reference)}")

    @property
    def active(self) -> bool:
        return bool(self.objectives or self.constraints)

    @property
    def multi_objective(self) -> bool:
        return len(self.objectives) >= 2

    @property
    def objective_costs(self) -> tuple[str, ...]:
        return tuple(self.objectives[1:])

    @property
    def costs(self) -> tuple[str, ...]:
        """Every cost the problem names (objectives first), each once."""
        return tuple(dict.fromkeys([*self.objective_costs, *(c.cost for c in self.constraints)]))

    def violation(self, costs: Mapping[str, float]) -> float:
        """Total relative excess over the limits (0: feasible)."""
        return float(sum(c.violation(costs[c.cost]) for c in self.constraints))

    def vector(self, value: float, costs: Mapping[str, float]) -> tuple[float, ...]:
        """The objectives as a point to minimise: (-accuracy, cost, ...)."""
        return (-float(value), *(float(costs[c]) for c in self.objective_costs))

    def check(self, cost_names: Sequence[str], where: str) -> None:
        """Refuse a problem naming a cost the benchmark ``where`` does not have."""
        for kind, name in [("objective", c) for c in self.objective_costs] + [("constraint", c.cost) for c in self.constraints]:
            if name not in cost_names:
                has = ", ".join(cost_names[:6]) + (f" and {len(cost_names) - 6} more: see `nasbench-lab list`" if len(cost_names) > 6 else "") if cost_names else "none"
                raise NasLabError(f"{kind} cost {name!r} is not a cost of {where} (its costs: {has})")

    def describe(self) -> str:
        parts = []
        if self.objectives:
            parts.append("objectives " + ", ".join(self.objectives))
        if self.constraints:
            parts.append("subject to " + ", ".join(c.describe() for c in self.constraints))
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"objectives": list(self.objectives),
                "constraints": [{"cost": c.cost, "limit": c.limit} for c in self.constraints],
                "hv_reference": list(self.reference) if self.reference is not None else None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Problem":
        """The inverse of ``to_dict`` (a results directory's ``config.json``); ``{}`` -> no problem."""
        data = data or {}
        try:
            objectives = tuple(str(o) for o in data.get("objectives") or ())
            constraints = tuple(Constraint(str(c["cost"]), float(c["limit"])) for c in data.get("constraints") or ())
            ref = data.get("hv_reference")
            return cls(objectives, constraints, tuple(float(r) for r in ref) if ref else None)
        except (TypeError, KeyError, ValueError) as exc:
            raise NasLabError(f"invalid objectives/constraints in config.json: {exc}") from None


def parse_reference(text: str | None) -> tuple[float, ...] | None:
    """``--hv-reference 70,5`` -> (70.0, 5.0)."""
    if not text:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise NasLabError(f"--hv-reference expects numbers separated by commas (accuracy,cost...), got {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise NasLabError(f"--hv-reference values must be finite, got {text!r}")
    return values


def problem_from_options(objectives: str | None, constraints: Sequence[str] | None, reference: str | None) -> Problem:
    """The problem of the command-line options (``--objectives``, ``--constraint``, ``--hv-reference``)."""
    parsed = tuple(parse_constraint(c) for c in constraints or ())
    costs = [c.cost for c in parsed]
    if len(set(costs)) != len(costs):
        raise NasLabError("--constraint bounds the same cost twice")
    return Problem(parse_objectives(objectives) if objectives else (), parsed, parse_reference(reference))
