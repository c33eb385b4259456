"""What a command does from start to end, across running and reporting (a leaderboard: plan, store, runs, tables and figures)."""
