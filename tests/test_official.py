"""The official-file benchmarks (adapters/official/) against the official APIs, on files built
in the official schemas by tests/official_fixtures.py (see tests/conftest.py)."""
from __future__ import annotations

import bz2
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

import nas_201_api
import nats_bench
from nasbench_lab.adapters.official import convert as official
from nasbench_lab.adapters.official.convert import COSTS, SEARCH_METRIC
from nasbench_lab.adapters.official.nats import NATS_SSS_SOURCE, NATS_SSS_SPEC, NATS_TSS_SOURCE, NATS_TSS_SPEC
from nasbench_lab.adapters.official.nb201 import NB201_OFFICIAL_SPEC, NB201_SOURCE, topology_official_order
from nasbench_lab.infra.settings import FILE_ENVS, Settings
from nasbench_lab.errors import BenchmarkFileError, TableError
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.registry import BENCHMARKS
from official_fixtures import partial_indices, topology_archs

N_TOPOLOGY, N_SIZE = 15625, 32768
#: API dataset names of (search, report) per dataset -- the protocol the adapters must follow.
PROTOCOL = {"cifar10": ("cifar10-valid", "cifar10"), "cifar100": ("cifar100", "cifar100"),
            "ImageNet16-120": ("ImageNet16-120", "ImageNet16-120")}


def _spy(monkeypatch, module, attr):
    """Record the API objects the adapter creates (so tests compare against the same object)."""
    made = []
    real = getattr(module, attr)

    def spy(*args, **kwargs):
        api = real(*args, **kwargs)
        made.append(api)
        return api

    monkeypatch.setattr(module, attr, spy)
    return made


def _refuse(monkeypatch):
    """Make every official API constructor fail: loads must come from the cache."""

    def refuse(*args, **kwargs):
        raise AssertionError("the official API was called although the cache exists")

    monkeypatch.setattr(nats_bench, "create", refuse)
    monkeypatch.setattr(nas_201_api, "NASBench201API", refuse)


def _expected(api, k: int, dataset: str, full_hp: str) -> dict[str, float]:
    """What the official API answers for official index ``k``, in the adapter's units."""
    search_ds, report_ds = PROTOCOL[dataset]
    cost = api.get_cost_info(k, dataset, hp=full_hp)
    return {
        SEARCH_METRIC: api.get_more_info(k, search_ds, hp="12", is_random=False)["valid-accuracy"],
        f"test_acc_{full_hp}ep": api.get_more_info(k, report_ds, hp=full_hp, is_random=False)["test-accuracy"],
        "flops_m": cost["flops"],
        "params_m": cost["params"],
        "latency_ms": cost["latency"] * 1000.0,
    }


def _sample_indices(total: int, extra=()) -> list[int]:
    rng = np.random.default_rng(3)
    return sorted({0, 4, total - 1, *extra, *rng.choice(total, 25, replace=False).tolist()})


@pytest.fixture(scope="module")
def tss_loaded(tss_file, tmp_path_factory):
    """The nats-tss benchmark built from the fixture file, and the API object the adapter used."""
    settings = Settings(cache_dir=tmp_path_factory.mktemp("cache-tss"), files={"nats-tss": tss_file})
    with pytest.MonkeyPatch.context() as mp:
        made = _spy(mp, nats_bench, "create")
        bench = NATS_TSS_SPEC.build("cifar10", settings)
    assert len(made) == 1
    return bench, made[0], settings


# --------------------------------------------------------------------------- registry / order


def test_registered_specs():
    assert BENCHMARKS.get("nb201-official") is NB201_OFFICIAL_SPEC
    assert BENCHMARKS.get("nats-tss") is NATS_TSS_SPEC
    assert BENCHMARKS.get("nats-sss") is NATS_SSS_SPEC
    for spec in (NB201_OFFICIAL_SPEC, NATS_TSS_SPEC, NATS_SSS_SPEC):
        assert spec.datasets == ("cifar10", "cifar100", "ImageNet16-120")
        assert spec.search_metric == SEARCH_METRIC and spec.costs == COSTS
        assert f"--benchmark-file {spec.name}=PATH" in spec.needs and FILE_ENVS[spec.name] in spec.needs
    assert NATS_TSS_SPEC.report_metric == NB201_OFFICIAL_SPEC.report_metric == "test_acc_200ep"
    assert NATS_SSS_SPEC.report_metric == "test_acc_90ep"


def test_topology_official_order():
    order = topology_official_order()
    assert order == topology_archs()
    assert order[0] == "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
    assert order[9] == "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
    assert order[123] == "|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|"


def test_topology_order_matches_the_shared_tables(data_dir):
    import pandas as pd

    frame = pd.read_csv(data_dir / "nb201_12epoch.csv", usecols=["index", "arch_str"]).sort_values("index")
    assert frame["index"].tolist() == list(range(N_TOPOLOGY))
    assert frame["arch_str"].tolist() == topology_official_order()


# --------------------------------------------------------------------------- nats-tss (file)


def test_nats_tss_values_match_the_official_api(tss_loaded):
    bench, api, _ = tss_loaded
    assert api.fast_mode is False and len(api) == N_TOPOLOGY
    assert bench.name == "nats-tss" and bench.dataset == "cifar10"
    assert bench.search_metric_name == SEARCH_METRIC and bench.report_metric_name == "test_acc_200ep"
    assert bench.cost_names == COSTS
    space = bench.space
    for k in _sample_indices(N_TOPOLOGY, extra=(16, 32)):  # 0, 16, 32: two trials each
        arch = space.parse(api.arch(k))
        assert bench.official_index_of(arch) == k == api.query_index_by_arch(space.format(arch))
        want = _expected(api, k, "cifar10", "200")
        assert bench.search_metric(arch) == want[SEARCH_METRIC]
        assert bench.report_metric(arch) == want["test_acc_200ep"]
        assert bench.search_metric(arch) != bench.report_metric(arch)
        assert bench.costs(arch) == pytest.approx({c: want[c] for c in COSTS}, rel=1e-12)
    search_fn = bench.search_metric_fn()
    arch = space.parse(api.arch(7))
    assert search_fn(arch) == api.get_more_info(7, "cifar10-valid", hp="12", is_random=False)["valid-accuracy"]
    oracle = Oracle.for_benchmark(bench, budget=3)
    assert oracle.query(arch) == search_fn(arch)


def test_official_index_is_a_permutation(tss_loaded):
    bench, api, _ = tss_loaded
    idx = bench.official_index
    assert sorted(idx.tolist()) == list(range(N_TOPOLOGY))
    space = bench.space
    for j in (0, 1, 777, N_TOPOLOGY - 1):
        assert api.arch(int(idx[j])) == space.format(space.arch_at(j))


def test_cache_is_written_and_a_second_load_does_not_call_the_api(tss_loaded, monkeypatch):
    bench, _, settings = tss_loaded
    files = sorted((Path(settings.cache_dir) / "official").glob("*.npz"))
    names = {f.name.rsplit("-", 1)[0] for f in files}
    assert names == {"nats-tss-cifar10", "nats-tss-cifar100", "nats-tss-ImageNet16-120"}
    assert not list((Path(settings.cache_dir) / "official").glob("*.tmp"))
    _refuse(monkeypatch)
    again = NATS_TSS_SPEC.build("c10", settings)
    for metric in bench.metric_names:
        assert np.array_equal(again.values(metric), bench.values(metric))
    assert np.array_equal(again.official_index, bench.official_index)
    # a dataset the file lacks is a TableError -- also from the cache, without the API
    with pytest.raises(TableError) as err:
        NATS_TSS_SPEC.build("cifar100", settings)
    msg = str(err.value)
    assert "15625 of 15625" in msg and "'cifar100', hp='12'" in msg and "KeyError" in msg and "\n" not in msg


def test_cache_key_follows_the_file(tss_file, tmp_path):
    settings = Settings(cache_dir=tmp_path)
    a = official.cache_path(NATS_TSS_SOURCE, tss_file, "cifar10", settings)
    assert a == official.cache_path(NATS_TSS_SOURCE, tss_file, "cifar10", settings)
    assert a != official.cache_path(NATS_TSS_SOURCE, tss_file, "cifar100", settings)
    assert a.parent == tmp_path / "official"
    st = tss_file.stat()
    try:
        os.utime(tss_file, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        assert official.cache_path(NATS_TSS_SOURCE, tss_file, "cifar10", settings) != a
    finally:
        os.utime(tss_file, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_corrupt_cache_is_rebuilt(tss_loaded, tmp_path, monkeypatch):
    _, _, settings = tss_loaded
    cache = official.cache_path(NATS_TSS_SOURCE, settings.files["nats-tss"], "cifar10", settings)
    assert official._read_cache(cache, NATS_TSS_SOURCE) is not None
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    assert official._read_cache(bad, NATS_TSS_SOURCE) is None
    np.savez(bad, valid_acc_12ep=np.zeros(3))
    assert official._read_cache(bad, NATS_TSS_SOURCE) is None


# --------------------------------------------------------------------------- partial files: all datasets


def _check_partial(source, settings, api, indices, dataset):
    """Adapter arrays vs the official API for the listed archs; NaN (TableError) for the others."""
    table, _ = official.load_tables(source, dataset, settings)
    space = source.space()
    full = source.full_hp
    for k in indices[:: max(1, len(indices) // 30)] + [indices[-1]]:
        j = space.index(space.parse(api.arch(k)))
        assert table["official_index"][j] == k
        want = _expected(api, k, dataset, full)
        for metric, value in want.items():
            assert table[metric][j] == pytest.approx(value, rel=1e-12), (metric, k)
        assert table[SEARCH_METRIC][j] != table[f"test_acc_{full}ep"][j]
    listed = np.isin(table["official_index"], indices)
    assert np.isfinite(table[SEARCH_METRIC][listed]).all()
    assert np.isnan(table[SEARCH_METRIC][~listed]).all()
    spec = {s.name: s for s in (NB201_OFFICIAL_SPEC, NATS_TSS_SPEC, NATS_SSS_SPEC)}[source.name]
    with pytest.raises(TableError, match=rf"{space.size - len(indices)} of {space.size} architectures have no"):
        spec.build(dataset, settings)


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100", "ImageNet16-120"])
def test_nats_tss_fast_mode_directory(tss_fast_dir, tmp_path_factory, dataset):
    settings = Settings(cache_dir=tmp_path_factory.getbasetemp() / "cache-tss-dir",
                        files={"nats-tss": tss_fast_dir})
    api = nats_bench.create(str(tss_fast_dir), "tss", fast_mode=True, verbose=False)
    _check_partial(NATS_TSS_SOURCE, settings, api, partial_indices(N_TOPOLOGY), dataset)


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100", "ImageNet16-120"])
def test_nats_sss_file(sss_file_partial, tmp_path_factory, dataset):
    settings = Settings(cache_dir=tmp_path_factory.getbasetemp() / "cache-sss-file",
                        files={"nats-sss": sss_file_partial})
    api = _module_api("sss-file", lambda: nats_bench.create(str(sss_file_partial), "sss", verbose=False))
    assert api.full_epochs_in_paper == 90
    _check_partial(NATS_SSS_SOURCE, settings, api, partial_indices(N_SIZE), dataset)


@pytest.mark.parametrize("dataset", ["cifar10", "ImageNet16-120"])
def test_nats_sss_fast_mode_directory(sss_fast_dir, tmp_path_factory, dataset):
    settings = Settings(cache_dir=tmp_path_factory.getbasetemp() / "cache-sss-dir",
                        files={"nats-sss": sss_fast_dir})
    api = nats_bench.create(str(sss_fast_dir), "sss", fast_mode=True, verbose=False)
    _check_partial(NATS_SSS_SOURCE, settings, api, partial_indices(N_SIZE, seed=8), dataset)


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100", "ImageNet16-120"])
def test_nb201_partial_file(nb201_pth_partial, tmp_path_factory, dataset):
    settings = Settings(cache_dir=tmp_path_factory.getbasetemp() / "cache-nb201-partial",
                        files={"nb201-official": nb201_pth_partial})
    # the API as users call it: torch's default (weights-only) loader must read the fixture too
    api = _module_api("nb201-partial", lambda: nas_201_api.NASBench201API(str(nb201_pth_partial), verbose=False))
    _check_partial(NB201_SOURCE, settings, api, partial_indices(N_TOPOLOGY), dataset)


_APIS: dict[str, object] = {}


def _module_api(key, make):
    if key not in _APIS:
        _APIS[key] = make()
    return _APIS[key]


# --------------------------------------------------------------------------- nb201-official (full file)


def test_nb201_official_values_match_the_official_api(nb201_pth, tmp_path, monkeypatch):
    settings = Settings(cache_dir=tmp_path, files={"nb201-official": nb201_pth})
    made = _spy(monkeypatch, nas_201_api, "NASBench201API")
    bench = NB201_OFFICIAL_SPEC.build("cifar10", settings)
    assert len(made) == 1
    assert "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD" not in os.environ
    api = made[0]
    space = bench.space
    for k in _sample_indices(N_TOPOLOGY, extra=(16,)):
        arch = space.parse(api.arch(k))
        assert bench.official_index_of(arch) == k
        want = _expected(api, k, "cifar10", "200")
        assert bench.search_metric(arch) == pytest.approx(want[SEARCH_METRIC], rel=1e-12)
        assert bench.report_metric(arch) == pytest.approx(want["test_acc_200ep"], rel=1e-12)
        assert bench.costs(arch) == pytest.approx({c: want[c] for c in COSTS}, rel=1e-12)
    _refuse(monkeypatch)
    again = NB201_OFFICIAL_SPEC.build("cifar10", settings)
    assert np.array_equal(again.values(SEARCH_METRIC), bench.values(SEARCH_METRIC))


def test_user_can_insist_on_torchs_weights_only_loader(nb201_pth_partial, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "1")
    settings = Settings(cache_dir=tmp_path, files={"nb201-official": nb201_pth_partial})
    table, _ = official.load_tables(NB201_SOURCE, "cifar100", settings)
    assert np.isfinite(table[SEARCH_METRIC]).sum() == len(partial_indices(N_TOPOLOGY))
    assert "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD" not in os.environ


@pytest.mark.skipif(not (os.environ.get("NASBENCH_LAB_SLOW_TESTS") or os.environ.get("CI", "").lower() == "true"),
                    reason="builds and converts a 32,768-architecture file (~20 s); runs in CI or with NASBENCH_LAB_SLOW_TESTS=1")
def test_nats_sss_full_file(tmp_path, monkeypatch):
    from official_fixtures import write_nats_file

    path = write_nats_file(tmp_path / "sss", "sss", datasets="cifar10")
    settings = Settings(cache_dir=tmp_path / "cache", files={"nats-sss": path})
    made = _spy(monkeypatch, nats_bench, "create")
    bench = NATS_SSS_SPEC.build("cifar10", settings)
    api = made[0]
    assert bench.report_metric_name == "test_acc_90ep"
    for k in _sample_indices(N_SIZE):
        arch = bench.space.parse(api.arch(k))
        assert bench.official_index_of(arch) == k == bench.space.official_index(arch)
        want = _expected(api, k, "cifar10", "90")
        assert bench.search_metric(arch) == want[SEARCH_METRIC]
        assert bench.report_metric(arch) == want["test_acc_90ep"]
        assert bench.costs(arch) == pytest.approx({c: want[c] for c in COSTS}, rel=1e-12)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("spec", [NB201_OFFICIAL_SPEC, NATS_TSS_SPEC, NATS_SSS_SPEC], ids=lambda s: s.name)
def test_missing_path_names_flag_and_env_var(spec, tmp_path):
    with pytest.raises(BenchmarkFileError) as err:
        spec.build("cifar10", Settings(cache_dir=tmp_path))
    msg = str(err.value)
    assert spec.name in msg and f"--benchmark-file {spec.name}=PATH" in msg and FILE_ENVS[spec.name] in msg
    missing = tmp_path / "nowhere.pbz2"
    with pytest.raises(BenchmarkFileError, match="not found") as err:
        spec.build("cifar10", Settings(cache_dir=tmp_path, files={spec.name: missing}))
    assert str(missing) in str(err.value) and FILE_ENVS[spec.name] in str(err.value)


def test_path_from_environment(monkeypatch, tss_file):
    monkeypatch.setenv("NASBENCH_LAB_NATS_TSS", str(tss_file))
    settings = Settings.from_env()
    assert official.resolve_path(NATS_TSS_SOURCE, settings) == tss_file


def _corrupt_cases(tmp_path: Path, tss_file: Path, tss_dir: Path, sss_file: Path):
    garbage = tmp_path / "garbage.pickle.pbz2"
    garbage.write_bytes(b"this is not a benchmark file\n" * 50)
    truncated = tmp_path / "truncated.pickle.pbz2"
    truncated.write_bytes(tss_file.read_bytes()[: tss_file.stat().st_size // 2])
    wrong_dict = tmp_path / "wrong.pickle.pbz2"
    with bz2.BZ2File(wrong_dict, "wb") as fh:
        pickle.dump({"meta_archs": ["a"]}, fh)
    empty_dir = tmp_path / "empty-dir"
    empty_dir.mkdir()
    bad_meta = tmp_path / "bad-meta"
    bad_meta.mkdir()
    (bad_meta / "meta.pickle.pbz2").write_bytes(b"garbage")
    return [
        ("nats-tss", garbage, "cannot read"),
        ("nats-tss", truncated, "cannot read"),
        ("nats-tss", wrong_dict, "meta_archs|arch2infos"),
        ("nats-tss", empty_dir, "no meta.pickle.pbz2"),
        ("nats-tss", bad_meta, "cannot read"),
        ("nats-tss", sss_file, "not in the nb201 space"),  # a size file given as a topology file
        ("nats-sss", tss_dir, "not in the nats-size space"),
        ("nats-sss", garbage, "cannot read"),
        ("nb201-official", garbage, "cannot read"),
        ("nb201-official", tss_file, "cannot read"),  # a NATS file given as a NAS-Bench-201 file
        ("nb201-official", empty_dir, "directory"),
    ]


def test_corrupt_files_are_one_line_benchmark_file_errors(tmp_path, tss_file, tss_fast_dir, sss_file_partial):
    specs = {s.name: s for s in (NB201_OFFICIAL_SPEC, NATS_TSS_SPEC, NATS_SSS_SPEC)}
    for name, path, pattern in _corrupt_cases(tmp_path, tss_file, tss_fast_dir, sss_file_partial):
        settings = Settings(cache_dir=tmp_path / "cache", files={name: path})
        with pytest.raises(BenchmarkFileError, match=pattern) as err:
            specs[name].build("cifar10", settings)
        msg = str(err.value)
        assert "\n" not in msg and len(msg) < 600, (name, path, msg)
        assert str(path) in msg, msg
    assert not list((tmp_path / "cache").glob("**/*.npz"))
    assert "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD" not in os.environ
