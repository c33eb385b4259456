"""nasbench-lab's version as written in the source (pyproject.toml's ``version``; a test keeps the
two equal). ``provenance.lab_version()`` prefers the installed package's metadata."""

__version__ = "0.1.0"
