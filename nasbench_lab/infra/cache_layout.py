"""The layout of the cache directory (``Settings.cache_dir``, ``$NASBENCH_LAB_CACHE``), in one place.

Everything in it can be rebuilt: deleting the cache costs time, never a result (results, and
what a run produced, live in the results folder: ``nasbench_lab.running.store``).

* ``tables/``: converted tabular benchmarks (``nasbench_lab.core.table_cache``);
* ``official/``: arrays converted from the official benchmark files (``adapters/official``);
* ``proxies/``: zero-cost proxy scores (``scores.sqlite``) and complete proxy tables;
* ``live/``: a live benchmark's trained results and measured costs (``<name>.sqlite``,
  ``<name>-costs.sqlite``);
* ``ofa/``: trained Once-for-All supernets and their claims (``claims.sqlite``);
* ``checksums.json``: SHA-256 of benchmark data files, by path, size and mtime (``provenance``).
"""
from __future__ import annotations

import os
from pathlib import Path

#: Every sub-folder of the cache, by kind.
FOLDERS = {"tables": "tables", "official": "official", "proxies": "proxies", "live": "live", "ofa": "ofa"}
CHECKSUMS = "checksums.json"


def folder(cache_dir: str | os.PathLike, kind: str) -> Path:
    """The sub-folder of ``cache_dir`` holding ``kind`` (one of ``FOLDERS``)."""
    return Path(cache_dir) / FOLDERS[kind]


def tables(cache_dir: str | os.PathLike) -> Path:
    """Converted tabular benchmarks (``.npz``)."""
    return folder(cache_dir, "tables")


def official(cache_dir: str | os.PathLike) -> Path:
    """Arrays converted from official benchmark files (``.npz``)."""
    return folder(cache_dir, "official")


def proxies(cache_dir: str | os.PathLike) -> Path:
    """Proxy scores (``scores.sqlite``) and complete proxy tables (``.csv`` + ``.json``)."""
    return folder(cache_dir, "proxies")


def live(cache_dir: str | os.PathLike, name: str, part: str = "") -> Path:
    """The SQLite file of live benchmark ``name`` (``part``: e.g. ``"costs"``)."""
    return folder(cache_dir, "live") / (f"{name}-{part}.sqlite" if part else f"{name}.sqlite")


def ofa(cache_dir: str | os.PathLike) -> Path:
    """Trained OFA supernets (``.npz``) and ``claims.sqlite``."""
    return folder(cache_dir, "ofa")


def checksums(cache_dir: str | os.PathLike) -> Path:
    """The data-file checksum cache."""
    return Path(cache_dir) / CHECKSUMS
