"""CSV text of a small frame, exactly as ``DataFrame.to_csv(index=False)`` writes it, without
pandas' per-call overhead (about 2 ms for a 100-row run; this takes a tenth of that).

pandas turns each column into cells and hands the rows to ``csv.writer`` (minimal quoting,
``\\n`` line ends, missing values as empty cells): float64 cells are ``astype(str)``, which is
Python's shortest round-trip ``repr``; integers and booleans go through ``str``; strings stay
as they are. This module builds the same cells, as strings, and joins them directly when none
needs quoting, else hands them to ``csv.writer`` as pandas does. Columns of any other kind
(datetimes, categories, objects that are not strings, ...) make it call pandas itself.
"""
from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

_NEEDS_QUOTES = (",", '"', "\n", "\r")


def _texts(values: np.ndarray, fmt: Callable[[Any], str]) -> list[str]:
    """``fmt`` of each value; a column made of few runs of equal values (an incumbent, a seed)
    is formatted once per run (floats compared bit for bit: -0.0 is not 0.0)."""
    n = len(values)
    keys = values.view(np.int64) if values.dtype == np.float64 else values
    if n > 8:
        starts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
        if len(starts) < n // 4:
            starts = np.concatenate(([0], starts))
            texts = np.array(list(map(fmt, values[starts].tolist())), dtype=object)
            return np.repeat(texts, np.diff(np.append(starts, n))).tolist()
    return list(map(fmt, values.tolist()))


def _float_cells(values: np.ndarray) -> list[str] | None:
    if values.dtype != np.float64:
        return None
    cells = _texts(values, repr)
    if np.isnan(values).any():  # missing: an empty cell (repr gives "nan" for every NaN)
        cells = ["" if c == "nan" else c for c in cells]
    return cells


def _string_cells(column: pd.Series) -> list[str] | None:
    cells = column.tolist()
    if all(type(c) is str for c in cells):
        return cells
    if column.isna().any():
        cells = ["" if missing else c for c, missing in zip(cells, column.isna().tolist())]
        if all(type(c) is str for c in cells):
            return cells
    return None


def _cells(column: pd.Series) -> list | None:
    """The cells pandas would hand to ``csv.writer`` for ``column``; None when not handled."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind == "f":
            return _float_cells(column.to_numpy())
        if dtype.kind in "iub":
            return _texts(column.to_numpy(), str)
        if dtype.kind == "O":
            return _string_cells(column)
        return None
    import pandas as pd  # loaded already: the column is a pandas one

    if isinstance(dtype, pd.StringDtype):
        return _string_cells(column)
    return None


def frame_csv(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """``frame[columns].to_csv(index=False)``, byte for byte (``KeyError`` for a missing column)."""
    columns = list(columns)
    if not all(type(name) is str for name in columns):
        return frame[columns].to_csv(index=False)
    cells = []
    for name in columns:
        col = _cells(frame[name])
        if col is None:
            return frame[columns].to_csv(index=False)
        cells.append(col)
    return _joined(columns, cells)


def columns_csv(columns: Mapping[str, Any], order: Sequence[str]) -> str:
    """``pd.DataFrame(columns)[order].to_csv(index=False)``, byte for byte, without building the
    frame: ``columns`` maps names to 1-D arrays, lists of strings or single values (repeated
    down the column, as pandas broadcasts them). Anything else is handed to pandas."""
    order = list(order)
    lengths = {len(v) for v in columns.values() if isinstance(v, list) or (isinstance(v, np.ndarray) and v.ndim == 1)}
    if len(lengths) == 1 and all(type(name) is str for name in order):
        n = lengths.pop()
        cells = [_column_cells(columns[name], n) for name in order]  # KeyError for a missing column, as pandas
        if all(c is not None for c in cells):
            return _joined(order, cells)  # type: ignore[arg-type]
    import pandas as pd

    return frame_csv(pd.DataFrame(dict(columns)), order)


def _column_cells(value: Any, n: int) -> list[str] | None:
    """The cells of one column of ``columns_csv`` (None: left to pandas)."""
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            return None
        if value.dtype.kind == "f":
            return _float_cells(value)
        return _texts(value, str) if value.dtype.kind in "iub" else None
    if isinstance(value, list):
        return value if all(type(c) is str for c in value) else None
    if type(value) is str:
        return [value] * n
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return [str(value.item() if isinstance(value, np.generic) else value)] * n
    if isinstance(value, float):  # np.float64 too
        return ["" if value != value else repr(float(value))] * n
    return None


def _joined(columns: list[str], cells: list[list[str]]) -> str:
    """The CSV text of ``cells`` (one list per column) under the header ``columns``, quoted as
    ``csv.writer`` (and so pandas) quotes them."""
    text = "".join(columns) + "".join("".join(col) for col in cells)
    if len(columns) > 1 and not any(q in text for q in _NEEDS_QUOTES):
        return "\n".join([",".join(columns), *map(",".join, zip(*cells)), ""])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*cells))
    return buffer.getvalue()
