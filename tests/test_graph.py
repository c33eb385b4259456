import numpy as np
import pytest

from nasbench_lab.errors import ArchError
from nasbench_lab.core.graph import ArchGraph


def make() -> ArchGraph:
    return ArchGraph.from_nodes(
        ["input", "conv", "output"], [(0, 1), (1, 2)], ("input", "output", "conv"), ("kernel",),
        [{}, {"kernel": 1.0}, {}],
    )


def test_shapes_and_dtypes():
    g = make()
    assert g.edge_index.dtype == np.int64 and g.edge_index.shape == (2, 2)
    assert g.x.dtype == np.float32 and g.x.shape == (3, 4)
    assert g.columns == ("input", "output", "conv", "kernel")
    assert g.ops() == ["input", "conv", "output"]
    assert g.param("kernel").tolist() == [0.0, 1.0, 0.0]
    assert g.predecessors() == [[], [0], [1]] and g.successors() == [[1], [2], []]


def test_equality_compares_arrays():
    assert make() == make()
    other = ArchGraph(make().edge_index[:, :1], make().x, make().vocab, make().params)
    assert make() != other


def test_rejects_bad_shapes_and_ops():
    with pytest.raises(ArchError, match="shape"):
        ArchGraph(np.zeros((2, 0)), np.zeros((2, 5)), ("a", "b"), ())
    with pytest.raises(ArchError, match="outside"):
        ArchGraph(np.array([[0], [7]]), np.eye(2), ("a", "b"), ())
    with pytest.raises(ArchError, match="vocabulary"):
        ArchGraph.from_nodes(["input", "warp"], [(0, 1)], ("input", "output"))


def test_to_pyg():
    data = make().to_pyg()
    assert tuple(data.x.shape) == (3, 4) and tuple(data.edge_index.shape) == (2, 2)
    assert data.edge_index.dtype.is_floating_point is False
