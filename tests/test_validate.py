"""``nasbench-lab validate``: every quick check passes, and breaking something on purpose fails
the matching check (and only it) among the checks that run."""
from __future__ import annotations

import contextlib
import json
import math

from nasbench_lab.cli import main
from nasbench_lab.core.loading import load_benchmark
from nasbench_lab.infra.settings import Settings
from nasbench_lab.checks.check import Check, Measurement, run_check
from nasbench_lab.checks.registry import all_checks, select


def validate(tmp_path, data_dir, *args: str) -> tuple[int, dict[str, str], dict]:
    out = tmp_path / "validation"
    code = main(["validate", "--json", "--out", str(out), "--data-dir", str(data_dir), *args])
    doc = json.loads((out / "validation.json").read_text())
    return code, {c["name"]: c["status"] for c in doc["checks"]}, doc


def failing(status: dict[str, str]) -> set[str]:
    """Checks that ran and did not pass (a check made for the other mode is skipped, not failed)."""
    return {name for name, s in status.items() if s not in ("pass", "skipped")}


def test_every_quick_check_passes(tmp_path, data_dir, capsys):
    code, status, doc = validate(tmp_path, data_dir, "--quick")
    assert failing(status) == set(), {c["name"]: c["reason"] for c in doc["checks"] if c["status"] != "pass"}
    assert code == 0 and doc["passed"] and doc["mode"] == "quick"
    skipped = {c["name"]: c["reason"] for c in doc["checks"] if c["status"] == "skipped"}
    assert set(skipped) == {c.name for c in all_checks() if "quick" not in c.modes}  # only full-mode checks
    assert all(reason == "runs only in full mode" for reason in skipped.values())
    assert set(status) == {c.name for c in all_checks()}
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["counts"]["pass"] == len(status) - len(skipped)
    out = tmp_path / "validation"
    table = (out / "validation.md").read_text()
    assert all(f"`{name}`" in table for name in status)
    for check in doc["checks"]:  # every figure a check names was written
        assert check["figure"] is None or (out / check["figure"]).stat().st_size > 0
    assert {"nb201-rs-cifar10.png", "nb201-rea-cifar10.png"} <= {p.name for p in out.glob("*.png")}
    files = doc["environment"]["data_files"]  # every file the benchmarks read, with its SHA-256
    nb201 = load_benchmark("nb201", "cifar10", Settings(data_dir=data_dir, cache_dir=tmp_path / "cache"))
    assert {str(p.absolute()) for p in nb201.data_files()} <= set(files)
    assert all(len(digest) == 64 for digest in files.values())
    assert not list(out.glob(".tmp-*"))  # figures are written then renamed


def test_leaking_test_accuracy_into_the_oracle_fails_the_ceiling_checks(tmp_path, data_dir, monkeypatch):
    """The oracle answers the 200-epoch test accuracy instead of the 12-epoch validation
    accuracy: searching the whole space then finds the table's optimum, above the published
    best-by-validation ceiling on CIFAR-100 and ImageNet16-120 (on CIFAR-10 the best-by-validation
    cell is the optimum, and RS/REA move by less than the published spread)."""
    from nasbench_lab.core.benchmark import TabularBenchmark

    monkeypatch.setattr(TabularBenchmark, "search_metric_fn", lambda self: self.report_metric)
    code, status, _ = validate(tmp_path, data_dir, "--only", "protocol", "--jobs", "1")
    assert code == 1
    assert failing(status) == {"nb201-ceiling-cifar100", "nb201-ceiling-ImageNet16-120"}


def test_a_canonical_hash_blind_to_isomorphism_fails_the_partition_check(tmp_path, data_dir, monkeypatch):
    from nasbench_lab.adapters.nb201.space import NB201Space

    monkeypatch.setattr(NB201Space, "canonical", lambda self, arch: self.format(arch))
    code, status, doc = validate(tmp_path, data_dir, "--only", "tables", "--jobs", "1")
    assert code == 1 and failing(status) == {"nb201-isomorphism"}
    (iso,) = [c for c in doc["checks"] if c["name"] == "nb201-isomorphism"]
    assert iso["value"] == 15625


def test_synflow_without_absolute_weights_fails_the_synflow_check(tmp_path, data_dir, monkeypatch):
    import torch

    from nasbench_lab.proxies import measures

    @contextlib.contextmanager
    def signed_float64(modules):
        """``measures._absolute_float64`` without the absolute value: weights keep their sign."""
        saved = [(p, p.data) for m in modules for p in m._parameters.values() if p is not None]
        with torch.no_grad():
            for p, data in saved:
                p.data = data.to(torch.float64)
        try:
            yield
        finally:
            for p, data in saved:
                p.data = data

    monkeypatch.setattr(measures, "_absolute_float64", signed_float64)
    code, status, _ = validate(tmp_path, data_dir, "--only", "synflow-cifar10,nb201-isomorphism", "--jobs", "1")
    assert code == 1 and failing(status) == {"synflow-cifar10"}


def _check(rule="within", tolerance=0.1, run=None) -> Check:
    return Check(name="t", family="t", title="t", reproduces="t", reference=1.0, tolerance=tolerance, rule=rule,
                 run=run or (lambda ctx: Measurement(1.0)), command="t")


def test_judging_allows_two_standard_errors_and_needs_every_condition():
    within, target = _check(), _check("at_least", 0.0)
    assert within.judge(Measurement(1.1))[0] == "pass" and within.judge(Measurement(1.25))[0] == "fail"
    assert within.judge(Measurement(1.25, stderr=0.08))[0] == "pass"  # 0.25 <= 0.1 + 2 x 0.08
    assert within.judge(Measurement(1.0, conditions={"ok": True, "broken": False}))[0] == "fail"
    assert within.judge(Measurement(math.nan))[0] == "fail"
    assert target.judge(Measurement(0.95, stderr=0.03))[0] == "pass" and target.judge(Measurement(0.9))[0] == "fail"
    assert target.judge(Measurement(5.0))[0] == "pass"  # a target, not a band


def test_a_check_that_raises_is_an_error_not_a_traceback(tmp_path):
    from nasbench_lab.checks.context import ValidationContext

    def broken(ctx):
        raise ValueError("no such\ntable")

    result = run_check(_check(run=broken), ValidationContext("quick", Settings(cache_dir=tmp_path), tmp_path))
    assert result.status == "error" and result.reason == "ValueError: no such table" and not result.ok


def test_selection_by_name_family_and_pattern_and_unknown_names(tmp_path, capsys):
    names = [c.name for c in select(["synflow-*", "nb201-isomorphism", "predictors"])]
    assert names == ["nb201-isomorphism", "synflow-cifar10", "synflow-cifar100", "synflow-ImageNet16-120",
                     "gin-tau-100", "gin-tau-1000"]
    assert main(["validate", "--only", "nosuch", "--out", str(tmp_path)]) == 2
    assert "matches no check" in capsys.readouterr().err
    assert main(["validate", "--quick", "--full"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_strategy_claim_is_judged_by_the_paired_wilcoxon_test(tmp_path):
    """The strategies family: the verdict follows scipy's one-sided Wilcoxon test on the paired
    final test accuracies, whatever the mean difference's 2 s.e. allow."""
    import numpy as np
    from scipy import stats

    import dataclasses

    from nasbench_lab.checks.context import ValidationContext
    from nasbench_lab.checks.strategies import Claim, claim_check, paired

    better, worse = np.array([2.0, 3, 1, 4, 2, 5, 3, 2]), np.array([1.0, 1, 0, 2, 1, 1, 2, 0])
    assert paired(better, worse, "above") == (stats.wilcoxon(better, worse, alternative="greater", zero_method="zsplit").pvalue, True)
    assert paired(worse, better, "above")[1] is False and paired(worse, better, "not worse")[1] is False
    assert paired(better, worse, "not worse")[1] is True and paired(worse, worse, "not worse") == (1.0, True)
    assert paired(worse, worse, "above") == (1.0, False)
    # RE against random search on 12 seeds at 30 queries: a real run through nasbench_lab.run
    context = ValidationContext("full", dataclasses.replace(Settings.from_env(), cache_dir=tmp_path), tmp_path, jobs=1)
    check = claim_check(Claim("re", "random", "cifar10", 30, 12, "above", 1))
    m = check.run(context)
    p = m.extra["p"]
    status, _ = check.judge(m)
    assert m.n == 12 and (status == "pass") == (p < 0.05) and f"p (greater) = {p:.2g}" in m.detail
