"""``nb201-official``: ``NAS-Bench-201-v1_*.pth`` through ``nas_201_api.NASBench201API``.

The file path comes from ``--benchmark-file nb201-official=PATH`` or ``$NASBENCH_LAB_NB201_FILE``
(``nasbench_lab.infra.settings.FILE_ENVS``); protocol, costs and caching are in ``official.convert``.

Trust: ``NASBench201API`` calls ``torch.load`` without ``weights_only``; since torch 2.6 that
means torch's pure-Python safe unpickler, which needs hours for the multi-GB official file. The
file is one the user named, so it is opened with torch's documented opt-out
(``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``, only for that call) unless the user has set
``TORCH_FORCE_WEIGHTS_ONLY_LOAD`` to insist on the safe (slow) loader.
"""
from __future__ import annotations

import contextlib
import os
import random
import warnings
from pathlib import Path
from typing import Iterator

from nasbench_lab.errors import BenchmarkFileError

from ..nb201.space import NB201Space
from .benchmark import make_spec
from .convert import OfficialSource

_TRUE = ("1", "y", "yes", "true")


def topology_official_order() -> list[str]:
    """The official index order of NAS-Bench-201 / NATS tss ``meta_archs``.

    The benchmark scripts enumerate the cells in NB201Space's base-5 order and shuffle them with
    ``random.seed(88)``; this reproduces it (index 0 is
    ``|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|``).
    """
    space = NB201Space()
    archs = [space.format(space.arch_at(i)) for i in range(space.size)]
    random.Random(88).shuffle(archs)
    return archs


@contextlib.contextmanager
def _trusted_torch_load() -> Iterator[None]:
    """Let ``torch.load`` calls without ``weights_only`` use the full unpickler (see module doc)."""
    if os.environ.get("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in _TRUE:
        yield
        return
    old = os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = "1"
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD.*")
            yield
    finally:
        if old is None:
            os.environ.pop("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", None)
        else:
            os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = old


def _open_nb201(path: Path):
    if path.is_dir():
        raise BenchmarkFileError(f"nb201-official expects the NAS-Bench-201 .pth file, got the directory {path}")
    import nas_201_api  # looked up at call time so tests can replace the constructor

    with _trusted_torch_load():
        return nas_201_api.NASBench201API(str(path), verbose=False)


NB201_SOURCE = OfficialSource(
    name="nb201-official",
    title="NAS-Bench-201 file",
    what="the NAS-Bench-201 file (NAS-Bench-201-v1_1-096897.pth)",
    space=NB201Space,
    full_hp="200",
    opener=_open_nb201,
)
NB201_OFFICIAL_SPEC = make_spec(NB201_SOURCE, "NAS-Bench-201 (official .pth through nas_201_api), 15,625 cells")
