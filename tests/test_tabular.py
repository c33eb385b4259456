import pickle

import numpy as np
import pytest

from nasbench_lab.adapters.nb201 import analog as nb201_analog
from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.adapters.table import SHIPPED, build, read_declaration, spec_from_declaration
from nasbench_lab.core.benchmark import TabularBenchmark, resolve_dataset
from nasbench_lab.infra.settings import Settings
from nasbench_lab.errors import BenchmarkFileError, TableError, UnknownNameError
from nasbench_lab.core.loading import load_benchmark

SPACE = NB201Space()


def test_analog_covers_every_cell_with_all_metrics():
    bench = load_benchmark("nb201-analog", "CIFAR-10", Settings())
    assert bench.dataset == "cifar10"
    assert set(nb201_analog.SCALARS + nb201_analog.DRIFTS) <= set(bench.metric_names)
    for m in bench.metric_names:
        assert bench.values(m).shape == (15625,)
    assert bench.search_metric_name == bench.report_metric_name == "baseline_accuracy"
    assert "search metric = report metric" in bench.note


def test_analog_encoding_matches_nats_bench(nats_csv):
    bench = load_benchmark("nb201-analog", "cifar10", Settings())
    idx = np.array([SPACE.index(SPACE.parse(s)) for s in nats_csv["ArchitectureString"]])
    served = bench.values("baseline_accuracy")[idx]
    r = np.corrcoef(served, nats_csv["CIFAR10TestAccuracy200Epochs"])[0, 1]
    assert r >= 0.999


def test_analog_key_mapping():
    # our order: (0,1) (0,2) (1,2) (0,3) (1,3) (2,3); theirs: (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)
    cell = SPACE.parse("|none~0|+|skip_connect~0|nor_conv_1x1~1|+|nor_conv_3x3~0|avg_pool_3x3~1|none~2|")
    # theirs ops: skip=0 none=1 conv3=2 conv1=3 pool=4
    assert nb201_analog.to_analog_key(cell) == (1, 0, 2, 3, 4, 1)


def test_corrupt_analog_file(tmp_path):
    bad = tmp_path / "data.anb"
    bad.write_bytes(b"not a pickle")
    with pytest.raises(BenchmarkFileError, match="cannot read analog-nasbench data file"):
        nb201_analog.load_arrays(str(bad))
    with pytest.raises(BenchmarkFileError, match="not found"):
        nb201_analog.load_arrays(str(tmp_path / "missing.anb"))
    wrong = tmp_path / "wrong.anb"
    wrong.write_bytes(pickle.dumps({1: 2}))
    with pytest.raises(BenchmarkFileError, match="expected 15625"):
        nb201_analog.load_arrays(str(wrong))


@pytest.mark.parametrize("dataset, best_test", [("cifar10", 94.37), ("cifar100", 73.51), ("ImageNet16-120", 47.31)])
def test_table_protocol_known_values(settings, nats_csv, dataset, best_test):
    bench = load_benchmark("nb201", dataset, settings)
    assert round(bench.best_report, 2) == best_test
    assert len([c for c in bench.cost_names if c.startswith("latency_ms:")]) == 27
    best = SPACE.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    if dataset == "cifar10":
        row = nats_csv[nats_csv["ArchitectureString"] == SPACE.format(best)].iloc[0]
        assert bench.report_metric(best) == pytest.approx(row["CIFAR10TestAccuracy200Epochs"])
        assert bench.report_metric(best) == pytest.approx(94.36, abs=0.01)
        assert 0 < bench.costs(best)["latency_ms:pixel3"] < 1000


def test_table_search_picks_papers_optimum(settings):
    """README of the shared data: the best 12-epoch valid cell scores 94.37 at 200 epochs."""
    bench = load_benchmark("nb201", "cifar10", settings)
    assert (bench.search_metric_name, bench.report_metric_name) == ("valid_acc_12ep", "test_acc_200ep")
    pick = int(np.argmax(bench.values("valid_acc_12ep")))
    assert round(bench.values("test_acc_200ep")[pick], 2) == 94.37
    assert not np.array_equal(bench.values("valid_acc_12ep"), bench.values("test_acc_200ep"))


def test_table_rejects_nan_and_duplicates(tmp_path, settings, data_dir):
    import pandas as pd

    frame = pd.read_csv(data_dir / "nb201_12epoch.csv")
    frame.loc[7, "cifar10_valid_12ep"] = np.nan
    frame.to_csv(tmp_path / "ep12.csv", index=False)
    decl = {
        "name": "mine", "space": "nb201",
        "files": {"a": {"path": "ep12.csv", "arch_column": "arch_str"}},
        "datasets": {"cifar10": {"search": "a:cifar10_valid_12ep", "report": "a:cifar10_test_12ep"}},
    }
    with pytest.raises(TableError, match="1 NaN/inf entries"):
        build(decl, "cifar10", Settings(), tmp_path)
    frame.loc[7, "cifar10_valid_12ep"] = 1.0
    pd.concat([frame, frame.iloc[:1]]).to_csv(tmp_path / "ep12.csv", index=False)
    with pytest.raises(TableError, match="more than once"):
        build(decl, "cifar10", Settings(), tmp_path)


def test_table_declaration_from_file(tmp_path, data_dir):
    import json

    decl = {
        "name": "twelve", "space": "nb201",
        "files": {"a": {"path": str(data_dir / "nb201_12epoch.csv"), "arch_column": "arch_str"}},
        "datasets": {"cifar100": {"search": "a:cifar100_valid_12ep", "report": "a:cifar100_test_12ep"}},
    }
    path = tmp_path / "decl.json"
    path.write_text(json.dumps(decl))
    spec = spec_from_declaration(path)
    assert spec.datasets == ("cifar100",)
    bench = spec.build("c100", Settings())
    assert bench.values("cifar100_valid_12ep").shape == (15625,)
    with pytest.raises(BenchmarkFileError, match="not found"):
        read_declaration(tmp_path / "nope.json")


def test_table_cost_names_must_be_in_the_vocabulary(tmp_path, data_dir):
    import json

    ep12 = {"a": {"path": str(data_dir / "nb201_12epoch.csv"), "arch_column": "arch_str"}}
    lat = {"l": {"path": str(data_dir / "nb201_latency_ms.csv"), "arch_column": "arch_str"}}

    def decl(costs):
        return {"name": "c", "space": "nb201", "files": {**ep12, **lat},
                "datasets": {"cifar10": {"search": "a:cifar10_valid_12ep", "report": "a:cifar10_test_12ep", "costs": costs}}}

    for bad, why in [({"params_mb": "a:cifar10_test_12ep"}, "did you mean 'params_m'"),
                     ({"latency_s": "l:pixel3_ms"}, "did you mean 'latency_ms'"),
                     ({"params_m:{}": "l:{}_ms"}, "takes no device qualifier"),
                     ({"latency:{}": "l:{}_ms"}, "unknown cost name 'latency:{}'")]:
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(decl(bad)))
        with pytest.raises(UnknownNameError, match=why):
            read_declaration(path)
    with pytest.raises(UnknownNameError, match="unknown cost name 'flops'"):  # checked at build too
        build(decl({"flops": "a:cifar10_test_12ep"}), "cifar10", Settings(), tmp_path)
    bench = build(decl({"latency_ms:{}": "l:{}_ms"}), "cifar10", Settings(), tmp_path)
    assert "latency_ms:pixel3" in bench.cost_names and len(bench.cost_names) == 27


def test_nb201_declaration_reads_its_csvs_from_the_data_dir(tmp_path):
    """``table:adapters/tables/nb201.json`` reads the CSVs from a data directory (``nb201`` itself
    reads the tables shipped in the package: tests/test_shipped_tables.py)."""
    with pytest.raises(BenchmarkFileError, match="NASBENCH_LAB_DATA"):
        spec_from_declaration(SHIPPED / "nb201.json").build("cifar10", Settings(data_dir=None, cache_dir=tmp_path))


def test_dataset_aliases_and_unknown():
    names = ("cifar10", "cifar100", "ImageNet16-120")
    assert resolve_dataset("C10", names, "x") == "cifar10"
    assert resolve_dataset("imagenet16-120", names, "x") == "ImageNet16-120"
    assert resolve_dataset("cifar-100", names, "x") == "cifar100"
    with pytest.raises(UnknownNameError, match="unknown dataset 'mnist'"):
        resolve_dataset("mnist", names, "x")


def test_tabular_benchmark_validation():
    space = NB201Space()
    good = np.arange(space.size, dtype=float)
    with pytest.raises(TableError, match="shape"):
        TabularBenchmark(name="t", dataset="d", space=space, metrics={"a": good[:5]}, search_metric="a", report_metric="a")
    with pytest.raises(UnknownNameError, match="no metric 'b'"):
        TabularBenchmark(name="t", dataset="d", space=space, metrics={"a": good}, search_metric="b", report_metric="a")
    bad = good.copy()
    bad[3] = np.nan
    with pytest.raises(TableError, match=r"1 NaN/inf entries \(first at architecture \|none~0\|"):
        TabularBenchmark(name="t", dataset="d", space=space, metrics={"a": bad}, search_metric="a", report_metric="a")
