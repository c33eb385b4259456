import numpy as np
import pytest

from nasbench_lab.adapters.nb201.costs import cell_costs, cost_arrays, count, op_costs
from nasbench_lab.adapters.nb201.network import nb201_network
from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.errors import UnknownNameError

SPACE = NB201Space()


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # small networks: one thread (conftest)


def test_official_cifar10_ranges_exactly():
    costs = cost_arrays("cifar10")
    assert costs["params_m"].min() == 0.073306 and costs["params_m"].max() == 1.531546
    assert costs["flops_m"].min() == 7.78305 and costs["flops_m"].max() == 220.11969
    assert costs["params_m"].shape == (SPACE.size,) and not costs["flops_m"].flags.writeable
    # five 3x3 convolutions and a skip: five sixths of the conv increments over the all-none cell
    best = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    assert cell_costs(best) == {"params_m": 1.288506, "flops_m": 184.73025}


def test_other_datasets_differ_by_classifier_and_input():
    c10, c100, im = (cost_arrays(d) for d in ("cifar10", "c100", "ImageNet16-120"))
    assert np.allclose(c100["params_m"] - c10["params_m"], 90 * 65 / 1e6)
    assert np.allclose(im["params_m"] - c10["params_m"], 110 * 65 / 1e6)
    assert c100["flops_m"].min() == 7.7889 and c100["flops_m"].max() == 220.12554
    # 16x16 input: convolutions cost a quarter; the classifier is 64 x 120 + 120
    assert np.allclose(im["flops_m"] - 7.8e-3, (c10["flops_m"] - 6.5e-4) / 4)
    with pytest.raises(UnknownNameError):
        cost_arrays("mnist")


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100", "ImageNet16-120"])
def test_additive_costs_match_counting_the_real_network(dataset):
    base, inc = op_costs(dataset)
    size = 16 if dataset == "ImageNet16-120" else 32
    costs = cost_arrays(dataset)
    rng = np.random.default_rng(1)
    for i in rng.choice(SPACE.size, 5, replace=False):
        cell = SPACE.arch_at(int(i))
        params, flops = count(nb201_network(cell, dataset), size)
        assert costs["params_m"][i] == params / 1e6 and costs["flops_m"][i] == flops / 1e6, SPACE.format(cell)


def test_costs_joined_into_nb201_analog_and_pareto():
    from nasbench_lab.infra.settings import Settings
    from nasbench_lab.core.loading import load_benchmark
    from nasbench_lab.reports.pareto import resolve_objective

    bench = load_benchmark("nb201-analog", "cifar10", Settings())
    assert set(bench.cost_names) >= {"params_m", "flops_m"}
    arch = SPACE.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    assert bench.costs(arch)["params_m"] == 1.531546 and bench.costs(arch)["flops_m"] == 220.11969
    assert resolve_objective(bench, "flops_m") is not None


@pytest.mark.parametrize("dataset", ["cifar10", "ImageNet16-120"])
def test_costs_joined_into_nb201_table(settings, dataset):
    from nasbench_lab.core.loading import load_benchmark

    bench = load_benchmark("nb201", dataset, settings)
    assert {"params_m", "flops_m"} <= set(bench.cost_names)
    assert any(c.startswith("latency_ms:") for c in bench.cost_names)  # declared costs are kept
    assert np.array_equal(bench.values("flops_m"), cost_arrays(dataset)["flops_m"])
