"""Parallel execution and thread settings, shared by the runner, proxy tables and studies."""
from __future__ import annotations

import contextlib
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run with ``n`` PyTorch intra-op threads, restored afterwards; ``None`` leaves it alone."""
    if n is None:
        yield
        return
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"thread count must be an integer >= 1 or None, got {n!r}")
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def one_thread_worker() -> None:
    """Process-pool initialiser: one PyTorch thread per worker, so that results and speed do
    not depend on how many workers share the cores."""
    import torch

    torch.set_num_threads(1)


def default_jobs() -> int:
    """Worker processes to use when the user does not say: the cores, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


def parallel_map(
    fn: Callable[[T], R],
    items: Sequence[T],
    jobs: int = 1,
    *,
    initializer: Callable[[], None] | None = one_thread_worker,
    progress: Callable[..., Iterable[Any]] | None = None,
) -> Iterator[tuple[int, R]]:
    """Apply ``fn`` to every item, yielding ``(position, result)`` as each finishes.

    ``jobs <= 1`` runs in this process, in order (``initializer`` is not called: the caller's
    thread settings stay). Otherwise a process pool of ``jobs`` workers, each started with
    ``initializer``; ``fn`` and the items must be picklable. ``progress`` wraps the stream of
    finished items (e.g. ``tqdm``) and is called with ``total=len(items)``. An exception in
    ``fn`` is raised here, after the pool is shut down.
    """
    wrap = progress or (lambda it, **_: it)
    if jobs <= 1:
        for k in wrap(range(len(items)), total=len(items)):
            yield k, fn(items[k])
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=initializer) as pool:
        futures = {pool.submit(fn, item): k for k, item in enumerate(items)}
        try:
            for fut in wrap(as_completed(futures), total=len(futures)):
                yield futures[fut], fut.result()
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
