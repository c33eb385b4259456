"""One writer per folder: ``<folder>/.lock``, an ``fcntl.flock`` held while the writer works,
holding the writer's pid, and removed when it ends.

* The lock dies with its owner: the kernel drops a ``flock`` when the last descriptor of its
  open file closes, and a process forked while the lock is held (a pool worker, a figure
  process) closes its copy at once (``os.register_at_fork``), so no child keeps it alive.
* A ``.lock`` left by a writer that is gone (killed: a clean end removes it) is taken over with a
  one-line notice on stderr. So is one still held, when the pid it names is gone: only processes
  that writer started (orphans of an older version) can hold it, and they do not write the folder.
* Taking, taking over and removing happen under a short ``flock`` of the folder itself, so that
  no two writers ever lock two different ``.lock`` files of one folder.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sys
from pathlib import Path
from typing import Callable, Iterator

from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.claims import process_alive

LOCK_NAME = ".lock"
_HELD: set[int] = set()  # descriptors of the locks this process holds


def _close_held_in_child() -> None:
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_close_held_in_child)


def _say(line: str) -> None:
    print(f"nasbench-lab: note: {line}", file=sys.stderr)


@contextlib.contextmanager
def _guard(folder: Path) -> Iterator[None]:
    """A short exclusive ``flock`` of ``folder`` itself (none if the folder cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # drops the flock


def _open(path: Path, flags: int = 0) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | flags,
                   0o644)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            os.close(fd)
            raise
        return False
    return True


def _pid_in(fd: int) -> int | None:
    text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


class FolderLock:
    """The ``.lock`` of one folder, taken by ``FolderLock(folder)``; ``release()`` removes it.
    ``folder`` may be updated when the folder is renamed while locked."""

    def __init__(self, folder: Path, say: Callable[[str], None] = _say) -> None:
        self.folder = Path(folder)
        path = self.folder / LOCK_NAME
        with _guard(self.folder):
            fd = _open(path)
            if _try_lock(fd):
                owner = _pid_in(fd)
                if owner is not None and owner != os.getpid() and not process_alive(owner):
                    say(f"{path}: taking over the lock of pid {owner}, which is gone")
            else:
                owner = _pid_in(fd)
                os.close(fd)
                if owner is None or owner == os.getpid() or process_alive(owner):
                    raise NasLabError(f"{self.folder} is being written by another nasbench-lab process "
                                      f"(pid {owner if owner is not None else '?'})")
                path.unlink(missing_ok=True)  # held by orphans of a dead writer: a fresh file
                fd = _open(path, os.O_EXCL)
                _try_lock(fd)
                say(f"{path}: taking over the lock of pid {owner}, which is gone (processes it left still held it)")
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd: int | None = fd
        _HELD.add(fd)

    def release(self, remove: bool = True) -> None:
        """Remove ``.lock`` (if it is still this lock's file) and drop the lock; idempotent."""
        fd, self.fd = self.fd, None
        if fd is None:
            return
        _HELD.discard(fd)
        with _guard(self.folder):
            path = self.folder / LOCK_NAME
            with contextlib.suppress(OSError):
                here, mine = os.stat(path, follow_symlinks=False), os.fstat(fd)
                if remove and (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino):
                    path.unlink()
            os.close(fd)


__all__ = ["LOCK_NAME", "FolderLock"]
