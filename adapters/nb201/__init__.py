"""NAS-Bench-201 / NATS-Bench topology cell: the search space (``space``), the NAS-Bench-201
network (``network``), its parameter and FLOP costs (``costs``) and the ``nb201-analog``
benchmark of the analog-nasbench wheel (``analog``)."""
