"""The shape of the code: one namespace, small files, one copy of each shared helper, the run
context instead of patches, and reports made with the run's own settings."""
from __future__ import annotations

import sys

import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
#: Source folder -> the package it installs as.
FOLDERS = {"nasbench_lab": "nasbench_lab", "adapters": "nasbench_lab.adapters",
           "algorithms": "nasbench_lab.algorithms", "reports": "nasbench_lab.reports"}


def product_files() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (REPO / folder).rglob("*.py") if "__pycache__" not in p.parts)


def test_every_package_is_in_the_wheel():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join([FOLDERS[folder], *init.parent.relative_to(REPO / folder).parts])
             for folder in FOLDERS for init in (REPO / folder).rglob("__init__.py")}
    assert found == listed


def test_no_product_file_over_400_lines():
    long = {str(p.relative_to(REPO)): n for p in product_files() if (n := len(p.read_text().splitlines())) > 400}
    assert not long


def test_imports_use_the_one_namespace():
    generic = re.compile(r"^\s*(from|import)\s+(adapters|algorithms|reports)\b", re.M)
    files = product_files() + sorted((REPO / "tests").glob("*.py")) + sorted((REPO / "experiments").glob("*.py"))
    assert [str(p.relative_to(REPO)) for p in files if generic.search(p.read_text())] == []


@pytest.mark.parametrize("pattern, home", [
    (r"ProcessPoolExecutor\(", "nasbench_lab/infra/parallel.py"),
    (r"set_num_threads\(", "nasbench_lab/infra/parallel.py"),
    (r"inspect\.signature\(", "nasbench_lab/infra/introspect.py"),
    # One atomic writer (temporary file, rename, never through a symlink); one layout of the cache.
    (r"\bos\.(replace|rename)\(|\btmp\w*\.(replace|rename)\(", "nasbench_lab/infra/files.py"),
    (r"\bPath\((settings\.)?cache_dir\)\s*/|\bcache_dir\s*/\s*[\"']", "nasbench_lab/infra/cache_layout.py"),
    # Restricted unpicklers only: the image-batch reader and analog-nasbench's table.
    (r"pickle\.(Unpickler|loads?\()", ("nasbench_lab/infra/image_batches.py", "adapters/nb201/analog.py")),
])
def test_shared_helpers_exist_once(pattern, home):
    files = product_files() + sorted((REPO / "experiments").glob("*.py"))
    where = {str(p.relative_to(REPO)) for p in files if re.search(pattern, p.read_text())}
    assert where == ({home} if isinstance(home, str) else set(home))


def _imports(path: Path, module: str) -> set[str]:
    """The product modules ``path`` (module ``module``) imports, anywhere in the file."""
    import ast

    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]) if node.level else ""
            name = ".".join(p for p in (base, node.module) if p)
            found |= {f"{name}.{a.name}" for a in node.names} | {f"{name}?"}  # the module unless a submodule
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_no_import_cycles():
    modules = {}
    for folder, package in FOLDERS.items():
        for p in product_files():
            if p.is_relative_to(REPO / folder):
                parts = [package, *p.relative_to(REPO / folder).with_suffix("").parts]
                modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    def targets(names: set[str]) -> set[str]:
        return {n.rstrip("?") for n in names if n in modules or (n.endswith("?") and n[:-1] in modules
                and not any(o.startswith(n[:-1] + ".") and o in modules for o in names))}

    graph = {m: targets(_imports(p, m)) - {m} for m, p in modules.items()}
    for start in graph:  # a depth-first walk from each module must never come back to it
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            assert m != start, f"{start} imports itself through a cycle"
            if m not in seen:
                seen.add(m)
                todo += graph[m]


def test_algorithms_read_no_environment_nor_private_fields():
    for path in (REPO / "algorithms").glob("*.py"):
        text = path.read_text()
        assert "os.environ" not in text and "getenv" not in text, path.name
        assert not re.search(r"\b(?!self\b)[a-z_]\w*\._[a-z]\w*", text.replace("__", "")), path.name


def test_the_runner_gives_algorithms_their_context(tmp_path):
    from nasbench_lab.core.algorithm import AskTellAlgorithm
    from nasbench_lab.infra.settings import Settings
    from nasbench_lab.core.registry import ALGORITHMS
    from nasbench_lab.running.pipeline import RunConfig
    from nasbench_lab.running.runner import run_task

    seen = []

    class Recorder(AskTellAlgorithm):
        """Random architectures; records its context and charges 0.25 s of compute."""

        def ask(self):
            return self.space.sample(self.rng)

        def tell(self, arch, value):
            pass

        def run(self, oracle, context=None):
            seen.append(context)
            context.record_compute(0.25)
            super().run(oracle, context)

    settings = Settings(cache_dir=tmp_path, options={"nb201-analog": {}})
    ALGORITHMS.register("recorder", Recorder)
    try:
        config = RunConfig([("nb201-analog", "c10")], ["recorder"], budget=3, seeds=[7], settings=settings)
        config.resolve()
        frame = run_task(config.tasks()[0], settings)
    finally:
        ALGORITHMS.unregister("recorder")
    (context,) = seen
    assert (context.benchmark, context.dataset, context.seed) == ("nb201-analog", "cifar10", 7)
    assert context.settings is settings
    assert len(frame) == 3 and np.allclose(frame["compute_seconds"], 0.25)


def test_report_uses_the_options_the_run_was_made_with(tmp_path, monkeypatch):
    """`report` used to rebuild settings without the run's --benchmark-option values, so a
    DynamicNet run made with dynamicnet.epochs=1 was re-evaluated under the default recipe."""
    from nasbench_lab.cli import build_parser
    from nasbench_lab.cli.args import settings_from
    from nasbench_lab.infra.settings import Settings
    from nasbench_lab.reports.report import run_settings

    for var in ("NASBENCH_LAB_CACHE", "NASBENCH_LAB_DATA", "NASBENCH_LAB_IMAGES"):
        monkeypatch.delenv(var, raising=False)
    recorded = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                        options={"dynamicnet": {"epochs": 1, "batch_size": 32}})
    config = {"settings": recorded.as_dict()}
    args = build_parser().parse_args(["report", "results"])
    settings = run_settings(config, settings_from(args))
    assert settings.options == {"dynamicnet": {"epochs": 1, "batch_size": 32}}
    # recorded paths are not read or written on their own (issue 22): the data and cache are ours
    assert settings.data_dir is None and settings.cache_dir != tmp_path / "cache"
    args = build_parser().parse_args(["report", "results", "--benchmark-option", "dynamicnet.epochs=3",
                                             "--data-dir", str(tmp_path)])
    settings = run_settings(config, settings_from(args))
    assert settings.options == {"dynamicnet": {"epochs": 3, "batch_size": 32}} and settings.data_dir == tmp_path
    assert Settings.from_dict(recorded.as_dict()) == recorded


@pytest.mark.parametrize("script", sorted(p.name for p in (REPO / "experiments").glob("*.py")))
def test_experiment_scripts_import(script):
    """The measuring scripts stay in step with the library (their imports resolve)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"experiment_{script[:-3]}", REPO / "experiments" / script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as when run as a script (dataclasses look their module up)
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    assert callable(getattr(module, "main", None))


def _functions(path: Path):
    import ast

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def test_no_product_function_over_60_lines():
    long = {f"{p.relative_to(REPO)}:{f.name}": f.end_lineno - f.lineno + 1
            for p in product_files() for f in _functions(p) if f.end_lineno - f.lineno + 1 > 60}
    assert not long


def test_algorithms_keep_no_oracle_and_look_nothing_up_by_attribute_name():
    """An algorithm gets what it needs as arguments (the oracle to ``run``/``search``, the
    context, the records it is told): it never stores the oracle, nor reads ``getattr(self, "...")``."""
    stored = re.compile(r"\bself\.\w+\s*(:[^=]+)?=\s*oracle\b(?!\.)")
    for path in sorted((REPO / "algorithms").glob("*.py")):
        text = path.read_text()
        assert not stored.search(text), path.name
        assert 'getattr(self, "' not in text and "getattr(self, '" not in text, path.name
