"""A results folder is a trust boundary (issue 22): nothing inside it makes the tool write or read
outside it, its manifest vouches for every run file and ``runs.csv``, ``--overwrite`` keeps
the old results until the new ones are complete, data files are checked by content, and a run
that made no query is recorded as such."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from nasbench_lab.cli import main
from nasbench_lab.core.registry import ALGORITHMS

SMALL = ["--benchmark", "nb201-analog/cifar10", "--algorithms", "random,re", "--seeds", "2", "--budget", "4"]


def leaderboard(out: Path, *args: str) -> int:
    return main(["leaderboard", "--no-progress", "--json", "--out", str(out), *args])


def report(results: Path, *args: str) -> int:
    return main(["report", str(results), "--json", "--formats", "png", *args])


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def one_line_error(capsys, *words: str) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and "\n" not in err, err
    for word in words:
        assert word in err, err
    return err


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "r"
    assert leaderboard(out, *SMALL) == 0
    return out


@pytest.fixture
def store(finished, tmp_path) -> Path:
    out = tmp_path / "r"
    shutil.copytree(finished, out)
    return out


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- writes outside the folder -----------------------------------------------------------------


@pytest.mark.parametrize("command", ["report", "resume"])
@pytest.mark.parametrize("link", ["report", ".lock", "leaderboard.md", "runs"])
def test_a_symlink_inside_the_folder_never_makes_us_write_outside(store, tmp_path, capsys, link, command):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.md").write_text("precious\n")
    target = outside if link in ("report", "runs") else outside / "victim.md"
    if link == "runs":
        shutil.copytree(store / "runs", outside / "runs-copy")
        target = outside / "runs-copy"
        next(p for p in sorted(target.glob("*.csv"))).unlink()  # --resume would write it
    if (store / link).is_dir():
        shutil.rmtree(store / link)
    else:
        (store / link).unlink(missing_ok=True)
    (store / link).symlink_to(target)
    before = snapshot(outside)
    capsys.readouterr()
    code = report(store) if command == "report" else leaderboard(store, *SMALL, "--resume")
    assert code == 2
    one_line_error(capsys, "symbolic link", link)
    assert snapshot(outside) == before


def test_report_never_writes_into_a_recorded_cache_dir(store, tmp_path, capsys, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    config = json.loads((store / "config.json").read_text())
    config["settings"]["cache_dir"] = str(elsewhere)
    (store / "config.json").write_text(json.dumps(config))
    monkeypatch.delenv("NASBENCH_LAB_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert report(store) == 0
    assert not elsewhere.exists()


def test_report_never_reads_a_recorded_table_declaration(tmp_path, data_dir, capsys):
    decl = tmp_path / "decl.json"
    decl.write_text(json.dumps({
        "name": "t", "space": "nb201",
        "files": {"a": {"path": str(data_dir / "nb201_12epoch.csv"), "arch_column": "arch_str"}},
        "datasets": {"cifar10": {"search": "a:cifar10_valid_12ep", "report": "a:cifar10_test_12ep"}}}))
    out = tmp_path / "r"
    assert leaderboard(out, "--benchmark", f"table:{decl}", "--algorithms", "random", "--seeds", "1", "--budget", "3") == 0
    decl.write_text("SECRET-FIRST-LINE\nmore\n")  # the folder names this file: report must not open it
    capsys.readouterr()
    assert report(out) == 0
    captured = capsys.readouterr()
    assert "SECRET" not in captured.out + captured.err
    skipped = json.loads(captured.out)["skipped"]
    assert len(skipped) == 1 and "--table" in skipped[0]


# --- a manifest that vouches ------------------------------------------------------------------


def test_an_edited_run_file_is_refused_by_resume_naming_it(store, capsys):
    run_file = sorted((store / "runs").glob("*.csv"))[0]
    frame = pd.read_csv(run_file)
    frame.loc[0, "report_metric"] += 1.0
    run_file.write_text(frame.to_csv(index=False))
    capsys.readouterr()
    assert leaderboard(store, *SMALL, "--resume") == 2
    one_line_error(capsys, run_file.name, "SHA-256")
    assert report(store) == 2
    one_line_error(capsys, run_file.name)


@pytest.mark.parametrize("edit", ["value", "swap-seeds", "inf", "nan", "huge"])
def test_an_edited_runs_csv_is_refused_by_report(store, capsys, edit):
    runs = pd.read_csv(store / "runs.csv")
    if edit == "value":
        runs.loc[0, "report_metric"] = 99.0
    elif edit == "swap-seeds":
        runs["seed"] = 1 - runs["seed"]
    else:
        runs.loc[0, "report_metric"] = {"inf": float("inf"), "nan": float("nan"), "huge": 1e308}[edit]
    runs.to_csv(store / "runs.csv", index=False)
    capsys.readouterr()
    assert report(store) == 2
    one_line_error(capsys, "runs.csv")
    if edit in ("inf", "nan", "huge"):  # even with a manifest rewritten to vouch for the edit
        manifest = json.loads((store / "manifest.json").read_text())
        manifest["runs_csv_sha256"] = sha(store / "runs.csv")
        (store / "manifest.json").write_text(json.dumps(manifest))
        assert report(store) == 2
        one_line_error(capsys, "report_metric")


def test_a_folder_without_manifest_is_refused_unless_unchecked(store, capsys):
    (store / "manifest.json").unlink()
    capsys.readouterr()
    assert report(store) == 2
    one_line_error(capsys, "manifest.json", "--unchecked")
    assert report(store, "--unchecked") == 0
    assert "UNCHECKED" in capsys.readouterr().err


def test_an_unchecked_read_refuses_a_row_cut_in_the_middle(store, capsys):
    (store / "manifest.json").unlink()
    text = (store / "runs.csv").read_text()
    (store / "runs.csv").write_text(text[: len(text) - 30])
    capsys.readouterr()
    assert report(store, "--unchecked") == 2
    one_line_error(capsys, "runs.csv", "line")


def test_a_fresh_run_refuses_leftover_run_files(tmp_path, capsys):
    out = tmp_path / "r"
    assert leaderboard(out, *SMALL[:-1], "3") == 0
    for name in ("manifest.json", "config.json", "runs.csv"):
        (out / name).unlink()
    capsys.readouterr()
    assert leaderboard(out, *SMALL[:-1], "50") == 2
    one_line_error(capsys, "runs")


# --- --overwrite keeps the old results until the new ones are complete ------------------------


def test_an_interrupted_overwrite_keeps_the_old_results(store, tmp_path, capsys):
    before = snapshot(store)
    old_runs = {p.name for p in (store / "runs").glob("*.csv")}

    def new_runs() -> int:  # beside (.r.new-<pid>) or, as the old code did, already in place
        beside = sum(len(list(p.glob("runs/*.csv"))) for p in tmp_path.glob(".r.new-*"))
        return beside + len({p.name for p in (store / "runs").glob("*.csv")} - old_runs)

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "nasbench_lab.cli", "leaderboard", "--no-progress", "--out", str(store),
               "--overwrite", "--benchmark", "nb201-analog/cifar10", "--algorithms", "random",
               "--seeds", "400", "--budget", "200", "--jobs", "1"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    try:
        while time.time() < deadline and process.poll() is None:
            if new_runs() >= 3:
                break
            time.sleep(0.05)
        assert process.poll() is None, process.stderr.read().decode()
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    finally:
        if process.poll() is None:
            process.kill()
    assert {k: v for k, v in snapshot(store).items() if k != ".lock"} == {
        k: v for k, v in before.items() if k != ".lock"}
    capsys.readouterr()
    assert report(store) == 0
    assert leaderboard(store, *SMALL, "--overwrite") == 0  # the stale swap folder is cleaned
    assert not list(tmp_path.glob(".r.*"))


# --- provenance by content --------------------------------------------------------------------


def test_a_data_file_changed_in_place_is_refused_on_resume(tmp_path, data_dir, capsys, monkeypatch):
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    csv = tmp_path / "table.csv"
    shutil.copy(data_dir / "nb201_12epoch.csv", csv)
    decl = tmp_path / "decl.json"
    decl.write_text(json.dumps({
        "name": "t", "space": "nb201", "files": {"a": {"path": str(csv), "arch_column": "arch_str"}},
        "datasets": {"cifar10": {"search": "a:cifar10_valid_12ep", "report": "a:cifar10_test_12ep"}}}))
    args = ["--benchmark", f"table:{decl}", "--algorithms", "random", "--seeds", "1", "--budget", "3"]
    out = tmp_path / "r"
    assert leaderboard(out, *args) == 0
    assert leaderboard(out, *args, "--resume") == 0
    st = csv.stat()
    data = bytearray(csv.read_bytes())
    position = data.index(b"9", len(data) // 2)
    data[position:position + 1] = b"8"  # same size
    with open(csv, "r+b") as fh:
        fh.write(data)
    os.utime(csv, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime
    assert (csv.stat().st_size, csv.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    capsys.readouterr()
    assert leaderboard(out, *args, "--resume") == 2
    one_line_error(capsys, "table.csv", "differs")


def test_the_cache_location_is_not_part_of_the_configuration(tmp_path, capsys, monkeypatch):
    out = tmp_path / "r"
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache-a"))
    assert leaderboard(out, *SMALL) == 0
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache-b"))
    assert leaderboard(out, *SMALL, "--resume") == 0


# --- a run with no query ----------------------------------------------------------------------


def test_a_run_with_no_query_is_recorded_as_such(tmp_path, capsys, monkeypatch):
    cls = ALGORITHMS.get("re")
    plain = cls.run

    def idle(self, oracle, context=None):
        if context is not None and context.seed == 1:
            return None  # e.g. a proxy pass that ate the whole time budget
        return plain(self, oracle, context)

    monkeypatch.setattr(cls, "run", idle)
    out = tmp_path / "r"
    assert leaderboard(out, *SMALL, "--jobs", "1") == 0
    manifest = json.loads((out / "manifest.json").read_text())
    idle_runs = [e for e in manifest["runs"] if e["rows"] == 0]
    assert [(e["algorithm"], e["seed"]) for e in idle_runs] == [("re", 1)]
    assert "no query" in (out / "leaderboard.md").read_text()
    assert leaderboard(out, *SMALL, "--jobs", "1", "--resume") == 0
    capsys.readouterr()
    assert report(out) == 0
    assert "no query" in (out / "report" / "leaderboard.md").read_text()


# --- --out never replaces a file without --overwrite ------------------------------------------


def test_ofa_extract_never_replaces_an_existing_file(tmp_path, capsys):
    existing = tmp_path / "net.npz"
    existing.write_text("keep me\n")
    assert main(["ofa", "extract", "0", "--out", str(existing)]) == 2
    one_line_error(capsys, "--overwrite")
    assert existing.read_text() == "keep me\n"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert main(["ofa", "extract", "0", "--out", str(fifo), "--overwrite"]) == 2
    one_line_error(capsys, "not a regular file")


def test_swap_folders_of_a_writer_killed_during_the_swap_are_cleaned_or_reported(store, tmp_path, capsys):
    (tmp_path / ".r.new-99999").mkdir()  # killed before the swap: the new store is garbage
    (tmp_path / ".r.old-99998" / "runs").mkdir(parents=True)  # killed after it: the old store is
    assert leaderboard(store, *SMALL, "--resume") == 0
    assert not list(tmp_path.glob(".r.*"))
    moved = tmp_path / ".r.old-99997"
    store.rename(moved)  # killed between the two renames: the old results are only there
    capsys.readouterr()
    assert leaderboard(store, *SMALL, "--overwrite") == 2
    one_line_error(capsys, str(moved), "rename it back")
    assert (moved / "manifest.json").is_file() and not (store / "manifest.json").exists()
