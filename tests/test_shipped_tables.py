"""The NB201 protocol tables shipped in the package (``adapters/tables/nb201.npz``): every value
equals the shared CSVs' value cell by cell, ``nb201`` serves exactly what the CSV declaration
serves, it loads with no data directory, the build script is deterministic, and a damaged
packed file is a one-line error."""
from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from nasbench_lab.adapters import table as table_adapter
from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.adapters.packed_table import decode_column, encode_column, packed_bytes, read_packed
from nasbench_lab.adapters.table import NB201_PACKED, SHIPPED, spec_from_declaration
from nasbench_lab.cli import main
from nasbench_lab.errors import BenchmarkFileError
from nasbench_lab.core.loading import load_benchmark
from nasbench_lab.infra.settings import CACHE_ENV, DATA_ENV, Settings

SPACE = NB201Space()
REPO = Path(__file__).resolve().parents[1]
#: source CSV -> its architecture-string column
SOURCES = {"nb201_12epoch.csv": "arch_str", "nats_bench.csv": "ArchitectureString", "nb201_latency_ms.csv": "arch_str"}
DATASETS = ("cifar10", "cifar100", "ImageNet16-120")


def bits(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64).view(np.int64)


@pytest.fixture(scope="module")
def shipped():
    return read_packed(NB201_PACKED, SPACE)


@pytest.mark.parametrize("source", list(SOURCES))
def test_shipped_arrays_equal_the_csvs_cell_by_cell(data_dir, shipped, source):
    """Every value of every numeric column (all 15,625 rows) equals, as float64 bits, what
    pandas reads from the CSV; the rows keep the official order."""
    frame = pd.read_csv(data_dir / source)
    assert len(frame) == SPACE.size
    rows = np.array([SPACE.index(SPACE.parse(s)) for s in frame[SOURCES[source]]])  # row -> space index
    columns = [c for c in frame.columns if c != "index" and pd.api.types.is_numeric_dtype(frame[c])]
    assert shipped.columns(source) == columns  # every column packed, in the file's order
    for column in columns:
        served = shipped.column(source, column)[rows]
        expected = frame[column].to_numpy(dtype=np.float64)
        differ = np.flatnonzero(bits(served) != bits(expected))
        assert differ.size == 0, f"{source}:{column} differs in {differ.size} rows, first row {differ[:1]}"
    with np.load(NB201_PACKED, allow_pickle=False) as npz:  # row r of the file = official index r
        np.testing.assert_array_equal(npz["space_index"], rows)
    digest = hashlib.sha256((data_dir / source).read_bytes()).hexdigest()
    assert shipped.meta["sources"][source]["sha256"] == digest  # built from exactly this file


def test_official_order_is_not_the_space_order(shipped):
    """The official index is not NB201Space's base-5 index: the packed file maps one to the other."""
    with np.load(NB201_PACKED, allow_pickle=False) as npz:
        order = npz["space_index"]
    assert SPACE.format(SPACE.arch_at(int(order[0]))) == \
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
    assert not np.array_equal(order, np.arange(SPACE.size))


@pytest.mark.parametrize("dataset", DATASETS)
def test_nb201_serves_what_the_csv_declaration_serves(data_dir, tmp_path, dataset):
    shipped = load_benchmark("nb201", dataset, Settings(cache_dir=tmp_path / "a"))
    from_csv = spec_from_declaration(SHIPPED / "nb201.json").build(
        dataset, Settings(data_dir=data_dir, cache_dir=tmp_path / "b"))
    assert shipped.metric_names == from_csv.metric_names and len(shipped.metric_names) == 32
    assert (shipped.search_metric_name, shipped.report_metric_name, shipped.cost_names, shipped.note) == \
        (from_csv.search_metric_name, from_csv.report_metric_name, from_csv.cost_names, from_csv.note)
    for metric in shipped.metric_names:
        np.testing.assert_array_equal(bits(shipped.values(metric)), bits(from_csv.values(metric)), err_msg=metric)


def test_nb201_loads_with_no_data_dir(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(DATA_ENV, str(empty))
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    out = tmp_path / "out"
    assert main(["leaderboard", "--benchmark", "nb201/c100", "--algorithms", "random,re", "--seeds", "2",
                 "--budget", "5", "--no-progress", "--json", "--out", str(out)]) == 0
    runs = pd.read_csv(out / "runs.csv")
    assert set(runs["benchmark"]) == {"nb201"} and set(runs["dataset"]) == {"cifar100"} and len(runs) == 20
    config = json.loads((out / "config.json").read_text())
    assert list(config["data_files"]) == [str(NB201_PACKED.absolute())]
    assert table_adapter.NB201_SPEC.needs == ""


def test_a_cached_load_imports_neither_torch_nor_pandas(tmp_path):
    """Converted once here (the costs need torch), then loaded in a fresh interpreter with an
    empty data directory."""
    bench = load_benchmark("nb201", "cifar10", Settings(cache_dir=tmp_path / "cache"))
    probe = ("import sys; from nasbench_lab.core.loading import load_benchmark; from nasbench_lab.infra.settings import Settings; "
             "b = load_benchmark('nb201', 'cifar10', Settings.from_env()); "
             "print('torch' in sys.modules, 'pandas' in sys.modules, repr(float(b.values('latency_ms:pixel3').sum())))")
    (tmp_path / "empty").mkdir()
    env = {**os.environ, CACHE_ENV: str(tmp_path / "cache"), DATA_ENV: str(tmp_path / "empty")}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    torch, pandas, total = done.stdout.split()
    assert (torch, pandas) == ("False", "False")
    assert float(total) == bench.values("latency_ms:pixel3").sum()


def test_build_script_is_deterministic_and_gives_the_shipped_content(data_dir):
    spec = importlib.util.spec_from_file_location("build_nb201_tables", REPO / "experiments" / "build_nb201_tables.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    first, second = script.build(data_dir), script.build(data_dir)
    assert first == second  # same CSVs, same bytes
    built, ours = zipfile.ZipFile(io.BytesIO(first)), zipfile.ZipFile(NB201_PACKED)
    assert built.namelist() == ours.namelist()
    for name in ours.namelist():  # member by member (compressed bytes may depend on the zlib build)
        assert built.read(name) == ours.read(name), name


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=40))
def test_every_encoding_gives_back_the_exact_bits(values):
    x = np.array(values, dtype=np.float64)
    encoding, arrays = encode_column(x)
    np.testing.assert_array_equal(bits(decode_column(encoding, arrays)), bits(x))


@pytest.mark.parametrize("values, encoding, dtype", [
    ([10.0, 89.16, 93.7], "decimal", np.int16),        # two decimals: scaled integers
    ([3.0, 45.0, 183.0], "decimal", np.int16),         # whole milliseconds
    ([0.00327686, 36.7665], "decimal", np.int32),      # six significant digits: per-value decimals
    ([0.1 + 0.2, 1.0], "float64", np.float64),         # 0.30000000000000004 has 17 decimals
    ([float(np.float32(63.364)), 1.5], "float32", np.float32),
])
def test_the_most_compact_exact_encoding_is_chosen(values, encoding, dtype):
    chosen, arrays = encode_column(np.array(values))
    assert chosen == encoding and arrays[0].dtype == dtype


def _damaged(tmp_path: Path, name: str) -> Path:
    """A copy of the shipped file with damage ``name``."""
    good = NB201_PACKED.read_bytes()
    path = tmp_path / "nb201.npz"
    if name in ("empty", "garbage", "truncated"):
        path.write_bytes({"empty": b"", "garbage": b"no zip here", "truncated": good[: len(good) // 2]}[name])
        return path
    if name == "flipped-bytes":  # inside a member's compressed data: caught by zlib or the CRC
        middle = len(good) // 2
        path.write_bytes(good[:middle] + bytes(b ^ 0xFF for b in good[middle:middle + 64]) + good[middle + 64:])
        return path
    columns = {"nb201_12epoch.csv": {"cifar10_valid_12ep": np.linspace(10, 90, SPACE.size)}}
    order = np.arange(SPACE.size)
    if name == "not-a-permutation":
        order[1] = 0
    data = packed_bytes(columns, order, SPACE, {})
    members = {n: zipfile.ZipFile(io.BytesIO(data)).read(n) for n in zipfile.ZipFile(io.BytesIO(data)).namelist()}
    if name == "missing-member":
        del members["nb201_12epoch/cifar10_valid_12ep.npy"]
    if name in ("other-format", "short-column"):
        meta = json.loads(str(np.load(io.BytesIO(members["meta.npy"]), allow_pickle=False)[()]))
        meta["format"] = "something else" if name == "other-format" else meta["format"]
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, np.array(json.dumps(meta)))
        members["meta.npy"] = buffer.getvalue()
        if name == "short-column":
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ones(5))
            members["nb201_12epoch/cifar10_valid_12ep.npy"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return path


@pytest.mark.parametrize("damage, why", [
    ("empty", "not a zip archive"), ("garbage", "not a zip archive"), ("truncated", "not a zip archive"),
    ("flipped-bytes", "BadZipFile|error"),
    ("missing-member", "cifar10_valid_12ep"), ("other-format", "format 'something else'"),
    ("short-column", r"shape \(5,\)"), ("not-a-permutation", "not a permutation"),
])
def test_a_damaged_packed_file_is_a_one_line_error(tmp_path, damage, why):
    path = _damaged(tmp_path, damage)
    spec = spec_from_declaration(SHIPPED / "nb201.json", packed=path)
    with pytest.raises(BenchmarkFileError, match=why) as raised:
        spec.build("cifar10", Settings(cache_dir=tmp_path / "cache"))
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


def test_the_cli_reports_a_damaged_shipped_file_in_one_line(tmp_path, monkeypatch, capsys):
    path = _damaged(tmp_path, "truncated")
    monkeypatch.setattr(table_adapter, "NB201_SPEC", spec_from_declaration(SHIPPED / "nb201.json", packed=path))
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    assert main(["leaderboard", "--benchmark", "nb201", "--algorithms", "random", "--seeds", "1", "--budget", "2",
                 "--no-progress", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"nasbench-lab: error: cannot read packed table {path}") and err.count("\n") == 1
