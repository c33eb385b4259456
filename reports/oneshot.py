"""Figures of one-shot searches from their per-run records (the artefact ``oneshot.json`` of each
run, beside its run file in the results folder, saved by ``algorithms/supernet_search.py``): the
derived architecture's report metric against the search epoch (one line per method; the metric
joined here, the search never saw it), and the operation mix of the derived architecture per
epoch (a skip-connection collapse shows there). Only the results folder is read.

    records = load_records(results)
    derived_metric_figure(derived_metric_curves(records, bench), "derived.png", ylabel="test accuracy (%)")
    operation_mix_figure(operation_mix(records), "mix.png")
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Sequence

import numpy as np

from nasbench_lab.infra.artefacts import read_artefacts
from nasbench_lab.core.benchmark import Benchmark, TabularBenchmark
from nasbench_lab.errors import NasLabError
from nasbench_lab.core.space import Arch, SearchSpace
from nasbench_lab.supernet.record import ARTEFACT

from .style import COLUMN_WIDTH, PALETTE, colours, pyplot, save

#: method -> (epochs, mean over runs of the value at that epoch)
Curves = dict[str, tuple[np.ndarray, np.ndarray]]


def load_records(results: str | Path, benchmark: str | None = None, dataset: str | None = None) -> list[dict]:
    """The one-shot records of the runs in the results folder ``results`` (optionally of one
    benchmark and dataset), in run order, each checked against the manifest's SHA-256."""
    results = Path(results)
    if not results.is_dir():
        raise NasLabError(f"no one-shot records: {results} is not a directory")
    records = []
    for entry, data in read_artefacts(results, ARTEFACT):
        where = f"{results}/runs/{Path(str(entry['file'])).stem}/{ARTEFACT}"
        try:
            record = json.loads(data)
        except ValueError as exc:
            raise NasLabError(f"one-shot record {where} is not readable JSON ({exc})") from None
        if not isinstance(record, dict) or not isinstance(record.get("epochs"), list) or "method" not in record:
            raise NasLabError(f"one-shot record {where} has no method and epochs")
        if (benchmark is None or record.get("benchmark") == benchmark) and \
                (dataset is None or record.get("dataset") == dataset):
            records.append(record)
    return records


def learns_alphas(record: dict) -> bool:
    """False for a record whose slot probabilities stayed uniform in every epoch (SPOS): its
    per-epoch "derived" architecture is only the first choice, so the figures leave it out."""
    return any(max(p) - min(p) > 1e-9 for e in record["epochs"] for p in e["probabilities"])


def derived_archs(record: dict, space: SearchSpace) -> list[Arch]:
    """The derived architecture of each epoch of ``record`` (choices decoded by its supernet)."""
    from nasbench_lab.supernet import SupernetConfig, supernet_provider

    net = supernet_provider(space.name).build_supernet(space, record["dataset"],
                                                       SupernetConfig(**record["supernet"]))
    return [net.arch_of(e["derived"]) for e in record["epochs"]]


def _mean_by_epoch(rows: dict[str, list[tuple[int, float]]]) -> Curves:
    out = {}
    for method, pairs in rows.items():
        by_epoch: dict[int, list[float]] = defaultdict(list)
        for epoch, value in pairs:
            by_epoch[epoch].append(value)
        epochs = np.array(sorted(by_epoch))
        out[method] = (epochs, np.array([np.mean(by_epoch[e]) for e in epochs]))
    return out


def derived_metric_curves(records: Sequence[dict], bench: Benchmark) -> Curves:
    """Per method, the report metric of the derived architecture at each epoch, mean over runs
    (records that learned no alphas are left out, see ``learns_alphas``)."""
    rows: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for record in filter(learns_alphas, records):
        for e, arch in zip(record["epochs"], derived_archs(record, bench.space)):
            rows[record["method"]].append((int(e["epoch"]), float(bench.report_metric(arch))))
    return _mean_by_epoch(rows)


def operation_mix(records: Sequence[dict]) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Per method and operation name, the share (0..1) of the derived architecture's slots
    holding that operation at each epoch, mean over runs."""
    rows: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    for record in filter(learns_alphas, records):
        names = sorted({n for slot in record["slots"] for n in slot})
        for e in record["epochs"]:
            picked = e["derived_names"]
            for name in names:
                rows[record["method"]][name].append((int(e["epoch"]), picked.count(name) / len(picked)))
    return {method: _mean_by_epoch(ops) for method, ops in rows.items()}


def derived_metric_figure(curves: Curves, path: str | Path, *, ylabel: str = "report metric", title: str = ""):
    """One line per method: the derived architecture's report metric against the search epoch."""
    if not curves:
        raise NasLabError("no one-shot records to plot")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.6))
    palette = colours(curves)
    for method, (epochs, values) in sorted(curves.items()):
        ax.plot(epochs, values, marker="o", ms=2.5, lw=1.2, color=palette[method], label=method)
    from matplotlib import ticker

    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.set_xlabel("search epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title or "derived architecture per epoch (mean over runs)", fontsize=8)
    ax.legend(frameon=False)
    path = Path(path)
    save(fig, path.with_suffix(""), (path.suffix.lstrip(".") or "png",))
    return path


def operation_mix_figure(mixes: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]], path: str | Path, *,
                         title: str = ""):
    """One stacked-area panel per method: the share of each operation in the derived architecture."""
    if not mixes:
        raise NasLabError("no one-shot records to plot")
    plt = pyplot()
    from matplotlib import ticker

    methods = sorted(mixes)
    used = {m: [op for op in sorted(mixes[m]) if np.any(mixes[m][op][1] > 0)] or sorted(mixes[m]) for m in methods}
    all_ops = sorted({op for ops in used.values() for op in ops})  # an operation never picked has no entry
    op_colours = {op: PALETTE[i % len(PALETTE)] for i, op in enumerate(all_ops)}
    fig, axes = plt.subplots(len(methods), 1, figsize=(COLUMN_WIDTH, 1.6 * len(methods) + 0.4),
                             sharex=True, squeeze=False)
    for ax, method in zip(axes[:, 0], methods):
        ops = used[method]
        epochs = mixes[method][ops[0]][0]
        ax.stackplot(epochs, [mixes[method][op][1] for op in ops], colors=[op_colours[o] for o in ops])
        ax.set_ylim(0, 1)
        ax.set_ylabel(f"{method}\nshare")
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    from matplotlib.patches import Patch

    fig.legend([Patch(color=op_colours[o]) for o in all_ops], all_ops, frameon=False, fontsize=6,
               loc="upper left", bbox_to_anchor=(1.0, 0.95), title="operation", title_fontsize=6)
    axes[0, 0].set_title(title or "operation mix of the derived architecture", fontsize=8)
    axes[-1, 0].set_xlabel("search epoch")
    path = Path(path)
    save(fig, path.with_suffix(""), (path.suffix.lstrip(".") or "png",))
    return path


def oneshot_figures(results: Path, benches: dict, out: Path, formats: Sequence[str]) -> list[Path]:
    """For each benchmark of ``benches`` (``{(name, dataset): benchmark}``) whose runs in the
    results folder ``results`` left one-shot records that learned alphas: the operation mix
    figure and, on a tabular benchmark, the derived architecture's report metric per epoch.
    Nothing but the results folder (and the benchmark's own table) is read."""
    from .style import slug

    if not (Path(results) / "manifest.json").is_file():
        return []  # a results folder of an earlier version: no artefacts
    records = load_records(results)
    files: list[Path] = []
    for (name, dataset), bench in benches.items():
        mine = [r for r in records if r.get("benchmark") == name and r.get("dataset") == dataset]
        mixes = operation_mix(mine)
        if not mixes:
            continue
        tag = slug(name, dataset)
        curves = derived_metric_curves(mine, bench) if isinstance(bench, TabularBenchmark) else {}
        for fmt in formats:
            files.append(operation_mix_figure(mixes, out / f"oneshot_mix_{tag}.{fmt}"))
            if curves:
                files.append(derived_metric_figure(curves, out / f"oneshot_derived_{tag}.{fmt}",
                                                   ylabel=f"{bench.report_metric_name}"))
    return files
