"""One look for every figure: single-column size, fonts, colours fixed per algorithm."""
from __future__ import annotations

import zlib
from pathlib import Path

from nasbench_lab.errors import NasLabError

COLUMN_WIDTH = 3.5  # inches, a single column of a two-column paper
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
           "#8C564B", "#7F7F7F", "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677",
           "#882255", "#AA4499", "#661100"]
#: Registered algorithms keep these colours in every figure; others get a stable hashed colour.
KNOWN = ["random", "re", "sa", "gin-evolution", "gin-sa", "synflow-rank", "darts", "ofa",
         "nsga2", "re-constrained", "sa-constrained", "weighted", "gin-pareto", "optuna-nsga2", "optuna-tpe",
         "optuna-tpe-constrained", "gin-constrained", "local-search", "bananas"]


def colour(algorithm: str) -> str:
    """``algorithm``'s usual colour (fixed for the known ones, hashed for others; several share one)."""
    if algorithm in KNOWN:
        return PALETTE[KNOWN.index(algorithm) % len(PALETTE)]
    return PALETTE[zlib.crc32(algorithm.encode()) % len(PALETTE)]


def colours(algorithms) -> dict[str, str]:
    """One colour per algorithm drawn together: each its usual colour unless an earlier one
    (in sorted order) has it, then the first free one; distinct for up to 20 algorithms."""
    out: dict[str, str] = {}
    for name in sorted(map(str, algorithms)):
        wanted = colour(name)
        out[name] = wanted if wanted not in out.values() else next(
            (c for c in PALETTE if c not in out.values()), wanted)
    return out


def pyplot():
    """matplotlib.pyplot with a headless backend and the project's style."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7,
        "xtick.labelsize": 7, "ytick.labelsize": 7, "axes.grid": True, "grid.alpha": 0.3,
        "axes.spines.top": False, "axes.spines.right": False, "savefig.bbox": "tight",
        "pdf.fonttype": 42,
    })
    return plt


def warm_up() -> None:
    """Draw a tiny figure into memory: loads the fonts and the renderer once, so that a first
    real figure (e.g. the leaderboard's, drawn in a forked process) starts warm."""
    import io

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.set_xscale("log")
    ax.plot([1, 10], [1, 2], label="a")
    ax.fill_between([1, 10], [0, 1], [2, 3], alpha=0.2)
    ax.set_title("warm-up")
    ax.legend(frameon=False)
    fig.savefig(io.BytesIO(), format="png", dpi=50)
    plt.close(fig)


def figure_formats(text: str, flag: str = "--formats") -> tuple[str, ...]:
    """``png,pdf`` -> ("png", "pdf"), each a format matplotlib writes; a typo is a one-line error
    listing the formats there are."""
    from matplotlib.backend_bases import FigureCanvasBase

    known = FigureCanvasBase.get_supported_filetypes()
    formats = tuple(f.strip() for f in text.split(",") if f.strip())
    if not formats:
        raise NasLabError(f"{flag} lists no figure format: {text!r}")
    for fmt in formats:
        if fmt not in known:
            raise NasLabError(f"{flag}: unknown figure format {fmt!r}; choose from: {', '.join(sorted(known))}")
    return formats


def save(fig, stem: Path, formats: tuple[str, ...] = ("png", "pdf")) -> list[Path]:
    """Save ``fig`` as ``stem.<format>`` for every format (each written then renamed); close it;
    return the paths."""
    from nasbench_lab.infra.files import save_figure

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        paths.append(save_figure(fig, path, dpi=200))
    import matplotlib.pyplot as plt

    plt.close(fig)
    return paths


def slug(*parts: str) -> str:
    return "_".join("".join(c if c.isalnum() or c in "-." else "-" for c in p) for p in parts)


def budget_axis(runs) -> tuple[str, str]:
    """The column of ``runs`` that counts the budget and its axis label: ``epochs`` ("training
    epochs", every fidelity counted) for runs under an epoch budget, else ``query``."""
    if "epochs" in runs.columns and bool(runs["epochs"].notna().any()):
        return "epochs", "training epochs (every fidelity counted)"
    return "query", "queries (architectures evaluated)"
