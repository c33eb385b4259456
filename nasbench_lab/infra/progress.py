"""Progress of long phases (supernet epochs, OFA phases, live-training epochs): a tqdm bar on
stderr with the time left, shown only on a terminal and not when the command line asked for
quiet output (``--no-progress``, ``--json``: ``quiet()`` sets ``NASBENCH_LAB_PROGRESS=0``,
which worker processes inherit)."""
from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, Iterator

PROGRESS_ENV = "NASBENCH_LAB_PROGRESS"


def enabled() -> bool:
    """False once ``quiet()`` (or ``NASBENCH_LAB_PROGRESS=0``) turned progress off."""
    return os.environ.get(PROGRESS_ENV, "1") != "0"


def bar(total: int, desc: str, unit: str = "step") -> Any:
    """A bar of ``total`` steps on stderr (``[elapsed<left, rate]``), disabled when stderr is
    not a terminal or progress is off; ``update()``, ``set_postfix_str()`` and ``close()``
    work either way."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True,
                disable=None if enabled() else True)


@contextlib.contextmanager
def quiet(on: bool = True) -> Iterator[None]:
    """Turn progress bars off (when ``on``) for the duration, in this process and its workers."""
    if not on:
        yield
        return
    before = os.environ.get(PROGRESS_ENV)
    os.environ[PROGRESS_ENV] = "0"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(PROGRESS_ENV, None)
        else:
            os.environ[PROGRESS_ENV] = before
