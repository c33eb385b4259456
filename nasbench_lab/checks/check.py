"""One check of ``nasbench-lab validate``: a published (or exact) figure, the tolerance it is held
to, and the function that re-derives it through the library's own public paths.

A check's ``run(context)`` returns a ``Measurement``: our value, its uncertainty where it has one
(standard error over seeds or a bootstrap interval over architectures) and details. ``judge``
turns it into a status:

* ``within``:   |ours - reference| <= tolerance + Z x standard error
* ``at_least``: ours + Z x standard error >= reference - tolerance  (a target to reach)

with Z = 2, so that a reduced (``--quick``) measurement is not failed for its own sampling
error, and every named ``condition`` of the measurement must hold too.
"""
from __future__ import annotations

import math
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from nasbench_lab.checks.context import ValidationContext

MODES = ("quick", "full")
RULES = ("within", "at_least")
#: Standard errors of our own measurement allowed on top of the tolerance.
Z = 2.0
#: Rounding allowance of a comparison (a tolerance of 0.1 admits a gap of 0.1 computed in floats).
EPS = 1e-12
PASS, FAIL, ERROR, SKIPPED = "pass", "fail", "error", "skipped"


@dataclass
class Measurement:
    """What a check measured. ``stderr``: standard error of ``value`` (None: exact, or none
    known); ``interval``: a 95% interval to show beside it (e.g. a bootstrap interval);
    ``conditions``: named facts that must all hold for a pass; ``extra``: JSON-ready details;
    ``figure``: a file drawn for the check (relative to the output directory); ``reference``: the
    reference value when the check reads it from its source at run time."""

    value: float
    stderr: float | None = None
    interval: tuple[float, float] | None = None
    n: int | None = None
    detail: str = ""
    conditions: dict[str, bool] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    figure: str | None = None
    reference: float | None = None


@dataclass(frozen=True)
class Check:
    """A figure the library must reproduce. ``reference``: the published (or exact) value;
    ``spread``: its published +/- (a standard deviation over runs), if any; ``reproduces``:
    paper, table or figure; ``command``: the command that re-derives it; ``note``: what differs
    from the published protocol; ``seconds``: wall time per mode measured on the shared 2 cores, for the
    estimate printed before a run; ``label``: how to print the reference when a number alone does
    not say it. ``reference=None``: read at run time from its source (``Measurement.reference``)."""

    name: str
    family: str
    title: str
    reproduces: str
    reference: float | None
    tolerance: float
    run: Callable[["ValidationContext"], Measurement]
    command: str
    rule: str = "within"
    spread: float | None = None
    unit: str = ""
    digits: int = 3
    note: str = ""
    modes: tuple[str, ...] = MODES
    seconds: dict[str, float] = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"check {self.name}: rule must be one of {RULES}, got {self.rule!r}")
        if self.tolerance < 0 or not set(self.modes) <= set(MODES):
            raise ValueError(f"check {self.name}: tolerance must be >= 0 and modes within {MODES}")

    def reference_value(self, m: Measurement | None = None) -> float | None:
        """The reference: fixed, or read by the run (``Measurement.reference``)."""
        return self.reference if self.reference is not None else (m.reference if m is not None else None)

    def reference_text(self, m: Measurement | None = None) -> str:
        if self.label:
            return self.label
        ref = self.reference_value(m)
        if ref is None:
            return "read at run time"
        text = f"{ref:.{self.digits}f}" + (f" ± {self.spread:.{self.digits}f}" if self.spread is not None else "")
        return text + (f" {self.unit}" if self.unit else "")

    def tolerance_text(self, m: Measurement | None = None) -> str:
        if self.rule == "at_least":
            ref = self.reference_value(m)
            return "–" if ref is None else f"≥ {ref - self.tolerance:.{self.digits}f}"
        if self.tolerance <= 1e-9:
            return "exact"
        small = self.tolerance < 10 ** -self.digits
        return f"± {self.tolerance:.1g}" if small else f"± {self.tolerance:.{self.digits}f}"

    def judge(self, m: Measurement) -> tuple[str, str]:
        """(status, reason) of a measurement against this check's reference and tolerance."""
        ref = self.reference_value(m)
        if ref is None:
            return ERROR, "the check read no reference value"
        if not math.isfinite(m.value):
            return FAIL, f"measured value is {m.value}"
        slack = Z * m.stderr if m.stderr else 0.0
        d = self.digits + 1
        if self.rule == "within":
            gap = abs(m.value - ref)
            ok = gap <= self.tolerance + slack + EPS * max(1.0, abs(ref))
            reason = f"|ours - reference| = {gap:.{d}g}, allowed {self.tolerance + slack:.{d}g}"
        else:
            ok = m.value + slack >= ref - self.tolerance - EPS * max(1.0, abs(ref))
            reason = f"ours {m.value:.{d}g} + 2 s.e. {slack:.{d}g} against target {ref - self.tolerance:.{d}g}"
        failed = [name for name, holds in m.conditions.items() if not holds]
        if failed:
            return FAIL, "not met: " + "; ".join(failed)
        return (PASS if ok else FAIL), reason


@dataclass
class Result:
    """A check's outcome in one run of ``validate``."""

    check: Check
    mode: str
    status: str
    reason: str = ""
    measurement: Measurement | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    trace: str = ""  # the traceback of an unexpected exception (a bug, not a user's mistake)

    @property
    def ok(self) -> bool:
        return self.status in (PASS, SKIPPED)

    def ours_text(self) -> str:
        m, d = self.measurement, self.check.digits
        if m is None:
            return "–"
        text = f"{m.value:.{d}f}"
        if m.stderr:
            text += f" ± {m.stderr:.{d}f}"
        if m.interval is not None:
            text += f" [{m.interval[0]:.{d}f}, {m.interval[1]:.{d}f}]"
        return text

    def as_dict(self) -> dict[str, Any]:
        c, m = self.check, self.measurement
        return {
            "name": c.name, "family": c.family, "title": c.title, "reproduces": c.reproduces, "mode": self.mode,
            "reference": c.reference_value(m), "spread": c.spread, "tolerance": c.tolerance, "rule": c.rule,
            "unit": c.unit,
            "command": c.command, "note": c.note, "status": self.status, "reason": self.reason,
            "value": None if m is None else m.value, "stderr": None if m is None else m.stderr,
            "interval": None if m is None or m.interval is None else list(m.interval),
            "n": None if m is None else m.n, "detail": "" if m is None else m.detail,
            "conditions": {} if m is None else m.conditions, "extra": {} if m is None else m.extra,
            "figure": None if m is None else m.figure,
            "seconds": round(self.seconds, 3), "cpu_seconds": round(self.cpu_seconds, 3),
            **({"trace": self.trace} if self.trace else {}),
        }


def run_check(check: Check, context: "ValidationContext") -> Result:
    """Run one check in ``context.mode``, timing it (wall and CPU of this process and its
    finished children). A check that raises becomes an ``error`` with the one-line reason (and,
    for an unexpected exception, its traceback in ``validation.json``)."""
    if context.mode not in check.modes:
        return Result(check, context.mode, SKIPPED, f"runs only in {', '.join(check.modes)} mode")
    from nasbench_lab.errors import NasLabError

    wall, cpu, trace = time.perf_counter(), process_cpu_seconds(), ""
    try:
        m = check.run(context)
        status, reason = check.judge(m)
    except Exception as exc:  # noqa: BLE001 - reported as the check's error, the others still run
        m, status, reason = None, ERROR, f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        trace = "" if isinstance(exc, NasLabError) else traceback.format_exc()
    return Result(check, context.mode, status, reason, m, time.perf_counter() - wall,
                  process_cpu_seconds() - cpu, trace)


def process_cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have ended (worker pools)."""
    import os

    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


@dataclass
class Validation:
    """The outcome of one ``validate`` run."""

    mode: str
    results: list[Result]
    environment: dict[str, Any] = field(default_factory=dict)
    started: str = ""
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.results) for s in (PASS, FAIL, ERROR, SKIPPED)}

    @property
    def passed(self) -> bool:
        return all(r.ok for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "started": self.started, "passed": self.passed, "counts": self.counts(),
                "seconds": round(self.seconds, 3), "cpu_seconds": round(self.cpu_seconds, 3),
                "checks": [r.as_dict() for r in self.results], "environment": self.environment}
