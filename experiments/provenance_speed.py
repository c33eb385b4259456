"""What the data-file checksums in ``config.json`` cost a leaderboard (``nasbench_lab.running.provenance``).

Measured in one run, each case in a fresh checksum cache directory:

* the three NB201 CSV tables (about 10 MB): hashed cold (no cache), then as a new process sees
  them (in-memory cache cleared, ``checksums.json`` read), then from memory;
* one big file of ``--big-mb`` MB (random bytes, written to a temporary directory and removed;
  as big as an official NAS-Bench-201 ``.pth``): cold, then from ``checksums.json``.

Timing: ``time.perf_counter``; one pass each (the cold case cannot be repeated without it being
warm in the page cache, so the cold figure is of a file the OS has in memory: a lower bound of
the first hash, disk reads excluded). ``nasbench_lab.running.store`` (which writes ``checksums.json``
and imports pandas) is imported first, as it is in a leaderboard, so no import time is counted.

    python experiments/provenance_speed.py --data-dir /work/shared/data --big-mb 1024
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from nasbench_lab.running import provenance, store  # noqa: E402,F401  (store: imported as in a leaderboard)
from nasbench_lab.infra.settings import DATA_ENV  # noqa: E402

NB201_FILES = ("nb201_12epoch.csv", "nats_bench.csv", "nb201_latency_ms.csv")


def timed(paths: list[Path], cache: Path, *, new_process: bool) -> float:
    if new_process:
        provenance._MEMORY.clear()
    start = time.perf_counter()
    provenance.checksums(paths, cache)
    return time.perf_counter() - start


def measure(label: str, paths: list[Path], scratch: Path) -> None:
    cache = scratch / f"cache-{label}"
    provenance._MEMORY.clear()
    size = sum(p.stat().st_size for p in paths) / 1e6
    cold = timed(paths, cache, new_process=True)
    disk = timed(paths, cache, new_process=True)
    memory = timed(paths, cache, new_process=False)
    print(f"{label:<12} {size:9.1f} MB   cold {cold * 1e3:9.1f} ms ({size / cold:7.0f} MB/s)   "
          f"from checksums.json {disk * 1e3:7.2f} ms   from memory {memory * 1e3:7.3f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get(DATA_ENV), help="directory of the NB201 CSV tables")
    parser.add_argument("--big-mb", type=int, default=1024, help="size of the big file in MB (0: skip)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        if args.data_dir:
            measure("nb201 CSVs", [Path(args.data_dir) / f for f in NB201_FILES], scratch)
        else:
            print("nb201 CSVs: skipped (pass --data-dir or set NASBENCH_LAB_DATA)")
        if args.big_mb > 0:
            big = scratch / "big.bin"
            with open(big, "wb") as fh:
                block = os.urandom(1 << 20)
                for _ in range(args.big_mb):
                    fh.write(block)
            measure("big file", [big], scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
