"""Small benchmark files in the official NAS-Bench-201 / NATS-Bench schemas (nothing downloaded).

Every record is made with the APIs' own classes: one ``ResultsCount`` per trial (constructor,
``update_train_info``, ``update_OLD_eval``), gathered per architecture and hp in an
``ArchResults`` (``update``), and stored as ``ArchResults.state_dict()`` -- the dicts the APIs
turn back into objects with ``ArchResults.create_from_state_dict``. The containers are those
the APIs read:

* NAS-Bench-201 ``.pth``: ``torch.save({"meta_archs", "arch2infos": {k: {"less": 12-epoch
  state, "full": 200-epoch state}}, "evaluated_indexes"})``.
* NATS-Bench file: ``{"meta_archs", "total_archs", "arch2infos": {k: {hp: state}},
  "evaluated_indexes"}`` as ``nats_bench.pickle_save`` writes it (a bz2-compressed protocol-4
  pickle, ``<name>.pickle.pbz2``; written at bz2 level 1 instead of 9, which is twice as fast);
  hps "12"/"200" for tss, "12"/"90" for sss.
* NATS-Bench fast-mode directory (``pickle_save`` itself): ``meta.pickle.pbz2`` (``meta_archs``,
  no records) plus one ``{k:06d}.pickle.pbz2`` per architecture holding ``{hp: state}``.

``meta_archs`` always lists every architecture in the official order (topology: NB201 order
shuffled by ``random.seed(88)``; size: base-8 order). To stay small and fast, a trial keeps only
its last epoch's accuracies and losses (as ``update_OLD_eval`` allows) and the per-epoch times are
one shared dict per schedule (see below). Two kinds of content:

* ``datasets="cifar10"``: every architecture, but only the two records the CIFAR-10 protocol needs
  ('cifar10-valid' at hp "12", 'cifar10' at the full hp) -- the files a whole benchmark loads from.
* ``datasets="all"``: all four API datasets at both hps, for the architectures in ``indices`` only
  (e.g. ``partial_indices``) -- to check the cifar100 / ImageNet16-120 protocol value by value.

Per-epoch times (shared dicts, as ``reset_pseudo_train_times`` / ``reset_pseudo_eval_times``
write them) are in every 12-epoch record and in every size-space record (the NATS size API
divides by them); the 200-epoch topology records have none, which both topology APIs accept
(they report the times as ``None``) -- summing 200 per-epoch times per query would only slow the
tests down.

Values are synthetic and deterministic in the official index ``k``: a 12-epoch accuracy is about
10 points below the full-schedule one, validation, test and ori-test differ, and every fourth
(``"all"``) or sixteenth (``"cifar10"``) architecture has two trials (seeds 777 and 888, 1 point
and 10% latency apart) so averaging over trials is exercised. Costs (flops, params, latency in
seconds) are the same at every hp, as in the official files.
"""
from __future__ import annotations

import bz2
import collections
import itertools
import pickle
import random
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

TSS_FULL_HP, SSS_FULL_HP = "200", "90"
#: Evaluation sets of each API dataset (as in the official files).
SETS = {
    "cifar10-valid": ("x-valid", "ori-test"),
    "cifar10": ("ori-test",),
    "cifar100": ("x-valid", "x-test", "ori-test"),
    "ImageNet16-120": ("x-valid", "x-test", "ori-test"),
}
_DS_OFFSET = {"cifar10-valid": 0.0, "cifar10": 0.5, "cifar100": -20.0, "ImageNet16-120": -32.0}
_HP_OFFSET = {"01": -30.0, "12": -10.0, "90": -1.0, "200": 0.0}
_SET_OFFSET = {"train": 6.0, "x-valid": 0.0, "ori-test": 0.3, "x-test": 0.6}
_SEED_OFFSET = {777: 0.0, 888: 1.0}
_SSS_GENOTYPE = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
_CLASSES = {"cifar10-valid": 10, "cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}


# --------------------------------------------------------------------------- architectures


def topology_archs() -> list[str]:
    """The 15,625 NB201 / NATS tss cell strings in the official order."""
    ops = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
    archs = [
        "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*cell) for cell in itertools.product(ops, repeat=6)
    ]
    random.Random(88).shuffle(archs)
    return archs


def size_archs() -> list[str]:
    """The 32,768 NATS sss channel strings in the official order."""
    return [":".join(map(str, c)) for c in itertools.product(range(8, 65, 8), repeat=5)]


def partial_indices(total: int, count: int = 160, seed: int = 7) -> list[int]:
    """A fixed sample of official indices (always containing 0 and ``total - 1``)."""
    rng = np.random.default_rng(seed)
    picked = set(rng.choice(total, size=count - 2, replace=False).tolist()) | {0, total - 1}
    return sorted(int(i) for i in picked)


# --------------------------------------------------------------------------- values


def _unit(k: int, salt: int) -> float:
    return ((k * 2654435761 + salt * 40503) % 4294967296) / 4294967296


def accuracy(k: int, dataset: str, hp: str, setname: str, seed: int = 777) -> float:
    """The synthetic accuracy of one trial of the architecture at official index ``k``."""
    return (
        40.0 + 50.0 * _unit(k, 1) + _DS_OFFSET[dataset] + _HP_OFFSET[hp] + _SET_OFFSET[setname] + _SEED_OFFSET[seed]
    )


def costs(k: int, dataset: str) -> tuple[float, float, float]:
    """(flops in M, params in M, latency in seconds) of architecture ``k`` on ``dataset``."""
    flops = 5.0 + 200.0 * _unit(k, 2) + (1.0 if _CLASSES[dataset] > 10 else 0.0)
    params = flops / 120.0
    latency = 0.004 + 0.02 * _unit(k, 3)
    return flops, params, latency


def seeds_of(k: int, datasets: str = "all") -> tuple[int, ...]:
    """Trials of architecture ``k``: two for every 4th (``"all"``) / 16th (``"cifar10"``) one."""
    return (777, 888) if k % (4 if datasets == "all" else 16) == 0 else (777,)


# --------------------------------------------------------------------------- records

_TRAIN_TIMES: dict[int, dict] = {}
_EVAL_TIMES: dict[tuple, dict] = {}


def _train_times(epochs: int) -> dict:
    if epochs not in _TRAIN_TIMES:
        _TRAIN_TIMES[epochs] = collections.OrderedDict((i, 2.5) for i in range(epochs))
    return _TRAIN_TIMES[epochs]


def _eval_times(epochs: int, sets: Sequence[str]) -> dict:
    key = (epochs, tuple(sets))
    if key not in _EVAL_TIMES:
        _EVAL_TIMES[key] = {f"{name}@{i}": 0.25 for name in sets for i in range(epochs)}
    return _EVAL_TIMES[key]


def arch_results(lib, k: int, arch: str, hp: str, datasets: Iterable[str], size_space: bool,
                 seeds: Sequence[int] = (777,)):
    """One ``ArchResults`` of ``lib`` (``nats_bench.api_utils`` or ``nas_201_api``)."""
    epochs = int(hp)
    last = epochs - 1
    timed = size_space or hp == "12"
    info = lib.ArchResults(k, arch)
    for dataset in datasets:
        if size_space:
            config = {"name": "infer.shape.tiny", "channels": arch, "arch_str": arch,
                      "genotype": _SSS_GENOTYPE, "class_num": _CLASSES[dataset]}
        else:
            config = {"channel": 16, "num_cells": 5, "arch_str": arch, "class_num": _CLASSES[dataset]}
        flops, params, latency = costs(k, dataset)
        for seed in seeds:
            trial = lib.ResultsCount(dataset, None, None, None, params, flops, None, seed, epochs,
                                     [latency * (1.0 + 0.1 * _SEED_OFFSET[seed])])
            trial.arch_config = config
            loss = 1.0 + _unit(k, 4)
            trial.update_train_info({last: accuracy(k, dataset, hp, "train", seed)}, None, {last: loss},
                                    _train_times(epochs) if timed else None)
            for name in SETS[dataset]:
                trial.update_OLD_eval(name, {last: accuracy(k, dataset, hp, name, seed)}, {last: loss + 0.2})
            if timed:  # what reset_pseudo_eval_times writes, shared between trials to keep files small
                trial.eval_times = _eval_times(epochs, SETS[dataset])
            info.update(dataset, seed, trial)
    return info


def _hp_datasets(datasets: str, full_hp: str) -> dict[str, tuple[str, ...]]:
    if datasets == "cifar10":
        return {"12": ("cifar10-valid",), full_hp: ("cifar10",)}
    if datasets == "all":
        return {hp: tuple(SETS) for hp in ("12", full_hp)}
    raise ValueError(f"datasets must be 'cifar10' or 'all', got {datasets!r}")


def _records(lib, archs, indices, datasets, full_hp, size_space):
    hps = _hp_datasets(datasets, full_hp)
    for k in indices:
        yield k, collections.OrderedDict(
            (hp, arch_results(lib, k, archs[k], hp, ds, size_space, seeds_of(k, datasets)).state_dict())
            for hp, ds in hps.items()
        )


# --------------------------------------------------------------------------- files


def _space(kind: str) -> tuple[list[str], str, bool]:
    if kind == "tss":
        return topology_archs(), TSS_FULL_HP, False
    if kind == "sss":
        return size_archs(), SSS_FULL_HP, True
    raise ValueError(f"kind must be 'tss' or 'sss', got {kind!r}")


def write_nats_file(directory: Path, kind: str, datasets: str = "cifar10",
                    indices: Sequence[int] | None = None) -> Path:
    """A NATS-Bench benchmark file ``NATS-<kind>-fixture.pickle.pbz2`` (``fast_mode=False``)."""
    from nats_bench import api_utils

    archs, full_hp, size_space = _space(kind)
    indices = range(len(archs)) if indices is None else indices
    data = {
        "meta_archs": archs,
        "total_archs": len(archs),
        "arch2infos": dict(_records(api_utils, archs, indices, datasets, full_hp, size_space)),
        "evaluated_indexes": set(indices),
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"NATS-{kind}-fixture-{datasets}.pickle.pbz2"
    # What api_utils.pickle_save writes (a bz2-compressed protocol-4 pickle), at bz2 level 1
    # instead of 9: same format, about twice as fast for a file of every architecture.
    with bz2.BZ2File(path, "wb", compresslevel=1) as fh:
        pickle.dump(data, fh, protocol=4)
    return path


def write_nats_fast_dir(directory: Path, kind: str, indices: Sequence[int], datasets: str = "all") -> Path:
    """A NATS-Bench fast-mode directory with records for ``indices`` only."""
    from nats_bench import api_utils

    archs, full_hp, size_space = _space(kind)
    directory.mkdir(parents=True, exist_ok=True)
    meta = {"meta_archs": archs, "total_archs": len(archs), "arch2infos": None, "evaluated_indexes": set()}
    api_utils.pickle_save(meta, str(directory / "meta.pickle"))
    for k, record in _records(api_utils, archs, indices, datasets, full_hp, size_space):
        api_utils.pickle_save(record, str(directory / f"{k:06d}.pickle"))
    return directory


def write_nb201_pth(path: Path, datasets: str = "cifar10", indices: Sequence[int] | None = None) -> Path:
    """A NAS-Bench-201 ``.pth`` file for ``nas_201_api.NASBench201API``."""
    import nas_201_api
    import torch

    archs = topology_archs()
    indices = range(len(archs)) if indices is None else indices
    arch2infos = {
        k: {"less": record["12"], "full": record[TSS_FULL_HP]}
        for k, record in _records(nas_201_api, archs, indices, datasets, TSS_FULL_HP, False)
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"meta_archs": archs, "arch2infos": arch2infos, "evaluated_indexes": sorted(indices)}, path)
    return path
