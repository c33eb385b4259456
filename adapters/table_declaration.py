"""The shape of a table declaration (``--benchmark table:<declaration.json>``), checked once when
it is read, so that a missing or mistyped key is a one-line error naming it, not a traceback."""
from __future__ import annotations

from typing import Any

from nasbench_lab.errors import BenchmarkFileError

BASES = ("declaration", "data_dir")


def check_declaration(decl: Any, where: str) -> None:
    """Raise ``BenchmarkFileError`` naming the first key of ``decl`` that is missing or of the
    wrong type (``where``: the declaration's path, for the message)."""

    def fail(what: str) -> None:
        raise BenchmarkFileError(f"table declaration {where}: {what}")

    if not isinstance(decl, dict):
        fail(f"expected a JSON object, got {type(decl).__name__}")
    for key in ("name", "space", "files", "datasets"):
        if key not in decl:
            fail(f"lacks the key {key!r}")
    for key in ("name", "space", "description", "note", "computed_costs"):
        if key in decl and not (isinstance(decl[key], str) and decl[key].strip()):
            fail(f"{key!r} must be a non-empty string, got {decl[key]!r}")
    if decl.get("base", "declaration") not in BASES:
        fail(f"'base' must be one of {', '.join(repr(b) for b in BASES)}, got {decl['base']!r}")
    files = decl["files"]
    if not isinstance(files, dict) or not files:
        fail("'files' must map aliases to {\"path\": ..., \"arch_column\": ...}")
    for alias, entry in files.items():
        if not isinstance(entry, dict):
            fail(f"files.{alias} must be an object with 'path' and 'arch_column', got {entry!r}")
        for key, meaning in (("path", "the table file"), ("arch_column", "the column of architecture strings")):
            if key not in entry:
                fail(f"files.{alias} lacks {key!r} ({meaning})")
            if not (isinstance(entry[key], str) and entry[key].strip()):
                fail(f"files.{alias}.{key} must be a non-empty string, got {entry[key]!r}")
    datasets = decl["datasets"]
    if not isinstance(datasets, dict) or not datasets:
        fail("'datasets' must map at least one dataset name to its metrics")
    for dataset, entry in datasets.items():
        _check_dataset(dataset, entry, files, fail)


def _check_dataset(dataset: str, entry: Any, files: dict, fail) -> None:
    here = f"datasets.{dataset}"
    if not isinstance(entry, dict):
        fail(f"{here} must be an object with 'search' and 'report', got {entry!r}")
    for key in ("search", "report"):
        if key not in entry:
            fail(f"{here} lacks {key!r} (\"<file alias>:<column>\")")
        _check_ref(f"{here}.{key}", entry[key], files, fail)
    for key in ("search_name", "report_name"):
        if key in entry and not (isinstance(entry[key], str) and entry[key].strip()):
            fail(f"{here}.{key} must be a non-empty string, got {entry[key]!r}")
    for key in ("metrics", "costs"):
        mapping = entry.get(key, {})
        if not isinstance(mapping, dict):
            fail(f"{here}.{key} must map names to \"<file alias>:<column>\", got {mapping!r}")
        for name, ref in mapping.items():
            _check_ref(f"{here}.{key}.{name}", ref, files, fail)


def _check_ref(where: str, ref: Any, files: dict, fail) -> None:
    alias, colon, column = ref.partition(":") if isinstance(ref, str) else ("", "", "")
    if not (colon and column):
        fail(f"{where} must be \"<file alias>:<column>\", got {ref!r}")
    if alias not in files:
        fail(f"{where} names the file alias {alias!r}; declared: {', '.join(files)}")
