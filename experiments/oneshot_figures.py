"""The one-shot report figures from the records of finished searches.

    python experiments/oneshot_figures.py --records RESULTS [--benchmark nb201] [--dataset cifar10]
                                          [--data-dir ../shared/data] [--out figures/oneshot]

Reads the one-shot records of the results folder ``RESULTS`` (written by ``nasbench-lab
leaderboard --out RESULTS`` with one-shot algorithms: each run's ``oneshot.json`` artefact), joins the report metric of each
epoch's derived architecture from the benchmark, and writes ``derived_metric.png`` (one line per
method) and ``operation_mix.png`` (one panel per method). Printed: per method, the metric and the
operation mix of the derived architecture at the first and the last epoch.
"""
from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    from nasbench_lab.core.loading import load_benchmark
    from nasbench_lab.reports.oneshot import (derived_metric_curves, derived_metric_figure, load_records,
                                              operation_mix, operation_mix_figure)
    from nasbench_lab.infra.settings import Settings

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", required=True, help="a results folder of one-shot runs")
    p.add_argument("--benchmark", default="nb201")
    p.add_argument("--dataset", default="cifar10")
    p.add_argument("--data-dir")
    p.add_argument("--out", default="figures/oneshot")
    args = p.parse_args()
    settings = Settings.from_env(data_dir=args.data_dir)
    bench = load_benchmark(args.benchmark, args.dataset, settings)
    records = load_records(args.records, args.benchmark, bench.dataset)
    proxy = " (searched on the proxy task: cross-task transfer)" if any(r.get("proxy_task") for r in records) else ""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    curves, mixes = derived_metric_curves(records, bench), operation_mix(records)
    title = f"{args.benchmark}/{bench.dataset}, {len(records)} runs{proxy}"
    print(derived_metric_figure(curves, out / "derived_metric.png", ylabel=bench.report_metric_name, title=title))
    print(operation_mix_figure(mixes, out / "operation_mix.png", title=title))
    for method, (epochs, values) in sorted(curves.items()):
        ends = {op: (share[0], share[-1]) for op, (_, share) in mixes[method].items()}
        mix = ", ".join(f"{op} {a:.2f}->{b:.2f}" for op, (a, b) in ends.items() if a or b)
        print(f"{method}: {bench.report_metric_name} epoch {epochs[0]} {values[0]:.2f} -> epoch {epochs[-1]} "
              f"{values[-1]:.2f}; op share {mix}")


if __name__ == "__main__":
    main()
