"""The torch device option: the resolver (cpu, auto, cuda, cuda:N), the CLI's one-line error when
CUDA is asked for and missing, and identical CPU results whether ``device`` is ``cpu`` or ``auto``
resolving to the CPU (a supernet search, a live training, a data-dependent proxy)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from nasbench_lab.adapters.dynamicnet.benchmark import DynamicNetBenchmark
from nasbench_lab.adapters.dynamicnet.data import digits_data
from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.cli import main
from nasbench_lab.core.benchmark import TabularBenchmark
from nasbench_lab.core.context import RunContext
from nasbench_lab.core.oracle import Oracle
from nasbench_lab.core.registry import ALGORITHMS
from nasbench_lab.errors import ParameterError
from nasbench_lab.infra.settings import Settings
from nasbench_lab.infra.torch_device import device_type, resolve_device
from nasbench_lab.live import Recipe
from nasbench_lab.proxies.scores import TableConfig, score_indices
from nasbench_lab.running.pipeline import Pipeline
from nasbench_lab.running.request import RunRequest

torch.set_num_threads(1)


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)


@pytest.fixture
def one_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)


# -- the resolver ----------------------------------------------------------------------------------

def test_cpu_and_auto_without_cuda_resolve_to_the_cpu(no_cuda):
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto") == torch.device("cpu")
    assert device_type("auto") == device_type("cpu") == "cpu"


def test_auto_picks_cuda_when_torch_sees_one(one_cuda):
    assert resolve_device("auto").type == "cuda"
    assert device_type("auto") == "cuda"
    assert resolve_device("cuda:0") == torch.device("cuda:0")


@pytest.mark.parametrize("name, seen", [("cuda", "no CUDA device"), ("cuda:1", "no CUDA device")])
def test_cuda_without_one_is_a_one_line_error_naming_the_parameter(no_cuda, name, seen):
    with pytest.raises(ParameterError) as info:
        resolve_device(name)
    assert info.value.parameter == "device" and info.value.value == name
    assert "\n" not in str(info.value) and seen in str(info.value) and str(info.value).startswith("device ")


def test_a_cuda_index_past_the_devices_seen_is_refused(one_cuda):
    with pytest.raises(ParameterError, match="torch sees 1 CUDA device"):
        resolve_device("cuda:1")


@pytest.mark.parametrize("bad", ["gpu", "CUDA", "cuda:", "cuda:x", "", None, 0])
def test_misspelt_devices_are_refused(bad):
    with pytest.raises(ParameterError, match="device must be one of cpu, cuda, auto"):
        resolve_device(bad)


# -- the CLI ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["leaderboard", "--benchmark", "nb201-analog/cifar10", "--algorithms", "darts", "--budget", "2", "--seeds", "1"],
    ["ofa", "train", "--dataset", "digits"],
    ["proxy", "snip", "--benchmark", "nb201-analog/cifar10", "--sample", "3"],
])
def test_cli_device_cuda_without_cuda_exits_2_with_one_line_naming_the_flag(no_cuda, capsys, tmp_path, args):
    code = main([*args, "--device", "cuda"] + (["--out", str(tmp_path / "lb")] if args[0] == "leaderboard" else []))
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--device 'cuda'" in err and "no CUDA device" in err
    assert not (tmp_path / "lb").exists()


def test_a_device_param_asking_for_missing_cuda_fails_before_any_run(no_cuda):
    request = RunRequest(benchmarks=[("nb201-analog", "cifar10")], algorithms=["darts"], budget=2, seeds=[0],
                         params={"darts": {"device": "cuda"}}, settings=Settings.from_env())
    with pytest.raises(ParameterError, match="darts: device 'cuda' asked for") as info:
        Pipeline(request).resolve()
    assert info.value.parameter == "params"


def test_request_device_goes_to_each_algorithm_declaring_it_and_to_live_benchmarks(tmp_path):
    request = RunRequest(benchmarks=[("nb201-analog", "cifar10"), ("dynamicnet", "digits")],
                         algorithms=["darts", "random"], budget=2, seeds=[0], params={"darts": {"epochs": 1}},
                         settings=Settings(cache_dir=tmp_path), device="auto")
    config = Pipeline(request).resolve().to_dict()
    assert config["algorithms"]["darts"]["device"] == "auto" and "device" not in config["algorithms"]["random"]
    assert config["settings"]["options"] == {"dynamicnet": {"device": "auto"}}
    own = RunRequest(benchmarks=[("nb201-analog", "cifar10")], algorithms=["darts"], budget=2, seeds=[0],
                     params={"darts": {"device": "cpu"}}, settings=Settings(cache_dir=tmp_path), device="auto")
    assert Pipeline(own).resolve().to_dict()["algorithms"]["darts"]["device"] == "cpu"  # its own value wins


# -- cpu and auto (resolving to the CPU) give the same results -----------------------------------------

SPACE = NB201Space()
BENCH = TabularBenchmark(name="t", dataset="cifar10", space=SPACE,
                         metrics={"v": np.arange(SPACE.size, dtype=float)}, search_metric="v", report_metric="v")


def _darts(device: str, tmp_path) -> tuple[list, dict]:
    algo = ALGORITHMS.get("darts")(SPACE, np.random.default_rng(3), epochs=2, max_train=48, batch_size=24, width=4,
                                   device=device)
    oracle = Oracle.for_benchmark(BENCH, 4)
    context = RunContext(benchmark="t", dataset="cifar10", seed=3, settings=Settings(cache_dir=tmp_path),
                         record_compute=lambda s: None)
    algo.run(oracle, context)
    record = json.loads(context.artefacts["oneshot.json"])
    return [(SPACE.format(q.arch), q.search_metric) for q in oracle.history], record


def test_supernet_search_is_identical_on_cpu_and_auto(no_cuda, tmp_path):
    cpu_queries, cpu = _darts("cpu", tmp_path)
    auto_queries, auto = _darts("auto", tmp_path)
    assert cpu_queries == auto_queries and len(cpu_queries) == 4
    assert cpu["epochs"] == auto["epochs"] and cpu["derived"] == auto["derived"]
    assert cpu["training"]["device"] == auto["training"]["device"] == "cpu"  # the resolved device is recorded


def test_live_training_is_identical_on_cpu_and_auto(no_cuda):
    data = digits_data()
    benches = [DynamicNetBenchmark(data, recipe=Recipe(epochs=1, max_train=200), device=d) for d in ("cpu", "auto")]
    arch = benches[0].space.parse("dense32-relu")
    trained = [b._trainer(arch) for b in benches]
    assert trained[0].search == trained[1].search and 0 < trained[0].search <= 100
    np.testing.assert_array_equal(trained[0].weights, trained[1].weights)
    assert benches[0].key(arch) == benches[1].key(arch)  # the same cache rows
    resumed = [b.fidelity_fn()(arch, 1) for b in benches]
    assert resumed == [trained[0].search] * 2


def test_live_rows_of_a_gpu_are_cached_apart_from_the_cpu_rows(one_cuda):
    data = digits_data()
    cpu, gpu = (DynamicNetBenchmark(data, recipe=Recipe(epochs=1), device=d) for d in ("cpu", "auto"))
    arch = cpu.space.parse("dense32-relu")
    assert gpu._trainer.device == "cuda" and cpu.key(arch) != gpu.key(arch)


def test_a_data_dependent_proxy_is_identical_on_cpu_and_auto(no_cuda):
    configs = [TableConfig("snip", "nb201", "cifar10", 0, None, 8, device_type(d)) for d in ("cpu", "auto")]
    assert configs[0] == configs[1] and configs[0].stem() == "snip-nb201-cifar10-seed0-synthetic8"
    scores = [[raw for _, raw, _ in score_indices(c, [0, 1234])] for c in configs]
    assert scores[0] == scores[1] and all(np.isfinite(scores[0]))
    assert TableConfig("snip", "nb201", "cifar10", 0, None, 8, "cuda:1").stem().endswith("-cuda1")


def test_the_python_api_takes_the_device_and_refuses_missing_cuda_before_any_run(no_cuda):
    import nasbench_lab

    with pytest.raises(ParameterError, match="device 'cuda' asked for") as info:
        nasbench_lab.run("darts", "nb201-analog/cifar10", budget=2, seeds=1, device="cuda")
    assert info.value.parameter == "device"
