"""The faster paths give what the plain ones gave: the vectorised incumbent, the runs.csv export
joined from run files, batched process-pool work; and a run file lost in a power cut is rerun."""
from __future__ import annotations

import io
import json
from functools import partial

import numpy as np
import pandas as pd
import pytest

from nasbench_lab.cli import main
from nasbench_lab.infra.parallel import _Batches, import_in_background, parallel_map
from nasbench_lab.running.store import SORT_KEYS
from nasbench_lab.running.trajectory import incumbent_positions

SMALL = ["--benchmark", "nb201-analog/cifar10", "--algorithms", "re,random", "--seeds", "8-11", "--budget", "15"]


def incumbent_loop(search: np.ndarray) -> np.ndarray:
    """The incumbent as the trajectory used to find it, one query at a time."""
    best_at = np.zeros(len(search), dtype=int)
    for k in range(1, len(search)):
        prev = best_at[k - 1]
        best_at[k] = k if search[k] > search[prev] else prev
    return best_at


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_incumbent_matches_the_loop(seed):
    rng = np.random.default_rng(seed)
    search = rng.integers(0, 6, int(rng.integers(1, 60))).astype(float)  # many ties
    if seed >= 3:
        search[rng.random(len(search)) < 0.2] = np.nan  # a NaN never wins; a first NaN is never beaten
    if seed == 5:
        search[0] = np.nan
    np.testing.assert_array_equal(incumbent_positions(search), incumbent_loop(search))
    assert incumbent_positions(np.zeros(0)).shape == (0,)


def test_export_equals_sorting_every_row(tmp_path):
    """runs.csv is the run files joined in (benchmark, dataset, algorithm, seed) order, seeds
    compared as numbers (8, 9, 10, 11): what parsing, sorting and writing every row gave."""
    out = tmp_path / "r"
    assert main(["leaderboard", "--no-progress", "--json", "--out", str(out), *SMALL]) == 0
    runs = sorted((out / "runs").iterdir())
    header = runs[0].read_text().partition("\n")[0]
    body = "".join(p.read_text().partition("\n")[2] for p in runs)
    frame = pd.read_csv(io.StringIO(header + "\n" + body), keep_default_na=False, na_values=[""])
    expected = frame.sort_values(SORT_KEYS, kind="stable").to_csv(index=False)
    assert (out / "runs.csv").read_text() == expected
    assert pd.read_csv(out / "runs.csv")["seed"].tolist()[:30] == [8] * 15 + [9] * 15


def test_an_empty_run_file_is_rerun_by_resume(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["leaderboard", "--no-progress", "--json", "--out", str(out), *SMALL]) == 0
    before = (out / "runs.csv").read_text()
    lost = sorted((out / "runs").iterdir())[3]
    lost.write_text("")  # what a power cut can leave of a file renamed but not yet on disk
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**manifest, "complete": False}))
    assert main(["leaderboard", "--no-progress", "--json", "--out", str(out), "--resume", *SMALL]) == 0
    assert lost.stat().st_size > 0
    cut = [line.rsplit(",", 3)[0] for line in before.splitlines()]  # all but seconds, compute_seconds, stop
    assert [line.rsplit(",", 3)[0] for line in (out / "runs.csv").read_text().splitlines()] == cut


def _square_or_fail(x: int, fail_at: int = -1) -> int:
    if x == fail_at:
        raise ValueError(f"item {x} failed")
    return x * x


def test_batched_pool_gives_every_result_at_its_position():
    items = list(range(300))
    results = dict(parallel_map(_square_or_fail, items, jobs=2, initializer=None))
    assert results == {k: k * k for k in items}
    seen: list[int] = []
    wrapped = parallel_map(_square_or_fail, items, jobs=2, initializer=None,
                           progress=lambda it, total: (seen.append(total), it)[1])
    assert len(list(wrapped)) == 300 and seen == [300]


def test_a_failing_item_raises_in_the_caller_after_the_items_before_it():
    got: list[int] = []
    with pytest.raises(ValueError, match="item 40 failed") as info:
        for k, _ in parallel_map(partial(_square_or_fail, fail_at=40), list(range(120)), jobs=2, initializer=None):
            got.append(k)
    assert any("in a worker process" in note for note in getattr(info.value, "__notes__", []))
    assert len(got) < 120


def test_batches_grow_to_the_target_seconds_and_share_the_tail():
    batches = _Batches(1000, jobs=2)
    assert len(batches.take()) == 1  # nothing measured yet: one item
    batches.record(1, 0.001)  # 1 ms per item: 0.2 s is 200 items, at most a quarter of what remains
    assert len(batches.take()) == 200
    batches.next = 990
    assert len(batches.take()) == 2  # the last ten items: (1000 - 990) // (2 * 2)
    slow = _Batches(10, jobs=2)
    slow.take()
    slow.record(1, 30.0)  # minutes-long items (live training) go one at a time
    assert len(slow.take()) == 1


def test_the_figure_drawn_beside_the_tables_with_two_jobs_is_the_same(tmp_path):
    """With --jobs 2 the regret figure is drawn in a forked process while the tables are written."""
    small = ["--benchmark", "nb201-analog/cifar10", "--algorithms", "random,re", "--seeds", "3", "--budget", "10",
             "--no-progress", "--json"]
    for jobs in ("1", "2"):
        assert main(["leaderboard", *small, "--jobs", jobs, "--out", str(tmp_path / jobs)]) == 0
    one, two = (tmp_path / "1" / "regret.png").read_bytes(), (tmp_path / "2" / "regret.png").read_bytes()
    assert two.startswith(b"\x89PNG") and len(two) == len(one)


def test_background_import_then_calls_the_named_function_and_swallows_failures(tmp_path, monkeypatch):
    (tmp_path / "warm_probe.py").write_text(
        "from pathlib import Path\n"
        f"def mark():\n    Path({str(tmp_path / 'called')!r}).write_text('yes')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import_in_background("json", then="warm_probe:mark").join(timeout=30)
    assert (tmp_path / "called").read_text() == "yes"
    (tmp_path / "called").unlink()
    thread = import_in_background("no_such_module_here", then="warm_probe:mark")
    thread.join(timeout=30)
    assert not thread.is_alive() and not (tmp_path / "called").exists()  # stopped at the failed import


def _mark_start(folder: str, x: int) -> int:
    """Note in ``folder`` that item ``x`` started; return it."""
    from pathlib import Path

    (Path(folder) / f"started-{x}").write_text("")
    return x


def test_workers_get_their_next_batch_before_the_caller_handles_a_result(tmp_path):
    """While the caller is still busy with the first result (the leaderboard's driver writes
    it), the freed worker already runs a later item: the pool is refilled first."""
    import time

    items = list(range(6))  # four single-item batches go out at once; items 4 and 5 only after a result
    stream = parallel_map(partial(_mark_start, str(tmp_path)), items, jobs=2, initializer=None)
    first, _ = next(stream)
    deadline = time.monotonic() + 20
    while not any((tmp_path / f"started-{k}").exists() for k in (4, 5)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert any((tmp_path / f"started-{k}").exists() for k in (4, 5))
    assert sorted([first] + [k for k, _ in stream]) == items
