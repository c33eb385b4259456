"""Library errors that name a parameter, said again with the command-line flag that sets it."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Mapping

from nasbench_lab.errors import NasLabError, ParameterError

#: Parameters whose flag is not ``--`` + the name with dashes.
FLAGS: Mapping[str, str] = {"max_seconds": "--time-budget", "params": "--param", "algorithms": "--algorithms"}


def flag_of(parameter: str) -> str:
    return FLAGS.get(parameter, "--" + parameter.replace("_", "-"))


@contextmanager
def flag_errors() -> Iterator[None]:
    """Re-raise a ``ParameterError`` whose message starts with its parameter's name as the same
    message starting with the flag (``sample must be ...`` -> ``--sample must be ...``)."""
    try:
        yield
    except ParameterError as exc:
        text = str(exc)
        if not text.startswith(exc.parameter):
            raise
        raise NasLabError(flag_of(exc.parameter) + text[len(exc.parameter):]) from None
