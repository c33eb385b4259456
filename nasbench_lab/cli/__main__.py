"""``python -m nasbench_lab.cli``: the same as the ``nasbench-lab`` command."""
import sys

from . import main

sys.exit(main())
