"""Shared fixtures. Tests that need the real CSV tables find them through $NASBENCH_LAB_DATA
(or ../shared/data beside the repository); outside CI they skip with a reason, in CI
(CI=true) a missing file fails."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from nasbench_lab.infra.settings import Settings

REPO = Path(__file__).resolve().parents[1]
TABLES = ("nats_bench.csv", "nb201_12epoch.csv", "nb201_latency_ms.csv")


def _data_dir() -> Path:
    env = os.environ.get("NASBENCH_LAB_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def _require(path: Path, files) -> Path:
    """``path`` if it holds every file of ``files``; else skip with the reason (fail in CI)."""
    missing = [f for f in files if not (path / f).is_file()]
    if missing:
        message = f"shared data missing in {path}: {', '.join(missing)} (set NASBENCH_LAB_DATA)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Directory holding the shared NB201 CSV tables."""
    return _require(_data_dir(), TABLES)


@pytest.fixture(scope="session")
def settings(data_dir: Path, tmp_path_factory) -> Settings:
    return Settings(data_dir=data_dir, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def nats_csv(data_dir: Path):
    import pandas as pd

    return pd.read_csv(data_dir / "nats_bench.csv")


#: The real NATS-Bench fast-mode files of the shared data (official indices 0, 11 and 284).
NATS_SAMPLE = {"tss": "NATS-tss-v1_0-3ffb9-simple", "sss": "NATS-sss-v1_0-50262-simple"}


@pytest.fixture(scope="session")
def nats_official_sample(data_dir: Path) -> dict[str, Path]:
    """``{"tss": dir, "sss": dir}``: the shared ``nats_official_sample`` fast-mode directories."""
    root = data_dir / "nats_official_sample"
    files = [f"{d}/{f}.pickle.pbz2" for d in NATS_SAMPLE.values() for f in ("meta", "000000", "000011", "000284")]
    _require(root, files)
    return {kind: root / d for kind, d in NATS_SAMPLE.items()}


# --- Official-schema benchmark files (tests/official_fixtures.py), built once per session ---

N_TOPOLOGY, N_SIZE = 15625, 32768


@pytest.fixture(scope="session")
def official_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("official")


@pytest.fixture(scope="session")
def tss_file(official_dir: Path) -> Path:
    """NATS tss file: every cell, the CIFAR-10 records (cifar10-valid@12, cifar10@200)."""
    from official_fixtures import write_nats_file

    return write_nats_file(official_dir / "tss", "tss", datasets="cifar10")


@pytest.fixture(scope="session")
def tss_fast_dir(official_dir: Path) -> Path:
    """NATS tss fast-mode directory: all four datasets for ``partial_indices(15625)`` only."""
    from official_fixtures import partial_indices, write_nats_fast_dir

    return write_nats_fast_dir(official_dir / "NATS-tss-simple", "tss", partial_indices(N_TOPOLOGY))


@pytest.fixture(scope="session")
def sss_file_partial(official_dir: Path) -> Path:
    """NATS sss file: all four datasets for ``partial_indices(32768)`` only."""
    from official_fixtures import partial_indices, write_nats_file

    return write_nats_file(official_dir / "sss", "sss", datasets="all", indices=partial_indices(N_SIZE))


@pytest.fixture(scope="session")
def sss_fast_dir(official_dir: Path) -> Path:
    """NATS sss fast-mode directory: all four datasets for ``partial_indices(32768, seed=8)``."""
    from official_fixtures import partial_indices, write_nats_fast_dir

    return write_nats_fast_dir(official_dir / "NATS-sss-simple", "sss", partial_indices(N_SIZE, seed=8))


@pytest.fixture(scope="session")
def nb201_pth(official_dir: Path) -> Path:
    """NAS-Bench-201 .pth: every cell, the CIFAR-10 records."""
    from official_fixtures import write_nb201_pth

    return write_nb201_pth(official_dir / "NAS-Bench-201-fixture.pth", datasets="cifar10")


@pytest.fixture(scope="session")
def nb201_pth_partial(official_dir: Path) -> Path:
    """NAS-Bench-201 .pth: all four datasets for ``partial_indices(15625)`` only."""
    from official_fixtures import partial_indices, write_nb201_pth

    return write_nb201_pth(official_dir / "NAS-Bench-201-partial.pth", datasets="all",
                           indices=partial_indices(N_TOPOLOGY))


@pytest.fixture
def one_torch_thread():
    """One PyTorch thread (small networks: faster, and fair to a shared machine); restored after."""
    from nasbench_lab.infra.parallel import torch_threads

    with torch_threads(1):
        yield
