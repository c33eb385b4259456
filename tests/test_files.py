"""The one atomic writer: whole files or none, never through a symbolic link; run artefacts."""
from __future__ import annotations

import json

import pytest

from nasbench_lab.core.context import RunContext
from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.files import write_bytes, write_json, write_npz, write_text, write_through


def test_writes_whole_files_and_leaves_no_temporary(tmp_path):
    write_text(tmp_path / "a.txt", "x\r\ny\n")
    write_json(tmp_path / "b.json", {"k": [1, 2]})
    write_npz(tmp_path / "c.npz", {"v": __import__("numpy").arange(3)})
    write_through(tmp_path / "d.bin", lambda tmp: tmp.write_bytes(b"made by name"))
    write_bytes(tmp_path / "a.txt", b"again")  # replaces
    assert (tmp_path / "a.txt").read_bytes() == b"again" and json.loads((tmp_path / "b.json").read_text()) == {"k": [1, 2]}
    assert (tmp_path / "d.bin").read_bytes() == b"made by name"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.json", "c.npz", "d.bin"]


def test_a_symbolic_link_is_never_written_through(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("keep")
    (tmp_path / "link.txt").symlink_to(target)
    with pytest.raises(NasLabError, match="link.txt is a symbolic link"):
        write_text(tmp_path / "link.txt", "overwritten?")
    assert target.read_text() == "keep" and [p.name for p in tmp_path.glob(".*")] == []


def test_a_failed_write_leaves_the_old_file(tmp_path):
    write_text(tmp_path / "a.txt", "old")

    def fail(fh):
        fh.write(b"part")
        raise RuntimeError("killed")

    from nasbench_lab.infra.files import write_with

    with pytest.raises(RuntimeError):
        write_with(tmp_path / "a.txt", fail)
    assert (tmp_path / "a.txt").read_text() == "old" and len(list(tmp_path.iterdir())) == 1


def test_artefacts_are_named_files_holding_a_dict_or_bytes():
    context = RunContext()
    context.save_artefact("record.json", {"epochs": [1]})
    context.save_artefact("cell.bin", b"\x00\x01")
    assert json.loads(context.artefacts["record.json"]) == {"epochs": [1]} and context.artefacts["cell.bin"] == b"\x00\x01"
    for bad in ("../x", ".hidden", "a/b", "", "x" * 101):
        with pytest.raises(NasLabError, match="artefact name"):
            context.save_artefact(bad, {})
    with pytest.raises(NasLabError, match="must be a dict or bytes"):
        context.save_artefact("x.json", [1, 2])


def test_a_saver_that_swaps_the_suffix_writes_the_temporary_file(tmp_path):
    write_through(tmp_path / "fig.v2.png", lambda tmp: tmp.with_suffix("").with_suffix(".png").write_bytes(b"png"))
    assert (tmp_path / "fig.v2.png").read_bytes() == b"png" and len(list(tmp_path.iterdir())) == 1
