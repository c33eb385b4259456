import numpy as np
import pytest
from scipy import stats

from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.errors import NasLabError
from nasbench_lab.core.graph import ArchGraph
from nasbench_lab.predictors import PredictorError, flat_features, make_predictor
from nasbench_lab.predictors.features import FlatEncoder
from nasbench_lab.predictors.gin import GINEnsemble, GINPredictor

SPACE = NB201Space()
FAST = {"hidden": 16, "epochs": 10, "min_steps": 30, "batch_size": 32}


def synthetic(n, seed):
    """NB201 cells and a smooth target: convolutions help, 'none' on the direct input edge hurts."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(SPACE.size, size=n, replace=False)
    archs = [SPACE.arch_at(int(i)) for i in idx]
    y = np.array([3.0 * sum(o == 3 for o in a) + 2.0 * sum(o == 2 for o in a) - 4.0 * (a[3] == 0) for a in archs])
    return [SPACE.encode(a) for a in archs], y + rng.normal(0, 0.5, n)


TRAIN, Y = synthetic(60, 0)


def permuted(g: ArchGraph, perm: np.ndarray) -> ArchGraph:
    """The same graph with node ``perm[k]`` renamed to ``k``."""
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(len(perm))
    return ArchGraph(inverse[g.edge_index], g.x[perm], g.vocab, g.params)


@pytest.fixture(scope="module")
def gin():
    return GINPredictor(**FAST, seed=3).fit(TRAIN, Y)


def test_node_permutation_leaves_gin_prediction_unchanged(gin):
    rng = np.random.default_rng(1)
    graphs = TRAIN[:20]
    shuffled = [permuted(g, rng.permutation(g.num_nodes)) for g in graphs]
    assert any(not np.array_equal(a.x, b.x) for a, b in zip(graphs, shuffled))
    assert SPACE.decode(shuffled[0]) == SPACE.decode(graphs[0])  # still the same cell
    np.testing.assert_allclose(gin.predict(shuffled), gin.predict(graphs), rtol=1e-5, atol=1e-4)
    # ... while the flat encoding does depend on the node order
    assert not np.array_equal(flat_features(shuffled), flat_features(graphs))


def test_node_permutation_invariance_on_nasbench_graph_space():
    from nasbench_lab.adapters.nasbench_graph.space import NasBenchGraphSpace

    space = NasBenchGraphSpace()
    rng = np.random.default_rng(0)
    graphs = [space.encode(space.arch_at(int(i))) for i in rng.choice(space.size, 40, replace=False)]
    model = GINPredictor(**FAST).fit(graphs, rng.normal(size=40))
    shuffled = [permuted(g, rng.permutation(g.num_nodes)) for g in graphs]
    np.testing.assert_allclose(model.predict(shuffled), model.predict(graphs), rtol=1e-5, atol=1e-4)


def test_same_seed_same_model(gin):
    again = GINPredictor(**FAST, seed=3).fit(TRAIN, Y)
    other = GINPredictor(**FAST, seed=4).fit(TRAIN, Y)
    test, _ = synthetic(30, 9)
    assert np.array_equal(gin.predict(test), again.predict(test))
    assert not np.array_equal(gin.predict(test), other.predict(test))
    mlp = [make_predictor("mlp", seed=2, epochs=5).fit(TRAIN, Y).predict(test) for _ in range(2)]
    assert np.array_equal(*mlp)
    trees = [make_predictor("gbdt", seed=2, n_estimators=20).fit(TRAIN, Y).predict(test) for _ in range(2)]
    assert np.array_equal(*trees)


@pytest.mark.parametrize("loss", ["mse", "pairwise", "listwise", "mse+pairwise"])
def test_gin_ranks_a_synthetic_target(loss):
    train, y = synthetic(150, 1)
    test, y_test = synthetic(300, 2)
    model = GINPredictor(hidden=32, epochs=30, min_steps=80, loss=loss, seed=0).fit(train, y)
    tau = stats.kendalltau(model.predict(test), y_test).statistic
    assert tau > 0.5, f"{loss}: tau {tau:.3f}"
    assert model.fit_seconds > 0


def test_gin_on_real_nb201_target(settings):
    from nasbench_lab.core.loading import load_benchmark

    bench = load_benchmark("nb201", "cifar10", settings)
    y = bench.values(bench.report_metric_name)
    rng = np.random.default_rng(0)
    idx = rng.choice(bench.space.size, 400, replace=False)
    graphs = [bench.space.encode(bench.space.arch_at(int(i))) for i in idx]
    model = GINPredictor(hidden=32, epochs=40, min_steps=100, loss="pairwise").fit(graphs[:100], y[idx[:100]])
    tau = stats.kendalltau(model.predict(graphs[100:]), y[idx[100:]]).statistic
    assert tau > 0.45


def test_baselines_rank_the_synthetic_target():
    train, y = synthetic(150, 1)
    test, y_test = synthetic(300, 2)
    for name, params in [("mlp", {"epochs": 40}), ("gbdt", {"n_estimators": 100}), ("rf", {"n_estimators": 50})]:
        pred = make_predictor(name, **params).fit(train, y).predict(test)
        assert stats.kendalltau(pred, y_test).statistic > 0.5, name


def test_flat_features_shape_and_padding():
    g = SPACE.encode(SPACE.arch_at(123))
    x = flat_features([g, SPACE.encode(SPACE.arch_at(7))])
    assert x.shape == (2, 8 * 8 + 8 * 8) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0, :64], g.x.reshape(-1))
    assert x[0, 64:].sum() == g.num_edges
    small = ArchGraph.from_nodes(["input", "output"], [(0, 1)], g.vocab, g.params)
    enc = FlatEncoder().fit([g])
    padded = enc.transform([small])
    assert padded.shape == (1, enc.dim) and padded[0, :16].tolist() == small.x.reshape(-1).tolist()
    with pytest.raises(PredictorError, match="nodes"):
        FlatEncoder().fit([small]).transform([g])


def test_ensemble_gives_mean_and_std():
    ens = GINEnsemble(members=3, **FAST).fit(TRAIN, Y)
    test, _ = synthetic(20, 5)
    mean, std = ens.predict_dist(test)
    members = np.stack([m.predict(test) for m in ens.models])
    np.testing.assert_allclose(mean, members.mean(0))
    np.testing.assert_allclose(std, members.std(0))
    assert mean.shape == std.shape == (20,) and (std > 0).all()
    np.testing.assert_allclose(ens.predict(test), mean)
    assert isinstance(make_predictor("gin-ensemble", members=2, hidden=8, epochs=2), GINEnsemble)


def test_bad_input_errors():
    model = GINPredictor(**FAST)
    with pytest.raises(PredictorError, match="not fitted"):
        model.predict(TRAIN[:2])
    with pytest.raises(PredictorError, match="no architectures"):
        model.fit([], [])
    with pytest.raises(PredictorError, match="one target per architecture"):
        model.fit(TRAIN[:5], Y[:4])
    with pytest.raises(PredictorError, match="finite"):
        model.fit(TRAIN[:3], [1.0, np.nan, 2.0])
    with pytest.raises(PredictorError, match="at least 2"):
        model.fit(TRAIN[:1], Y[:1])
    with pytest.raises(PredictorError, match="ArchGraph"):
        model.fit([SPACE.arch_at(0), SPACE.arch_at(1)], [1.0, 2.0])
    with pytest.raises(PredictorError, match="unknown loss 'hinge'"):
        GINPredictor(loss="hinge")
    with pytest.raises(PredictorError, match="unknown predictor 'xgb'"):
        make_predictor("xgb")
    with pytest.raises(PredictorError, match="no hyper-parameter depth"):
        make_predictor("gin", depth=3)
    fitted = GINPredictor(**FAST).fit(TRAIN[:10], Y[:10])
    foreign = ArchGraph.from_nodes(["input", "output"], [(0, 1)], ("input", "output"))
    with pytest.raises(PredictorError, match="different node features"):
        fitted.predict([foreign])
    assert issubclass(PredictorError, NasLabError)
