"""The bad-input table: every user mistake gives exit code 2 and exactly one line on stderr that
names the problem, never a traceback.

Add a case: one ``Case`` row in ``CASES`` with a short id, the command line (``{tmp}`` is the
case's own temporary directory, ``{results}`` a finished results directory copied into it,
``{data}`` the shared data directory), optionally a ``setup`` building the bad file or folder
from the same placeholders, and a regular expression the error line must match.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from nasbench_lab.adapters.table import SHIPPED
from nasbench_lab.cli import main
from nasbench_lab.infra.settings import FILE_ENVS, IMAGES_ENV

#: A declaration whose CSVs live in the data directory (``nb201`` itself needs none: its tables ship).
NB201_DECLARATION = SHIPPED / "nb201.json"
#: A leaderboard that would finish in well under a second; cases add the mistake.
LB = ["leaderboard", "--benchmark", "nb201-analog", "--algorithms", "random", "--budget", "2", "--seeds", "1",
      "--no-progress", "--out", "{tmp}/out"]
DN = ["leaderboard", "--benchmark", "dynamicnet/digits", "--algorithms", "random", "--budget", "1", "--seeds", "1",
      "--no-progress", "--out", "{tmp}/out"]
TABLE = ["leaderboard", "--benchmark", "table:{tmp}/decl.json", "--algorithms", "random", "--budget", "2",
         "--seeds", "1", "--no-progress", "--out", "{tmp}/out"]


@dataclass(frozen=True)
class Case:
    id: str
    argv: list[str]
    error: str  # regular expression the one error line must match (after "nasbench-lab: error: ")
    setup: Callable[[dict[str, Path]], None] | None = None
    env: dict[str, str] = field(default_factory=dict)  # environment for this case ({tmp} allowed)


def lb(*extra: str) -> list[str]:
    return [*LB, *extra]


# --------------------------------------------------------------------------- setups


def write(name: str, content: str | bytes) -> Callable[[dict[str, Path]], None]:
    """A setup writing ``content`` to ``{tmp}/name``."""
    def setup(ctx: dict[str, Path]) -> None:
        path = ctx["tmp"] / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    return setup


def declaration(files: object = None, datasets: object = None, **top: object) -> Callable[[dict[str, Path]], None]:
    """A setup writing a table declaration ``{tmp}/decl.json`` (the valid one, with changes)."""
    decl = {"name": "mine", "space": "nb201",
            "files": {"t": {"path": "t.csv", "arch_column": "arch"}} if files is None else files,
            "datasets": {"cifar10": {"search": "t:valid", "report": "t:test"}} if datasets is None else datasets,
            **top}
    return write("decl.json", json.dumps(decl))


@lru_cache(maxsize=1)
def nb201_strings() -> tuple[str, ...]:
    from nasbench_lab.adapters.nb201.space import NB201Space

    space = NB201Space()
    return tuple(space.format(space.arch_at(i)) for i in range(space.size))


def table_csv(edit: Callable[[list[str]], list[str]]) -> Callable[[dict[str, Path]], None]:
    """A setup writing the valid declaration and a whole-space ``t.csv`` whose lines ``edit`` changes."""
    def setup(ctx: dict[str, Path]) -> None:
        declaration()(ctx)
        lines = ["arch,valid,test"] + [f"{a},{i % 97},{i % 89}" for i, a in enumerate(nb201_strings())]
        (ctx["tmp"] / "t.csv").write_text("\n".join(edit(lines)) + "\n")
    return setup


def results(edit: Callable[[Path], None]) -> Callable[[dict[str, Path]], None]:
    """A setup copying a finished results directory to ``{tmp}/r`` and breaking it with ``edit``."""
    def setup(ctx: dict[str, Path]) -> None:
        shutil.copytree(ctx["results"], ctx["tmp"] / "r")
        edit(ctx["tmp"] / "r")
    return setup


def rewrite_config(change: Callable[[dict], object]) -> Callable[[Path], None]:
    def edit(r: Path) -> None:
        config = json.loads((r / "config.json").read_text())
        (r / "config.json").write_text(json.dumps(change(config)))
    return edit


def rewrite_runs(change: Callable[[str], str]) -> Callable[[Path], None]:
    return lambda r: (r / "runs.csv").write_text(change((r / "runs.csv").read_text()))


def first_row(column: str, value: str) -> Callable[[str], str]:
    """A ``rewrite_runs`` change: ``column`` of the first row becomes ``value``."""
    def change(text: str) -> str:
        lines = text.splitlines()
        row = lines[1].split(",")
        row[lines[0].split(",").index(column)] = value
        return "\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n"
    return change


def live_cache(schema: str | None) -> Callable[[dict[str, Path]], None]:
    """A setup putting a live cache file at ``{tmp}/cache/live/dynamicnet.sqlite``: an SQLite
    database with ``schema``, or (None) a file that is not a database."""
    def setup(ctx: dict[str, Path]) -> None:
        path = ctx["tmp"] / "cache" / "live" / "dynamicnet.sqlite"
        path.parent.mkdir(parents=True)
        if schema is None:
            path.write_bytes(b"not a database\n" * 64)
            return
        with sqlite3.connect(path) as conn:
            conn.execute(schema)
    return setup


def tensors(**arrays: np.ndarray) -> Callable[[dict[str, Path]], None]:
    def setup(ctx: dict[str, Path]) -> None:
        np.savez(ctx["tmp"] / "t.npz", **arrays)
    return setup


def truncated_tensors(ctx: dict[str, Path]) -> None:
    parts = {k: np.zeros((20, 4)) for k in ("x_train", "x_val", "x_test")}
    parts.update({k: np.arange(20) % 2 for k in ("y_train", "y_val", "y_test")})
    np.savez(ctx["tmp"] / "full.npz", **parts)
    data = (ctx["tmp"] / "full.npz").read_bytes()
    (ctx["tmp"] / "t.npz").write_bytes(data[: len(data) // 2])


def fifo(name: str) -> Callable[[dict[str, Path]], None]:
    """A setup making ``{tmp}/name`` a FIFO (a read would wait for a writer for ever)."""
    return lambda ctx: os.mkfifo(ctx["tmp"] / name)


OWN_CACHE = {"NASBENCH_LAB_CACHE": "{tmp}/cache"}
TOO_MANY_DIGITS = "9" * 40
OFA_TRAIN = ["ofa", "train", "--dataset", "digits"]
SCHEDULE = [*OFA_TRAIN, "--schedule", "{tmp}/s.json"]
TENSORS = [*DN[:2], "dynamicnet/tensors", *DN[3:], "--benchmark-file", "dynamicnet/tensors={tmp}/t.npz"]

# --------------------------------------------------------------------------- the table

CASES = [
    # hyper-parameters: type and declared range, checked before the first run
    Case("re-population-zero", lb("--algorithms", "re", "--param", "re.population_size=0"),
         r"algorithm 're': population_size must be an integer >= 2, got 0$"),
    Case("re-population-word", lb("--algorithms", "re", "--param", "re.population_size=ten"),
         r"algorithm 're': population_size must be an integer >= 2, got 'ten'$"),
    Case("re-sample-above-population", lb("--algorithms", "re", "--param", "re.sample_size=20"),
         r"sample_size must be an integer in \[1, population_size\], got 20 \(population_size = 10\)$"),
    Case("sa-cooling-above-one", lb("--algorithms", "sa", "--param", "sa.cooling=2"),
         r"algorithm 'sa': cooling must be a number in \(0, 1\], got 2$"),
    Case("sa-temperature-nan", lb("--algorithms", "sa", "--param", "sa.initial_temperature=NaN"),
         r"initial_temperature must be a number > 0, got nan$"),
    Case("random-max-tries-bool", lb("--param", "random.max_tries=true"),
         r"algorithm 'random': max_tries must be an integer >= 0, got True$"),
    Case("random-max-tries-fraction", lb("--param", "random.max_tries=1.5"), r"max_tries must be an integer >= 0, got 1\.5$"),
    Case("gin-loss-typo", lb("--algorithms", "gin-evolution", "--param", "gin-evolution.loss=pairwize"),
         r"algorithm 'gin-evolution': loss must be one of 'mse', 'pairwise', .*got 'pairwize'$"),
    Case("gin-sa-final-above-initial", lb("--algorithms", "gin-sa", "--param", "gin-sa.final_temperature=0.9"),
         r"final_temperature must be a number in \(0, initial_temperature\], got 0\.9 \(initial_temperature = 0\.5\)$"),
    Case("synflow-proxy-typo", lb("--algorithms", "synflow-rank", "--param", "synflow-rank.proxy=synflo"),
         r"algorithm 'synflow-rank': proxy must be one of 'synflow', .*got 'synflo'$"),
    Case("synflow-evolve-not-bool", lb("--algorithms", "synflow-rank", "--param", "synflow-rank.evolve=maybe"),
         r"evolve must be true or false, got 'maybe'$"),
    Case("unknown-hyperparameter", lb("--algorithms", "re", "--param", "re.pop=3"),
         r"algorithm 're' has no hyper-parameter pop; it has: population_size"),
    Case("param-for-algorithm-not-run", lb("--param", "sa.cooling=0.5"), r"--param names algorithms not being run: sa$"),
    Case("param-malformed", lb("--param", "cooling"), r"--param expects ALGORITHM\.NAME=VALUE, got 'cooling'"),
    # benchmark options
    Case("option-benchmark-takes-none", lb("--benchmark-option", "nb201-analog.epochs=3"),
         r"benchmark 'nb201-analog' has no option epochs .*it takes none$"),
    Case("option-unknown-to-dynamicnet", [*DN, "--benchmark-option", "dynamicnet.epoch=3"],
         r"benchmark 'dynamicnet' has no option epoch .*it takes: activation_bits, batch_size, cache, device, epochs, "),
    Case("option-device", [*DN, "--benchmark-option", "dynamicnet.device=gpu"],
         r"dynamicnet\.device must be one of cpu, cuda, auto \(or cuda:N\), got 'gpu'$"),
    Case("option-wrong-type", [*DN, "--benchmark-option", "dynamicnet.epochs=many"],
         r"option dynamicnet\.epochs expects a int, got 'many'"),
    Case("option-flash-bits", [*DN, "--benchmark-option", "dynamicnet.flash_bits=12"],
         r"dynamicnet\.flash_bits must be one of 8, 16, 32, got 12$"),
    Case("option-activation-bits", [*DN, "--benchmark-option", "dynamicnet.activation_bits=4"],
         r"dynamicnet\.activation_bits must be one of 8, 16, 32, got 4$"),
    Case("option-for-benchmark-not-run", lb("--benchmark-option", "dynamicnet.epochs=1"),
         r"--benchmark-option names benchmarks not being run: dynamicnet$"),
    Case("option-malformed", lb("--benchmark-option", "epochs=1"), r"--benchmark-option expects BENCHMARK\.NAME=VALUE"),
    # seeds, jobs, budgets, unknown options
    Case("seeds-duplicate", lb("--seeds", "1,2,2"), r"--seeds lists seed 2 more than once"),
    Case("seeds-reversed-range", lb("--seeds", "9-3"), r"--seeds range 9-3 runs backwards: write 3-9$"),
    Case("seeds-negative", lb("--seeds=-1,2"), r"--seeds must be whole numbers >= 0, got -1"),
    Case("seeds-negative-range", lb("--seeds=-2-5"), r"--seeds must be whole numbers >= 0, got -2"),
    Case("seeds-zero-count", lb("--seeds", "0"), r"--seeds must be a count of at least 1, got 0$"),
    Case("seeds-none-listed", lb("--seeds", ","), r"--seeds lists no seed"),
    Case("seeds-garbled", lb("--seeds", "1-2-3"), r"--seeds expects a count, a list like 1,2,3 or a range"),
    Case("jobs-zero", lb("--jobs", "0"), r"--jobs must be at least 1, got 0$"),
    Case("jobs-negative-predictor", ["predictor", "--benchmark", "nb201-analog", "--jobs", "-2", "--out", "{tmp}/p"],
         r"--jobs must be at least 1, got -2$"),
    Case("jobs-zero-proxy", ["proxy", "params", "--benchmark", "nb201-analog", "--jobs", "0"], r"--jobs must be at least 1"),
    Case("budget-zero", lb("--budget", "0"), r"--budget must be at least 1 query, got 0$"),
    Case("time-budget-zero", lb("--time-budget", "0"), r"--time-budget must be a number of seconds > 0, got 0"),
    Case("time-budget-word", lb("--time-budget", "soon"), r"argument --time-budget: invalid float value: 'soon'"),
    Case("unknown-option", lb("--bugdet", "5"), r"unrecognized arguments: --bugdet 5"),
    # names
    Case("unknown-benchmark", lb("--benchmark", "nb999"), r"unknown benchmark 'nb999'"),
    Case("unknown-dataset", lb("--benchmark", "nb201-analog/mnist"), r"unknown dataset 'mnist' for benchmark 'nb201-analog'"),
    Case("unknown-algorithm", lb("--algorithms", "random,bogus"), r"unknown algorithm 'bogus'"),
    Case("algorithms-none-listed", lb("--algorithms", ","), r"--algorithms lists no name"),
    Case("algorithm-twice", lb("--algorithms", "random,random"), r"--algorithms lists random more than once$"),
    Case("benchmark-twice", lb("--benchmark", "nb201-analog,nb201-analog/c10"), r"the same benchmark and dataset are listed twice"),
    Case("benchmark-none-listed", ["leaderboard", "--benchmark", ",", "--out", "{tmp}/out"], r"--benchmark lists no benchmark"),
    Case("synflow-on-live-space", [*DN, "--algorithms", "synflow-rank"],
         r"algorithm 'synflow-rank' cannot run on dynamicnet/digits"),
    # output folders
    Case("out-is-a-file", lb("--out", "{tmp}/file"), r"--out .*/file is a file, not a directory$", write("file", "x")),
    Case("out-parent-is-a-file", lb("--out", "{tmp}/file/sub"), r"cannot create the --out directory .*/file/sub: Not a directory",
         write("file", "x")),
    Case("out-cannot-be-created", lb("--out", "/proc/nasbench-lab-test/out"), r"cannot create the --out directory /proc/"),
    Case("out-read-only", lb("--out", "/proc/self"), r"--out directory /proc/self is not writable$"),
    Case("out-holds-results", lb("--out", "{tmp}/r"), r"already exists and holds results: .*--resume .*--overwrite",
         results(lambda r: None)),
    Case("overwrite-with-bad-value", lb("--overwrite", "--out", "{tmp}/r", "--algorithms", "re", "--param", "re.sample_size=0"),
         r"algorithm 're': sample_size must be an integer in \[1, population_size\], got 0", results(lambda r: None)),
    Case("resume-without-out", [*LB[:-2], "--resume"], r"--resume needs the --out"),
    Case("resume-and-overwrite", lb("--resume", "--overwrite"), r"--resume and --overwrite exclude each other"),
    Case("resume-invalid-config", lb("--resume", "--out", "{tmp}/r"), r"cannot read .*config\.json",
         results(lambda r: (r / "config.json").write_text("{oops"))),
    # data files
    Case("benchmark-file-malformed", lb("--benchmark-file", "nb201-official"), r"--benchmark-file expects NAME=PATH"),
    Case("data-dir-missing", lb("--benchmark", f"table:{NB201_DECLARATION}", "--data-dir", "{tmp}/nowhere"),
         r"table file not found: .*nowhere/"),
    Case("official-file-missing", lb("--benchmark", "nb201-official"), r"benchmark 'nb201-official' needs the NAS-Bench-201 file"),
    Case("official-file-corrupt", lb("--benchmark", "nb201-official", "--benchmark-file", "nb201-official={tmp}/x.pth"),
         r"cannot read NAS-Bench-201 file .*x\.pth", write("x.pth", "this is no pickle")),
    Case("tensors-npz-truncated", [*DN[:2], "dynamicnet/tensors", *DN[3:], "--benchmark-file", "dynamicnet/tensors={tmp}/t.npz"],
         r"cannot read tensors file .*t\.npz", truncated_tensors),
    Case("tensors-npz-incomplete", [*DN[:2], "dynamicnet/tensors", *DN[3:], "--benchmark-file", "dynamicnet/tensors={tmp}/t.npz"],
         r"t\.npz lacks y_train, x_val", tensors(x_train=np.zeros((4, 2)))),
    Case("live-cache-wrong-schema", DN, r"live cache .*dynamicnet\.sqlite has another schema .*delete it",
         live_cache("CREATE TABLE evaluations (key TEXT PRIMARY KEY, value REAL)"), OWN_CACHE),
    Case("live-cache-not-a-database", DN, r"live cache .*dynamicnet\.sqlite is not a usable SQLite database",
         live_cache(None), OWN_CACHE),
    Case("cache-dir-is-a-file", DN, r"live cache .* is not a usable SQLite database .*Not a directory",
         write("cache", "x"), OWN_CACHE),
    # table declarations and tables
    Case("table-declaration-missing", TABLE, r"table declaration not found: .*decl\.json"),
    Case("table-declaration-not-json", TABLE, r"cannot read table declaration .*decl\.json", write("decl.json", "{name: x")),
    Case("table-declaration-not-object", TABLE, r"decl\.json: expected a JSON object, got list", write("decl.json", "[]")),
    Case("table-without-arch-column", TABLE, r"files\.t lacks 'arch_column'", declaration(files={"t": {"path": "t.csv"}})),
    Case("table-without-report", TABLE, r"datasets\.cifar10 lacks 'report'",
         declaration(datasets={"cifar10": {"search": "t:valid"}})),
    Case("table-reference-without-alias", TABLE, r"datasets\.cifar10\.search must be \"<file alias>:<column>\", got 'valid'",
         declaration(datasets={"cifar10": {"search": "valid", "report": "t:test"}})),
    Case("table-unknown-alias", TABLE, r"datasets\.cifar10\.report names the file alias 'u'; declared: t",
         declaration(datasets={"cifar10": {"search": "t:valid", "report": "u:test"}})),
    Case("table-path-not-a-string", TABLE, r"files\.t\.path must be a non-empty string, got 5",
         declaration(files={"t": {"path": 5, "arch_column": "arch"}})),
    Case("table-no-datasets", TABLE, r"'datasets' must map at least one dataset", declaration(datasets={})),
    Case("table-bad-base", TABLE, r"'base' must be one of 'declaration', 'data_dir', got 'home'", declaration(base="home")),
    Case("table-unknown-cost", TABLE, r"unknown cost name 'params' .*did you mean 'params_m'",
         declaration(datasets={"cifar10": {"search": "t:valid", "report": "t:test", "costs": {"params": "t:p"}}})),
    Case("table-csv-empty", TABLE, r"cannot read table file .*t\.csv", table_csv(lambda lines: [])),
    Case("table-csv-nan", TABLE, r"metric 'valid' has 1 NaN/inf entries",
         table_csv(lambda lines: [lines[0], lines[1].replace(",0,", ",nan,"), *lines[2:]])),
    Case("table-csv-rows-missing", TABLE, r"metric 'valid' has 15620 NaN/inf entries", table_csv(lambda lines: lines[:6])),
    Case("table-csv-bad-architecture", TABLE, r"t\.csv row 0: malformed NB201 string 'conv'",
         table_csv(lambda lines: [lines[0], "conv,1,2", *lines[2:]])),
    Case("table-csv-architecture-twice", TABLE, r"t\.csv lists some architectures more than once",
         table_csv(lambda lines: [*lines, lines[1]])),
    Case("table-csv-not-text", TABLE, r"cannot read table file .*t\.csv",
         lambda ctx: (declaration()(ctx), write("t.csv", bytes(range(256)) * 8)(ctx))),
    # report and pareto
    Case("report-not-a-results-folder", ["report", "{tmp}/nowhere"], r"no runs\.csv in .*nowhere"),
    Case("report-config-not-json", ["report", "{tmp}/r"], r"cannot read .*r/config\.json: Expecting",
         results(lambda r: (r / "config.json").write_text("{oops"))),
    Case("report-config-not-object", ["report", "{tmp}/r"], r"config\.json is not a run configuration: expected a JSON object",
         results(rewrite_config(lambda c: [c]))),
    Case("report-config-bad-options", ["report", "{tmp}/r"], r"invalid .*config\.json: settings\.options must map",
         results(rewrite_config(lambda c: {**c, "settings": {**c["settings"], "options": 5}}))),
    Case("report-runs-empty", ["report", "{tmp}/r"], r"cannot read .*runs\.csv", results(rewrite_runs(lambda t: ""))),
    Case("report-runs-not-numeric", ["report", "{tmp}/r"], r"runs\.csv line 2: column 'regret' holds 'abc', not a number",
         results(rewrite_runs(first_row("regret", "abc")))),
    Case("report-runs-columns-missing", ["report", "{tmp}/r"], r"runs\.csv lacks columns: .*regret",
         results(rewrite_runs(lambda t: "benchmark,dataset\nnb201-analog,cifar10\n"))),
    Case("report-incomplete", ["report", "{tmp}/r"], r"is incomplete \(\d+ of \d+ runs finished\)",
         results(lambda r: (r / "manifest.json").write_text(
             (r / "manifest.json").read_text().replace('"complete": true', '"complete": false')))),
    Case("report-formats-typo", ["report", "{tmp}/r", "--formats", "png,pfd"], r"--formats: unknown figure format 'pfd'",
         results(lambda r: None)),
    Case("report-formats-none", ["report", "{tmp}/r", "--formats", ","], r"--formats lists no figure format",
         results(lambda r: None)),
    Case("report-out-is-a-file", ["report", "{tmp}/r", "--out", "{tmp}/file"], r"--out .*file is a file, not a directory",
         lambda ctx: (results(lambda r: None)(ctx), write("file", "x")(ctx))),
    Case("pareto-formats-typo", ["pareto", "--benchmark", "nb201-analog", "--formats", "svgg", "--out", "{tmp}/p"],
         r"--formats: unknown figure format 'svgg'; choose from: .*svg"),
    Case("pareto-one-objective", ["pareto", "--benchmark", "nb201-analog", "--objectives", "test_acc", "--out", "{tmp}/p"],
         r"--objectives needs exactly two names"),
    Case("pareto-unknown-device", ["pareto", "--benchmark", "nb201/cifar10", "--data-dir", "{data}",
                                   "--objectives", "test_acc,latency_ms:toaster", "--out", "{tmp}/p"],
         r"unknown objective 'latency_ms:toaster' for nb201/cifar10"),
    Case("pareto-out-is-a-file", ["pareto", "--benchmark", "nb201-analog", "--out", "{tmp}/file"],
         r"--out .*file is a file, not a directory", write("file", "x")),
    # other commands
    Case("query-malformed-arch", ["query", "--benchmark", "nb201-analog", "|conv~0|"], r"malformed NB201 string"),
    Case("proxy-unknown", ["proxy", "synflo", "--benchmark", "nb201-analog"], r"unknown proxy 'synflo'"),
    Case("proxy-figure-format", ["proxy", "params", "--benchmark", "nb201-analog", "--sample", "5", "--figure", "{tmp}/f.pnx"],
         r"--figure: unknown figure format 'pnx'"),
    Case("proxy-seed-negative", ["proxy", "params", "--benchmark", "nb201-analog", "--sample", "5", "--seed", "-1"],
         r"--seed must be a whole number >= 0, got -1$"),
    Case("proxy-sample-too-small", ["proxy", "params", "--benchmark", "nb201-analog", "--sample", "1"],
         r"--sample must be between 3 and 15625, got 1"),
    Case("predictor-sizes-word", ["predictor", "--benchmark", "nb201-analog", "--train-sizes", "ten", "--out", "{tmp}/p"],
         r"--train-sizes expects comma-separated whole numbers"),
    Case("predictor-twice", ["predictor", "--benchmark", "nb201-analog", "--predictors", "mlp,mlp", "--out", "{tmp}/p"],
         r"--predictors lists mlp more than once$"),
    Case("predictor-unknown", ["predictor", "--benchmark", "nb201-analog", "--predictors", "gim", "--out", "{tmp}/p"],
         r"unknown predictor 'gim'"),
    # hardware-aware search: objectives and constraints are checked before any run
    Case("hw-cost-not-in-benchmark", lb("--objectives", "search,latency:pixel3"),
         r"objective cost 'latency_ms:pixel3' is not a cost of nb201-analog/cifar10 \(its costs: params_m, flops_m\)"),
    Case("hw-report-objective", lb("--objectives", "test_acc,params"), r"'test_acc' is the report metric, hidden from search"),
    Case("hw-constraint-direction", lb("--constraint", "params>=0.5"), r"--constraint expects COST<=LIMIT"),
    Case("hw-constraint-unknown-cost", lb("--constraint", "sped<=3"), r"unknown cost name 'sped' in --constraint"),
    Case("hw-infeasible", lb("--constraint", "params<=0.01"),
         r"no architecture of nb201-analog/cifar10 satisfies params_m<=0.01 \(the smallest params_m is 0.07"),
    Case("hw-nsga2-one-objective", lb("--algorithms", "nsga2", "--constraint", "params<=0.5"),
         r"algorithm 'nsga2': needs two or more objectives \(the search metric and a cost, e.g. search,latency:pixel3\)"),
    Case("hw-constrained-without-limit", lb("--algorithms", "re-constrained", "--objectives", "search,params"),
         r"algorithm 're-constrained': needs a cost limit \(a constraint such as latency:pixel3<=5\)"),
    Case("hw-reference-length", lb("--objectives", "search,params", "--hv-reference", "90"),
         r"--hv-reference needs 2 values"),
    Case("hw-optuna-space", ["leaderboard", "--benchmark", "dynamicnet/digits", "--algorithms", "optuna-nsga2",
                             "--objectives", "search,latency", "--budget", "1", "--seeds", "1", "--out", "{tmp}/out"],
         r"OptunaNSGA2 needs a space given as categorical choices"),
    # Once-for-All: options, schedules and configurations are checked before any supernet training
    Case("ofa-on-a-table-space", lb("--algorithms", "ofa"), r"ofa searches the dynamicnet space only, not 'nb201'"),
    Case("ofa-bad-predictor", [*DN, "--algorithms", "ofa", "--param", "ofa.predictor=rf"],
         r"algorithm 'ofa': predictor must be one of 'gin', 'mlp', got 'rf'"),
    Case("ofa-unknown-dataset", ["ofa", "train", "--dataset", "imagenet"],
         r"unknown dataset 'imagenet' for benchmark 'dynamicnet'"),
    Case("ofa-unknown-structure", ["ofa", "train", "--dataset", "digits", "--structure", "resnet"],
         r"structure must be one of 'cnn', 'mlp', got 'resnet'"),
    Case("ofa-schedule-field", ["ofa", "train", "--dataset", "digits", "--schedule", "{tmp}/s.json"],
         r"schedule .*s\.json: phase 1: unknown field 'lrate'", write("s.json", '[{"stage": "a", "epochs": 1, "lrate": 1}]')),
    Case("ofa-schedule-missing", ["ofa", "train", "--dataset", "digits", "--schedule", "{tmp}/none.json"],
         r"cannot read the schedule file .*none\.json"),
    Case("ofa-config-not-covered", ["ofa", "extract", "dense64-relu", "--dataset", "digits", "--out", "{tmp}/n.npz"],
         r"dense64-relu is not covered by the OFA structure"),
    Case("ofa-config-malformed", ["ofa", "extract", "conv16-relu", "--dataset", "digits", "--out", "{tmp}/n.npz"],
         r"malformed DynamicNet block 1 'conv16-relu'"),
    Case("ofa-extract-out-missing-dir", ["ofa", "extract", "conv16k3-relu-bn-maxpool|dense32-relu-bn", "--dataset",
                                         "digits", "--out", "{tmp}/no/n.npz"], r"--out .*existing, writable directory"),
    Case("ofa-limit-below-smallest", ["ofa", "search", "--dataset", "digits", "--max-params", "100"],
         r"no OFA configuration meets the limits \(params_m<=0.0001\): the smallest, conv8k1-relu-bn-maxpool\|dense32"),
    Case("ofa-limit-negative", ["ofa", "search", "--dataset", "digits", "--max-flops-m", "-1"],
         r"max_flops_m must be a number >= 0, got -1"),
    # a results folder is a trust boundary (issue 22, issue 23 item 2)
    Case("report-edited-runs", ["report", "{tmp}/r"], r"runs\.csv differs from its SHA-256 in .*manifest\.json",
         results(rewrite_runs(first_row("report_metric", "99.5")))),
    Case("report-no-manifest", ["report", "{tmp}/r"], r"has no manifest\.json: .*--unchecked",
         results(lambda r: (r / "manifest.json").unlink())),
    Case("report-unchecked-cut-row", ["report", "{tmp}/r", "--unchecked"], r"runs\.csv line \d+: \d+ fields, not \d+",
         results(lambda r: ((r / "manifest.json").unlink(), rewrite_runs(lambda t: t[: len(t) - 25])(r)))),
    Case("report-symlink-inside", ["report", "{tmp}/r"], r"report is a symbolic link inside the results folder",
         results(lambda r: (r / "report").symlink_to(r.parent))),
    Case("ofa-extract-out-exists", ["ofa", "extract", "conv16k3-relu-bn-maxpool|dense32-relu-bn", "--dataset",
                                    "digits", "--out", "{tmp}/n.npz"], r"--out .*n\.npz exists; pass --overwrite",
         write("n.npz", "keep\n")),
    # sizes and counts are bounded, non-regular files refused: one line in bounded time, never a
    # traceback, a hang or memory exhausted
    Case("seeds-count-huge", lb("--seeds", "10000000000"), r"--seeds asks for 10000000000 seeds; at most 100000$"),
    Case("seeds-count-beyond-c-int", lb("--seeds", TOO_MANY_DIGITS), r"--seeds must be whole numbers in \[0, 4294967295\]"),
    Case("seeds-range-huge", lb("--seeds", "0-200000"), r"--seeds range 0-200000 holds 200001 seeds; at most 100000$"),
    Case("seeds-range-beyond-32-bit", lb("--seeds", "0-100000000000"),
         r"--seeds must be whole numbers in \[0, 4294967295\], got 100000000000$"),
    Case("seeds-list-beyond-32-bit", lb("--seeds", "1,4294967296"), r"--seeds must be whole numbers in \[0, 4294967295\], got 4294967296$"),
    Case("seeds-list-beyond-c-int", lb("--seeds", f"1,{TOO_MANY_DIGITS}"), r"--seeds must be whole numbers in \[0, 4294967295\], got '9999"),
    Case("seeds-list-too-long", lb("--seeds", ",".join(map(str, range(100_001)))), r"--seeds lists more than 100000 seeds$"),
    Case("jobs-beyond-c-int", lb("--jobs", "99999999999999999999"), r"--jobs must be at most 1024, got 99999999999999999999$"),
    Case("jobs-beyond-c-int-proxy", ["proxy", "params", "--benchmark", "nb201-analog", "--jobs", TOO_MANY_DIGITS],
         r"--jobs must be at most 1024"),
    Case("out-name-too-long", lb("--out", "{tmp}/" + "x" * 300), r"cannot create the --out directory .*: File name too long$"),
    Case("out-path-too-long", lb("--out", "{tmp}/" + "x/" * 3000), r"cannot create the --out directory .*: File name too long$"),
    Case("table-declaration-fifo", TABLE, r"table declaration .*decl\.json is a FIFO, not a regular file$", fifo("decl.json")),
    Case("table-declaration-device", lb("--benchmark", "table:/dev/zero"), r"table declaration /dev/zero is a device, not a regular file$"),
    Case("table-declaration-nested", TABLE, r"cannot read table declaration .*decl\.json: nested too deeply$",
         write("decl.json", "[" * 100_000 + "]" * 100_000)),
    Case("table-declaration-binary", TABLE, r"table declaration .*decl\.json is not UTF-8 text", write("decl.json", bytes(range(256)))),
    Case("table-declaration-too-large", TABLE, r"table declaration .*decl\.json is larger than 1048576 bytes$",
         write("decl.json", " " * (1 << 20) + "{}")),
    Case("table-file-fifo", TABLE, r"table file .*t\.csv is a FIFO, not a regular file$",
         lambda ctx: (declaration()(ctx), fifo("t.csv")(ctx))),
    Case("table-file-device", TABLE, r"table file /dev/zero is a device, not a regular file$",
         declaration(files={"t": {"path": "/dev/zero", "arch_column": "arch"}})),
    Case("ofa-schedule-nested", SCHEDULE, r"schedule .*s\.json is nested too deeply", write("s.json", "[" * 100_000)),
    Case("ofa-schedule-binary", SCHEDULE, r"the schedule file .*s\.json is not UTF-8 text", write("s.json", bytes(range(256)))),
    Case("ofa-schedule-fifo", SCHEDULE, r"the schedule file .*s\.json is a FIFO, not a regular file$", fifo("s.json")),
    Case("ofa-schedule-device", [*OFA_TRAIN, "--schedule", "/dev/zero"], r"the schedule file /dev/zero is a device"),
    Case("ofa-schedule-too-large", SCHEDULE, r"the schedule file .*s\.json is larger than 1048576 bytes$",
         write("s.json", " " * (1 << 20) + "[]")),
    Case("ofa-schedule-epochs-unbounded", SCHEDULE, r"phase 1: .*epochs must be a whole number in \[0, 10000\], got 1000000000$",
         write("s.json", '[{"stage": "a", "epochs": 1000000000, "lr": 0.1}]')),
    Case("ofa-schedule-subnets-beyond-c-int", SCHEDULE, r"phase 1: .*subnets must be a whole number in \[0, 64\], got 9999",
         write("s.json", f'[{{"stage": "a", "epochs": 1, "lr": 0.1, "subnets": {TOO_MANY_DIGITS}}}]')),
    Case("ofa-schedule-width-unbounded", SCHEDULE, r"phase 1: .*width must be a whole number in \[1, 1000\] or all, got 5000$",
         write("s.json", '[{"stage": "a", "epochs": 1, "lr": 0.1, "width": 5000}]')),
    Case("ofa-schedule-too-many-phases", SCHEDULE, r"schedule .*s\.json has 101 phases; at most 100$",
         write("s.json", json.dumps([{"stage": "a", "epochs": 1, "lr": 0.1}] * 101))),
    Case("ofa-threads-beyond-c-int", [*OFA_TRAIN, "--threads", TOO_MANY_DIGITS], r"threads must be an integer in \[1, 1024\]"),
    Case("ofa-seed-beyond-c-int", [*OFA_TRAIN, "--seed", TOO_MANY_DIGITS], r"supernet_seed must be an integer in \[0, 4294967295\]"),
    Case("ofa-batch-size-beyond-c-int", [*OFA_TRAIN, "--batch-size", TOO_MANY_DIGITS], r"batch_size must be an integer in \[2, 1048576\]"),
    Case("ofa-search-seed-beyond-32-bit", ["ofa", "search", "--dataset", "digits", "--search-seed", "4294967296"],
         r"--search-seed must be a whole number in \[0, 4294967295\], got 4294967296$"),
    Case("proxy-seed-beyond-c-int", ["proxy", "params", "--benchmark", "nb201-analog", "--sample", "5", "--seed", TOO_MANY_DIGITS],
         r"--seed must be at most 4294967295"),
    Case("proxy-bootstrap-beyond-c-int", ["proxy", "params", "--benchmark", "nb201-analog", "--sample", "5", "--bootstrap",
                                          TOO_MANY_DIGITS], r"--bootstrap must be at most 1000000"),
    Case("tensors-strings", TENSORS, r"tensors: x_train must hold real numbers, got dtype <U1$",
         tensors(**{k: np.array([["a"] * 4] * 20) for k in ("x_train", "x_val", "x_test")},
                 **{k: np.arange(20) % 2 for k in ("y_train", "y_val", "y_test")})),
    Case("tensors-fifo", TENSORS, r"tensors file .*t\.npz is a FIFO, not a regular file$", fifo("t.npz")),
]


@pytest.fixture(scope="module")
def finished_results(tmp_path_factory, shared_cache) -> Path:
    """A complete, valid results directory (cases copy it before breaking it)."""
    out = tmp_path_factory.mktemp("results") / "r"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NASBENCH_LAB_CACHE", str(shared_cache))
        code = main(["leaderboard", "--benchmark", "nb201-analog", "--algorithms", "random", "--budget", "3",
                     "--seeds", "2", "--out", str(out), "--no-progress", "--json"])
    assert code == 0 and (out / "runs.csv").is_file()
    return out


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> Path:
    """One cache directory for the cases that do not bring their own (benchmarks load once)."""
    return tmp_path_factory.mktemp("cache")


def test_the_table_is_large_and_its_ids_unique():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line(case: Case, tmp_path, capsys, monkeypatch, request, shared_cache):
    ctx = {"tmp": tmp_path}
    text = " ".join([*case.argv, *case.env.values()])
    if "{results}" in text or case.setup is not None:
        ctx["results"] = request.getfixturevalue("finished_results")
    if "{data}" in text:
        ctx["data"] = request.getfixturevalue("data_dir")
    for var in (*FILE_ENVS.values(), IMAGES_ENV):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(shared_cache))
    for var, value in case.env.items():
        monkeypatch.setenv(var, value.format(**ctx))
    if case.setup is not None:
        case.setup(ctx)
    capsys.readouterr()

    code = main([arg.format(**ctx) for arg in case.argv])
    out, err = capsys.readouterr()

    assert "Traceback" not in out + err
    assert code == 2, f"exit code {code}; stderr: {err!r}"
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("nasbench-lab: error: "), f"stderr: {err!r}"
    message = lines[0][len("nasbench-lab: error: "):]
    assert message.strip() and re.search(case.error, message), f"{message!r} does not match {case.error!r}"
