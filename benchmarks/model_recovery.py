"""Simulation study: do ``glm_cluster`` and ``gee`` recover the simulator's true culture effects?

Each replication runs the whole pipeline a user runs: ``simulate(seed)`` → ``clean_evaluation``
and ``clean_temperature_check`` → ``score_temperature_check`` → ``link_outcomes`` → fit. For each
method and true effect (``truth["effects"]``) it records whether the 95% CI covers the truth,
then prints per method × term: mean estimate, bias, bias as % of the true effect, the empirical
SD of the estimates against the mean standard error, and coverage. Targets: coverage in
[0.92, 0.98] and |mean bias| under 10% of the true effect. The last line is
``worst_coverage=<value>`` (the coverage furthest from 0.95).

    .venv/bin/python benchmarks/model_recovery.py [--replications 200] [--scale 1] [--jobs 2]

``--standardise wave`` scores within each wave (as ``simulate`` did when this was written)
instead of across all council-waves (the CLI contract); the two differ by rescaling only.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time

import pandas as pd

from msp_analysis.analysis.models import CULTURE_TERMS
from msp_analysis.analysis.models.fit import fit_outcome_model, model_frame_outcome
from msp_analysis.analysis.simulate import simulate
from msp_analysis.clean.evaluation import clean_evaluation
from msp_analysis.clean.temperature_check import clean_temperature_check

METHODS = ("glm_cluster", "gee")
COVERAGE_BOUNDS = (0.92, 0.98)
MAX_RELATIVE_BIAS = 0.10


def replicate(seed: int, scale: float = 1.0, methods: tuple[str, ...] = METHODS,
              standardise_by: str | None = None) -> list[dict]:
    """One replication: simulate, clean, score, link and fit each method; one row per method × term."""
    sim = simulate(seed, scale=scale)
    clean_eval = clean_evaluation(sim.evaluation, source=f"simulated-{seed}.csv").clean
    clean_tc = clean_temperature_check(sim.temperature_check, source=f"returns-{seed}.csv").clean
    linked = model_frame_outcome(clean_eval, clean_tc, standardise_by=standardise_by).matched_data
    rows = []
    for method in methods:
        result = fit_outcome_model(linked, method, outcome="fully_achieved",
                                   predictors={term: f"z_{term}" for term in CULTURE_TERMS})
        for term, true in sim.truth["effects"].items():
            row = result.term(term)
            rows.append({"seed": seed, "method": method, "term": term, "true": true,
                         "estimate": row["estimate"], "std_error": row["std_error"],
                         "covered": bool(row["ci_low"] <= true <= row["ci_high"]),
                         "n": result.n, "clusters": result.clusters})
    return rows


def _replicate_star(arguments: tuple) -> list[dict]:
    return replicate(*arguments)


def run(replications: int, scale: float = 1.0, first_seed: int = 1, jobs: int = 1,
        methods: tuple[str, ...] = METHODS, standardise_by: str | None = None, progress: bool = False) -> pd.DataFrame:
    """All replications (seeds first_seed, first_seed + 1, …), in `jobs` processes; one row per fit × term.

    With `progress`, a line with the running coverage goes to stderr every tenth replication.
    """
    tasks = [(first_seed + i, scale, methods, standardise_by) for i in range(replications)]
    rows: list[dict] = []
    pool = multiprocessing.get_context("spawn").Pool(jobs) if jobs > 1 else None
    try:
        results = pool.imap(_replicate_star, tasks) if pool else map(_replicate_star, tasks)
        for done, result in enumerate(results, start=1):
            rows.extend(result)
            if progress and (done % 10 == 0 or done == replications):
                covered = pd.DataFrame(rows).groupby(["method", "term"])["covered"].mean()
                print(f"{done}/{replications} replications; coverage so far "
                      f"{covered.min():.3f}..{covered.max():.3f}", file=sys.stderr, flush=True)
    finally:
        if pool:
            pool.close()
            pool.join()
    return pd.DataFrame(rows)


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Per method × term: replications, true, mean estimate, bias (absolute, % of true), SD vs mean SE, coverage."""
    grouped = rows.groupby(["method", "term"], sort=False)
    table = grouped.agg(replications=("estimate", "size"), true=("true", "first"),
                        mean_estimate=("estimate", "mean"), sd_estimate=("estimate", "std"),
                        mean_std_error=("std_error", "mean"), coverage=("covered", "mean")).reset_index()
    table["bias"] = table["mean_estimate"] - table["true"]
    table["relative_bias"] = table["bias"] / table["true"]
    return table[["method", "term", "replications", "true", "mean_estimate", "bias", "relative_bias",
                  "sd_estimate", "mean_std_error", "coverage"]]


def worst_coverage(table: pd.DataFrame) -> float:
    """The coverage furthest from the nominal 0.95."""
    return float(table.loc[(table["coverage"] - 0.95).abs().idxmax(), "coverage"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1, help="seed of the first replication")
    parser.add_argument("--jobs", type=int, default=1, help="processes (each replication is independent)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--standardise", choices=["all", "wave"], default="all",
                        help="z-scores across all council-waves (default, the CLI contract) or within wave")
    parser.add_argument("--out", help="also write the per-replication rows to this CSV")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    rows = run(args.replications, args.scale, args.seed, args.jobs, tuple(args.methods),
               None if args.standardise == "all" else "wave", progress=True)
    elapsed = time.perf_counter() - start
    if args.out:
        rows.to_csv(args.out, index=False)
    table = summarise(rows)
    print(f"{args.replications} replications at scale {args.scale} (seeds {args.seed}..{args.seed + args.replications - 1}),"
          f" z-scores {'across all council-waves' if args.standardise == 'all' else 'within wave'};"
          f" {elapsed:.0f} s ({elapsed / max(args.replications, 1):.1f} s per replication, {args.jobs} job(s));"
          f" median n={int(rows['n'].median())}, clusters={int(rows['clusters'].median())}")
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    coverage_ok = table["coverage"].between(*COVERAGE_BOUNDS).all()
    bias_ok = (table["relative_bias"].abs() < MAX_RELATIVE_BIAS).all()
    print(f"coverage within {list(COVERAGE_BOUNDS)}: {'yes' if coverage_ok else 'NO'};"
          f" |bias| < {MAX_RELATIVE_BIAS:.0%} of the true effect: {'yes' if bias_ok else 'NO'}"
          f" (worst {table['relative_bias'].abs().max():.1%})")
    print(f"worst_coverage={worst_coverage(table):.3f}")
    return 0 if coverage_ok and bias_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
