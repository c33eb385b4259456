"""Official NAS-Bench-201 / NATS-Bench files read through their official APIs (nothing is
downloaded): ``nb201`` (``nb201-official``), ``nats`` (``nats-tss``, ``nats-sss``), the shared
converter and cache (``convert``) and the benchmark class (``benchmark``)."""
