"""``nats-tss`` and ``nats-sss``: NATS-Bench files through ``nats_bench.create``.

* ``nats-tss``: ``NATS-tss-v1_0-3ffb9.pickle.pbz2`` (a file: ``fast_mode=False``) or its
  ``-simple`` directory (a directory: ``fast_mode=True``) through ``nats_bench.create(.., 'tss')``.
* ``nats-sss``: the same for ``NATS-sss-v1_0-50262`` and ``nats_bench.create(.., 'sss')``.

The path comes from ``--benchmark-file NAME=PATH`` or ``$NASBENCH_LAB_NATS_TSS`` /
``$NASBENCH_LAB_NATS_SSS``; protocol, costs and caching are in ``official.convert``.
Trust: NATS-Bench files are plain pickles (``pickle.load``), so they must come from a source you
trust.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

from nasbench_lab.errors import BenchmarkFileError

from ..nats_size.space import NATSSizeSpace
from ..nb201.space import NB201Space
from .benchmark import make_spec
from .convert import PICKLE_EXT, OfficialSource


def _open_nats(kind: str, path: Path):
    import nats_bench  # looked up at call time so tests can replace ``create``

    fast = path.is_dir()
    if fast and not (path / f"meta.{PICKLE_EXT}").is_file():
        raise BenchmarkFileError(
            f"{path} is a directory but not a NATS-Bench fast-mode archive: it has no meta.{PICKLE_EXT}"
        )
    return nats_bench.create(str(path), kind, fast_mode=fast, verbose=False)


NATS_TSS_SOURCE = OfficialSource(
    name="nats-tss",
    title="NATS-Bench topology (tss) file",
    what="the NATS-Bench topology file (NATS-tss-v1_0-3ffb9.pickle.pbz2) or its fast-mode directory",
    space=NB201Space,
    full_hp="200",
    opener=partial(_open_nats, "tss"),
)
NATS_SSS_SOURCE = OfficialSource(
    name="nats-sss",
    title="NATS-Bench size (sss) file",
    what="the NATS-Bench size file (NATS-sss-v1_0-50262.pickle.pbz2) or its fast-mode directory",
    space=NATSSizeSpace,
    full_hp="90",
    opener=partial(_open_nats, "sss"),
)

NATS_TSS_SPEC = make_spec(NATS_TSS_SOURCE, "NATS-Bench topology space (official file or fast-mode directory), 15,625 cells")
NATS_SSS_SPEC = make_spec(NATS_SSS_SOURCE, "NATS-Bench size space (official file or fast-mode directory), 32,768 channel configurations")
