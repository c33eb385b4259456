"""Packed tables: the columns of a few CSV tables over a finite space, stored exactly in one
compressed ``.npz`` that ships inside the package (``adapters/tables/nb201.npz``).

Rows are in the source files' order (for NB201: the official NAS-Bench-201 / NATS-Bench index);
``space_index`` maps each row to the space's own index. Every column is stored so that decoding
gives back, bit for bit, the float64 values ``pandas.read_csv`` reads from the source:

* ``decimal``: an integer mantissa (the smallest signed type that holds it) and, per value, the
  number of decimals ``e`` (uint8, at most ``MAX_DECIMALS``); value = ``mantissa / 10.0**e``
  (one correctly rounded division, the value the decimal text parses to);
* ``float32``: where every value survives the round trip through float32;
* ``float64``: everything else.

``meta`` (a JSON string) names the format, the space, the columns with their encodings and
arrays, and the source files' checksums. The file is read with ``allow_pickle=False`` (no code
runs from it) and checked in full when read; anything wrong is one ``BenchmarkFileError`` line.
``packed_bytes`` writes it deterministically (fixed member order and timestamps, fixed
compression level): the same columns give the same bytes.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from nasbench_lab.errors import BenchmarkFileError
from nasbench_lab.core.space import FiniteSpace

FORMAT = "nasbench-lab packed table 1"
MAX_DECIMALS = 9
_POW10 = np.array([float(10**k) for k in range(MAX_DECIMALS + 1)])  # exact powers of ten
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps: same columns, same bytes
_INTS = (np.int8, np.int16, np.int32, np.int64)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


def decode_column(encoding: str, arrays: Sequence[np.ndarray]) -> np.ndarray:
    """The float64 values of one stored column (``ValueError`` if the arrays do not fit the encoding)."""
    if encoding == "decimal" and len(arrays) == 2:
        mantissa, exponent = arrays
        if mantissa.dtype.kind != "i" or exponent.dtype.kind != "u" or mantissa.shape != exponent.shape:
            raise ValueError("a decimal column needs a signed integer mantissa and unsigned exponents of one shape")
        if exponent.size and int(exponent.max()) > MAX_DECIMALS:
            raise ValueError(f"a decimal exponent exceeds {MAX_DECIMALS}")
        return mantissa.astype(np.float64) / _POW10[exponent]
    if encoding in ("float32", "float64") and len(arrays) == 1 and arrays[0].dtype == np.dtype(encoding):
        return arrays[0].astype(np.float64)
    raise ValueError(f"arrays of dtypes {[str(a.dtype) for a in arrays]} do not form a {encoding!r} column")


def _as_decimal(x: np.ndarray) -> list[np.ndarray] | None:
    """``[mantissa, exponent]`` giving back exactly ``x``, or None when some value has more than
    ``MAX_DECIMALS`` decimals (or is too large for an exact integer mantissa)."""
    if not np.isfinite(x).all():
        return None
    exponent = np.full(x.shape, -1, dtype=np.int16)
    for k in range(MAX_DECIMALS, -1, -1):  # the fewest decimals that give the value back win
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = np.round(x * _POW10[k])
        exponent[(np.abs(scaled) < 2.0**53) & (scaled / _POW10[k] == x)] = k
    if (exponent < 0).any():
        return None
    mantissa = np.round(x * _POW10[exponent]).astype(np.int64)
    low, high = (int(mantissa.min()), int(mantissa.max())) if mantissa.size else (0, 0)
    dtype = next(t for t in _INTS if np.iinfo(t).min <= low and high <= np.iinfo(t).max)
    arrays = [mantissa.astype(dtype), exponent.astype(np.uint8)]
    return arrays if _same_bits(decode_column("decimal", arrays), x) else None


def encode_column(values: np.ndarray) -> tuple[str, list[np.ndarray]]:
    """The most compact exact encoding of a float64 column: ``decimal``, else ``float32``, else
    ``float64``; its decoded values equal ``values`` bit for bit."""
    x = np.ascontiguousarray(values, dtype=np.float64)
    decimal = _as_decimal(x)
    if decimal is not None:
        return "decimal", decimal
    with np.errstate(over="ignore"):
        single = x.astype(np.float32)
    if _same_bits(single.astype(np.float64), x):
        return "float32", [single]
    return "float64", [x]


def packed_bytes(columns: Mapping[str, Mapping[str, np.ndarray]], space_index: np.ndarray,
                 space: FiniteSpace, info: Mapping[str, Any]) -> bytes:
    """The packed file holding ``columns`` (source file name -> column name -> float64 values,
    rows in the sources' order), ``space_index`` (row -> space index) and ``info`` (provenance,
    stored in ``meta``), as deterministic bytes."""
    arrays: dict[str, np.ndarray] = {"space_index": np.asarray(space_index, dtype=np.int64)}
    low = next(t for t in _INTS if space.size - 1 <= np.iinfo(t).max)
    arrays["space_index"] = arrays["space_index"].astype(low)
    listed = []
    for file, by_name in columns.items():
        for name, values in by_name.items():
            encoding, parts = encode_column(values)
            key = f"{Path(file).stem}/{name}"
            keys = [key] if len(parts) == 1 else [key, f"{key}.exponent"]
            arrays.update(zip(keys, parts))
            listed.append({"file": file, "column": name, "encoding": encoding, "arrays": keys})
    meta = {**info, "format": FORMAT, "space": space.name, "rows": int(len(space_index)), "columns": listed}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for key, array in {"meta": np.array(json.dumps(meta, indent=1)), **arrays}.items():
            member = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            npy = io.BytesIO()
            np.lib.format.write_array(npy, array, allow_pickle=False)
            archive.writestr(member, npy.getvalue(), compresslevel=9)
    return buffer.getvalue()


@dataclass(frozen=True)
class PackedTable:
    """A packed file, decoded: ``values[file][column]`` is a float64 array by space index."""

    path: Path
    meta: dict[str, Any]
    values: dict[str, dict[str, np.ndarray]]

    def columns(self, file: str) -> list[str]:
        """The columns packed from source file ``file`` (empty if none)."""
        return list(self.values.get(file, {}))

    def column(self, file: str, name: str) -> np.ndarray:
        """One column by space index (``KeyError`` if it was not packed)."""
        return self.values[file][name]


def read_packed(path: Path, space: FiniteSpace) -> PackedTable:
    """Read and check a packed file in full; a missing, truncated or malformed file is a one-line
    ``BenchmarkFileError`` naming it."""
    path = Path(path)
    if not path.is_file():
        raise BenchmarkFileError(f"packed table not found: {path}")
    if not zipfile.is_zipfile(path):
        raise BenchmarkFileError(f"cannot read packed table {path}: not a zip archive (empty, truncated or another file)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"][()]))
            order = _space_order(npz["space_index"], meta, space)
            values: dict[str, dict[str, np.ndarray]] = {}
            for entry in meta["columns"]:
                decoded = decode_column(entry["encoding"], [npz[k] for k in entry["arrays"]])
                if decoded.shape != order.shape:
                    raise ValueError(f"column {entry['column']!r} has shape {decoded.shape}, expected {order.shape}")
                by_space = np.empty(space.size)
                by_space[order] = decoded
                values.setdefault(entry["file"], {})[entry["column"]] = by_space
    except BenchmarkFileError:
        raise
    except Exception as exc:  # truncated zip, bad CRC, missing member, wrong dtype or shape, bad JSON
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise BenchmarkFileError(f"cannot read packed table {path}: {type(exc).__name__}: {reason}") from None
    return PackedTable(path=path, meta=meta, values=values)


def _space_order(space_index: np.ndarray, meta: Any, space: FiniteSpace) -> np.ndarray:
    """``space_index`` checked against ``meta`` and the space: a permutation of its indices."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ValueError(f"format {found!r}, expected {FORMAT!r}")
    if meta.get("space") != space.name or meta.get("rows") != space.size:
        raise ValueError(f"it holds space {meta.get('space')!r} with {meta.get('rows')} rows, "
                         f"expected {space.name!r} with {space.size}")
    if space_index.dtype.kind not in "iu" or space_index.shape != (space.size,):
        raise ValueError(f"space_index has dtype {space_index.dtype} and shape {space_index.shape}")
    order = space_index.astype(np.int64)
    if order.min() < 0 or order.max() >= space.size or np.bincount(order, minlength=space.size).max() != 1:
        raise ValueError("space_index is not a permutation of the space's indices")
    return order
