"""The docs' "Add your own algorithm" and "Add your own search space" (docs/plugins-and-api.md)
run as written, and each fits in one screen."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

PAGE = Path(__file__).resolve().parents[1] / "docs" / "plugins-and-api.md"
SCREEN = 60  # lines of a terminal screen, with the prose around the code


def section(title: str) -> str:
    text = PAGE.read_text()
    start = re.search(rf"^#{{2,3}} {re.escape(title)}\n", text, re.M).start()
    end = re.search(r"^#{2,3} ", text[start + 4:], re.M)
    return text[start: start + 4 + end.start()] if end else text[start:]


def code_of(title: str) -> str:
    (code,) = re.findall(r"```python\n(.*?)```", section(title), re.S)
    return code


@pytest.mark.parametrize("title", ["Add your own algorithm", "Add your own search space"])
def test_the_section_fits_in_one_screen(title):
    assert len(section(title).splitlines()) <= SCREEN


def test_add_your_own_algorithm_runs_as_written(tmp_path, monkeypatch):
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path))
    scope: dict = {"__name__": "readme_algorithm"}
    exec(compile(code_of("Add your own algorithm"), "docs: Add your own algorithm", "exec"), scope)
    runs = scope["runs"]
    assert set(runs["algorithm"]) == {"Greedy"} and sorted(set(runs["seed"])) == [0, 1, 2]
    assert runs.groupby("seed").size().tolist() == [30, 30, 30]  # the whole budget, every seed
    again = scope["nasbench_lab"].run(scope["Greedy"], "nb201/cifar10", budget=30, seeds=3, params={"patience": 5})
    assert again.drop(columns="seconds").equals(runs.drop(columns="seconds"))  # same seed, same rows


def test_add_your_own_search_space_runs_as_written(tmp_path, monkeypatch):
    from nasbench_lab.core.registry import SPACE_ENTRIES

    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path))
    scope: dict = {"__name__": "readme_space"}
    try:
        exec(compile(code_of("Add your own search space"), "docs: Add your own search space", "exec"), scope)
        runs, space = scope["runs"], scope["Chain"]()
        assert len(runs) == 40 and set(runs["benchmark"]) == {"chain-toy"}
        assert [space.index(space.arch_at(i)) for i in range(space.size)] == list(range(81))
        for i in (0, 40, 80):  # the string form and the graph form go both ways
            arch = space.arch_at(i)
            assert space.parse(space.format(arch)) == arch and space.decode(space.encode(arch)) == arch
        assert np.all(runs["regret"] >= 0)
    finally:
        SPACE_ENTRIES.unregister("chain")
