"""Parsing shared by the sub-commands: seeds, NAME.KEY=VALUE options, benchmark names, settings."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
from pathlib import Path
from typing import Any, Iterator, Sequence

from nasbench_lab.infra.settings import IMAGES_ENV, Settings
from nasbench_lab.errors import NasLabError
from nasbench_lab.running.request import MAX_SEED, MAX_SEEDS, repeated

DEFAULT_BENCHMARKS = ("nb201/cifar10", "nasbench-graph/cora")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Every option with a default shows it (``(default: ...)``, unless its help already says),
    options without one (None, a flag's False) show nothing; the epilog example keeps its lines."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        return text + " (default: %(default)s)"


def example(*lines: str) -> str:
    """The epilog of a sub-command: its example command line(s)."""
    return "example:\n" + "\n".join(f"  nasbench-lab {line}" for line in lines)


def add_common(p: argparse.ArgumentParser, *, data: bool = True, files: bool = True, options: bool = True,
               images: bool = False) -> None:
    """Options shared by sub-commands, each only where the command reads it: where data lives
    (``data``), official benchmark files (``files``), benchmark options of live benchmarks
    (``options``), image batches of data-dependent proxies (``images``); ``--json`` always."""
    if data:
        p.add_argument("--data-dir", help="directory of CSV tables (default: $NASBENCH_LAB_DATA)")
    if files:
        p.add_argument("--benchmark-file", action="append", metavar="NAME=PATH",
                       help="official benchmark file, e.g. nb201-official=NAS-Bench-201-v1_1-096897.pth")
    p.add_argument("--json", action="store_true", help="print one JSON line (for scripts)")
    if options:
        p.add_argument("--benchmark-option", action="append", metavar="BENCHMARK.NAME=VALUE",
                       help="benchmark option, e.g. a live benchmark's recipe: dynamicnet.epochs=5")
    if images:
        p.add_argument("--image-dir", help=f"image batches (CIFAR-10/100, ImageNet16 python format) for "
                                           f"data-dependent proxies (default: ${IMAGES_ENV}; without: a synthetic batch)")


def add_device(p: argparse.ArgumentParser, default: str | None = None, what: str = "training") -> None:
    """``--device``: the torch device of ``what`` (cpu, cuda, or auto: cuda when torch sees one)."""
    from nasbench_lab.infra.torch_device import DEVICES

    told = "each algorithm's and benchmark's own, cpu" if default is None else default
    p.add_argument("--device", choices=DEVICES, default=default,
                   help=f"torch device of {what}: cpu, cuda, or auto (cuda when torch sees one) (default: {told})")


def parse_seeds(text: str) -> list[int]:
    """``20`` -> 0..19; ``3,7,9`` -> those seeds; ``100-199`` -> that inclusive range. Seeds are
    whole numbers in [0, ``MAX_SEED``], each listed once, at most ``MAX_SEEDS``; a range runs
    upwards. Linear in the length of ``text``."""
    body = text.strip()
    span = re.fullmatch(r"\s*(-?\d{1,30})\s*-\s*(-?\d{1,30})\s*", body)
    try:
        if "," in body:
            parts = [s for s in body.split(",", MAX_SEEDS + 1) if s.strip()]
            if len(parts) > MAX_SEEDS:
                raise NasLabError(f"--seeds lists more than {MAX_SEEDS} seeds")
            seeds = [int(s) if len(s) <= 30 else _too_large(s) for s in parts]
        elif span:
            lo, hi = int(span[1]), int(span[2])
            if lo > hi:
                raise NasLabError(f"--seeds range {lo}-{hi} runs backwards: write {hi}-{lo}")
            _check_seed_range(lo, hi)
            seeds = list(range(lo, hi + 1))
        else:
            n = int(body) if len(body) <= 30 else _too_large(body)
            if n < 1 or n > MAX_SEEDS:
                raise NasLabError(f"--seeds must be a count of at least 1, got {n}" if n < 1 else
                                  f"--seeds asks for {n} seeds; at most {MAX_SEEDS}")
            return list(range(n))
    except ValueError:
        raise NasLabError(f"--seeds expects a count, a list like 1,2,3 or a range like 0-19; got {_shown(text)}") from None
    if not seeds:
        raise NasLabError(f"--seeds lists no seed: {text!r}")
    _check_seed_range(min(seeds), max(seeds))
    twice = repeated(seeds)
    if twice:
        raise NasLabError(f"--seeds lists seed {', '.join(map(str, twice[:10]))} more than once: {_shown(text)}")
    return seeds


def _shown(text: str, limit: int = 60) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def _long(text: str, limit: int = 200) -> str:
    """``text``, cut after ``limit`` characters."""
    return text if len(text) <= limit else text[:limit] + "..."


def _too_large(digits: str) -> int:
    """A seed written with more digits than any valid one has: out of range (not parsed)."""
    int(digits)  # a ValueError when it is not a number at all
    raise NasLabError(f"--seeds must be whole numbers in [0, {MAX_SEED}], got {_shown(digits.strip(), 30)}")


def _check_seed_range(lo: int, hi: int) -> None:
    if lo < 0:
        raise NasLabError(f"--seeds must be whole numbers >= 0, got {lo}")
    if hi > MAX_SEED:
        raise NasLabError(f"--seeds must be whole numbers in [0, {MAX_SEED}], got {hi}")
    if hi - lo + 1 > MAX_SEEDS:
        raise NasLabError(f"--seeds range {lo}-{hi} holds {hi - lo + 1} seeds; at most {MAX_SEEDS}")


def output_dir(path: str | os.PathLike, flag: str = "--out") -> Path:
    """Create directory ``path`` (and its parents) to write into, or a one-line error saying
    why it cannot be: a file in the way, a parent that cannot be created, no write permission."""
    path = Path(path)
    try:
        exists = path.exists()
    except OSError as exc:  # e.g. a name longer than the file system allows
        raise NasLabError(f"cannot create the {flag} directory {_long(str(path))}: {exc.strerror or exc}") from None
    if exists and not path.is_dir():
        raise NasLabError(f"{flag} {path} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NasLabError(f"cannot create the {flag} directory {_long(str(path))}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise NasLabError(f"{flag} directory {path} is not writable")
    return path


def output_file(path: str | os.PathLike, overwrite: bool, flag: str = "--out", *, create_parent: bool = True) -> Path:
    """``flag``: a new file name in a writable directory (created with ``create_parent``); an
    existing file only with ``--overwrite``, and never a directory, a symbolic link or another
    kind of file (a device)."""
    path = Path(path)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise NasLabError(f"{flag} {path} exists and is not a regular file: give a new file name")
    if path.exists() and not overwrite:
        raise NasLabError(f"{flag} {path} exists; pass --overwrite to replace it")
    if not create_parent and not path.parent.is_dir():
        raise NasLabError(f"{flag} {path}: give a file name in an existing, writable directory")
    output_dir(path.parent, flag)
    return path


def parse_names(text: str, flag: str) -> list[str]:
    """``a,b,c`` -> ["a", "b", "c"]; an empty list, or a name listed twice, is a one-line error."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise NasLabError(f"{flag} lists no name: {text!r}")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise NasLabError(f"{flag} lists {', '.join(twice)} more than once")
    return names


#: Request parameters (``nasbench_lab.running.pipeline``) -> the flags that set them.
FLAGS = {"budget": "--budget", "seeds": "--seeds", "jobs": "--jobs", "max_seconds": "--time-budget",
         "params": "--param", "settings.options": "--benchmark-option", "algorithms": "--algorithms",
         "benchmark": "--benchmark", "dataset": "--dataset"}
#: How a flag states its rule (else the library's sentence, with the flag for the parameter).
FLAG_RULES = {"budget": "must be at least 1 query", "jobs": "must be at least 1",
              "max_seconds": "must be a number of seconds > 0"}


@contextlib.contextmanager
def flag_errors() -> Iterator[None]:
    """Re-raise a ``ParameterError`` (a library error naming a parameter) naming its flag
    (``--`` + the parameter with dashes unless ``FLAGS`` says otherwise)."""
    from nasbench_lab.errors import ParameterError

    try:
        yield
    except ParameterError as exc:
        flag, text = FLAGS.get(exc.parameter, "--" + exc.parameter.replace("_", "-")), str(exc)
        if "." in exc.parameter and exc.parameter not in FLAGS:
            raise
        # an upper bound, or a budget of epochs, keeps its own sentence
        if exc.parameter in FLAG_RULES and text.startswith(f"{exc.parameter} must be") \
                and " at most " not in text and " epochs " not in text:
            text = f"{exc.parameter} {FLAG_RULES[exc.parameter]}, got {exc.value}"
        raise NasLabError(flag + text[len(exc.parameter):] if text.startswith(exc.parameter) else text) from None


def check_jobs(jobs: int) -> int:
    """``--jobs``: at least one worker process."""
    from nasbench_lab.running.request import check_jobs as check

    with flag_errors():
        return check(jobs)


def parse_dotted(items: Sequence[str], flag: str, owner: str) -> dict[str, dict[str, Any]]:
    """``OWNER.NAME=VALUE`` items -> {owner: {name: value}}; values are read as JSON when they
    parse, else kept as strings (the owner checks names and types). The owner is everything
    before the last dot, so benchmark names with dots (``table:x.json``) work."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, eq, raw = item.partition("=")
        head, dot, name = key.strip().rpartition(".")
        if not (eq and dot and head and name):
            raise NasLabError(f"{flag} expects {owner}.NAME=VALUE, got {item!r}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out.setdefault(head, {})[name] = value
    return out


def parse_params(items: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``re.population_size=20`` -> {"re": {"population_size": 20}}."""
    return parse_dotted(items, "--param", "ALGORITHM")


def split_benchmark(item: str) -> tuple[str, str | None]:
    """``name`` or ``name/dataset`` (a ``table:`` path may itself contain slashes)."""
    from nasbench_lab.running.request import split_benchmark as split

    with flag_errors():
        return split(item)


def resolve_benchmarks(items: list[str] | None, dataset: str | None) -> list[tuple[str, str | None]]:
    """The ``--benchmark`` entries (or the defaults), each with its dataset."""
    from nasbench_lab.core.loading import benchmark_spec

    if items:
        names = [split_benchmark(i.strip()) for entry in items for i in entry.split(",") if i.strip()]
        if not names:
            raise NasLabError(f"--benchmark lists no benchmark: {','.join(items)!r}")
        return [(b, d or dataset) for b, d in names]
    defaults = [split_benchmark(i) for i in DEFAULT_BENCHMARKS]
    if dataset is None:
        return defaults
    chosen = []
    for b, _ in defaults:
        try:
            chosen.append((b, benchmark_spec(b).resolve(dataset)))
        except NasLabError:
            continue
    if not chosen:
        raise NasLabError(f"no default benchmark has dataset {dataset!r}: pass --benchmark too")
    return chosen


def json_safe(value: Any) -> Any:
    """NaN (e.g. the regret of a live benchmark) -> None, so the JSON line stays valid JSON."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the common options, falling back on the environment variables."""
    files = {}
    for item in getattr(args, "benchmark_file", None) or []:
        name, eq, path = item.partition("=")
        if not eq:
            raise NasLabError(f"--benchmark-file expects NAME=PATH, got {item!r}")
        files[name] = path
    options = parse_dotted(getattr(args, "benchmark_option", None) or [], "--benchmark-option", "BENCHMARK")
    return Settings.from_env(data_dir=getattr(args, "data_dir", None), files=files, options=options,
                             image_dir=getattr(args, "image_dir", None))
