"""Running: from a run request to stored results (pipeline, runner, executors, results store, provenance, trajectories)."""
