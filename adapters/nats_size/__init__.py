"""NATS-Bench size space (``sss``): the search space (``space``) and its network (``network``)."""
