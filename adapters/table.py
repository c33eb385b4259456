"""``table``: any CSV or Parquet file(s) with an architecture-string column, mapped by a small
JSON declaration into a tabular benchmark.

Declaration::

    {"name": "...", "description": "...", "space": "nb201",
     "base": "data_dir" | "declaration",            # where relative paths are resolved
     "files": {"<alias>": {"path": "x.csv", "arch_column": "arch_str"}},
     "datasets": {"<dataset>": {
         "search": "<alias>:<column>", "report": "<alias>:<column>",
         "search_name": "...", "report_name": "...",       # optional (default: the columns)
         "metrics": {"<name>": "<alias>:<column>"},          # optional extra metrics
         "costs": {"<name>": "<alias>:<column>"}}}}           # optional costs
     "computed_costs": "<name>"   # optional: a registered cost function, dataset -> {cost: array by arch index}

A cost or metric entry may hold ``{}`` in both name and column: it then expands to every column
that matches (``"latency_ms:{}": "latency:{}_ms"`` gives one cost per device). Every
architecture of the space must appear exactly once in each file.

Cost names (declared, expanded and computed) must be in the vocabulary of ``nasbench_lab.core.costs``
(``params_m``, ``flops_m``, ``latency_ms``, ``latency_ms:<device>``, ``flash_kb``, ``peak_kb``): a declaration is checked
when it is read (a ``{}`` pattern stands for a device name), expanded and computed names when
the benchmark is built; an ``UnknownNameError`` names the bad one.

``computed_costs`` names a function of ``nasbench_lab.core.registry.COST_FUNCTIONS`` (built-in: ``nb201``,
the NB201 network's parameters and FLOPs; plug-ins: the ``nasbench_lab.cost_functions`` entry
points). It is never an import path: a value with ``:`` or an unknown name is refused when the
declaration is read, before anything runs.

``spec_from_declaration(path, packed=...)`` reads the declared files' columns from a packed table
(``adapters/packed_table.py``) instead: ``nb201`` is ``tables/nb201.json`` with its columns from
``tables/nb201.npz``, shipped in the package, so it needs no data directory.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nasbench_lab.core.benchmark import BenchmarkSpec, TabularBenchmark
from nasbench_lab.infra.files import check_regular, read_small_text
from nasbench_lab.infra.settings import Settings
from nasbench_lab.core.costs import check_cost, check_costs, is_cost
from nasbench_lab.errors import ArchError, BenchmarkFileError, TableError
from nasbench_lab.core.registry import COST_FUNCTIONS, make_space
from nasbench_lab.core.table_cache import cached_tabular

from .packed_table import FORMAT as PACKED_FORMAT, PackedTable, read_packed
from .table_declaration import check_declaration

if TYPE_CHECKING:
    import pandas as pd

SHIPPED = Path(__file__).parent / "tables"


#: The largest table declaration read (a declaration is a few hundred bytes).
MAX_DECLARATION_BYTES = 1 << 20


def read_declaration(path: Path) -> dict[str, Any]:
    try:
        decl = json.loads(read_small_text(path, MAX_DECLARATION_BYTES, "table declaration"))
    except FileNotFoundError:
        raise BenchmarkFileError(f"table declaration not found: {path}") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise BenchmarkFileError(f"cannot read table declaration {path}: {exc}") from None
    except RecursionError:
        raise BenchmarkFileError(f"cannot read table declaration {path}: nested too deeply") from None
    check_declaration(decl, str(path))
    for dataset, entry in decl["datasets"].items():
        for name in entry.get("costs", {}):
            if not is_cost(name.replace("{}", "device")):  # a pattern stands for a device name
                check_cost(name, f"table declaration {path}, dataset {dataset!r}")
    if decl.get("computed_costs"):
        check_cost_function(decl["computed_costs"], f"table declaration {path}")
    return decl


def check_cost_function(name: Any, where: str) -> str:
    """``name`` if it is a registered cost function; else a ``TableError`` listing the registered
    names (an import path such as ``"os:system"`` is refused without importing anything)."""
    if not isinstance(name, str) or ":" in name or name not in COST_FUNCTIONS:
        raise TableError(f"{where}: computed_costs {name!r} is not a registered cost function "
                         f"(import paths are not accepted); choose from: {', '.join(COST_FUNCTIONS.names())}")
    return name


def _read_frame(path: Path) -> pd.DataFrame:
    import pandas as pd  # here, not at the top: a load from the converted cache needs no pandas

    if not path.exists():
        raise BenchmarkFileError(f"table file not found: {path}")
    check_regular(path, "table file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except Exception as exc:
        raise BenchmarkFileError(f"cannot read table file {path}: {exc}") from None


def _indexed_frame(path: str, arch_column: str, space_name: str) -> tuple[np.ndarray, pd.DataFrame]:
    """The file and, per row, the space index of its architecture string (cached while the
    file is unchanged)."""
    try:
        stat = Path(path).stat()
    except OSError:
        raise BenchmarkFileError(f"table file not found: {path}") from None
    return _indexed_frame_cached(path, arch_column, space_name, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _indexed_frame_cached(
    path: str, arch_column: str, space_name: str, mtime_ns: int, size: int
) -> tuple[np.ndarray, pd.DataFrame]:
    frame = _read_frame(Path(path))
    if arch_column not in frame.columns:
        raise TableError(f"{path} has no architecture column {arch_column!r}; columns: {', '.join(map(str, frame.columns))}")
    space = make_space(space_name)
    index = np.empty(len(frame), dtype=np.int64)
    for row, text in enumerate(frame[arch_column]):
        try:
            index[row] = space.index(space.parse(text))
        except ArchError as exc:
            raise TableError(f"{path} row {row}: {exc}") from None
    if np.unique(index).size != index.size:
        raise TableError(f"{path} lists some architectures more than once")
    return index, frame


class _Resolver:
    """Columns named ``"<file alias>:<column>"``, read from the declared CSV/Parquet files, or,
    with ``packed``, from a packed table holding those files' columns (``packed_table``)."""

    def __init__(self, decl: dict[str, Any], root: Path | None, label: str,
                 packed: PackedTable | None = None) -> None:
        self.decl, self.root, self.label, self.packed = decl, root, label, packed
        self.space = make_space(decl["space"])
        self.files: dict[Path, None] = {}  # every file read, in order (``data_files()``)
        if packed is not None:
            self.files[packed.path] = None

    def _packed_file(self, alias: str) -> str:
        """The source file name (the declared path) whose columns ``packed`` holds for ``alias``."""
        files = self.decl["files"]
        if alias not in files:
            raise TableError(f"{self.label}: unknown file alias {alias!r}; declared: {', '.join(files)}")
        return files[alias]["path"]

    def path(self, alias: str) -> tuple[Path, str]:
        files = self.decl["files"]
        if alias not in files:
            raise TableError(f"{self.label}: unknown file alias {alias!r}; declared: {', '.join(files)}")
        entry = files[alias]
        path = Path(entry["path"])
        if not path.is_absolute():
            if self.root is None:
                raise BenchmarkFileError(
                    f"benchmark {self.label!r} reads {path} from the data directory: "
                    "pass --data-dir or set NASBENCH_LAB_DATA"
                )
            path = self.root / path
        self.files[path] = None
        return path, entry["arch_column"]

    def column(self, ref: str) -> np.ndarray:
        alias, _, column = ref.partition(":")
        if self.packed is not None:
            file = self._packed_file(alias)
            if column not in self.packed.columns(file):
                raise TableError(f"{self.packed.path} holds no column {column!r} of {file}")
            return self.packed.column(file, column)
        import pandas as pd  # here: a packed table needs no pandas

        path, arch_column = self.path(alias)
        index, frame = _indexed_frame(str(path), arch_column, self.decl["space"])
        if column not in frame.columns:
            raise TableError(f"{path} has no column {column!r}")
        values = np.full(self.space.size, np.nan)
        try:
            values[index] = pd.to_numeric(frame[column], errors="raise").to_numpy(dtype=float)
        except (ValueError, TypeError) as exc:
            raise TableError(f"{path} column {column!r} is not numeric: {exc}") from None
        return values

    def expand(self, mapping: dict[str, str]) -> dict[str, str]:
        """Expand ``{}`` patterns against the columns of the referenced file."""
        out: dict[str, str] = {}
        for name, ref in mapping.items():
            alias, _, column = ref.partition(":")
            if "{}" not in column:
                out[name] = ref
                continue
            pattern = re.compile("^" + re.escape(column).replace(r"\{\}", "(.+)") + "$")
            for col in self.columns(alias):
                m = pattern.match(str(col))
                if m:
                    out[name.replace("{}", m.group(1))] = f"{alias}:{col}"
        return out

    def columns(self, alias: str) -> list[str]:
        """The column names of the file ``alias``, in the file's order."""
        if self.packed is not None:
            return self.packed.columns(self._packed_file(alias))
        path, arch_column = self.path(alias)
        _, frame = _indexed_frame(str(path), arch_column, self.decl["space"])
        return [str(c) for c in frame.columns]


def build(decl: dict[str, Any], dataset: str, settings: Settings, decl_dir: Path | None,
          packed: PackedTable | None = None) -> TabularBenchmark:
    """The benchmark ``decl`` declares for ``dataset``, its columns read from the declared files,
    or from ``packed`` when given (then no file is read from the data directory)."""
    label = decl["name"]
    root = settings.data_dir if decl.get("base", "declaration") == "data_dir" else decl_dir
    res = _Resolver(decl, root, label, packed)
    entry = decl["datasets"][dataset]
    search_name = entry.get("search_name", entry["search"].partition(":")[2])
    report_name = entry.get("report_name", entry["report"].partition(":")[2])
    metrics = {search_name: entry["search"], report_name: entry["report"]}
    metrics.update(res.expand(entry.get("metrics", {})))
    costs = res.expand(entry.get("costs", {}))
    arrays = {name: res.column(ref) for name, ref in {**metrics, **costs}.items()}
    if decl.get("computed_costs"):  # a registered name: dataset -> {cost name: array by space index}
        function = COST_FUNCTIONS.get(check_cost_function(decl["computed_costs"], f"benchmark {label!r}"))
        computed = {k: v for k, v in function(dataset).items() if k not in arrays}
        arrays.update(computed)
        costs = {**costs, **dict.fromkeys(computed, "")}
    check_costs(costs, f"benchmark {label!r}/{dataset}")
    return TabularBenchmark(
        name=label,
        dataset=dataset,
        space=res.space,
        metrics=arrays,
        search_metric=search_name,
        report_metric=report_name,
        costs=tuple(costs),
        note=decl.get("note", ""),
        files=list(res.files),
    )


def source_paths(decl: dict[str, Any], settings: Settings, decl_dir: Path | None) -> list[Path]:
    """Every file a declaration reads, resolved (``OSError`` when a relative path has no base)."""
    root = settings.data_dir if decl.get("base", "declaration") == "data_dir" else decl_dir
    paths = [Path(entry["path"]) for entry in decl["files"].values()]
    if root is None and not all(p.is_absolute() for p in paths):
        raise FileNotFoundError("no base directory for the declaration's relative paths")
    return [p if p.is_absolute() else Path(root) / p for p in paths]


def load_cached(decl: dict[str, Any], dataset: str, settings: Settings, decl_dir: Path | None) -> TabularBenchmark:
    """``build``, converted once into ``nasbench_lab.core.table_cache`` (keyed by the declaration and
    its files), so later loads read one ``.npz``: no CSV parsing, no computed-cost import."""
    try:
        sources = source_paths(decl, settings, decl_dir)
    except (OSError, KeyError, TypeError, AttributeError):
        return build(decl, dataset, settings, decl_dir)  # build names what is wrong
    return cached_tabular(lambda: build(decl, dataset, settings, decl_dir), name=decl["name"], dataset=dataset,
                          space=make_space(decl["space"]), sources=sources, recipe=decl,
                          cache_dir=settings.cache_dir)


def load_packed(decl: dict[str, Any], dataset: str, settings: Settings, packed: Path) -> TabularBenchmark:
    """``build`` with the declared files' columns read from the packed table ``packed`` (nothing
    is read from the data directory), converted once into ``nasbench_lab.core.table_cache`` like
    ``load_cached`` (keyed by the packed file), so later loads import no torch."""
    space = make_space(decl["space"])
    return cached_tabular(lambda: build(decl, dataset, settings, None, read_packed(packed, space)),
                          name=decl["name"], dataset=dataset, space=space, sources=[packed],
                          recipe={"declaration": decl, "packed": PACKED_FORMAT}, cache_dir=settings.cache_dir)


def spec_from_declaration(path: str | Path, name: str | None = None, packed: Path | None = None) -> BenchmarkSpec:
    """A benchmark spec for a declaration file (``--benchmark table:<path>``); with ``packed``,
    the declared files' columns come from that packed table instead (``adapters/packed_table.py``)."""
    path = Path(path)
    decl = read_declaration(path)
    first = next(iter(decl["datasets"].values()))
    description = decl.get("description", f"table declared in {path}")
    if packed is None:
        load = partial(load_cached, decl, decl_dir=path.parent)
        needs = "--data-dir / NASBENCH_LAB_DATA" if decl.get("base") == "data_dir" else ""
    else:
        load = partial(load_packed, decl, packed=packed)
        description, needs = f"{description} (table shipped in the package: {packed.name})", ""
    return BenchmarkSpec(
        name=name or decl["name"],
        description=description,
        datasets=tuple(decl["datasets"]),
        load=load,
        search_metric=first.get("search_name", first["search"]),
        report_metric=first.get("report_name", first["report"]),
        costs=tuple(first.get("costs", {})),
        note=decl.get("note", ""),
        needs=needs,
    )


#: ``nb201``: the papers' protocol, from the tables shipped in the package (``nb201.npz``, built
#: by ``experiments/build_nb201_tables.py`` from the CSVs ``nb201.json`` declares); the
#: declaration itself still reads those CSVs from a data directory (``table:<path>``).
NB201_PACKED = SHIPPED / "nb201.npz"
NB201_SPEC = spec_from_declaration(SHIPPED / "nb201.json", packed=NB201_PACKED)
