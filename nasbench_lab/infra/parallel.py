"""Parallel execution and thread settings, shared by the runner, proxy tables and studies."""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import importlib
import os
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from functools import partial
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


#: Seconds between two looks of a worker's watch thread at its parent (the portable fallback).
PARENT_POLL_SECONDS = 0.2
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """In a worker process: end it when its parent ``parent`` dies (a driver killed by SIGKILL,
    a job scheduler or the OOM killer leaves no orphan computing on and holding its files).
    Linux: the kernel sends SIGKILL at the parent's death (``prctl(PR_SET_PDEATHSIG)``; strictly,
    when the thread that forked the worker ends: the pool's caller, which outlives its pool); everywhere
    (macOS too): a daemon thread that polls the parent pid and ends the process once it changes."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker_start(parent: int, initializer: Callable[[], None] | None) -> None:
    """Pool initialiser: die with the driver ``parent``, then the caller's ``initializer``."""
    die_with_parent(parent)
    if initializer is not None:
        initializer()


def import_in_background(*modules: str, then: str | None = None) -> threading.Thread:
    """Import ``modules`` in a daemon thread (e.g. the report's matplotlib and scipy while
    worker processes search), then call the function ``then`` names (``"module:function"``,
    e.g. a warm-up of the figure code); a later ``import`` waits for it or finds them loaded,
    and an import that fails here fails again there, with its error. Start it only once the
    worker processes exist: a process forked in the middle of an import could hang on its
    lock. Join it before the caller uses what it touches."""
    def run() -> None:
        try:
            for name in modules:
                importlib.import_module(name)
            if then is not None:
                module, _, function = then.partition(":")
                getattr(importlib.import_module(module), function)()
        except Exception:  # noqa: BLE001 - the caller's own import (or first use) reports it
            return

    thread = threading.Thread(target=run, name="import-in-background", daemon=True)
    thread.start()
    return thread


def default_jobs() -> int:
    """Worker processes to use when the user does not say: the cores, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


#: Seconds of work a batch of items sent to one worker aims at: long enough that the messages
#: between the driver and the workers cost little, short enough that a finished item reaches
#: the caller (e.g. the results store) soon after it finishes.
BATCH_SECONDS = 0.2


def _run_batch(fn: Callable[[T], R], batch: Sequence[T]) -> tuple[list[R], BaseException | None, float]:
    """In a worker: apply ``fn`` to each item of ``batch`` until one fails; the results so far,
    the failure (its worker traceback attached as a note) and the seconds spent."""
    start = time.perf_counter()
    results: list[R] = []
    try:
        for item in batch:
            results.append(fn(item))
    except Exception as exc:  # handed to the driver, raised there after the results before it
        exc.add_note("in a worker process:\n" + traceback.format_exc().rstrip())
        return results, exc, time.perf_counter() - start
    return results, None, time.perf_counter() - start


class _Batches:
    """Consecutive batches of item positions, sized from the seconds per item measured so far:
    one item each until a first batch returns, then about ``BATCH_SECONDS`` of work each, and
    never more than an even share of what remains, so no worker idles at the end."""

    def __init__(self, n: int, jobs: int) -> None:
        self.next, self.n, self.jobs = 0, n, jobs
        self.items_done, self.seconds = 0, 0.0

    def record(self, items: int, seconds: float) -> None:
        self.items_done += items
        self.seconds += seconds

    def take(self) -> list[int]:
        size = 1
        if self.items_done:
            per_item = self.seconds / self.items_done
            size = int(BATCH_SECONDS / per_item) if per_item > 0 else self.n
            size = max(1, min(size, (self.n - self.next) // (2 * self.jobs)))
        batch = list(range(self.next, min(self.n, self.next + size)))
        self.next += len(batch)
        return batch


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
    thread settings stay). Otherwise a process pool of ``jobs`` workers (never more than items), each started with
    ``initializer``; ``fn`` and the items must be picklable. Items travel to the workers in
    batches sized to about ``BATCH_SECONDS`` of work (one item at a time for slow items), so
    that many quick items do not cost one message each. ``progress`` wraps the stream of
    finished items (e.g. ``tqdm``) and is called with ``total=len(items)``. An exception in
    ``fn`` is raised here once the items finished before it are yielded and the pool is shut down.
    """
    wrap = progress or (lambda it, **_: it)
    if jobs <= 1:
        for k in wrap(range(len(items)), total=len(items)):
            yield k, fn(items[k])
        return
    yield from wrap(_pooled(fn, items, min(jobs, max(1, len(items))), initializer), total=len(items))


def _pooled(fn: Callable[[T], R], items: Sequence[T], jobs: int,
            initializer: Callable[[], None] | None) -> Iterator[tuple[int, R]]:
    batches = _Batches(len(items), jobs)
    start = partial(_worker_start, os.getpid(), initializer)
    with ProcessPoolExecutor(max_workers=jobs, initializer=start) as pool:
        running: dict[Future, list[int]] = {}

        def submit() -> None:
            while len(running) < 2 * jobs and batches.next < batches.n:
                positions = batches.take()
                running[pool.submit(_run_batch, fn, [items[k] for k in positions])] = positions

        try:
            submit()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                finished = [(running.pop(fut), *fut.result()) for fut in done]
                errors = [error for _, _, error, _ in finished if error is not None]
                for _, results, error, seconds in finished:
                    batches.record(len(results) + (error is not None), seconds)
                if not errors:  # the freed workers get their next batches before the caller handles these results
                    submit()
                for positions, results, _, _ in finished:
                    yield from zip(positions, results)
                if errors:
                    raise errors[0]
        except BaseException:
            for fut in running:
                fut.cancel()
            raise
