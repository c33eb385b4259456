"""The cost vocabulary (nasbench_lab.core.costs): names, unit labels, validation, and that every
built-in benchmark serves its costs under vocabulary names."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_lab.infra.settings import Settings
from nasbench_lab.core.costs import UNITS, check_cost, check_costs, cost_label, is_cost, split_cost
from nasbench_lab.errors import UnknownNameError
from nasbench_lab.core.registry import BENCHMARKS

#: benchmark -> a dataset to build it on (None: only its spec is checked; needs files)
BUILT_IN = {
    "nb201-analog": "cifar10",
    "nb201": "cifar10",
    "nasbench-graph": "cora",
    "nb201-official": None,
    "nats-tss": None,
    "nats-sss": None,
}


def test_vocabulary_and_labels():
    assert set(UNITS) == {"params_m", "flops_m", "latency_ms", "flash_kb", "peak_kb"}
    assert cost_label("params_m") == "parameters (M)"
    assert cost_label("flops_m") == "FLOPs (M)"
    assert cost_label("latency_ms") == "latency (ms)"
    assert cost_label("latency_ms:pixel3") == "latency (ms, pixel3)"
    assert split_cost("latency_ms:pixel3") == ("latency_ms", "pixel3") and split_cost("flops_m") == ("flops_m", "")
    assert check_costs(["params_m", "latency_ms:1080ti_1"]) == ("params_m", "latency_ms:1080ti_1")


@pytest.mark.parametrize("name, why", [
    ("params_mb", "did you mean 'params_m'"),
    ("mflops", "did you mean 'flops_m'"),
    ("latency_s", "did you mean 'latency_ms'"),
    ("params", "did you mean 'params_m'"),
    ("flops_m:gpu", "takes no device qualifier"),
    ("latency_ms:", "a device name is needed"),
    ("accuracy", "not a cost name"),
])
def test_names_outside_the_vocabulary_are_refused_by_name(name, why):
    assert not is_cost(name)
    with pytest.raises(UnknownNameError, match=f"unknown cost name {name!r} in here .*{why}"):
        check_cost(name, "here")
    with pytest.raises(UnknownNameError, match=repr(name)):
        cost_label(name)


def test_every_built_in_benchmark_is_listed_here():
    built_in = set(BENCHMARKS.names()) - set(BENCHMARKS.plugins())
    assert built_in - {"table:", "dynamicnet"} == set(BUILT_IN)


@pytest.mark.parametrize("name", [*BUILT_IN, "dynamicnet"])
def test_spec_costs_are_in_the_vocabulary(name):
    spec = BENCHMARKS.get(name)
    assert spec.costs
    for cost in spec.costs:  # a table declaration pattern "latency_ms:{}" stands for a device
        assert cost_label(cost.replace("{}", "device"))


@pytest.mark.parametrize("name", [n for n, d in BUILT_IN.items() if d])
def test_served_costs_are_in_the_vocabulary_with_a_unit(name, settings):
    bench = BENCHMARKS.get(name).build(BUILT_IN[name], settings)
    assert bench.cost_names
    for cost in bench.cost_names:
        assert cost_label(cost).endswith(")")  # unit in parentheses
        assert np.isfinite(bench.values(cost)).all() and (bench.values(cost) > 0).all()


def test_nb201_params_m_are_millions_of_parameters():
    """NB201's "params (MB)" is millions of parameters: params_m is the parameter count / 1e6."""
    from nasbench_lab.adapters.nb201.costs import cost_arrays
    from nasbench_lab.adapters.nb201.network import nb201_network
    from nasbench_lab.adapters.nb201.space import NB201Space
    from nasbench_lab.core.costs import count_params

    space = NB201Space()
    best = space.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    costs = cost_arrays("cifar10")
    assert costs["params_m"][space.index(best)] == 1.288506 == count_params(nb201_network(best, "cifar10")) / 1e6

