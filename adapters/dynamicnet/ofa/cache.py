"""The trained supernet on disk: ``<cache>/ofa/<dataset>-<structure>-seed<S>-<key>.npz``.

The key is a sha256 of the dataset's identity (name and data fingerprint), the structure, the
schedule, the training options (seed included) and ``STORE_VERSION``. The file holds every
tensor of the supernet's ``state_dict`` (``w:<name>``) and a JSON ``meta`` string (what was
trained, wall and CPU seconds, the per-phase history); it is written to a temporary file, flushed
and renamed, so a reader sees it whole or not at all, and read with ``allow_pickle=False``.
Processes sharing the cache claim a key before training it (``nasbench_lab.infra.claims``, in
``<cache>/ofa/claims.sqlite``): a second process waits for the first one's file instead of
training the same supernet again (the claim of a dead process is taken over).
"""
from __future__ import annotations

import hashlib
import json
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from nasbench_lab.infra import cache_layout, claims
from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.files import write_npz

from .shrinking import Phase, TrainOptions, train_progressive
from .structure import OFAStructure
from .supernet import OFASupernet

STORE_VERSION = 1
SCOPE = "ofa-supernet"


def cache_key(structure: OFAStructure, data_id: str, phases: Sequence[Phase], options: TrainOptions,
              device: str = "cpu") -> str:
    """The supernet's key; one trained elsewhere than the CPU (``device``) is kept apart."""
    blob = json.dumps({"v": STORE_VERSION, "data": data_id, "structure": structure.describe(),
                       "phases": [p.as_dict() for p in phases], "options": options.__dict__,
                       **({"device": device} if device != "cpu" else {})}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def cache_path(cache_dir: Path, dataset: str, structure: OFAStructure, key: str, seed: int) -> Path:
    return cache_layout.ofa(cache_dir) / f"{dataset}-{structure.name}-seed{seed}-{key[:16]}.npz"


def save_supernet(net: OFASupernet, path: Path, meta: dict[str, Any]) -> None:
    """Write the weights and ``meta`` to ``path`` (temporary file, flush, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"w:{k}": v.detach().cpu().numpy() for k, v in net.state_dict().items()}
    write_npz(path, {"meta": np.array(json.dumps(meta)), **arrays})


def load_supernet(structure: OFAStructure, path: Path) -> tuple[OFASupernet, dict[str, Any]]:
    """The supernet saved in ``path`` and its meta; a ``NasLabError`` for an unreadable or mismatched file."""
    net = OFASupernet(structure)
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            state = {k[2:]: torch.from_numpy(data[k].copy()) for k in data.files if k.startswith("w:")}
        net.load_state_dict(state, strict=True)
    except FileNotFoundError:
        raise NasLabError(f"OFA supernet file not found: {path}") from None
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, KeyError, RuntimeError, EOFError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise NasLabError(f"cannot read the OFA supernet {path} ({reason}); delete it to train afresh") from None
    return net.eval(), meta


def trained_supernet(structure: OFAStructure, dataset: str, data_id: str, train: tuple, phases: Sequence[Phase],
                     options: TrainOptions, cache_dir: Path | None, log: Callable[[str], None] | None = None,
                     *, fresh: bool = False, device: str = "cpu") -> tuple[OFASupernet, dict[str, Any]]:
    """The supernet trained with ``phases`` on ``train``: read from the cache when there (unless
    ``fresh``), else trained (claimed first, so parallel processes train it once) and written to
    it. Without a ``cache_dir`` it is trained in memory. ``meta["loaded"]`` says whether it was read.
    Trained on torch ``device`` (a resolved name), returned on the CPU."""
    key = cache_key(structure, data_id, phases, options, device)
    if cache_dir is None:
        return _train(structure, dataset, data_id, train, phases, options, log, device)
    path = cache_path(cache_dir, dataset, structure, key, options.seed)
    conn = claims.open_database(path.parent / "claims.sqlite", "OFA supernet claims")
    try:
        for _ in claims.waiter(first=0.05, longest=2.0):
            if path.exists() and not fresh:
                net, meta = load_supernet(structure, path)
                return net, {**meta, "loaded": True, "path": str(path)}
            with claims.transaction(conn):
                taken, _ = claims.claim(conn, SCOPE, [key])
            if taken:
                break
        try:
            net, meta = _train(structure, dataset, data_id, train, phases, options, log, device)
            save_supernet(net, path, meta)
        finally:
            with claims.transaction(conn):
                claims.release(conn, SCOPE, [key])
    finally:
        conn.close()
    return net, {**meta, "path": str(path)}


def _train(structure, dataset, data_id, train, phases, options, log, device: str = "cpu") -> tuple[OFASupernet, dict[str, Any]]:
    start, cpu = time.perf_counter(), time.process_time()
    net = OFASupernet(structure, seed=options.seed).to(device)
    history = train_progressive(net, tuple(t.to(device) for t in train), phases, options, log)  # data moved once
    net.cpu()
    meta = {"dataset": dataset, "data": data_id, "structure": structure.describe(),
            "phases": [p.as_dict() for p in phases], "options": options.__dict__, "history": history,
            "seconds": round(time.perf_counter() - start, 3), "cpu_seconds": round(time.process_time() - cpu, 3),
            "trained_samples": int(len(train[1])), "loaded": False, **({"device": device} if device != "cpu" else {})}
    return net, meta
