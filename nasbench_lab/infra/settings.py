"""Where data and caches live: settings from CLI flags and environment variables, never assumed."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nasbench_lab.errors import NasLabError

DATA_ENV = "NASBENCH_LAB_DATA"
CACHE_ENV = "NASBENCH_LAB_CACHE"
IMAGES_ENV = "NASBENCH_LAB_IMAGES"
FILE_ENVS = {
    "nb201-official": "NASBENCH_LAB_NB201_FILE",
    "nats-tss": "NASBENCH_LAB_NATS_TSS",
    "nats-sss": "NASBENCH_LAB_NATS_SSS",
    "dynamicnet/cifar10": "NASBENCH_LAB_CIFAR10",
}
#: Benchmarks whose files the official APIs unpickle in full (code can run): such a path is taken
#: only from the command line or the environment, never from a results folder's ``config.json``.
FULLY_UNPICKLED = ("nb201-official", "nats-tss", "nats-sss")


def absolute(path: str | os.PathLike) -> Path:
    """``path`` with ``~`` expanded, relative to the working directory made absolute (symbolic
    links kept as given); an empty path stays empty (the loader says what is missing)."""
    return Path(os.path.abspath(Path(path).expanduser())) if str(path) else Path(path)


@dataclass(frozen=True)
class Settings:
    """Paths a benchmark loader may need.

    ``data_dir``: directory with CSV tables (``--data-dir`` or ``$NASBENCH_LAB_DATA``).
    ``cache_dir``: where converted arrays are cached (``$NASBENCH_LAB_CACHE``, default
    ``~/.cache/nasbench-lab``). ``files``: official benchmark files by benchmark name
    (``--benchmark-file`` or the variables in ``FILE_ENVS``). ``options``: per-benchmark options
    (``--benchmark-option NAME.KEY=VALUE``), e.g. a live benchmark's training recipe.
    ``image_dir``: image batches (CIFAR / ImageNet16 python format) for data-dependent proxies
    (``--image-dir`` or ``$NASBENCH_LAB_IMAGES``; None: a synthetic batch).
    """

    data_dir: Path | None = None
    cache_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "nasbench-lab")
    files: dict[str, Path] = field(default_factory=dict)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    image_dir: Path | None = None

    @classmethod
    def from_env(
        cls,
        data_dir: str | os.PathLike | None = None,
        files: dict[str, str] | None = None,
        options: dict[str, dict[str, Any]] | None = None,
        image_dir: str | os.PathLike | None = None,
    ) -> "Settings":
        """Settings from arguments, falling back on the environment variables. Paths are made
        absolute, so that ``config.json`` (``as_dict``) names them from any working directory."""
        data = data_dir or os.environ.get(DATA_ENV)
        cache = os.environ.get(CACHE_ENV)
        images = image_dir or os.environ.get(IMAGES_ENV)
        found = {name: absolute(os.environ[var]) for name, var in FILE_ENVS.items() if os.environ.get(var)}
        found.update({k: absolute(v) for k, v in (files or {}).items()})
        kwargs = {"cache_dir": absolute(cache)} if cache else {}
        return cls(data_dir=absolute(data) if data else None, files=found, options=dict(options or {}),
                   image_dir=absolute(images) if images else None, **kwargs)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form; ``from_dict`` reads it back (options included)."""
        return {
            "data_dir": str(self.data_dir) if self.data_dir else None,
            "cache_dir": str(self.cache_dir),
            "files": {k: str(v) for k, v in self.files.items()},
            "options": {k: dict(v) for k, v in self.options.items()},
            "image_dir": str(self.image_dir) if self.image_dir else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Settings":
        """The inverse of ``as_dict`` (e.g. a results directory's ``config.json``); a part of
        the wrong shape is a ``NasLabError`` naming it."""
        _check_shape(data)
        kwargs: dict[str, Any] = {}
        if data.get("cache_dir"):
            kwargs["cache_dir"] = Path(data["cache_dir"])
        return cls(
            data_dir=Path(data["data_dir"]) if data.get("data_dir") else None,
            files={k: Path(v) for k, v in (data.get("files") or {}).items()},
            options={k: dict(v) for k, v in (data.get("options") or {}).items()},
            image_dir=Path(data["image_dir"]) if data.get("image_dir") else None,
            **kwargs,
        )


def _check_shape(data: Any) -> None:
    """Refuse settings read from a file (``config.json``) whose parts have the wrong JSON type."""
    if not isinstance(data, dict):
        raise NasLabError(f"settings must be a JSON object, got {type(data).__name__}")
    for key in ("data_dir", "cache_dir", "image_dir"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise NasLabError(f"settings.{key} must be a path (a string), got {data[key]!r}")
    files, options = data.get("files") or {}, data.get("options") or {}
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise NasLabError(f"settings.files must map benchmark names to paths, got {files!r}")
    if not isinstance(options, dict) or not all(isinstance(v, dict) for v in options.values()):
        raise NasLabError(f"settings.options must map benchmark names to {{option: value}} objects, got {options!r}")
