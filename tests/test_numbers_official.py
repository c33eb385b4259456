"""The official NATS-Bench conversion (``adapters/official``) on real files no one here wrote: the
fast-mode records of official indices 0, 11 and 284 in the shared ``nats_official_sample``,
opened through ``nats_bench.create`` as a user's file would be.

Compared with (1) the shared CSVs, exported from the official APIs by others (12-epoch validation
accuracy in ``nb201_12epoch.csv``, 200-epoch test accuracy in ``nats_bench.csv``), and (2) the
records themselves, read here without the API: the mean over the record's trial seeds of the
accuracy after the last epoch, and the record's costs."""
from __future__ import annotations

import bz2
import pickle

import numpy as np
import pandas as pd
import pytest

from nasbench_lab.adapters.official.convert import DATASETS, load_tables
from nasbench_lab.adapters.official.nats import NATS_SSS_SOURCE, NATS_TSS_SOURCE
from nasbench_lab.errors import TableError
from nasbench_lab.core.loading import load_benchmark
from nasbench_lab.infra.settings import Settings

SAMPLE = (0, 11, 284)
SOURCES = {"tss": NATS_TSS_SOURCE, "sss": NATS_SSS_SOURCE}
#: dataset -> column of nb201_12epoch.csv (12-epoch validation), of nats_bench.csv (200-epoch test)
CSV_COLUMNS = {"cifar10": ("cifar10_valid_12ep", "CIFAR10TestAccuracy200Epochs"),
               "cifar100": ("cifar100_valid_12ep", "CIFAR100TestAccuracy200Epochs"),
               "ImageNet16-120": ("imagenet16_120_valid_12ep", "ImageNetTestAccuracy200Epochs")}
#: the papers' protocol: dataset -> (API dataset, evaluation set) of the search and of the report metric
PROTOCOL = {"cifar10": (("cifar10-valid", "x-valid"), ("cifar10", "ori-test")),
            "cifar100": (("cifar100", "x-valid"), ("cifar100", "x-test")),
            "ImageNet16-120": (("ImageNet16-120", "x-valid"), ("ImageNet16-120", "x-test"))}
FULL_HP = {"tss": "200", "sss": "90"}


@pytest.fixture(scope="module")
def settings(nats_official_sample, tmp_path_factory) -> Settings:
    return Settings(files={SOURCES[kind].name: str(path) for kind, path in nats_official_sample.items()},
                    cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def converted(settings) -> dict[str, dict[str, dict[str, np.ndarray]]]:
    """``{kind: {dataset: arrays}}`` through the product's loader: the first dataset converts the
    file through the API and caches all three, the others are read back from that cache."""
    return {kind: {ds: load_tables(source, ds, settings)[0] for ds in DATASETS} for kind, source in SOURCES.items()}


def our_index(table: dict[str, np.ndarray], official: int) -> int:
    (found,) = np.flatnonzero(table["official_index"] == official)
    return int(found)


def raw_record(directory, official: int) -> dict:
    """One architecture's record: {hp: {'arch_str', 'dataset_seed', 'all_results', ...}}.
    (Plain pickle: the NATS-Bench repository's own CI files, from the shared data.)"""
    with bz2.open(directory / f"{official:06d}.pickle.pbz2") as fh:
        return pickle.load(fh)


def raw_accuracy(record: dict, hp: str, api_dataset: str, setname: str) -> float:
    """Mean over the trial seeds of the accuracy on ``setname`` after the schedule's last epoch."""
    trials = [record[hp]["all_results"][(api_dataset, seed)] for seed in record[hp]["dataset_seed"][api_dataset]]
    return float(np.mean([t["eval_acc1es"][f"{setname}@{t['epochs'] - 1}"] for t in trials]))


def raw_costs(record: dict, hp: str, dataset: str) -> dict[str, float]:
    """MFLOPs, millions of parameters and latency (seconds -> ms) of the dataset's own trials."""
    trials = [record[hp]["all_results"][(dataset, seed)] for seed in record[hp]["dataset_seed"][dataset]]
    assert len({(t["flop"], t["params"]) for t in trials}) == 1  # the trials agree on the network
    return {"flops_m": trials[0]["flop"], "params_m": trials[0]["params"],
            "latency_ms": 1000 * float(np.mean([np.mean(t["latency"]) for t in trials]))}


def test_tss_conversion_equals_the_shared_csvs(converted, nats_csv, data_dir):
    epoch12 = pd.read_csv(data_dir / "nb201_12epoch.csv")
    space = NATS_TSS_SOURCE.space()
    for dataset, (valid_column, test_column) in CSV_COLUMNS.items():
        table = converted["tss"][dataset]
        for k in SAMPLE:
            j = our_index(table, k)
            assert space.format(space.arch_at(j)) == nats_csv["ArchitectureString"][k] == epoch12["arch_str"][k]
            assert table["valid_acc_12ep"][j] == pytest.approx(epoch12[valid_column][k], rel=1e-12), (dataset, k)
            assert table["test_acc_200ep"][j] == pytest.approx(nats_csv[test_column][k], rel=1e-12), (dataset, k)


@pytest.mark.parametrize("kind", ["tss", "sss"])
def test_conversion_equals_the_records_read_without_the_api(kind, converted, nats_official_sample):
    source, space = SOURCES[kind], SOURCES[kind].space()
    for k in SAMPLE:
        record = raw_record(nats_official_sample[kind], k)
        for dataset, (search, report) in PROTOCOL.items():
            table = converted[kind][dataset]
            j = our_index(table, k)
            assert space.format(space.arch_at(j)) == record[FULL_HP[kind]]["arch_str"] == record["12"]["arch_str"]
            assert table["valid_acc_12ep"][j] == pytest.approx(raw_accuracy(record, "12", *search), rel=1e-12)
            assert table[source.report_metric][j] == pytest.approx(raw_accuracy(record, FULL_HP[kind], *report), rel=1e-12)
            for cost, value in raw_costs(record, FULL_HP[kind], dataset).items():
                assert table[cost][j] == pytest.approx(value, rel=1e-12), (kind, k, dataset, cost)


@pytest.mark.parametrize("kind", ["tss", "sss"])
def test_only_the_three_records_are_converted(kind, converted):
    for dataset in DATASETS:
        table = converted[kind][dataset]
        listed = np.flatnonzero(np.isfinite(table["valid_acc_12ep"]))
        assert sorted(table["official_index"][listed].tolist()) == list(SAMPLE)
        assert (table["official_index"] >= 0).all()  # the meta file lists every architecture of the space
        assert "no record" in str(table["reason:valid_acc_12ep"])


def test_a_benchmark_of_the_partial_file_is_refused_naming_what_is_missing(settings, converted):
    with pytest.raises(TableError, match=r"nats-tss/cifar100: 15622 of 15625 architectures have no 12-epoch validation"):
        load_benchmark("nats-tss", "cifar100", settings)
