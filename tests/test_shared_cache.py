"""The shared caches under concurrency: processes scoring or training overlapping sets compute
each item exactly once, get the scores a single process gets, and take over the claims of a
process killed with SIGKILL."""
import multiprocessing as mp
import os
import signal
import time

import numpy as np
import pytest

from nasbench_lab.infra import claims
from nasbench_lab.adapters.nb201.space import NB201Space
from nasbench_lab.live import LiveBenchmark, Recipe, TrainResult
from nasbench_lab.proxies import cache as score_cache
from nasbench_lab.proxies.cache import ScoreCache
from nasbench_lab.proxies.scores import TableConfig, compute_scores, score_indices

SPACE = NB201Space()
CONFIG = TableConfig("synflow", "nb201", "ImageNet16-120", seed=0)  # 16x16 networks: fast
CTX = mp.get_context("fork")


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # small networks: one thread (conftest)


def _score_in_process(cache_dir, indices, barrier, out):
    barrier.wait(30)
    scores = compute_scores(CONFIG, cache_dir, indices, jobs=1, export=False)
    out.put((os.getpid(), scores.computed, scores.reused, scores.raw.tolist()))



def run_together(target, argument_lists) -> list:
    """Start one process per argument list (each also gets a shared barrier and result queue),
    collect one result from each (in arrival order), check they all exited cleanly; return the
    results and the processes' pids in argument order."""
    barrier, out = CTX.Barrier(len(argument_lists)), CTX.Queue()
    procs = [CTX.Process(target=target, args=(*args, barrier, out)) for args in argument_lists]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    assert [p.exitcode for p in procs] == [0] * len(procs)
    return results, [p.pid for p in procs]

def test_processes_scoring_overlapping_sets_compute_each_cell_once(tmp_path, monkeypatch):
    monkeypatch.setattr(score_cache, "CHUNK", 4)  # small chunks: the processes interleave
    rng = np.random.default_rng(0)
    cells = rng.choice(SPACE.size, 60, replace=False)
    sets = [cells[:40], cells[20:], cells[10:50]]  # every cell wanted by two or three processes
    results, pids = run_together(_score_in_process, [(tmp_path, s) for s in sets])
    # exactly one computation per cell, counted by the processes and by the cache's work table
    assert sum(r[1] for r in results) == len(cells)
    cache = ScoreCache.at(tmp_path)
    stored = cache.read(CONFIG.stem())
    assert sorted(stored) == sorted(cells.tolist())
    assert cache.work(CONFIG.stem()) == (len(cells), pytest.approx(sum(sec for _, sec in stored.values())))
    assert all(computed + reused == 40 for _, computed, reused, _ in results)
    # identical to scoring every cell alone in one process
    alone = {i: raw for i, raw, _ in score_indices(CONFIG, cells.tolist())}
    by_pid = {pid: raw for pid, _, _, raw in results}
    for pid, s in zip(pids, sets):
        assert by_pid[pid] == [alone[int(i)] for i in s]
    again = compute_scores(CONFIG, tmp_path, cells, export=False)
    assert again.computed == 0 and again.raw.tolist() == [alone[int(i)] for i in cells]


def test_parallel_workers_of_one_call_share_out_the_cells(tmp_path, monkeypatch):
    monkeypatch.setattr(score_cache, "CHUNK", 3)
    cells = np.arange(100, 124)
    scores = compute_scores(CONFIG, tmp_path, cells, jobs=2, export=False)
    assert scores.computed == len(cells) and scores.reused == 0
    assert ScoreCache.at(tmp_path).work(CONFIG.stem())[0] == len(cells)
    assert scores.raw.tolist() == [raw for _, raw, _ in score_indices(CONFIG, cells.tolist())]


def _claim_then_hang(path, indices, claimed):
    def compute(taken):
        claimed.set()
        time.sleep(600)
        return []

    ScoreCache(path).fill(CONFIG.stem(), indices, compute, chunk=len(indices))


def test_a_claim_left_by_a_killed_process_is_taken_over(tmp_path):
    path = tmp_path / "proxies" / "scores.sqlite"
    cells = [7, 70, 700, 7000]
    claimed = CTX.Event()
    proc = CTX.Process(target=_claim_then_hang, args=(path, cells, claimed))
    proc.start()
    assert claimed.wait(60)
    cache = ScoreCache(path)
    rows = cache._db().execute("SELECT item, pid FROM claims").fetchall()
    assert sorted(rows) == sorted((str(i), proc.pid) for i in cells)
    os.kill(proc.pid, signal.SIGKILL)
    time.sleep(0.2)  # killed, not yet reaped: a zombie holds no claim
    assert not claims.process_alive(proc.pid)
    scores, stats = cache.fill(CONFIG.stem(), cells, lambda taken: score_indices(CONFIG, taken))
    proc.join(10)
    assert stats.computed == len(cells) and cache.count(CONFIG.stem()) == len(cells)
    assert [scores[i][0] for i in cells] == [raw for _, raw, _ in score_indices(CONFIG, cells)]
    assert cache._db().execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0


def test_claims_of_live_owners_are_waited_for_and_old_remote_ones_taken_over(tmp_path):
    conn = claims.open_database(tmp_path / "c.sqlite", "test cache")
    here = claims.Owner(claims.current_owner().host, os.getppid(), "someone-else")  # a live process
    remote = claims.Owner("another-host", 1, "remote")
    with claims.transaction(conn):
        assert claims.claim(conn, "s", ["a", "b"], owner=here) == (["a", "b"], [])
        assert claims.claim(conn, "s", ["c"], owner=remote) == (["c"], [])
    with claims.transaction(conn):
        assert claims.claim(conn, "s", ["a", "b", "c", "d"], limit=1) == (["d"], ["a", "b", "c"])
    time.sleep(0.05)
    with claims.transaction(conn):  # a live local owner is waited for however old its claim
        assert claims.claim(conn, "s", ["a", "b", "c"], stale_after=0.01) == (["c"], ["a", "b"])
    with claims.transaction(conn):
        claims.release(conn, "s", ["a", "b", "c", "d"])
        claims.release(conn, "s", ["a", "b"], owner=here)
    assert conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0


def test_nan_scores_round_trip(tmp_path):
    cache = ScoreCache(tmp_path / "s.sqlite")
    cache.put("k", [(1, float("nan"), 0.1), (2, float("inf"), 0.2), (3, 1e-300, 0.3)])
    rows = cache.read("k")
    assert np.isnan(rows[1][0]) and rows[2][0] == float("inf") and rows[3] == (1e-300, 0.3)


# -- the live-training cache -------------------------------------------------------------------------

ARCHS = [SPACE.arch_at(i) for i in (11, 222, 3333, 4444, 5555, 6666)]


def _live(path, log, hang=None):
    def trainer(arch):
        with open(log, "a") as fh:
            fh.write(f"{SPACE.index(arch)}\n")
        if hang is not None:
            hang.set()
            time.sleep(600)
        time.sleep(0.05)
        return TrainResult("ok", float(SPACE.index(arch) % 97), {}, np.zeros(2, np.float32), 0.05)

    return LiveBenchmark(name="toy", dataset="toy", space=SPACE, recipe=Recipe(epochs=1), data_id="toy:1",
                         trainer=trainer, scorer=lambda arch, w: 1.0, cache_path=path)


def _train_in_process(path, log, archs, barrier, out):
    bench = _live(path, log)
    barrier.wait(30)
    values = [bench.search_metric(a) for a in archs]
    out.put((bench.trainings, values))


def test_live_cache_trains_each_architecture_once_across_processes(tmp_path):
    path, log = tmp_path / "live.sqlite", tmp_path / "trained.txt"
    sets = [ARCHS[:4], ARCHS[2:], ARCHS[::-1]]
    results, _ = run_together(_train_in_process, [(path, log, s) for s in sets])
    trained = log.read_text().split()
    assert sorted(trained) == sorted(str(SPACE.index(a)) for a in ARCHS)  # each once
    assert sum(r[0] for r in results) == len(ARCHS)
    expected = {a: float(SPACE.index(a) % 97) for a in ARCHS}
    assert sorted(r[1] for r in results) == sorted([expected[a] for a in s] for s in sets)


def _train_then_hang(path, log, hang):
    _live(path, log, hang).search_metric(ARCHS[0])


def test_live_training_claim_of_a_killed_process_is_taken_over(tmp_path):
    path, log = tmp_path / "live.sqlite", tmp_path / "trained.txt"
    hang = CTX.Event()
    proc = CTX.Process(target=_train_then_hang, args=(path, log, hang))
    proc.start()
    assert hang.wait(60)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)
    bench = _live(path, log)
    assert bench.search_metric(ARCHS[0]) == float(SPACE.index(ARCHS[0]) % 97) and bench.trainings == 1
    assert log.read_text().split() == [str(SPACE.index(ARCHS[0]))] * 2  # the killed training, then ours
