"""``python -m nasbench_lab.cli``: the same as the ``nasbench-lab`` command."""
from . import console

console()
