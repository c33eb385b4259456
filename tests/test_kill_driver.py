"""Kill only the driver of a ``--jobs 2`` leaderboard (as a job scheduler or the OOM killer
does): its pool workers die with it, and ``--resume`` takes the folder over at once, with a
one-line notice naming the dead writer; a run that ends removes its ``.lock``."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from nasbench_lab.infra.claims import process_alive


def _leaderboard(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "nasbench_lab.cli", "leaderboard", "--benchmark", "nb201-analog",
            "--algorithms", "random,re", "--seeds", "0-29", "--budget", "150", "--jobs", "2",
            "--no-progress", "--json", "--out", str(out), *extra]


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (``ps`` reads the same on Linux and macOS)."""
    ps = subprocess.Popen(["ps", "-A", "-o", "pid=,ppid="], stdout=subprocess.PIPE, text=True)
    table, _ = ps.communicate()
    rows = (line.split() for line in table.splitlines())
    return [int(child) for child, parent in rows if int(parent) == pid and int(child) != ps.pid]


def _wait_for(condition, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_killing_only_the_driver_ends_its_workers_and_resume_takes_over(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with open(tmp_path / "stderr", "wb") as stderr:
        driver = subprocess.Popen(_leaderboard(out), stdout=subprocess.DEVNULL, stderr=stderr,
                                  start_new_session=True)
    try:
        assert _wait_for(lambda: any((out / "runs").glob("*.csv")) or driver.poll() is not None, 120)
        workers = _children(driver.pid)
        assert driver.poll() is None and len(workers) >= 2, "the leaderboard ended before the kill"
        os.kill(driver.pid, signal.SIGKILL)  # the driver only, not its process group
        driver.wait()
        assert _wait_for(lambda: not any(process_alive(w) for w in workers), 5), \
            f"workers outlived their driver: {[w for w in workers if process_alive(w)]}"

        start = time.monotonic()
        resumed = subprocess.run(_leaderboard(out, "--resume"), capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        assert time.monotonic() - start < 60
        notes = [line for line in resumed.stderr.splitlines() if "lock" in line]
        assert len(notes) == 1 and f"pid {driver.pid}" in notes[0] and "gone" in notes[0], resumed.stderr
        assert (out / "runs.csv").is_file() and not (out / ".lock").exists()
    finally:
        try:
            os.killpg(driver.pid, signal.SIGKILL)  # whatever of the session is left
        except ProcessLookupError:
            pass


def test_a_finished_run_removes_its_lock(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "nasbench_lab.cli", "leaderboard", "--benchmark", "nb201-analog",
                           "--algorithms", "random", "--seeds", "2", "--budget", "5", "--no-progress", "--json",
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (out / "runs.csv").is_file() and not (out / ".lock").exists()


def test_a_lock_held_by_leftovers_of_a_dead_writer_is_taken_over(tmp_path: Path) -> None:
    from nasbench_lab.infra.folder_lock import FolderLock

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that no longer runs
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(tmp_path / '.lock')!r}, os.O_RDWR | os.O_CREAT)\n"
        f"fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'{gone.pid}\\n'); print('held', flush=True)\n"
        "time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        notes: list[str] = []
        lock = FolderLock(tmp_path, say=notes.append)
        assert len(notes) == 1 and f"pid {gone.pid}, which is gone" in notes[0]
        assert (tmp_path / ".lock").read_text() == f"{os.getpid()}\n"
        lock.release()
        assert not (tmp_path / ".lock").exists()
    finally:
        holder.kill()
        holder.wait()


def test_jobs_never_start_more_workers_than_items() -> None:
    from nasbench_lab.infra.parallel import parallel_map

    pids, started = set(), 0
    for _, pid in parallel_map(_worker_pid, [0, 1], jobs=40):
        pids.add(pid)
        started = max(started, len(_children(os.getpid())))  # while the pool lives
    assert 1 <= len(pids) <= 2 and os.getpid() not in pids
    assert started <= 2, f"{started} processes started for 2 items"


def _worker_pid(_: int) -> int:
    time.sleep(0.2)
    return os.getpid()


def test_a_full_disk_is_one_line(tmp_path: Path) -> None:
    import resource

    def small_files() -> None:  # writes beyond 20 kB fail with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    done = subprocess.run([sys.executable, "-m", "nasbench_lab.cli", "leaderboard", "--benchmark", "nb201-analog",
                           "--algorithms", "random", "--seeds", "3", "--budget", "50", "--no-progress",
                           "--out", str(tmp_path / "out")], preexec_fn=small_files, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [f"nasbench-lab: error: cannot write {tmp_path / 'out' / 'runs.csv'}: "
                                        "File too large; runs finished so far are kept"]


def test_a_failing_figure_process_is_reported_in_one_line_without_a_traceback(tmp_path, capfd):
    """The regret figure drawn in a forked process fails (e.g. a full disk): the leaderboard
    says so in one line naming the error, and the child prints no traceback."""
    import errno

    import pytest

    from nasbench_lab.errors import NasLabError
    from nasbench_lab.workflows.leaderboard import _start_figure

    def draw():
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "regret.png"))

    wait = _start_figure(draw, tmp_path, parallel=True)
    with pytest.raises(NasLabError, match=r"drawing the figure in .* failed \(OSError: .*No space left on device"):
        wait()
    assert "Traceback" not in capfd.readouterr().err
