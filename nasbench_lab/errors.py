"""User-facing errors: the CLI prints them as one line and exits non-zero."""


class NasLabError(Exception):
    """Base class for mistakes a user can fix (bad input, missing file, unknown name)."""


class ArchError(NasLabError, ValueError):
    """An architecture string or graph that is not a member of its search space."""


class UnknownNameError(NasLabError, ValueError):
    """An unknown benchmark, dataset, algorithm, operation or metric name."""


class BenchmarkFileError(NasLabError):
    """A benchmark file that is missing, unreadable or not in the expected schema."""


class TableError(NasLabError, ValueError):
    """A benchmark table with invalid content (NaN entries, wrong size, bad column)."""


class BudgetError(NasLabError, ValueError):
    """An invalid query budget (less than one query)."""


class BudgetExhausted(NasLabError):
    """A query past the budget: the oracle refuses it."""


class ParameterError(NasLabError, ValueError):
    """A bad value of one named parameter of a library call (``parameter``: its name, as the
    library spells it, e.g. ``sample``; ``value``: what was given). The CLI names the flag."""

    def __init__(self, parameter: str, message: str, value: object = None) -> None:
        super().__init__(message)
        self.parameter, self.value = parameter, value
