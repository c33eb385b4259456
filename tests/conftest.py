"""Shared fixtures. Tests that need the real CSV tables find them through $NASBENCH_LAB_DATA
(or ../shared/data beside the repository); outside CI they skip with a reason, in CI
(CI=true) a missing file fails."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from nasbench_lab.config import Settings

REPO = Path(__file__).resolve().parents[1]
TABLES = ("nats_bench.csv", "nb201_12epoch.csv", "nb201_latency_ms.csv")


def _data_dir() -> Path:
    env = os.environ.get("NASBENCH_LAB_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Directory holding the shared NB201 CSV tables."""
    path = _data_dir()
    missing = [f for f in TABLES if not (path / f).is_file()]
    if missing:
        message = f"shared data missing in {path}: {', '.join(missing)} (set NASBENCH_LAB_DATA)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def settings(data_dir: Path, tmp_path_factory) -> Settings:
    return Settings(data_dir=data_dir, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def nats_csv(data_dir: Path):
    import pandas as pd

    return pd.read_csv(data_dir / "nats_bench.csv")
