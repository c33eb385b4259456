"""The text of run files and of ``runs.csv``: written from a run's frame or its columns
(``run_file_text``; a worker formats it, the results store only writes it) and parsed back
(``parse_runs``)."""
from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Collection, Mapping

from nasbench_lab.infra.csv_text import columns_csv, frame_csv
from nasbench_lab.running.trajectory import COLUMNS

if TYPE_CHECKING:
    import pandas as pd

# stop: why the run ended ("budget" when its whole query budget was spent; see core.algorithm)
RUN_COLUMNS = ["benchmark", "dataset", "algorithm", "seed"] + COLUMNS + ["compute_seconds", "stop"]

__all__ = ["RUN_COLUMNS", "parse_runs", "run_file_text"]


def run_file_text(run: pd.DataFrame | Mapping[str, Any]) -> str:
    """The text of a run file: the run's ``RUN_COLUMNS`` as ``to_csv(index=False)`` writes them,
    then any further columns (a hardware-aware run's costs and constraint violation). ``run``:
    its frame, or its columns (``runner.run_columns``: no frame built)."""
    if isinstance(run, Mapping):  # a worker's columns (pandas need not be loaded)
        return columns_csv(run, RUN_COLUMNS + [c for c in run if c not in RUN_COLUMNS])
    return frame_csv(run, RUN_COLUMNS + [c for c in run.columns if c not in RUN_COLUMNS])


def parse_runs(data: bytes, columns: Collection[str] | None = None) -> pd.DataFrame:
    """The rows of a ``runs.csv`` text (an empty cell is missing; parsed from bytes, twice as
    fast as from text); ``columns``: only those of them it has (fewer columns parse faster)."""
    import pandas as pd

    usecols = None if columns is None else (lambda name: name in columns)
    return pd.read_csv(io.BytesIO(data), keep_default_na=False, na_values=[""], usecols=usecols)
