"""A digest of search trajectories: what must not change when code is reorganised."""
from __future__ import annotations

import hashlib

import pandas as pd

DIGEST_COLUMNS = ["benchmark", "dataset", "algorithm", "seed", "query", "arch", "search_metric", "report_metric"]


def trajectory_digest(runs: pd.DataFrame) -> str:
    """SHA-256 of the (benchmark, dataset, algorithm, seed, query, arch, search metric, report
    metric) rows in a fixed order; metrics written with 10 significant digits."""
    frame = runs[DIGEST_COLUMNS].sort_values(DIGEST_COLUMNS[:5], kind="stable")
    h = hashlib.sha256()
    for row in frame.itertuples(index=False):
        *head, search, report = row
        h.update(("\t".join(str(v) for v in head) + f"\t{search:.10g}\t{report:.10g}\n").encode())
    return h.hexdigest()
