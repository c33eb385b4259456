"""``frame_csv`` writes exactly what ``DataFrame.to_csv(index=False)`` writes, so run files,
the exported runs.csv and the trajectory digests do not change with the faster commit."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nasbench_lab.infra.csv_text import columns_csv, frame_csv

EDGE_FLOATS = [0.0, -0.0, 1.0, -1.5, 0.1, 1e-4, 1e-5, 123456789012345.0, 1e15, 1e16, 1e17, 1 / 3,
               5e-324, 1.7976931348623157e308, np.inf, -np.inf, np.nan, 93.37333333333333, 2.0000000000000004]


def _random_floats(rng: np.random.Generator, n: int) -> np.ndarray:
    values = rng.standard_normal(n) * 10.0 ** rng.integers(-30, 30, n)
    return np.where(rng.random(n) < 0.1, rng.choice(EDGE_FLOATS, n), values)


@pytest.mark.parametrize("seed", range(4))
def test_random_frames_match_pandas(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 120))
    incumbent = np.maximum.accumulate(rng.random(n)) if n else np.zeros(0)
    frame = pd.DataFrame({
        "benchmark": ["nb201"] * n,
        "seed": np.full(n, seed),
        "query": np.arange(1, n + 1),
        "arch": [f"|op{k}~0|+|x~{k % 3}|" for k in range(n)],
        "value": _random_floats(rng, n),
        "incumbent": incumbent,  # few runs of equal values
        "runs_with_nan": np.where(np.arange(n) % 30 < 20, np.nan, 1.0),
        "flag": rng.random(n) < 0.5,
        "constant": np.full(n, 0.0),
    })
    columns = list(frame.columns)
    assert frame_csv(frame, columns) == frame.to_csv(index=False)
    assert frame_csv(frame, columns[::-1]) == frame[columns[::-1]].to_csv(index=False)


def test_cells_that_need_quotes_missing_strings_and_other_dtypes_match_pandas():
    frame = pd.DataFrame({
        "arch": ["link=0,1;ops=gcn,gat", 'say "hi"', "line\nbreak", None, "plain"],
        "x": [1.0, -0.0, np.nan, 2.5, 3.0],
        "when": pd.to_datetime(["2024-01-01"] * 5),  # handed to pandas
    })
    for columns in (["arch", "x"], ["x"], ["arch"], ["x", "when"]):
        assert frame_csv(frame, columns) == frame[columns].to_csv(index=False)
    mixed = pd.DataFrame({"a": [1, "b", 2.5, np.float64(0.1)], "b": [1, 2, 3, 4]}, dtype=object)
    assert frame_csv(mixed, ["a", "b"]) == mixed.to_csv(index=False)
    float32 = pd.DataFrame({"a": np.array([0.1, 0.2], dtype=np.float32), "b": [1, 2]})
    assert frame_csv(float32, ["a", "b"]) == float32.to_csv(index=False)


def test_a_missing_column_is_a_key_error():
    with pytest.raises(KeyError):
        frame_csv(pd.DataFrame({"a": [1]}), ["a", "b"])


# columns_csv: a run file's text from the run's columns, no frame built (the worker's path)
SINGLE_VALUES = ["nb201", "with,comma", 'a "quote"', 7, np.int64(-3), True, np.bool_(False), 0.25, -0.0,
                 np.float64(1 / 3), np.nan, np.inf, 1e16]


@pytest.mark.parametrize("seed", range(4))
def test_columns_with_single_values_match_pandas(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40)) if seed else 0  # seed 0: no rows (a header only)
    picks = rng.choice(len(SINGLE_VALUES), 4, replace=False)
    columns = {
        **{f"single{k}": SINGLE_VALUES[k] for k in picks},
        "query": np.arange(1, n + 1),
        "arch": [f"|op{k}~0|" for k in range(n)],
        "value": _random_floats(rng, n),
        "flag": rng.random(n) < 0.5,
        "stop": "budget",
    }
    order = list(columns)[::-1] if seed % 2 else list(columns)
    assert columns_csv(columns, order) == pd.DataFrame(columns)[order].to_csv(index=False)


def test_columns_it_does_not_format_are_left_to_pandas():
    n = 3
    for odd in (np.float32(0.1), None, [1, 2, 3], np.array([0.1, 0.2, 0.3], dtype=np.float32),
                ["a", None, "c"], np.array(["x", "y", "z"], dtype=object)):
        columns = {"arch": ["a", "b", "c"], "x": np.arange(n), "odd": odd}
        assert columns_csv(columns, list(columns)) == pd.DataFrame(columns).to_csv(index=False)


def test_columns_csv_refuses_what_pandas_refuses():
    with pytest.raises(KeyError):
        columns_csv({"a": np.arange(2)}, ["a", "b"])
    with pytest.raises(ValueError):  # columns of two lengths
        columns_csv({"a": np.arange(2), "b": np.arange(3)}, ["a", "b"])
