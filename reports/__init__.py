"""Reporter: tables, statistics and figures, computed from a results store only."""
