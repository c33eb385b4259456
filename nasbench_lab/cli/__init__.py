"""Command line: ``nasbench-lab leaderboard | list | query | report | pareto | proxy | predictor | validate | ofa``.

Each sub-command is a module of this package with ``register(subparsers, common)`` adding its
parser(s) with ``set_defaults(func=...)``; the function returns an exit code and raises
``NasLabError`` for user mistakes. One line per module in ``COMMAND_MODULES``.
"""
from __future__ import annotations

import argparse
import errno
import gc
import importlib
import sys
from typing import NoReturn, Sequence

from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.progress import quiet

from .args import HelpFormatter, add_common, example

COMMAND_MODULES: list[str] = ["leaderboard", "catalog", "report", "proxy", "predictor", "validate", "ofa"]


class UsageError(NasLabError):
    """A command line argparse refuses (unknown option, a word where a number belongs)."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one-line ``UsageError``s, like every other error;
    its help (and its sub-commands') shows defaults and keeps the example's lines."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def one_line(message: str) -> str:
    """``message`` on one line (a reason quoted from a library may hold line breaks)."""
    return " ".join(part.strip() for part in message.strip().splitlines() if part.strip())


def build_parser() -> argparse.ArgumentParser:
    from nasbench_lab.running.provenance import lab_version

    parser = Parser(prog="nasbench-lab", description="Run and validate NAS algorithms on tabular benchmarks.",
                    epilog=example("leaderboard --benchmark nb201/cifar10 --budget 100 --seeds 10 --out results/lb",
                                   "list", "COMMAND --help"))
    parser.add_argument("--version", action="version", version=f"nasbench-lab {lab_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{module}").register(sub, add_common)
    return parser


#: Write errors that are the machine's, not a bug: a full disk, a quota, a file size limit, a
#: read-only file system (one line, not a traceback).
FULL_DISK = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        with quiet(getattr(args, "no_progress", False) or getattr(args, "json", False)):
            return int(args.func(args) or 0)
    except NasLabError as exc:
        print(f"nasbench-lab: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno not in FULL_DISK:
            raise
        where = f" {exc.filename}" if exc.filename else ""
        print(f"nasbench-lab: error: cannot write{where}: {exc.strerror}; runs finished so far are kept", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nasbench-lab: interrupted; runs finished so far are kept", file=sys.stderr)
        return 130


def console() -> NoReturn:
    """The ``nasbench-lab`` command: ``main``, then exit with its status. Whatever is left in
    memory is frozen first (``gc.freeze``), so the interpreter's exit skips a last collection
    over every object the command made (0.25-0.35 s after a 1,200-run leaderboard; nothing it
    would free matters once the process ends). ``main`` alone, in a process that goes on,
    freezes nothing."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    console()
