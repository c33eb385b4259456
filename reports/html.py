"""``report --html``: one self-contained page (``report.html``) to send. Plain HTML with inline CSS,
the figures embedded as base64 PNG, no script and no link outside the file: it opens offline.

Sections: the ``validate`` status (when a validation folder is given), the leaderboard of each
benchmark and dataset (with its seeds and budget), the overall ranks, the figures (rank against
budget, critical-difference diagrams, regret curves, fronts, drawings of the incumbents, ...),
the run's configuration, its environment and the checksums of its data files.
"""
from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from nasbench_lab.errors import NasLabError
from nasbench_lab.infra.files import write_text

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0 auto;max-width:1180px;
padding:16px 24px;color:#222;background:#fff;font-size:14px;line-height:1.4}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:28px}
h3{font-size:15px;margin:18px 0 6px}table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right;vertical-align:top}th{background:#f3f3f3}
td.l,th.l{text-align:left}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
pre{background:#f7f7f7;padding:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.figs{display:flex;flex-wrap:wrap;gap:14px}figure{margin:0;flex:0 0 calc(50% - 7px);max-width:calc(50% - 7px)}
figure img{width:100%;height:auto;border:1px solid #eee}figcaption{font-size:12px;color:#555}
.pass{color:#176117;font-weight:bold}.fail{color:#b00020;font-weight:bold}.note{color:#555;font-size:12px}
"""

#: Figure file prefixes, in page order, with what their lines, bands and marks are.
FIGURES = (
    ("rank_budget", "Average rank (1 = best) of the incumbent's report metric at each query budget, mean over "
                    "benchmark x dataset x seed blocks; band: 95% t-interval of that mean."),
    ("cd_", "Critical-difference diagram (Demšar 2006): average ranks, 1 = best on the left; the top bar is "
            "the Nemenyi critical difference; thick bars join algorithms no test separates."),
    ("regret", "Regret (or incumbent test accuracy where regret is unknown) against queries; {band}."),
    ("pareto", "True Pareto front of test accuracy against a cost (line) and the architectures each "
               "algorithm queried, with their hypervolumes."),
    ("hardware", "Hardware-aware scores against queries, as labelled in the figure."),
    ("front_scores", "Front quality (IGD+ / hypervolume) per algorithm, as labelled in the figure."),
    ("oneshot", "One-shot searches: the derived architecture per epoch, as labelled in the figure."),
    ("cells", "Each algorithm's incumbent in its median seed (by final report metric), with its report metric."),
)
BANDS = {"ci": "line: mean over seeds, band: 95% t-interval", "iqr": "line: median over seeds, band: inter-quartile range"}


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], left: int = 1) -> str:
    """An HTML table; the first ``left`` columns aligned left (names), the others right (numbers)."""
    cls = lambda i: ' class="l"' if i < left else ""  # noqa: E731
    head = "".join(f"<th{cls(i)}>{esc(h)}</th>" for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{esc(v)}</td>" for i, v in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _num(mean: float, spread: float | None = None, digits: int = 2) -> str:
    if pd.isna(mean):
        return "n/a"
    return f"{mean:.{digits}f}" + ("" if spread is None or pd.isna(spread) else f" ± {spread:.{digits}f}")


def _p(value: float) -> str:
    return "–" if pd.isna(value) else ("<0.001" if value < 1e-3 else f"{value:.3f}")


def _seed_text(seeds: Sequence[int]) -> str:
    seeds = sorted(int(s) for s in seeds)
    if seeds and seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}–{seeds[-1]} ({len(seeds)})"
    return ", ".join(map(str, seeds)) + f" ({len(seeds)})"


def leaderboard_section(summary: pd.DataFrame, runs: pd.DataFrame, config: dict,
                        notes: dict[tuple[str, str], str] | None = None) -> str:
    """One table per benchmark and dataset, best first, with the seeds and the budget above it."""
    parts = ["<h2 id='leaderboard'>Leaderboard</h2>"]
    budget = config.get("budget", int(runs["query"].max()))
    for (bench, dataset), part in summary.groupby(["benchmark", "dataset"], sort=False):
        seeds = runs[(runs.benchmark == bench) & (runs.dataset == dataset)]["seed"].unique()
        parts.append(f"<h3>{esc(bench)} / {esc(dataset)}</h3><p class='note'>budget {esc(budget)} queries per run; "
                     f"seeds {esc(_seed_text(seeds))}" + (f"; {esc(notes[(bench, dataset)])}" if notes and
                                                         notes.get((bench, dataset)) else "") + "</p>")
        rows = [(k, r.algorithm, f"{_num(r.report_mean, r.report_std)} (se {r.report_sem:.2f})",
                 _num(r.regret_mean, r.regret_std), _num(r.search_mean, r.search_std), f"{r.avg_rank:.2f}",
                 _p(r.p_holm), r.seeds, f"{r.queries:.0f}")
                for k, r in enumerate(part.itertuples(index=False), start=1)]
        parts.append(table(["rank", "algorithm", "final report metric", "final regret", "search metric",
                            "avg rank", "p vs best (Holm)", "seeds", "queries"], rows, left=2))
    parts.append("<p class='note'>Incumbent = best architecture so far by search metric; its report metric after "
                 "the last query, mean ± std over seeds (se = standard error). Regret = best report metric in the "
                 "table − incumbent's. Avg rank: rank among algorithms within each seed, averaged. p: two-sided "
                 "Wilcoxon signed-rank test against the best algorithm on paired seeds, Holm-corrected.</p>")
    return "\n".join(parts)


def ranks_section(overall: pd.DataFrame | None, by_budget: pd.DataFrame | None) -> str:
    parts = []
    if overall is not None and len(overall):
        parts += ["<h3>Average rank across benchmarks</h3>",
                  table(["algorithm", "average rank", "benchmarks"],
                        [(r.algorithm, f"{r.avg_rank:.2f}", r.benchmarks) for r in overall.itertuples(index=False)])]
    if by_budget is not None and len(by_budget):
        parts += ["<h3>Average rank against budget</h3>",
                  table(["budget", *by_budget.columns],
                        [(b, *(f"{v:.2f}" for v in row)) for b, row in zip(by_budget.index, by_budget.to_numpy())])]
    return "\n".join(parts)


def embed_png(path: Path) -> str:
    """``path`` as a ``data:image/png;base64,...`` URI."""
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def figures_section(files: Sequence[Path], band: str = "ci") -> str:
    """Every PNG in ``files``, grouped by kind (file-name prefix) with a caption saying what the
    lines, bands and bars are; kinds not known here come last, captioned by their file name."""
    pngs = sorted({Path(f) for f in files if Path(f).suffix == ".png" and Path(f).is_file()}, key=lambda p: p.name)
    if not pngs:
        return ""
    parts, done = ["<h2 id='figures'>Figures</h2>"], set()
    for prefix, caption in (*FIGURES, ("", "")):
        group = [p for p in pngs if p.name.startswith(prefix) and p not in done]
        if not group:
            continue
        done.update(group)
        items = "".join(
            f"<figure><img src=\"{embed_png(p)}\" alt=\"{esc(p.stem)}\"><figcaption><b>{esc(p.stem)}</b>"
            f"{'. ' + esc(caption.format(band=BANDS.get(band, band))) if caption else ''}</figcaption></figure>"
            for p in group)
        parts.append(f"<div class='figs'>{items}</div>")
    return "\n".join(parts)


def validation_section(folder: Path | None) -> str:
    """The status of ``nasbench-lab validate`` from its ``validation.json`` in ``folder``."""
    if folder is None:
        return ""
    path = Path(folder) / "validation.json"
    try:
        found = json.loads(path.read_text())
        checks, counts = found["checks"], found["counts"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NasLabError(f"--validation: cannot read {path}: {exc}") from None
    verdict = "pass" if found.get("passed") else "fail"
    head = (f"<h2 id='validation'>Validation</h2><p>Status: <span class='{verdict}'>"
            f"{'all checks passed' if verdict == 'pass' else 'a check did not pass'}</span> "
            f"({esc(', '.join(f'{v} {k}' for k, v in counts.items()))}; mode {esc(found.get('mode'))}, "
            f"started {esc(found.get('started'))}, from {esc(path)})</p>")
    rows = [(c.get("name"), c.get("status"), c.get("reason") or "", _value(c.get("value")), _value(c.get("reference")))
            for c in checks]
    return head + table(["check", "status", "reason", "ours", "reference"], rows, left=3)


def _value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else ("–" if value is None else str(value))


def configuration_section(config: dict) -> str:
    """The protocol, the algorithms with their hyper-parameters, the settings and the commands."""
    settings = config.get("settings") or {}
    protocol = [("benchmarks", ", ".join(f"{b.get('benchmark')}/{b.get('dataset')}" for b in config.get("benchmarks") or [])),
                ("budget (queries per run)", config.get("budget")),
                ("seeds", _seed_text(config.get("seeds") or [])),
                ("time budget (s per run)", config.get("time_budget_seconds") or "none"),
                ("problem", json.dumps(config.get("problem")) if config.get("problem") else "single objective"),
                ("recipe (--benchmark-option)", json.dumps(settings.get("options") or {}, sort_keys=True)),
                ("merged from", ", ".join(config.get("merged_from") or []) or "one folder")]
    algorithms = [(name, json.dumps(values, sort_keys=True)) for name, values in (config.get("algorithms") or {}).items()]
    commands = config.get("command") or []
    commands = commands if commands and isinstance(commands[0], list) else [commands]
    return ("<h2 id='configuration'>Configuration</h2>" + table(["item", "value"], protocol, left=2)
            + "<h3>Algorithms and hyper-parameters</h3>" + table(["algorithm", "hyper-parameters"], algorithms, left=2)
            + "<h3>Settings</h3><pre>" + esc(json.dumps(settings, indent=1, sort_keys=True, default=str)) + "</pre>"
            + "<h3>Commands</h3>" + "".join(f"<pre>{esc(' '.join(map(str, c)))}</pre>" for c in commands if c))


def environment_section(config: dict) -> str:
    """Python, package versions, when the run was made, and the SHA-256 of each data file it read."""
    versions = config.get("versions") or {}
    env = [("created", config.get("created")), ("python", config.get("python"))]
    env += [("numpy", config.get("numpy"))] if "numpy" not in versions else []
    env += [(name, version) for name, version in sorted(versions.items())]
    data = sorted((config.get("data_files") or {}).items())
    return ("<h2 id='environment'>Environment</h2>" + table(["item", "value"], [e for e in env if e[1]], left=2)
            + "<h3>Data files (SHA-256)</h3>"
            + (table(["file", "sha256"], data, left=2) if data else "<p class='note'>no data files recorded</p>"))


def page(title: str, sections: Sequence[str]) -> str:
    """The whole document: inline CSS, no script, no external resource."""
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(s for s in sections if s) + "\n</body></html>\n")


def write_html(out: Path, *, runs: pd.DataFrame, config: dict, summary: pd.DataFrame, files: Sequence[Path],
               band: str = "ci", validation: Path | None = None, notes: dict | None = None) -> Path:
    """Write ``out/report.html`` (atomically) from a report's tables and figure files."""
    from .leaderboard import overall_ranks
    from .rank_budget import ranks_at_budgets

    folders = config.get("merged_from") or []
    sources = ", ".join(folders) if folders else "one results folder"
    several = runs.groupby(["benchmark", "dataset"]).ngroups > 1
    by_budget = ranks_at_budgets(runs) if runs["algorithm"].nunique() > 1 else None
    sections = [
        f"<h1>nasbench-lab report</h1><p class='note'>{esc(len(runs.groupby(['benchmark', 'dataset', 'algorithm', 'seed'])))} "
        f"runs of {esc(runs['algorithm'].nunique())} algorithms from {esc(sources)}; run created "
        f"{esc(config.get('created', 'unknown'))}.</p>",
        validation_section(validation),
        leaderboard_section(summary, runs, config, notes),
        ranks_section(overall_ranks(runs) if several else None, by_budget),
        figures_section(files, band),
        configuration_section(config),
        environment_section(config),
    ]
    path = Path(out) / "report.html"
    write_text(path, page("nasbench-lab report", sections), durable=False)
    return path
