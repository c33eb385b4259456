"""The per-run record of a one-shot search, written as JSON beside the cache (write then rename)."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def record_path(cache_dir: Path, benchmark: str, dataset: str | None, method: str, seed: int | None,
                hyperparameters: dict[str, Any]) -> Path:
    """``<cache>/oneshot/<benchmark>-<dataset>-<method>-seed<S>-<hash of hyper-parameters>.json``."""
    digest = hashlib.sha1(json.dumps(hyperparameters, sort_keys=True, default=str).encode()).hexdigest()[:10]
    name = f"{benchmark or 'benchmark'}-{dataset or 'default'}-{method}-seed{seed}-{digest}.json".replace("/", "_")
    return Path(cache_dir) / "oneshot" / name


def write_record(path: Path, record: dict[str, Any]) -> None:
    """Write ``record`` to ``path`` through a temporary file and a rename (whole or absent)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp",
                                     delete=False) as fh:
        json.dump(record, fh, indent=1, default=str)
        tmp = fh.name
    os.replace(tmp, path)
