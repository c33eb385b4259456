"""Hard dependencies are imported, never skipped: no test skips itself when a package that
pyproject.toml requires (``dependencies`` or the ``dev`` extra the test command installs) is
missing, so a broken install fails the suite instead of shrinking it. Optional extras (ray) may
skip."""
from __future__ import annotations

import ast
import importlib.metadata
import re
import tomllib
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PYPROJECT = TESTS.parent / "pyproject.toml"


def distribution(requirement: str) -> str:
    """``torch-geometric>=2.4`` -> ``torch-geometric`` (normalised as PEP 503 does)."""
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)[1]
    return re.sub(r"[-_.]+", "-", name).lower()


def hard_dependencies() -> set[str]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    return {distribution(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}


def distributions_of(module: str) -> set[str]:
    """The distributions that install top-level ``module`` (and its own name, for one not installed)."""
    top = module.split(".")[0]
    return {distribution(d) for d in importlib.metadata.packages_distributions().get(top, [])} | {distribution(top)}


def skipped_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every ``pytest.importorskip(module)`` and of every module imported in a
    ``try`` whose ImportError handler skips."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "importorskip":
            if node.args and isinstance(node.args[0], ast.Constant):
                found.append((node.lineno, str(node.args[0].value)))
        elif isinstance(node, ast.Try):
            catches = [h for h in node.handlers if "ImportError" in ast.dump(h.type or ast.Name("ImportError"))
                       or "ModuleNotFoundError" in ast.dump(h.type or ast.Name(""))]
            skips = any(isinstance(n, ast.Call) and getattr(n.func, "attr", getattr(n.func, "id", "")) == "skip"
                        for h in catches for n in ast.walk(h))
            if skips:
                for stmt in node.body:
                    for n in ast.walk(stmt):
                        if isinstance(n, ast.Import):
                            found += [(n.lineno, a.name) for a in n.names]
                        elif isinstance(n, ast.ImportFrom) and n.module:
                            found.append((n.lineno, n.module))
    return sorted(found)


def test_the_scanner_finds_both_kinds_of_skip():
    source = ("import pytest\npytest.importorskip('torch_geometric')\n"
              "try:\n    import ray\nexcept ImportError:\n    pytest.skip('no ray')\n")
    assert skipped_imports(source) == [(2, "torch_geometric"), (4, "ray")]
    assert {"torch-geometric", "nas-bench-graph", "hypothesis", "scipy"} <= hard_dependencies()
    assert distributions_of("torch_geometric") & hard_dependencies() and not distributions_of("ray") & hard_dependencies()


def test_no_test_skips_a_hard_dependency():
    hard = hard_dependencies()
    offenders = [f"{path.name}:{line} skips when {module!r} is missing"
                 for path in sorted(TESTS.rglob("*.py"))
                 for line, module in skipped_imports(path.read_text())
                 if distributions_of(module) & hard and path.name != Path(__file__).name]
    assert not offenders, "hard dependencies must be imported, not skipped: " + "; ".join(offenders)
