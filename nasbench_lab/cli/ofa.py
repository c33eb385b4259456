"""``nasbench-lab ofa train | search | extract``: Once-for-All on the DynamicNet space.

``train`` trains (or finds in the cache) the progressive-shrinking supernet of a dataset;
``search`` evolves configurations under device limits on its accuracy predictor and prints the
best candidates (no standalone training: the ``ofa`` algorithm of ``leaderboard`` does that);
``extract CONFIG --out net.npz`` writes the standalone ``DynamicNet`` of one configuration.
"""
from __future__ import annotations

import argparse
import json
import time

from nasbench_lab.core.hyperparams import MAX_SEED
from nasbench_lab.errors import NasLabError

from .args import add_common, add_device, example, flag_errors, json_safe, output_file, settings_from

LIMIT_FLAGS = {"max_params": ("--max-params", int, "parameters"), "max_flops_m": ("--max-flops-m", float, "MMACs"),
               "max_latency_ms": ("--max-latency-ms", float, "ms, batch 1, this CPU"),
               "max_peak_kb": ("--max-peak-kb", float, "KiB of peak activation memory, 8-bit activations"),
               "max_flash_kb": ("--max-flash-kb", float, "KiB of parameters at 8 bits")}


def _setup(args: argparse.Namespace, **extra):
    """The dataset, the settings, the space and the supernet and search settings of the options
    (checked as the ``ofa`` algorithm's hyper-parameters)."""
    from nasbench_lab.adapters.dynamicnet.benchmark import NAME, load_data
    from nasbench_lab.adapters.dynamicnet.ofa import preset
    from nasbench_lab.adapters.dynamicnet.ofa.shrinking import read_schedule
    from nasbench_lab.adapters.dynamicnet.space import DynamicNetSpace
    from nasbench_lab.algorithms.ofa import OnceForAll, settings_of
    from nasbench_lab.core.loading import benchmark_spec
    from nasbench_lab.running.devices import check_request_device

    if args.threads < 1 or args.batch_size < 2 or args.kd_ratio < 0:
        raise NasLabError("--threads must be >= 1, --batch-size >= 2 and --kd-ratio >= 0")
    params = {"structure": args.structure, "schedule": args.schedule or "", "supernet_seed": args.seed,
              "batch_size": args.batch_size, "kd_ratio": args.kd_ratio, "threads": args.threads,
              "device": args.device, **extra}
    with flag_errors():
        check_request_device(args.device)  # CUDA missing: one line naming --device, before any data
    supernet, search = settings_of(OnceForAll.checked(params, "ofa"))
    read_schedule(args.schedule)  # mistakes in the options and the schedule before any data or training
    settings = settings_from(args)
    dataset = benchmark_spec(NAME).resolve(args.dataset)
    data = load_data(dataset, settings)
    space = DynamicNetSpace(data.input_shape, data.num_classes)
    preset(space, args.structure)
    return dataset, settings, space, supernet, search


def _say(args: argparse.Namespace):
    return (lambda text: None) if args.json else (lambda text: print(text, flush=True))


def cmd_train(args: argparse.Namespace) -> int:
    from nasbench_lab.infra.parallel import torch_threads
    from nasbench_lab.supernet.evaluation import inherited_accuracy

    from nasbench_lab.algorithms.ofa_search import ofa_supernet

    dataset, settings, space, supernet, _ = _setup(args)
    start = time.perf_counter()
    with torch_threads(args.threads):
        net, structure, data, meta = ofa_supernet(space, supernet, dataset, settings, _say(args))
        recal = data.train[0][:512]
        ends = {name: inherited_accuracy(net, structure.arch(config), data.valid, recal)
                for name, config in (("largest", structure.largest()), ("smallest", structure.smallest()))}
    summary = {"dataset": dataset, "supernet": meta["path"], "loaded": meta["loaded"], "seconds": meta["seconds"],
               "cpu_seconds": meta["cpu_seconds"], "wall_seconds": round(time.perf_counter() - start, 3),
               "inherited_valid_acc": ends, "configurations": structure.size()}
    if args.json:
        print(json.dumps(json_safe(summary)))
    else:
        print(f"supernet {'read from' if meta['loaded'] else 'trained and saved to'} {meta['path']} "
              f"(training took {meta['seconds']:.1f} s, {meta['cpu_seconds']:.1f} s CPU)")
        print(f"{structure.size():,} configurations; inherited validation accuracy (BN recalibrated): largest "
              f"{ends['largest']:.2f} %, smallest {ends['smallest']:.2f} %")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    limits = {name: getattr(args, name) for name in LIMIT_FLAGS}
    if args.top < 1:
        raise NasLabError(f"--top must be >= 1, got {args.top}")
    if not 0 <= args.search_seed <= MAX_SEED:
        raise NasLabError(f"--search-seed must be a whole number in [0, {MAX_SEED}], got {args.search_seed}")
    import numpy as np

    from nasbench_lab.algorithms.ofa_search import plan

    extra = {"predictor": args.predictor, "samples": args.samples, **limits}
    dataset, settings, space, supernet, search = _setup(args, **extra)
    start = time.perf_counter()
    found = plan(space, supernet, search, dataset, settings, np.random.default_rng(args.search_seed), log=_say(args))
    ranked = found.ranked
    rows = [{"arch": space.format(c.arch), "predicted": round(c.predicted, 4),
             "inherited_valid_acc": c.inherited, "costs": c.costs} for c in ranked[: args.top]]
    if args.json:
        print(json.dumps(json_safe({"dataset": dataset, "limits": found.record["limits"],
                                    "seconds": round(time.perf_counter() - start, 3), "best": rows})))
        return 0
    print(f"{len(ranked)} feasible configurations scored (limits: {found.record['limits']}); best {len(rows)} "
          "by inherited validation accuracy of the predictor's best:")
    for r in rows:
        costs = ", ".join(f"{k} {v:g}" for k, v in r["costs"].items())
        print(f"  {r['inherited_valid_acc']:6.2f} %  {r['arch']}" + (f"  ({costs})" if costs else ""))
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from nasbench_lab.infra.parallel import torch_threads
    from nasbench_lab.supernet.evaluation import inherited_accuracy

    out = output_file(args.out, args.overwrite, create_parent=False)
    if args.recalibration < 2:
        raise NasLabError(f"--recalibration must be >= 2, got {args.recalibration}")
    from nasbench_lab.adapters.dynamicnet.ofa import preset
    from nasbench_lab.algorithms.ofa_search import ofa_supernet

    dataset, settings, space, supernet, _ = _setup(args)
    structure = preset(space, args.structure)
    arch = space.parse(args.config)
    config = structure.config_of(arch)
    with torch_threads(args.threads):
        net, structure, data, meta = ofa_supernet(space, supernet, dataset, settings, _say(args))
        valid = inherited_accuracy(net, arch, data.valid, data.train[0][: args.recalibration])
        sub = net.extract(config)
    from nasbench_lab.infra.files import write_through

    write_through(out, sub.save)
    summary = {"arch": space.format(arch), "out": str(out), "params": sub.param_count(),
               "inherited_valid_acc": valid, "supernet": meta["path"]}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{summary['arch']}: {summary['params']:,} parameters, inherited validation accuracy {valid:.2f} % "
              f"(BN recalibrated on {min(args.recalibration, len(data.train[1]))} training inputs) -> {out}")
    return 0


def _supernet_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", default="mnist1d", help="dynamicnet dataset: digits, mnist1d, cifar10, tensors (default: mnist1d)")
    p.add_argument("--structure", default="cnn", help="OFA macro structure: cnn or mlp (default: cnn)")
    p.add_argument("--schedule", metavar="FILE.json",
                   help="progressive-shrinking schedule: a JSON list of phases {stage, epochs, lr, kernel, depth, "
                        "width, subnets} (default: the built-in schedule)")
    p.add_argument("--seed", type=int, default=0, help="supernet seed: initialisation, batches, sampled sub-networks (default: 0)")
    p.add_argument("--batch-size", type=int, default=64, help="supernet mini-batch (default: 64)")
    p.add_argument("--kd-ratio", type=float, default=1.0, help="weight of in-place distillation (default: 1.0)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default: 1)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar of the training phases")
    add_device(p, "cpu", "supernet training (the trained supernet is searched and extracted on the CPU)")
    add_common(p, data=False, options=False)  # cifar10 / tensors: --benchmark-file dynamicnet/<dataset>=PATH


def register(subparsers, common=add_common) -> None:
    p = subparsers.add_parser("ofa", help="Once-for-All: train the elastic supernet, search under limits, extract subnets",
                              description="Once-for-All on the dynamicnet space. The supernet is cached under "
                                          "$NASBENCH_LAB_CACHE/ofa, keyed by dataset, structure, schedule and seed.")
    sub = p.add_subparsers(dest="ofa_command", required=True)
    train = sub.add_parser("train", help="train the supernet by progressive shrinking (or read it from the cache)",
                           description="Train the supernet (largest network, then kernel, depth and width opened) "
                                       "or read it from the cache; print where it is and the inherited accuracy "
                                       "of the largest and smallest configuration.",
                           epilog=example("ofa train --dataset mnist1d --structure cnn --threads 2"))
    _supernet_options(train)
    train.set_defaults(func=cmd_train)
    search = sub.add_parser("search", help="evolve configurations under device limits; print the best",
                            description="Fit the accuracy predictor on inherited-weight accuracies, evolve "
                                        "configurations under the limits and print the best candidates (re-scored by "
                                        "inherited accuracy). No standalone training: run the ofa algorithm "
                                        "with `leaderboard` for that.",
                            epilog=example("ofa search --dataset mnist1d --max-params 20000 --max-latency-ms 1 --top 3"))
    _supernet_options(search)
    for name, (flag, kind, unit) in LIMIT_FLAGS.items():
        search.add_argument(flag, dest=name, type=kind, default=0, help=f"limit in {unit} (default: 0 = none)")
    search.add_argument("--predictor", default="gin", help="accuracy predictor: gin (graph form) or mlp (flat encoding)")
    search.add_argument("--samples", type=int, default=150, help="configurations measured to fit the predictor")
    search.add_argument("--search-seed", type=int, default=0, help="seed of sampling and evolution (default: 0)")
    search.add_argument("--top", type=int, default=5, help="candidates to print (default: 5)")
    search.set_defaults(func=cmd_search)
    extract = sub.add_parser("extract", help="write one configuration as a standalone DynamicNet .npz",
                             description="Extract CONFIG (an architecture string the OFA structure covers, e.g. "
                                         "conv32k5-relu-bn-maxpool|conv32k3-relu-bn-skip|dense64-relu-bn) with its "
                                         "sliced, kernel-transformed weights and recalibrated BN statistics, saved as "
                                         "a DynamicNet .npz (A, X, W) that DynamicNet.load reads.",
                             epilog=example("ofa extract 'conv32k5-relu-bn-maxpool|conv32k3-relu-bn-skip|dense64-relu-bn' "
                                            "--dataset mnist1d --out net.npz"))
    extract.add_argument("config", metavar="CONFIG", help="architecture string of the configuration")
    extract.add_argument("--out", required=True, metavar="NET.npz", help="file to write (a new file)")
    extract.add_argument("--overwrite", action="store_true", help="let --out replace an existing regular file")
    extract.add_argument("--recalibration", type=int, default=512, help="training inputs for BN statistics (default: 512)")
    _supernet_options(extract)
    extract.set_defaults(func=cmd_extract)
