"""What a run produced besides its queries (a one-shot search's epoch records, a derived cell, an
OFA schedule): its artefacts, kept in the results folder beside the run file.

An algorithm hands them over during the run (``RunContext.save_artefact(name, data)``: a dict,
written as JSON, or bytes); they travel back with the run file's text from the worker, and the
store writes them to ``runs/<run file stem>/<name>`` before the run file itself (a finished run
has its artefacts) and lists them in ``manifest.json`` with their SHA-256. ``report`` and
``validate`` read them back with ``read_artefacts``, from the results folder alone, checked
against the manifest.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Iterator

from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.files import json_bytes, write_bytes

#: An artefact's name: a plain file name (no folder, no leading dot), at most 100 characters.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def check_name(name: Any) -> str:
    """``name`` if it is a valid artefact name, else a ``NasLabError`` naming it."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise NasLabError(f"artefact name {name!r}: use letters, digits, '.', '_' and '-' "
                          "(no folder, no leading dot, at most 100 characters)")
    return name


def encode(name: str, data: Any) -> bytes:
    """The bytes of artefact ``name``: a dict as indented JSON, bytes as they are."""
    if isinstance(data, dict):
        return json_bytes(data)
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise NasLabError(f"artefact {name!r}: data must be a dict or bytes, got {type(data).__name__}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def folder(run_dir: Path, run_file: str) -> Path:
    """Where the artefacts of the run stored in ``run_dir / run_file`` live."""
    return Path(run_dir) / Path(run_file).stem


def write_artefacts(run_dir: Path, run_file: str, artefacts: dict[str, bytes]) -> list[dict[str, str]]:
    """Write ``artefacts`` (name -> bytes) beside ``run_file``; return their manifest listing."""
    if not artefacts:
        return []
    target = folder(run_dir, run_file)
    if target.is_symlink():
        raise NasLabError(f"{target} is a symbolic link: refusing to write through it")
    target.mkdir(exist_ok=True)
    for name, data in sorted(artefacts.items()):
        write_bytes(target / check_name(name), data, durable=False)
    return [listing(run_file, name, data) for name, data in sorted(artefacts.items())]


def listing(run_file: str, name: str, data: bytes) -> dict[str, str]:
    """The manifest entry of one artefact: name, file (relative to the results folder), SHA-256."""
    return {"name": name, "file": f"runs/{Path(run_file).stem}/{name}", "sha256": sha256(data)}


def on_disk(run_dir: Path, run_file: str) -> list[dict[str, str]]:
    """The manifest listing of the artefacts found beside ``run_file`` (a run committed earlier)."""
    target = folder(run_dir, run_file)
    if not target.is_dir():
        return []
    return [listing(run_file, p.name, p.read_bytes()) for p in sorted(target.iterdir())
            if NAME.fullmatch(p.name) and p.is_file() and not p.is_symlink()]


def read_artefacts(results: Path, name: str) -> Iterator[tuple[dict[str, Any], bytes]]:
    """``(manifest entry of the run, bytes)`` of every artefact called ``name`` listed in the
    manifest of ``results``, in run order; an artefact that is missing, a symbolic link, or
    whose SHA-256 differs from the manifest's is a ``NasLabError`` naming it."""
    results = Path(results)
    manifest_path = results / "manifest.json"
    try:
        entries = json.loads(manifest_path.read_text())["runs"]
    except FileNotFoundError:
        raise NasLabError(f"no manifest.json in {results}: is it a results folder?") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NasLabError(f"cannot read {manifest_path}: {exc}") from None
    for entry in entries:
        for item in entry.get("artefacts", []):
            if item.get("name") != name:
                continue
            path = results / "runs" / Path(str(entry["file"])).stem / check_name(item["name"])
            if path.is_symlink() or not path.is_file():
                raise NasLabError(f"{path}: artefact listed in {manifest_path} is missing or not a regular file")
            data = path.read_bytes()
            if sha256(data) != item.get("sha256"):
                raise NasLabError(f"{path} differs from its SHA-256 in {manifest_path}: the file was altered")
            yield entry, data
