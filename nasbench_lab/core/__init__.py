"""The domain: search spaces, architectures as graphs, benchmarks, the oracle, the algorithm contract, objectives, costs and fronts."""
