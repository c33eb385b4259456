"""Draw an architecture's graph form as a layered DAG with operation labels (matplotlib only).
Edges that skip layers run through empty slots of the layers between (virtual nodes, as in a
Sugiyama layout), so no edge passes behind a box; edges into (out of) one node end (start) at
distinct points of its side."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from nasbench_lab.core.graph import ArchGraph

from .style import COLUMN_WIDTH, pyplot, save

SHORT = {"nor_conv_3x3": "conv 3×3", "nor_conv_1x1": "conv 1×1", "avg_pool_3x3": "pool 3×3",
         "skip_connect": "skip", "none": "zero", "batchnorm": "BN", "dropout": "drop", "flatten": "flat"}
#: half the size of a node's box, in layout units (one layer apart in x, one slot apart in y)
BOX_HALF_WIDTH, BOX_HALF_HEIGHT = 0.37, 0.2
#: layers per row: deeper graphs (e.g. DynamicNet chains) wrap onto further rows
PER_ROW = 7
Point = tuple[float, float]


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


def _slots(graph: ArchGraph) -> tuple[list[list], list[int]]:
    """Per layer, the ordered slots: real nodes (int) and virtual ones ((s, t, layer)) of the
    edges that skip it; ordered by the barycentre of their predecessors (a few sweeps)."""
    depth = layers(graph)
    order: list[list] = [[] for _ in range(max(depth) + 1)]
    preds: dict = {}
    for n, d in enumerate(depth):
        order[d].append(n)
    for s, t in graph.edge_index.T.tolist():
        prev = s
        for d in range(depth[s] + 1, depth[t]):
            order[d].append((s, t, d))
            preds.setdefault((s, t, d), []).append(prev)
            prev = (s, t, d)
        preds.setdefault(t, []).append(prev)
    for _ in range(4):
        for d in range(1, len(order)):
            rank = {slot: k for k, slot in enumerate(order[d - 1])}
            order[d].sort(key=lambda v: sum(rank[p] for p in preds.get(v, [])) / max(len(preds.get(v, [])), 1))
    return order, depth


def _place(order: list[list], per_row: int) -> tuple[dict, float]:
    height = max(len(slots) for slots in order)
    where = {}
    for d, slots in enumerate(order):
        for k, slot in enumerate(slots):
            where[slot] = (float(d % per_row), (len(slots) - 1) / 2 - k - (d // per_row) * (height + 0.6))
    return where, height


def positions(graph: ArchGraph, per_row: int = PER_ROW) -> tuple[dict[int, Point], int]:
    """Node positions (layer by longest path, wrapped every ``per_row`` layers) and the number
    of rows."""
    order, depth = _slots(graph)
    where, _ = _place(order, per_row)
    return {n: where[n] for n in range(graph.num_nodes)}, max(depth) // per_row + 1


def _ports(ends: dict[int, list], key) -> dict:
    """Distinct y offsets on a node's side for its edges, ordered top to bottom by ``key``."""
    out = {}
    for n, edges in ends.items():
        edges = sorted(edges, key=key, reverse=True)
        step = min(0.12, 1.6 * BOX_HALF_HEIGHT / max(len(edges), 1))
        for k, e in enumerate(edges):
            out[(n, e)] = ((len(edges) - 1) / 2 - k) * step
    return out


def routes(graph: ArchGraph, per_row: int = PER_ROW) -> tuple[dict[int, Point], dict[tuple[int, int], list[Point]]]:
    """Node positions and, per edge, the polyline it is drawn along: from the right side of the
    source's box through the empty slots of skipped layers to the left side of the target's box
    (an edge onto the next row runs round the rows' ends through the gap between them)."""
    order, depth = _slots(graph)
    where, height = _place(order, per_row)
    edges = [tuple(e) for e in graph.edge_index.T.tolist()]
    first = {e: where[(e[0], e[1], depth[e[0]] + 1)] if depth[e[1]] - depth[e[0]] > 1 else where[e[1]] for e in edges}
    last = {e: where[(e[0], e[1], depth[e[1]] - 1)] if depth[e[1]] - depth[e[0]] > 1 else where[e[0]] for e in edges}
    out_port = _ports({n: [e for e in edges if e[0] == n] for n in range(graph.num_nodes)}, lambda e: first[e][1])
    in_port = _ports({n: [e for e in edges if e[1] == n] for n in range(graph.num_nodes)}, lambda e: last[e][1])
    paths = {}
    for s, t in edges:
        (xs, ys), (xt, yt) = where[s], where[t]
        points = [(xs + BOX_HALF_WIDTH, ys + out_port[(s, (s, t))])]
        hops = [where[(s, t, d)] for d in range(depth[s] + 1, depth[t])] + [(xt, yt + in_port[(t, (s, t))])]
        for k, (x, y) in enumerate(hops):
            px, py = points[-1]
            if x < px:  # onto the next row: round the row's end, through the gap, back to the start
                gap = -(height - 1) / 2 - (height + 0.6) * ((depth[s] + k) // per_row) - 0.3  # below this row
                points += [(px + 0.5 - BOX_HALF_WIDTH, py), (px + 0.5 - BOX_HALF_WIDTH, gap), (x - 0.5, gap), (x - 0.5, y)]
            end = (x - BOX_HALF_WIDTH, y)
            points += [end] if k == len(hops) - 1 else [end, (x + BOX_HALF_WIDTH, y)]
        paths[(s, t)] = points
    return {n: where[n] for n in range(graph.num_nodes)}, paths


def draw_graph(graph: ArchGraph, ax, title: str = "") -> None:
    from matplotlib.patches import FancyBboxPatch

    ops = graph.ops()
    pos, paths = routes(graph)
    for points in paths.values():
        xs, ys = zip(*points)
        ax.plot(xs[:-1], ys[:-1], color="#555555", lw=0.7, solid_joinstyle="round", zorder=1)
        ax.annotate("", xy=points[-1], xytext=points[-2], zorder=1,
                    arrowprops=dict(arrowstyle="-|>,head_length=0.3,head_width=0.15", color="#555555", lw=0.7,
                                    shrinkA=0, shrinkB=0))
    for n, (x, y) in pos.items():
        op = ops[n]
        face = "#DDDDDD" if op in ("input", "output") else ("#FFFFFF" if op == "none" else "#CFE3F3")
        ax.add_patch(FancyBboxPatch((x - BOX_HALF_WIDTH, y - BOX_HALF_HEIGHT), 2 * BOX_HALF_WIDTH, 2 * BOX_HALF_HEIGHT,
                                    boxstyle="round,pad=0,rounding_size=0.06", fc=face, ec="#333333", lw=0.6, zorder=2))
        ax.text(x, y, SHORT.get(op, op), ha="center", va="center", fontsize=5, zorder=3)
    xs = [p[0] for pts in paths.values() for p in pts] + [p[0] for p in pos.values()]
    ys = [p[1] for pts in paths.values() for p in pts] + [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    ax.set_ylim(min(ys) - 0.4, max(ys) + 0.4)
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


def median_seed(final: pd.DataFrame) -> dict[str, int]:
    """Per algorithm, the seed whose final ``best_report_metric`` is the median (of an even
    count, the lower of the two middle ones) among the seeds that have an incumbent: a typical
    run, not the luckiest. An algorithm no seed of which found a (feasible) incumbent is left out."""
    out = {}
    for algo, part in final.dropna(subset=["best_report_metric"]).groupby("algorithm", sort=True):
        part = part.sort_values(["best_report_metric", "seed"])
        out[algo] = int(part["seed"].iloc[(len(part) - 1) // 2])
    return out


def incumbent_cells(part: pd.DataFrame, final: pd.DataFrame, bench) -> list[tuple[str, ArchGraph]]:
    """Per algorithm, the incumbent of its median seed (``median_seed``) with its report metric
    named, for ``draw_cells``."""
    graphs = []
    for algo, seed in median_seed(final).items():
        run = part[(part.algorithm == algo) & (part.seed == seed)].sort_values("query")
        arch_str = run.loc[run["best_search_metric"].idxmax(), "arch"] if "best_search_metric" in run else run["arch"].iloc[-1]
        arch = bench.space.parse(arch_str)
        seeds = int((final.algorithm == algo).sum())
        graphs.append((f"{algo} (seed {seed}, the median of {seeds}): {bench.report_metric_name} "
                       f"{bench.report_metric(arch):.2f}", bench.space.encode(arch)))
    return graphs
