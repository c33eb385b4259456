"""Draw an architecture's graph form as a layered DAG with operation labels (matplotlib only)."""
from __future__ import annotations

from pathlib import Path

from nasbench_lab.core.graph import ArchGraph

from .style import COLUMN_WIDTH, pyplot, save

SHORT = {"nor_conv_3x3": "conv 3×3", "nor_conv_1x1": "conv 1×1", "avg_pool_3x3": "pool 3×3",
         "skip_connect": "skip", "none": "zero", "batchnorm": "BN", "dropout": "drop", "flatten": "flat"}


def layers(graph: ArchGraph) -> list[int]:
    """Longest-path depth of every node from the sources."""
    preds = graph.predecessors()
    depth: dict[int, int] = {}

    def visit(n: int, stack: tuple[int, ...] = ()) -> int:
        if n in depth:
            return depth[n]
        if n in stack:
            raise ValueError("graph has a cycle")
        depth[n] = 0 if not preds[n] else 1 + max(visit(p, stack + (n,)) for p in preds[n])
        return depth[n]

    return [visit(n) for n in range(graph.num_nodes)]


#: layers per row: deeper graphs (e.g. DynamicNet chains) wrap onto further rows
PER_ROW = 7


def positions(graph: ArchGraph, per_row: int = PER_ROW) -> tuple[dict[int, tuple[float, float]], int]:
    """Node positions (layer by longest path, wrapped every ``per_row`` layers) and the number
    of rows."""
    depth = layers(graph)
    columns: dict[int, list[int]] = {}
    for n, d in enumerate(depth):
        columns.setdefault(d, []).append(n)
    height = max(len(nodes) for nodes in columns.values())
    rows = max(depth) // per_row + 1
    pos = {}
    for d, nodes in columns.items():
        for k, n in enumerate(nodes):
            pos[n] = (d % per_row, (len(nodes) - 1) / 2 - k - (d // per_row) * (height + 0.6))
    return pos, rows


def draw_graph(graph: ArchGraph, ax, title: str = "") -> None:
    ops = graph.ops()
    pos, _ = positions(graph)
    for s, t in graph.edge_index.T:
        ax.annotate("", xy=pos[int(t)], xytext=pos[int(s)],
                    arrowprops=dict(arrowstyle="-|>", color="#555555", lw=0.7, shrinkA=11, shrinkB=11))
    for n, (x, y) in pos.items():
        op = ops[n]
        face = "#DDDDDD" if op in ("input", "output") else ("#FFFFFF" if op == "none" else "#CFE3F3")
        ax.text(x, y, SHORT.get(op, op), ha="center", va="center", fontsize=6,
                bbox=dict(boxstyle="round,pad=0.3", fc=face, ec="#333333", lw=0.6))
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=7)


def draw_cells(graphs: list[tuple[str, ArchGraph]], stem: Path, formats: tuple[str, ...] = ("png", "pdf")) -> list[Path]:
    """One panel per (title, graph), stacked vertically at single-column width."""
    plt = pyplot()
    heights = [1.6 + 0.9 * (positions(g)[1] - 1) for _, g in graphs]
    fig, axes = plt.subplots(len(graphs), 1, figsize=(COLUMN_WIDTH, sum(heights)), squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    for ax, (title, graph) in zip(axes[:, 0], graphs):
        draw_graph(graph, ax, title)
    return save(fig, stem, formats)
