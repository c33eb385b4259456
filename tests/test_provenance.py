"""Provenance in ``config.json`` (package versions, data-file checksums, cached), ``--resume``
with it (versions ignored, a changed data file refused), and paths recorded so that ``report``
works from any working directory."""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from nasbench_lab.running import provenance
from nasbench_lab.adapters.nb201 import analog
from nasbench_lab.adapters.official import benchmark as official_benchmark
from nasbench_lab.adapters.official.convert import PICKLE_EXT, cache_path
from nasbench_lab.adapters.official.nats import NATS_TSS_SOURCE
from nasbench_lab.adapters.nasbench_graph.benchmark import table_file
from nasbench_lab.adapters.table import NB201_PACKED
from nasbench_lab.cli import main
from nasbench_lab.core.loading import canonical_benchmark, load_benchmark
from nasbench_lab.infra.settings import CACHE_ENV, DATA_ENV, Settings
from nasbench_lab.running.store import VOLATILE

NB201_FILES = ("nb201_12epoch.csv", "nats_bench.csv", "nb201_latency_ms.csv")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch) -> Path:
    """Each test its own checksum cache (on disk and in memory)."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(provenance, "_MEMORY", {})
    return tmp_path / "cache"


def leaderboard(out: Path, *args: str) -> int:
    return main(["leaderboard", "--no-progress", "--json", "--algorithms", "random", "--seeds", "2",
                 "--budget", "4", "--out", str(out), *args])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_config_records_versions_and_data_file_checksums(tmp_path, data_dir, cache_dir, monkeypatch):
    monkeypatch.setattr(provenance, "ALWAYS_HASH", 0)  # the CSVs are small: cache them anyway
    out = tmp_path / "out"
    decl = NB201_PACKED.with_name("nb201.json")  # the declaration: reads the CSVs of the data directory
    assert leaderboard(out, "--benchmark", f"nb201/cifar10,nb201-analog/cifar10,table:{decl}",
                       "--data-dir", str(data_dir)) == 0
    config = json.loads((out / "config.json").read_text())
    versions = config["versions"]
    for name in ("nasbench-lab", "torch", "numpy", "pandas", "nas-bench-201", "nats_bench", "analog-nasbench",
                 "nas-bench-graph"):
        assert versions[name] == importlib.metadata.version(name)
    expected = {str(data_dir.absolute() / f): sha256(data_dir / f) for f in NB201_FILES}
    expected[str(NB201_PACKED.absolute())] = sha256(NB201_PACKED)  # nb201: the tables shipped in the package
    expected[str(analog.default_path().absolute())] = sha256(analog.default_path())
    assert config["data_files"] == expected
    assert "versions" in VOLATILE and "data_files" not in VOLATILE
    cached = json.loads((cache_dir / provenance.CHECKSUM_CACHE).read_text())["files"]
    assert {k: v["sha256"] for k, v in cached.items()} == expected


def test_benchmarks_name_the_files_they_read(data_dir):
    nb201 = load_benchmark("nb201", "cifar100", Settings(data_dir=data_dir))
    assert nb201.data_files() == [NB201_PACKED]  # shipped: the data directory is not read
    declared = load_benchmark(f"table:{NB201_PACKED.with_name('nb201.json')}", "cifar100", Settings(data_dir=data_dir))
    assert sorted(declared.data_files()) == sorted(data_dir / f for f in NB201_FILES)
    assert load_benchmark("nasbench-graph", "cora", Settings()).data_files() == [table_file("cora")]
    assert table_file("cora").is_file()
    assert load_benchmark("nb201-analog", "cifar10", Settings()).data_files() == [analog.default_path()]


def test_an_official_benchmark_names_its_file_and_converted_cache(tmp_path, monkeypatch):
    """The official file (a fast-mode directory: its meta file) and the ``.npz`` it was converted to."""
    size = NATS_TSS_SOURCE.space().size
    table = {m: np.full(size, 50.0) for m in NATS_TSS_SOURCE.metrics}
    table["official_index"] = np.arange(size)
    settings = Settings(cache_dir=tmp_path / "cache")
    for path in (tmp_path / "NATS-tss.pickle.pbz2", tmp_path / "NATS-tss-simple"):
        meta = path / f"meta.{PICKLE_EXT}" if path.suffix != ".pbz2" else path
        meta.parent.mkdir(exist_ok=True)
        meta.write_bytes(b"official")
        monkeypatch.setattr(official_benchmark, "load_tables", lambda source, dataset, settings: (table, path))
        bench = official_benchmark.load(NATS_TSS_SOURCE, "cifar10", settings)
        cache = cache_path(NATS_TSS_SOURCE, path, "cifar10", settings)
        assert bench.data_files() == [meta]  # the converted cache was not written here
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(b"npz")
        assert bench.data_files() == [meta, cache]


def test_checksums_are_cached_by_path_size_and_mtime(tmp_path, cache_dir, monkeypatch):
    monkeypatch.setattr(provenance, "ALWAYS_HASH", 0)  # cache even a small file
    data = tmp_path / "big.bin"
    data.write_bytes(np.random.default_rng(0).bytes(3_000_000))
    calls = []
    plain = provenance.sha256_file
    monkeypatch.setattr(provenance, "sha256_file", lambda p: calls.append(p) or plain(p))

    def fresh_process() -> dict[str, str]:
        monkeypatch.setattr(provenance, "_MEMORY", {})  # a new process: only the file cache remains
        return provenance.checksums([data, tmp_path / "missing.csv", tmp_path], cache_dir)

    assert fresh_process() == {str(data): sha256(data)} and len(calls) == 1
    assert fresh_process() == {str(data): sha256(data)} and len(calls) == 1  # from checksums.json
    provenance.checksums([data], cache_dir)
    assert len(calls) == 1  # from memory
    st = data.stat()
    os.utime(data, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # touched: hashed again
    assert fresh_process() == {str(data): sha256(data)} and len(calls) == 2
    (cache_dir / provenance.CHECKSUM_CACHE).write_text("{not json")  # a broken cache is only a miss
    assert fresh_process() == {str(data): sha256(data)} and len(calls) == 3
    assert json.loads((cache_dir / provenance.CHECKSUM_CACHE).read_text())["files"][str(data)]["sha256"] == sha256(data)
    st = data.stat()
    with open(data, "r+b") as fh:  # changed in place, size and mtime kept: its ctime tells
        fh.write(b"\0" * 16)
    os.utime(data, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (data.stat().st_size, data.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    assert fresh_process() == {str(data): sha256(data)} and len(calls) == 4
    provenance.checksums([data], cache_dir)
    assert len(calls) == 4  # recorded after the change: trusted again


def test_small_files_are_always_hashed(tmp_path, cache_dir, monkeypatch):
    data = tmp_path / "small.csv"
    data.write_text("a,b\n1,2\n")
    calls = []
    plain = provenance.sha256_file
    monkeypatch.setattr(provenance, "sha256_file", lambda p: calls.append(p) or plain(p))
    for _ in range(2):
        assert provenance.checksums([data], cache_dir) == {str(data): sha256(data)}
    assert len(calls) == 2


def _own_table(tmp_path: Path, data_dir: Path) -> tuple[Path, Path]:
    """A declaration reading a copy of the 12-epoch table beside it."""
    table = tmp_path / "tables" / "t.csv"
    table.parent.mkdir()
    shutil.copy(data_dir / "nb201_12epoch.csv", table)
    decl = {"name": "own", "space": "nb201", "files": {"a": {"path": "t.csv", "arch_column": "arch_str"}},
            "datasets": {"cifar10": {"search": "a:cifar10_valid_12ep", "report": "a:cifar10_test_12ep"}}}
    path = table.parent / "decl.json"
    path.write_text(json.dumps(decl))
    return path, table


def test_resume_ignores_versions_and_refuses_a_changed_data_file(tmp_path, data_dir, capsys):
    decl, table = _own_table(tmp_path, data_dir)
    out = tmp_path / "out"
    assert leaderboard(out, "--benchmark", f"table:{decl}") == 0
    config_path = out / "config.json"
    config = json.loads(config_path.read_text())
    assert config["data_files"] == {str(table): sha256(table)}
    config["versions"] = {**config["versions"], "torch": "1.0.0", "nasbench-lab": "0.0.1"}  # other versions
    config_path.write_text(json.dumps(config))
    assert leaderboard(out, "--benchmark", f"table:{decl}", "--resume") == 0

    text = table.read_text()
    head, _, rest = text.partition("\n")
    first, _, tail = rest.partition("\n")
    cells = first.split(",")
    cells[-1] = str(float(cells[-1]) + 0.01)  # one value of the table changed
    table.write_text(head + "\n" + ",".join(cells) + "\n" + tail)
    capsys.readouterr()
    assert leaderboard(out, "--benchmark", f"table:{decl}", "--resume") == 2
    err = capsys.readouterr().err.strip()
    assert f"data file {table} differs from the one its runs read" in err and "\n" not in err


def test_report_finds_a_relative_table_given_again_from_another_directory(tmp_path, data_dir, monkeypatch, capsys):
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    (work / "tables").mkdir(parents=True)
    elsewhere.mkdir()
    decl = {"name": "twelve", "space": "nb201", "base": "data_dir",
            "files": {"a": {"path": "nb201_12epoch.csv", "arch_column": "arch_str"}},
            "datasets": {"cifar100": {"search": "a:cifar100_valid_12ep", "report": "a:cifar100_test_12ep"}}}
    (work / "tables" / "decl.json").write_text(json.dumps(decl))
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.chdir(work)
    relative_data = os.path.relpath(data_dir.absolute(), work)
    assert leaderboard(Path("results"), "--benchmark", "table:tables/decl.json", "--data-dir", relative_data) == 0

    config = json.loads((work / "results" / "config.json").read_text())
    name = f"table:{work / 'tables' / 'decl.json'}"
    assert config["benchmarks"] == [{"benchmark": name, "dataset": "cifar100"}]
    assert config["settings"]["data_dir"] == str(data_dir.absolute())
    assert canonical_benchmark("table:tables/decl.json") == name and canonical_benchmark("nb201") == "nb201"

    monkeypatch.chdir(elsewhere)
    capsys.readouterr()
    assert main(["report", str(work / "results"), "--json", "--formats", "png"]) == 0
    skipped = json.loads(capsys.readouterr().out)["skipped"]  # recorded paths are not opened on their own
    assert len(skipped) == 1 and f"--table {work / 'tables' / 'decl.json'}" in skipped[0]
    assert main(["report", str(work / "results"), "--json", "--formats", "png", "--table",
                 str(work / "tables" / "decl.json"), "--data-dir", str(data_dir.absolute())]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["skipped"] == []
    assert any(Path(f).name.startswith("cells_") for f in report["files"])  # the benchmark was loaded
