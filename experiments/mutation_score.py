"""Mutation score of core modules: how many small code mutations the tests kill.

    CI=true NASBENCH_LAB_DATA=/work/shared/data python experiments/mutation_score.py fronts objectives rank_correlation

Not run in CI (minutes per module). The mutations are mutmut 3's own operators
(``mutmut.mutation.file_mutation.create_mutations``: numbers, strings, names, comparison and
arithmetic operators, keywords, arguments, assignments...), applied here one at a time: mutmut's
runner copies the tree into ``mutants/`` and imports it from there, which this package layout
(``reports/``, ``algorithms/`` installed as ``nasbench_lab.*`` through ``package-dir``, an
editable install) does not allow. For each mutant: the module's file is rewritten with the
mutant, a forked child (third-party libraries already imported by the parent, nothing of
nasbench_lab) runs the module's tests with ``pytest -x``, and the original file is restored
(also on Ctrl-C). A mutant is killed when the tests fail or time out. Survivors are printed
with their line and diff, to be killed by a new test or named as equivalent: ``EQUIVALENT`` below
lists the mutants that change no behaviour (keyed by module and the line before and after, so
that it survives line shifts), each with its reason. The summary table counts them apart:
score = (killed + equivalent) / tried.

    python experiments/mutation_score.py stats oracle --sample 30 --seed 0 --out results/m.json
    python experiments/mutation_score.py --summary results/m.json results/n.json   # one table
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: module name -> (source file, the tests that speak for it)
MODULES = {
    "fronts": ("nasbench_lab/core/fronts.py", ["tests/test_fronts.py", "tests/test_boundaries.py"]),
    "objectives": ("nasbench_lab/core/objectives.py", ["tests/test_objectives.py", "tests/test_boundaries.py"]),
    "rank_correlation": ("nasbench_lab/core/rank_correlation.py", ["tests/test_ranking.py", "tests/test_boundaries.py", "-k", "not scatter"]),
    "stats": ("reports/stats.py", ["tests/test_report_stats.py", "tests/test_critical_difference.py", "-k", "not diagram"]),
    "oracle": ("nasbench_lab/core/oracle.py", ["tests/test_oracle.py", "tests/test_objectives.py", "tests/test_boundaries.py",
                                               "-k", "not rank_correlation_defaults"]),
    "trajectory": ("nasbench_lab/running/trajectory.py", ["tests/test_oracle.py", "tests/test_objectives.py",
                                                          "tests/test_fast_paths.py::test_vectorised_incumbent_matches_the_loop",
                                                          "tests/test_boundaries.py", "-k", "not rank_correlation_defaults "
                                                          "and not nsga2 and not regularized_evolution"]),
    "store": ("nasbench_lab/running/store.py", [
        "tests/test_store.py", "tests/test_provenance.py::test_resume_ignores_versions_and_refuses_a_changed_data_file"]),
    "regularized_evolution": ("algorithms/regularized_evolution.py", [
        "tests/test_algorithms.py", "tests/test_boundaries.py", "-k", "not rank_correlation_defaults",
        "tests/test_hyperparams.py::test_every_builtin_declares_every_hyperparameter_and_its_defaults_fit[re]"]),
    "nsga2": ("algorithms/nsga2.py", ["tests/test_hardware_algorithms.py", "tests/test_boundaries.py",
                                      "tests/test_hyperparams.py", "-k", "nsga2 and not optuna"]),
}


#: (module, original line, mutated line), both stripped -> why the mutant changes no behaviour
EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("fronts", "return (-violation, value if violation <= 0 else 0.0)",
     "return (-violation, value if violation <= 0 else 1.0)"):
        "an infeasible key's second element is one constant for all; keys are only compared, never read",
    ("stats", 'order = valid[np.argsort(p[valid], kind="stable")]', "order = valid[np.argsort(p[valid], )]"):
        "equal p-values get one adjusted value in any order (the running maximum carries the first one's)",
    ("stats", 'return float(stats.wilcoxon(x, y, zero_method="wilcox", alternative="two-sided").pvalue)',
     'return float(stats.wilcoxon(x, y, zero_method="WILCOX", alternative="two-sided").pvalue)'):
        "scipy lower-cases zero_method",
    ("stats", 'return (float("nan"), float("nan"))', 'return (float("nan"), float("NAN"))'):
        "float() reads nan in any case",
    ("stats", 'return final.groupby(by)[value].rank(ascending=not higher_is_better, method="average")',
     "return final.groupby(by)[value].rank(ascending=not higher_is_better, )"):
        "pandas' default rank method is 'average'",
    ("trajectory", "feasible = np.ones(len(history), dtype=bool)", "feasible = np.ones(len(history), )"):
        "a mask of float ones selects as True in np.where and is never written out",
    ("store", "text = self._committed.get(path)", "text = self._committed.get(None)"):
        "the text kept at commit is the run file's text: without it the file is read (same bytes, slower)",
    ("regularized_evolution", "picks = self.rng.choice(len(members), size=min(self.sample_size, len(members)), replace=False)",
     "picks = self.rng.choice(len(members), size=min(self.sample_size, len(members)), replace=None)"):
        "numpy's choice reads replace=None as False",
    ("regularized_evolution", '"random members a tournament picks its parent from")',
     '"XXrandom members a tournament picks its parent fromXX")'):
        "the wording of a hyper-parameter's help text only (test_hyperparams checks every one has a text)",
}


def equivalent_reason(module: str, diff: list[str]) -> str | None:
    """The reason a surviving mutant (its ``-``/``+`` diff lines) is equivalent, if listed."""
    before = " ".join(d[1:].strip() for d in diff if d.startswith("-"))
    after = " ".join(d[1:].strip() for d in diff if d.startswith("+"))
    return EQUIVALENT.get((module, before, after))


def mutants(path: Path) -> list[tuple[int, str]]:
    """Each mutant of ``path`` as (line, mutated source), by mutmut's operators."""
    import libcst as cst
    from mutmut.mutation.file_mutation import create_mutations, deep_replace

    os.chdir(ROOT)  # mutmut reads its configuration ([tool.mutmut] of pyproject.toml) from here
    code = path.read_text()
    module, found, _, _ = create_mutations(str(path), code)
    positions = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(cst.metadata.PositionProvider)
    out = []
    for mutation in found:
        source = deep_replace(module, mutation.original_node, mutation.mutated_node).code
        if source != code:
            out.append((positions[mutation.original_node].start.line, source))
    return out


def run_tests(tests: list[str], timeout: float) -> bool:
    """Whether the tests pass (in a forked child that imports nasbench_lab afresh)."""
    pid = os.fork()
    if pid == 0:
        sys.dont_write_bytecode = True
        os.chdir(ROOT)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        import pytest

        code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", *tests])
        os._exit(int(code))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) == 0
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return False  # a mutant that hangs the tests is killed by the timeout


def _drop_bytecode(path: Path) -> None:
    for pyc in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
        pyc.unlink()


def _diff(original: str, source: str) -> list[str]:
    return [d for d in difflib.unified_diff(original.splitlines(), source.splitlines(), lineterm="", n=0)
            if d.startswith(("-", "+")) and not d.startswith(("---", "+++"))]


def try_mutants(name: str, path: Path, original: str, found: list[tuple[int, str]], tests: list[str],
                timeout: float) -> list[dict]:
    """Each mutant in turn in ``path``; the survivors (line, diff, equivalent reason). Restores ``path``."""
    survivors = []
    try:
        for k, (line, source) in enumerate(found, 1):
            path.write_text(source)
            _drop_bytecode(path)
            if run_tests(tests, timeout):
                diff = _diff(original, source)
                survivors.append({"line": line, "diff": diff, "equivalent": equivalent_reason(name, diff)})
            print(f"\r{name}: {k}/{len(found)} mutants, {len(survivors)} survive", end="", file=sys.stderr, flush=True)
    finally:
        path.write_text(original)
        _drop_bytecode(path)
    return survivors


def recheck(result: dict, timeout: float, tests: list[str] | None = None) -> dict:
    """Re-run an earlier result's survivors (not named equivalent) against the current tests
    (mutants found again by their diff); those now killed count as killed."""
    name = result["module"]
    file, mapped = MODULES[name]
    tests = tests or mapped
    path = ROOT / file
    original = path.read_text()
    by_diff = {tuple(_diff(original, source)): (line, source) for line, source in mutants(path)}
    keep = [{**s, "equivalent": equivalent_reason(name, s["diff"])} for s in result["survivors"]
            if equivalent_reason(name, s["diff"])]
    todo = [s for s in result["survivors"] if not equivalent_reason(name, s["diff"])]
    missing = [s for s in todo if tuple(s["diff"]) not in by_diff]
    if missing:
        raise SystemExit(f"{name}: the module changed, line {missing[0]['line']}'s mutant is not found again")
    still = try_mutants(name, path, original, [by_diff[tuple(s["diff"])] for s in todo], tests, timeout)
    print(file=sys.stderr)
    survivors = keep + still
    equivalent = sum(s["equivalent"] is not None for s in survivors)
    return {**result, "survivors": survivors, "killed": result["mutants"] - len(survivors), "equivalent": equivalent,
            "survived": len(survivors) - equivalent, "rechecked_with": tests,
            "killed_on_recheck": result.get("killed_on_recheck", 0) + len(todo) - len(still),
            "score": round((result["mutants"] - len(survivors) + equivalent) / result["mutants"], 3)}


def score(name: str, timeout: float, sample: int | None, seed: int = 0, lines: set[int] | None = None,
          tests: list[str] | None = None) -> dict:
    file, mapped = MODULES[name]
    tests = tests or mapped
    path = ROOT / file
    original = path.read_text()
    if not run_tests(tests, timeout * 3):
        raise SystemExit(f"{name}: the tests fail without any mutation")
    found = mutants(path)
    total = len(found)
    if lines:  # only the mutants on these lines (to re-check survivors)
        found = [m for m in found if m[0] in lines]
    if sample is not None and sample < total:  # a seeded random sample, in source order
        import random

        found = [found[i] for i in sorted(random.Random(seed).sample(range(total), sample))]
    start = time.perf_counter()
    survivors = try_mutants(name, path, original, found, tests, timeout)
    print(file=sys.stderr)
    killed = len(found) - len(survivors)
    equivalent = sum(s["equivalent"] is not None for s in survivors)
    return {"module": name, "file": file, "mutants_in_module": total, "sample": sample, "seed": seed,
            "lines": sorted(lines) if lines else None, "tests": tests,
            "mutants": len(found), "killed": killed, "equivalent": equivalent,
            "survived": len(survivors) - equivalent,
            "score": round((killed + equivalent) / len(found), 3) if found else None,
            "seconds": round(time.perf_counter() - start, 1), "survivors": survivors}


def report(results: list[dict]) -> str:
    """The per-module table, then every survivor (equivalent ones with their reason)."""
    rows = [f"{'module':<22} {'file':<38} {'in module':>9} {'tried':>5} {'killed':>6} {'equiv.':>6} "
            f"{'survived':>8} {'score':>6}"]
    for r in results:
        score_text = f"{r['score']:.1%}" if r["score"] is not None else "-"
        rows.append(f"{r['module']:<22} {r['file']:<38} {r['mutants_in_module']:>9} {r['mutants']:>5} "
                    f"{r['killed']:>6} {r['equivalent']:>6} {r['survived']:>8} {score_text:>6}")
    tried = sum(r["mutants"] for r in results)
    good = sum(r["killed"] + r["equivalent"] for r in results)
    if tried:
        rows.append(f"{'all':<22} {'':<38} {sum(r['mutants_in_module'] for r in results):>9} {tried:>5} "
                    f"{sum(r['killed'] for r in results):>6} {sum(r['equivalent'] for r in results):>6} "
                    f"{sum(r['survived'] for r in results):>8} {good / tried:>6.1%}")
    for r in results:
        how = f"a seeded sample (seed {r['seed']})" if r.get("sample") else "all mutants"
        if r.get("lines"):
            how += " on lines " + ",".join(map(str, r["lines"]))
        how += ", tests: " + " ".join(r.get("tests") or MODULES[r["module"]][1])
        if r.get("rechecked_with"):
            how += (f"; survivors re-run against " + " ".join(r["rechecked_with"])
                    + f": {r['killed_on_recheck']} more killed")
        rows.append(f"\n{r['module']}: {how}, {r['seconds']} s")
        for s in r["survivors"]:
            tag = f"equivalent ({s['equivalent']})" if s["equivalent"] else "SURVIVES"
            rows.append(f"  line {s['line']} {tag}: " + " | ".join(d.strip() for d in s["diff"]))
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="module", help="one of " + ", ".join(sorted(MODULES)))
    parser.add_argument("--timeout", type=float, default=120, help="seconds per mutant's test run")
    parser.add_argument("--sample", type=int, help="a seeded random sample of this many mutants per module")
    parser.add_argument("--seed", type=int, default=0, help="seed of --sample")
    parser.add_argument("--lines", help="only the mutants on these lines, e.g. 89,112 (one module)")
    parser.add_argument("--tests", nargs="+", help="run these tests instead of the module's (e.g. to check that "
                        "one test file alone kills a mutant)")
    parser.add_argument("--out", type=Path, help="write the scores and survivors as JSON here")
    parser.add_argument("--recheck", type=Path, metavar="JSON",
                        help="re-run the survivors of an earlier --out file against the current tests "
                             "(written back to it, or to --out)")
    parser.add_argument("--summary", type=Path, nargs="+", metavar="JSON",
                        help="print the table of earlier --out files (survivors re-classified) and exit")
    args = parser.parse_args()
    if args.summary:
        results = [r for f in args.summary for r in json.loads(f.read_text())]
        for r in results:
            for s in r["survivors"]:
                s["equivalent"] = equivalent_reason(r["module"], s["diff"])
            r["equivalent"] = sum(s["equivalent"] is not None for s in r["survivors"])
            r["survived"] = len(r["survivors"]) - r["equivalent"]
            r["score"] = round((r["killed"] + r["equivalent"]) / r["mutants"], 3) if r["mutants"] else None
        print(report(results))
        return
    if not args.modules and not args.recheck:
        parser.error("name one or more modules (or --summary, --recheck)")
    if unknown := [m for m in args.modules if m not in MODULES]:
        parser.error(f"unknown module {unknown[0]!r} (known: {', '.join(sorted(MODULES))})")
    lines = {int(x) for x in args.lines.split(",")} if args.lines else None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot, numpy, pandas, scipy.stats, pytest  # noqa: F401,E401  shared by the forked children

    signal.signal(signal.SIGINT, signal.default_int_handler)  # a background job ignores SIGINT otherwise
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # so that kill restores the module too
    if args.recheck:
        results = [recheck(r, args.timeout, args.tests) for r in json.loads(args.recheck.read_text())]
        args.out = args.out or args.recheck
    else:
        results = [score(name, args.timeout, args.sample, args.seed, lines, args.tests) for name in args.modules]
    print(report(results))
    if args.out:
        sys.path.insert(0, str(ROOT))
        from nasbench_lab.infra.files import write_text

        write_text(args.out, json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
