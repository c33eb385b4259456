"""Every file the product writes goes through here: whole or absent, never through a symlink.

A file is written to a temporary file beside it (created with ``O_EXCL | O_NOFOLLOW``, so it
is always a new regular file of ours), optionally flushed to disk, then renamed over the final
path (``os.replace``: a reader, or a process killed meanwhile, sees the old file or the new one,
never a part). A final path that is a symbolic link is refused (``NasLabError`` naming it): a
results folder or a cache someone else prepared never makes us write elsewhere. ``durable``
also flushes the directory after the rename (survives a power cut).

This is the only module of the product that calls ``os.replace`` (``tests/test_layout.py``).
Temporary names are ``.<name>.<pid>-<token>.tmp`` (``write_through``: ``.tmp-<pid>-<token>-<stem><suffix>``,
for savers that choose a format by suffix).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

from nasbench_lab.errors import NasLabError

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def fsync_dir(directory: str | os.PathLike) -> None:
    """Flush a directory's entries (renames, new files) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_target(path: str | os.PathLike) -> Path:
    """``path`` as a ``Path``; a ``NasLabError`` if it is a symbolic link (never written through)."""
    path = Path(path)
    if path.is_symlink():
        raise NasLabError(f"{path} is a symbolic link: refusing to write through it")
    return path


def _temporary(path: Path, keep_suffix: bool = False) -> tuple[int, Path]:
    """A new temporary file beside ``path``, opened for writing: ``(fd, its path)``. With
    ``keep_suffix`` its name has one dot, before ``path``'s suffix (a saver that swaps the
    suffix, ``with_suffix("")`` then ``.png``, finds the same name)."""
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    name = (f".tmp-{token}-{path.stem.replace('.', '_')}{path.suffix}" if keep_suffix
            else f".{path.name}.{token}.tmp")
    return os.open(path.with_name(name), _FLAGS, 0o666), path.with_name(name)


def _finish(tmp: Path, path: Path, durable: bool) -> Path:
    check_target(path)
    os.replace(tmp, path)
    if durable:
        fsync_dir(path.parent)
    return path


@contextlib.contextmanager
def _removed_on_failure(tmp: Path, path: Path) -> Iterator[None]:
    """Remove the temporary ``tmp`` if the block fails; an ``OSError`` without a file name (a
    full disk) gets ``path``'s, so the one-line message names the file that could not be written."""
    try:
        yield
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(path)
        raise


def write_with(path: str | os.PathLike, write: Callable[[BinaryIO], Any], *, durable: bool = True) -> Path:
    """Call ``write(fh)`` on a binary file handle of a temporary file, then rename it to ``path``."""
    path = check_target(path)
    fd, tmp = _temporary(path)
    with _removed_on_failure(tmp, path):
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        return _finish(tmp, path, durable)


def write_through(path: str | os.PathLike, produce: Callable[[Path], Any], *, durable: bool = False) -> Path:
    """For savers that take a file name (``net.save(name)``, a drawing function): call
    ``produce(tmp)`` on a temporary file made here (same suffix as ``path``), then rename it."""
    path = check_target(path)
    fd, tmp = _temporary(path, keep_suffix=True)
    os.close(fd)
    with _removed_on_failure(tmp, path):
        produce(tmp)
        if durable:
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        return _finish(tmp, path, durable)


def write_bytes(path: str | os.PathLike, data: bytes, *, durable: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return write_with(path, lambda fh: fh.write(data), durable=durable)


def write_text(path: str | os.PathLike, text: str, *, durable: bool = True) -> Path:
    """Write ``text`` (UTF-8, line endings as given) to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"), durable=durable)


def json_bytes(value: Any, *, indent: int | None = 1, sort_keys: bool = False) -> bytes:
    """``value`` as the JSON the product writes (non-JSON values as ``str``), ending in a newline."""
    return (json.dumps(value, indent=indent, sort_keys=sort_keys, default=str) + "\n").encode("utf-8")


def write_json(path: str | os.PathLike, value: Any, *, indent: int | None = 1, sort_keys: bool = False,
               durable: bool = True) -> Path:
    """Write ``value`` as JSON to ``path`` atomically."""
    return write_bytes(path, json_bytes(value, indent=indent, sort_keys=sort_keys), durable=durable)


def write_npz(path: str | os.PathLike, arrays: dict[str, Any], *, durable: bool = True) -> Path:
    """Write ``arrays`` (``np.savez``, uncompressed; read back with ``allow_pickle=False``) atomically."""
    import numpy as np

    return write_with(path, lambda fh: np.savez(fh, **arrays), durable=durable)


def save_figure(fig: Any, path: str | os.PathLike, *, dpi: int = 200, durable: bool = False, **kwargs: Any) -> Path:
    """``fig.savefig`` into ``path`` atomically, in the format its suffix names."""
    fmt = Path(path).suffix.lstrip(".") or "png"

    def draw(fh: BinaryIO) -> None:
        buffer = io.BytesIO()  # some backends seek: draw into memory, then write
        fig.savefig(buffer, format=fmt, dpi=dpi, **kwargs)
        fh.write(buffer.getvalue())

    return write_with(path, draw, durable=durable)


def move_directory(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """Rename the directory ``src`` to ``dst`` (on the same file system; ``dst`` absent or
    an empty directory); ``dst`` must not be a symbolic link."""
    os.replace(src, check_target(dst))


# -- reading what a user names: a regular file, of bounded size (a FIFO or /dev/zero never hangs a read)
def check_regular(path: str | os.PathLike, what: str) -> Path:
    """``path`` if it names a regular file (after symlinks); else a one-line ``NasLabError``
    (a FIFO would block the read until a writer comes, a device such as ``/dev/zero`` never ends).
    A missing file raises ``FileNotFoundError`` as ``open`` would."""
    path = Path(path)
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else \
            "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file"
        raise NasLabError(f"{what} {path} is {kind}, not a regular file")
    return path


def read_small_bytes(path: str | os.PathLike, limit: int, what: str) -> bytes:
    """The bytes of the regular file ``path``, refused (one line) when larger than ``limit``."""
    with open(check_regular(path, what), "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise NasLabError(f"{what} {path} is larger than {limit} bytes")
    return data


def read_small_text(path: str | os.PathLike, limit: int, what: str) -> str:
    """``read_small_bytes`` decoded as UTF-8 (a binary file gives a one-line error)."""
    try:
        return read_small_bytes(path, limit, what).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NasLabError(f"{what} {path} is not UTF-8 text (byte {exc.start})") from None
