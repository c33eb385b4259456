"""Finding one's way from the terminal: `list` names costs and devices, every `--help` shows its
defaults, one example and only its own options, `query` without an architecture shows the format,
`report` prints a short summary, and no progress line says "nan"."""
from __future__ import annotations

import argparse
import json

import pytest

from nasbench_lab.cli import build_parser, main
from nasbench_lab.cli.args import DEFAULT_BENCHMARKS


def run_cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """(words, parser) for every leaf sub-command (``ofa train`` is ("ofa", "train"))."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield prefix, parser
        return
    for name, child in subs[0].choices.items():
        yield from commands(child, prefix + (name,))


ALL = list(commands(build_parser()))


def options(parser: argparse.ArgumentParser) -> set[str]:
    return {s for a in parser._actions for s in a.option_strings if s.startswith("--")}


def test_list_names_costs_and_devices(capsys):
    code, out, _ = run_cli(["list"], capsys)
    assert code == 0
    block = out.split("  nb201:")[1].split("\n  nb201-official:")[0]
    assert "cost metrics: 1" not in out
    for word in ("params_m", "flops_m", "latency_ms", "pixel3", "raspi4", "titan_rtx_256", "27 devices"):
        assert word in block, word
    code, out, _ = run_cli(["list", "--json"], capsys)
    entry = {b["name"]: b for b in json.loads(out)["benchmarks"]}["nb201"]
    assert {"params_m", "flops_m", "latency_ms:pixel3"} <= set(entry["costs"])
    assert len(entry["devices"]) == 27 and "eyeriss" in entry["devices"]
    graph = {b["name"]: b for b in json.loads(out)["benchmarks"]}["nasbench-graph"]
    assert set(graph["costs"]) == {"latency_ms", "params_m"} and graph["devices"] == []


@pytest.mark.parametrize("words, parser", ALL, ids=[" ".join(w) for w, _ in ALL])
def test_help_shows_defaults_and_an_example(words, parser):
    text = parser.format_help()
    assert "\nexample:\n  nasbench-lab " + " ".join(words) in text
    formatter = parser._get_formatter()
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        if action.default in (None, False, argparse.SUPPRESS) or isinstance(action, argparse._VersionAction):
            continue
        assert "(default: " in formatter._expand_help(action), f"{' '.join(words)} {action.option_strings[0]}"


#: options only some commands take; every other command must not list them.
OWN = {
    "--image-dir": {"proxy", "validate", "leaderboard"},
    "--benchmark-file": {"leaderboard", "query", "report", "pareto", "proxy", "predictor", "validate",
                         "ofa train", "ofa search", "ofa extract"},
    "--benchmark-option": {"leaderboard", "query", "report", "proxy", "validate"},
    "--data-dir": {"leaderboard", "query", "report", "pareto", "proxy", "predictor", "validate"},
    "--method": {"proxy"},
    "--jobs": {"leaderboard", "proxy", "predictor", "validate"},
}


@pytest.mark.parametrize("words, parser", ALL, ids=[" ".join(w) for w, _ in ALL])
def test_help_lists_only_the_commands_own_options(words, parser):
    name = " ".join(words)
    wrong = sorted(flag for flag, owners in OWN.items() if flag in options(parser) and name not in owners)
    assert not wrong, f"{name} lists {wrong}"


def test_query_defaults_to_the_leaderboards_benchmark(capsys):
    code, out, _ = run_cli(["query", "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|"
                                     "nor_conv_3x3~1|skip_connect~2|", "--json"], capsys)
    assert code == 0
    assert json.loads(out)["benchmark"] == DEFAULT_BENCHMARKS[0].split("/")[0] == "nb201"


@pytest.mark.parametrize("benchmark", ["nasbench-graph", "nb201"])
def test_query_without_an_architecture_prints_the_format(benchmark, capsys):
    code, out, err = run_cli(["query", "--benchmark", benchmark], capsys)
    assert code == 0, err
    assert "format" in out
    examples = [line.split("example:", 1)[1].strip() for line in out.splitlines() if "example:" in line]
    assert examples, out
    arch = examples[0].split("nasbench-lab query --benchmark " + benchmark, 1)[-1].strip().strip("'")
    code, out, err = run_cli(["query", "--benchmark", benchmark, arch, "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["benchmark"] == benchmark


def test_report_prints_a_short_summary_and_where_the_files_are(tmp_path, capsys):
    out = tmp_path / "r"
    code, _, _ = run_cli(["leaderboard", "--benchmark", "nb201-analog", "--budget", "10", "--seeds", "2",
                          "--out", str(out), "--no-progress", "--json"], capsys)
    assert code == 0
    code, text, _ = run_cli(["report", str(out), "--formats", "png"], capsys)
    assert code == 0
    lines = text.strip().splitlines()
    assert not [line for line in lines if line.lstrip().startswith("|")], text
    assert len(lines) <= 12, text
    assert str(out / "report") in text and "leaderboard.md" in text
    assert "nb201-analog/cifar10" in text and "best" in text


def test_no_progress_line_says_nan():
    from nasbench_lab.adapters.dynamicnet.ofa import OFASupernet, Stage
    from nasbench_lab.adapters.dynamicnet.ofa.shrinking import ALL as OPEN, Phase, TrainOptions, train_progressive
    from nasbench_lab.adapters.dynamicnet.ofa import OFAStructure
    from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace
    import torch

    space = DynamicNetSpace((1, 12), 3, conv_widths=(4, 8), dense_widths=(8, 16))
    structure = OFAStructure(space, [Stage("conv", 3, (4, 8), (1, 3, 5), "max"), Stage("dense", 2, (8, 16))],
                             name="tiny")
    g = torch.Generator().manual_seed(0)
    data = torch.randn(48, 1, 12, generator=g), torch.randint(0, 3, (48,), generator=g)
    lines: list[str] = []
    train_progressive(OFASupernet(structure, seed=0), data,
                      [Phase("largest", 1, 3e-3), Phase("all", 1, 1e-3, OPEN, OPEN, OPEN, 2)],
                      TrainOptions(batch_size=16), log=lines.append)
    assert len(lines) == 2
    assert not [line for line in lines if "nan" in line.lower()], lines
    assert "sampled sub-networks" in lines[1]


def test_progress_is_off_with_json_or_no_progress(monkeypatch):
    from nasbench_lab.infra import progress

    monkeypatch.delenv(progress.PROGRESS_ENV, raising=False)
    assert progress.enabled()
    with progress.quiet():
        assert not progress.enabled() and progress.bar(3, "x").disable
    assert progress.enabled()
    seen = []
    monkeypatch.setattr("nasbench_lab.cli.catalog.cmd_list", lambda args: seen.append(progress.enabled()) or 0)
    main(["list", "--json"])
    assert seen == [False] and progress.enabled()
