"""A tabular benchmark is converted once into a dense ``.npz`` cache: built once, reused, built
again when a source file (or the declaration) changes or the cache file is corrupt, loaded
without CSV parsing and without importing torch."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nasbench_lab.adapters import table as table_adapter
from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.adapters.table import spec_from_declaration
from nasbench_lab.errors import BenchmarkFileError
from nasbench_lab.infra.settings import CACHE_ENV, Settings

SPACE = NB201Space()


def write_table(directory: Path, shift: float = 0.0) -> Path:
    """A synthetic table over every NB201 cell and its declaration; ``shift`` changes the values."""
    rng = np.random.default_rng(0)
    archs = [SPACE.format(SPACE.arch_at(i)) for i in range(SPACE.size)]
    valid = rng.uniform(10, 90, SPACE.size) + shift
    frame = pd.DataFrame({"arch": archs, "valid": valid, "test": valid + 1.0, "params": rng.uniform(0.1, 1.5, SPACE.size)})
    frame.sample(frac=1.0, random_state=1).to_csv(directory / "table.csv", index=False)
    decl = {"name": "synthetic", "space": "nb201", "files": {"t": {"path": "table.csv", "arch_column": "arch"}},
            "datasets": {"cifar10": {"search": "t:valid", "report": "t:test", "costs": {"params_m": "t:params"}}},
            "note": "synthetic"}
    path = directory / "synthetic.json"
    path.write_text(json.dumps(decl))
    return path


@pytest.fixture
def declared(tmp_path):
    return write_table(tmp_path), Settings(cache_dir=tmp_path / "cache")


def cache_files(settings: Settings) -> list[Path]:
    return sorted((settings.cache_dir / "tables").glob("*.npz"))


def refuse_to_build(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the table was converted again")

    monkeypatch.setattr(table_adapter, "build", fail)


def test_converted_once_then_read_from_the_cache(declared, monkeypatch):
    decl, settings = declared
    first = spec_from_declaration(decl).build("cifar10", settings)
    assert len(cache_files(settings)) == 1
    refuse_to_build(monkeypatch)
    again = spec_from_declaration(decl).build("cifar10", settings)
    assert again.metric_names == first.metric_names and again.cost_names == ("params_m",)
    assert (again.search_metric_name, again.report_metric_name, again.note) == ("valid", "test", "synthetic")
    for metric in first.metric_names:
        np.testing.assert_array_equal(again.values(metric), first.values(metric))
    assert again.data_files() == first.data_files() == [decl.parent / "table.csv"]  # for provenance
    assert not list((settings.cache_dir / "tables").glob("*.tmp"))


def test_a_changed_source_is_converted_again(declared):
    decl, settings = declared
    before = spec_from_declaration(decl).build("cifar10", settings).values("valid").copy()
    write_table(decl.parent, shift=5.0)
    stat = (decl.parent / "table.csv").stat()
    os.utime(decl.parent / "table.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    after = spec_from_declaration(decl).build("cifar10", settings).values("valid")
    np.testing.assert_allclose(after, before + 5.0)
    assert len(cache_files(settings)) == 2  # keyed by the source: the old file is never read


def test_a_changed_declaration_is_converted_again(declared):
    decl, settings = declared
    spec_from_declaration(decl).build("cifar10", settings)
    text = json.loads(decl.read_text())
    text["datasets"]["cifar10"]["report"] = "t:valid"
    decl.write_text(json.dumps(text))
    bench = spec_from_declaration(decl).build("cifar10", settings)
    np.testing.assert_array_equal(bench.values("valid"), bench.values(bench.report_metric_name))


@pytest.mark.parametrize("damage", [b"", b"PK\x03\x04 truncated", b"not a zip file at all"])
def test_a_corrupt_cache_file_is_rebuilt(declared, damage):
    decl, settings = declared
    good = spec_from_declaration(decl).build("cifar10", settings).values("test").copy()
    (file,) = cache_files(settings)
    file.write_bytes(damage)
    rebuilt = spec_from_declaration(decl).build("cifar10", settings)
    np.testing.assert_array_equal(rebuilt.values("test"), good)
    with np.load(file, allow_pickle=False) as npz:  # replaced by a complete cache
        assert "meta" in npz.files


def test_a_cache_that_cannot_be_written_costs_a_warning_not_the_load(tmp_path):
    decl = write_table(tmp_path)
    (tmp_path / "not-a-dir").write_text("a file where the cache directory should be")
    with pytest.warns(UserWarning, match="could not write the benchmark cache"):
        bench = spec_from_declaration(decl).build("cifar10", Settings(cache_dir=tmp_path / "not-a-dir"))
    assert bench.values("valid").shape == (SPACE.size,)


def test_a_missing_source_file_is_still_a_one_line_error(declared):
    decl, settings = declared
    (decl.parent / "table.csv").unlink()
    with pytest.raises(BenchmarkFileError, match="table file not found"):
        spec_from_declaration(decl).build("cifar10", settings)
    assert not cache_files(settings)


def test_a_cached_load_imports_no_torch(tmp_path):
    """nb201-analog's costs come from the NB201 cost network (torch): only its conversion
    needs it. Converted here, then loaded in a fresh interpreter."""
    from nasbench_lab.adapters.nb201 import analog

    settings = Settings(cache_dir=tmp_path / "cache")
    bench = analog.SPEC.build("cifar10", settings)
    probe = ("import sys; from nasbench_lab.core.loading import load_benchmark; from nasbench_lab.infra.settings import Settings; "
             "b = load_benchmark('nb201-analog', 'cifar10', Settings.from_env()); "
             "print('torch' in sys.modules, 'pandas' in sys.modules, b.values('flops_m').max())")
    done = subprocess.run([sys.executable, "-c", probe], env={**os.environ, CACHE_ENV: str(tmp_path / "cache")},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    torch, pandas, flops = done.stdout.split()
    assert (torch, pandas) == ("False", "False")
    assert float(flops) == bench.values("flops_m").max()
