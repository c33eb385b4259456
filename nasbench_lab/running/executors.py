"""Executors: where the runs go. One job each: given a function and items, yield
``(position, result)`` as each finishes.

* ``LocalExecutor(jobs)``: this machine, ``nasbench_lab.infra.parallel.parallel_map`` (in this
  process for ``jobs=1``, else a process pool).
* ``RayExecutor(address)``: Ray tasks on a cluster (``address``: the cluster to join, e.g.
  ``"auto"`` or ``"10.0.0.1:6379"``; ``None``: a local Ray started with ``num_cpus``).
  ``ray`` is an optional extra (``pip install "nasbench-lab[ray]"``), imported only here and
  only when a Ray executor is made.

Executors only compute: the caller keeps whatever it writes (the results store commits each
result as it arrives, in the driver process).
"""
from __future__ import annotations

import logging
import socket
from functools import partial
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence, TypeVar

from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.parallel import parallel_map
from nasbench_lab.running.request import RequestError, check_jobs

T = TypeVar("T")
R = TypeVar("R")

EXECUTORS = ("local", "ray")
RAY_INSTALL = "pip install 'nasbench-lab[ray]' (or pip install 'ray>=2.9')"

__all__ = ["EXECUTORS", "Executor", "LocalExecutor", "RayExecutor", "make_executor"]


class Executor(Protocol):
    """Places work: ``map`` yields ``(position, result)`` in completion order."""

    name: str
    #: True when ``fn`` runs in the calling process (callbacks such as progress hooks work).
    in_process: bool

    def start(self) -> None: ...

    def map(self, fn: Callable[[T], R], items: Sequence[T], *,
            progress: Callable[..., Iterable[Any]] | None = None) -> Iterator[tuple[int, R]]: ...
    # LocalExecutor and RayExecutor also take ``initializer=``: called once per worker before
    # this map's items (e.g. to install a resolved plan), after the executor's own.

    def close(self) -> None: ...


class LocalExecutor:
    """This machine: ``jobs`` worker processes (``1``: in this process, in order)."""

    name = "local"

    def __init__(self, jobs: int = 1, initializer: Callable[[], None] | None = None) -> None:
        self.jobs, self.initializer = check_jobs(jobs), initializer

    @property
    def in_process(self) -> bool:
        return self.jobs <= 1

    def start(self) -> None:
        """Nothing to start: the pool lives for one ``map``."""

    def map(self, fn, items, *, progress=None, initializer=None):
        """``initializer``: called in each worker process before its first item (after the
        executor's own); not called for ``jobs=1`` (the caller hands ``fn`` what it needs)."""
        return parallel_map(fn, items, self.jobs, initializer=_chain(self.initializer, initializer), progress=progress)

    def close(self) -> None:
        pass

    def __enter__(self) -> "LocalExecutor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LocalExecutor(jobs={self.jobs})"


def _chain(first: Callable[[], None] | None, second: Callable[[], None] | None) -> Callable[[], None] | None:
    """One initialiser calling ``first`` then ``second`` (either may be missing)."""
    if first is None or second is None:
        return first or second
    return partial(_call_both, first, second)


def _call_both(first: Callable[[], None], second: Callable[[], None]) -> None:
    first()
    second()


def import_ray() -> Any:
    """The ``ray`` module, or a one-line ``NasLabError`` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise NasLabError(f"--executor ray needs Ray, which is not installed: {RAY_INSTALL}") from None
    return ray


def check_address(address: str, timeout: float = 10.0) -> None:
    """A ``HOST:PORT`` that nothing answers on gives a one-line error here (Ray itself would keep
    retrying for minutes). ``auto``, ``local`` and ``ray://`` addresses are left to Ray."""
    if address in ("auto", "local") or "://" in address:
        return
    host, sep, port = address.rpartition(":")
    if not (sep and host and port.isdigit()):
        raise NasLabError(f"--address must be auto or HOST:PORT (e.g. 10.0.0.1:6379), got {address!r}")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise NasLabError(f"cannot reach a Ray cluster at {address}: {exc.strerror or exc}") from None


def _call(fn: Callable[[T], R], item: T, initializer: Callable[[], None] | None) -> R:
    """The body of one Ray task."""
    if initializer is not None:
        initializer()
    return fn(item)


class RayExecutor:
    """Ray tasks (one CPU each), submitted up to ``window`` at a time and collected with
    ``ray.wait`` as they finish.

    ``address``: a running cluster to join (``"auto"``: the one started by ``ray start`` on
    this machine, or ``host:port``); ``None``: start a local Ray with ``num_cpus`` CPUs. Ray is
    started on the first ``map`` and stopped by ``close`` only if this executor started it; an
    already initialised Ray session (e.g. ``ray.init`` in a test or notebook) is used as it is.
    """

    name = "ray"
    in_process = False

    def __init__(self, address: str | None = None, num_cpus: int | None = None, *,
                 initializer: Callable[[], None] | None = None, window: int | None = None) -> None:
        if address is not None and (not isinstance(address, str) or not address.strip()):
            raise NasLabError(f"--address must be a Ray cluster address such as auto or 10.0.0.1:6379, got {address!r}")
        if num_cpus is not None and (isinstance(num_cpus, bool) or not isinstance(num_cpus, int) or num_cpus < 1):
            raise NasLabError(f"num_cpus must be an integer >= 1, got {num_cpus!r}")
        if window is not None and window < 1:
            raise NasLabError(f"window must be >= 1, got {window!r}")
        self.ray = import_ray()
        self.address, self.num_cpus, self.initializer, self.window = address, num_cpus, initializer, window
        self._started = False

    def start(self) -> None:
        """Join the cluster (or start the local one) unless Ray is already initialised here."""
        ray = self.ray
        if ray.is_initialized():
            return
        kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING,
                                  "configure_logging": True}
        if self.address is None:  # "local": never attach to a cluster found on this machine
            kwargs.update(address="local", num_cpus=self.num_cpus)
        else:
            check_address(self.address)
            kwargs.update(address=self.address)
        try:
            ray.init(**kwargs)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            where = self.address or "a local Ray"
            raise NasLabError(f"cannot start or join Ray at {where}: {str(exc).splitlines()[0]}") from None
        self._started = True

    def _window(self) -> int:
        if self.window is not None:
            return self.window
        cpus = int(self.ray.cluster_resources().get("CPU", 1))
        return max(8, 4 * cpus)

    def map(self, fn, items, *, progress=None, initializer=None):
        """``initializer``: called before each task (after the executor's own); it should be
        cheap when repeated in the same worker (e.g. ``pipeline.install_plan``)."""
        wrap = progress or (lambda it, **_: it)
        return iter(wrap(self._results(fn, items, _chain(self.initializer, initializer)), total=len(items)))

    def _results(self, fn: Callable[[T], R], items: Sequence[T],
                 initializer: Callable[[], None] | None) -> Iterator[tuple[int, R]]:
        if not items:
            return
        self.start()
        ray = self.ray
        task = ray.remote(num_cpus=1, max_retries=0)(_call)
        fn_ref = ray.put(fn)  # sent once, shared by every task
        init_ref = ray.put(initializer)
        window = self._window()
        pending: dict[Any, int] = {}
        following = 0
        try:
            while following < len(items) or pending:
                while following < len(items) and len(pending) < window:
                    pending[task.remote(fn_ref, items[following], init_ref)] = following
                    following += 1
                (done,), _ = ray.wait(list(pending), num_returns=1)
                k = pending.pop(done)
                yield k, self._get(done)
        finally:
            for ref in pending:  # not force=True: a killed worker could take the next map's tasks down with it
                ray.cancel(ref, force=False)

    def _get(self, ref: Any) -> Any:
        """The task's result; its exception re-raised as itself (a ``NasLabError`` stays one line)."""
        try:
            return self.ray.get(ref)
        except self.ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, BaseException):
                raise cause from None
            raise

    def close(self) -> None:
        if self._started and self.ray.is_initialized():
            self.ray.shutdown()
        self._started = False

    def __enter__(self) -> "RayExecutor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RayExecutor(address={self.address!r}, num_cpus={self.num_cpus})"


def make_executor(name: str, jobs: int = 1, address: str | None = None) -> LocalExecutor | RayExecutor:
    """The executor of ``--executor NAME`` (``--jobs``: local worker processes, or the CPUs of a
    local Ray; ``--address``: the Ray cluster to join)."""
    try:
        check_jobs(jobs)
    except RequestError as exc:
        raise NasLabError(f"--{exc}") from None
    if name == "local":
        if address is not None:
            raise NasLabError("--address is for --executor ray (a Ray cluster to join)")
        return LocalExecutor(jobs)
    if name == "ray":
        return RayExecutor(address, num_cpus=None if address is not None else jobs)
    raise NasLabError(f"unknown executor {name!r}; choose from {', '.join(EXECUTORS)}")
