"""Simulation study: do the outcome models recover what a correct analysis should estimate, per scenario?

Each replication runs the whole pipeline a user runs: ``simulate(seed, scenario=S)`` →
``clean_evaluation`` and ``clean_temperature_check`` → ``score_temperature_check`` →
``link_outcomes`` → ``model_outcome`` with and without adjustment and with the within/between
split. For each analysis, method and term it compares the estimate and its 95% interval with the
scenario's target (``truth["targets"]``: the projection of the true council log-odds onto that
analysis's design, population-averaged for ``glm_cluster`` and ``gee``, conditional for ``mixed``),
and prints per analysis × method × term: the target, mean estimate, bias, the SD of the
estimates against the mean standard error, 95% coverage, the share of replications rejecting
"no association" at 5% (the false-positive rate where the target is 0), and the median time
per fit. Targets: coverage in [0.92, 0.98] for every row with a target.

Analyses (``ANALYSES``): ``unadjusted`` (indicators and year effects, ``glm_cluster``),
``adjusted`` (plus deprivation, size and the case mix, ``glm_cluster``) and ``within_between``
(the adjusted model with each indicator split Mundlak style, every method). ``gee`` and
``mixed`` weight within-council change heavily when councils are large, so their pooled
(unsplit) slope mixes the between and within slopes and has no single target; they are
compared with the truth only on the split. ``lagged`` adds ``lag1`` (culture of the previous wave).

    .venv/bin/python benchmarks/model_recovery.py --scenario realistic --replications 200 --scale 0.05 --jobs 2
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
import time

import pandas as pd

from msp_analysis.analysis.indicators import score_temperature_check
from msp_analysis.analysis.models.fit import model_outcome
from msp_analysis.analysis.simulate import COVARIATES, SCENARIOS, simulate
from msp_analysis.clean.evaluation import clean_evaluation
from msp_analysis.clean.temperature_check import clean_temperature_check

CASE_MIX = ["age", "lacked_capacity", "risk_types", "risk_location", "primary_support_reason"]
ADJUST = [*COVARIATES, *CASE_MIX]
# (analysis, target key in truth["targets"], methods, model_outcome keyword arguments)
ANALYSES = (
    ("unadjusted", "unadjusted", ("glm_cluster",), {}),
    ("adjusted", "adjusted", ("glm_cluster",), {"adjust": ADJUST}),
    ("within_between", "within_between", ("glm_cluster", "gee", "mixed"), {"adjust": ADJUST, "within_between": True}),
)
LAGGED = (("lag1", "lag1", ("glm_cluster",), {"adjust": ADJUST, "lag": 1}),)
COVERAGE_BOUNDS = (0.92, 0.98)


def replicate(seed: int, scenario: str = "realistic", scale: float = 0.05,
              methods: tuple[str, ...] | None = None) -> list[dict]:
    """One replication: simulate, clean, score, link and fit every analysis; one row per analysis × method × term."""
    sim = simulate(seed, scale=scale, scenario_name=scenario)
    clean_eval = clean_evaluation(sim.evaluation, source=f"simulated-{seed}.csv").clean
    clean_tc = clean_temperature_check(sim.temperature_check, source=f"returns-{seed}.csv").clean
    scores = score_temperature_check(clean_tc)
    rows = []
    analyses = ANALYSES + (LAGGED if scenario == "lagged" else ())
    for analysis, key, fit_methods, options in analyses:
        target = sim.truth["targets"][key]
        for method in fit_methods:
            if methods and method not in methods:
                continue
            start = time.perf_counter()
            result = model_outcome(clean_eval, clean_tc, method=method, council_covariates=sim.council_covariates,
                                   scores=scores, **options)
            seconds = time.perf_counter() - start
            scale_key = "conditional" if method == "mixed" else "marginal"
            for term in result.details["multiplicity"]["family"]:
                row = result.term(term)
                true = target[scale_key].get(term.removesuffix("_lag1"), target[scale_key].get(term, math.nan))
                rows.append({"seed": seed, "scenario": scenario, "analysis": analysis, "method": method, "term": term,
                             "target": true, "estimate": row["estimate"], "std_error": row["std_error"],
                             "covered": bool(row["ci_low"] <= true <= row["ci_high"]),
                             "rejected": bool(row["p_value"] < 0.05),
                             "rejected_holm": bool(row["p_value_holm"] < 0.05),
                             "seconds": seconds, "n": result.n, "clusters": result.clusters})
    return rows


def _replicate_star(arguments: tuple) -> list[dict]:
    return replicate(*arguments)


def run(replications: int, scenario: str = "realistic", scale: float = 0.05, first_seed: int = 1, jobs: int = 1,
        methods: tuple[str, ...] | None = None, progress: bool = False,
        max_seconds: float | None = None) -> pd.DataFrame:
    """All replications (seeds first_seed, first_seed + 1, …), in `jobs` processes; one row per fit × term.

    With `max_seconds`, stops once that much time has passed and returns the replications done.
    """
    start = time.perf_counter()
    tasks = [(first_seed + i, scenario, scale, methods) for i in range(replications)]
    rows: list[dict] = []
    pool = multiprocessing.get_context("spawn").Pool(jobs) if jobs > 1 else None
    try:
        results = pool.imap_unordered(_replicate_star, tasks) if pool else map(_replicate_star, tasks)
        for done, result in enumerate(results, start=1):
            rows.extend(result)
            if max_seconds is not None and time.perf_counter() - start > max_seconds:
                print(f"time budget of {max_seconds:.0f} s reached after {done} replications", file=sys.stderr)
                break
            if progress and (done % 10 == 0 or done == replications):
                covered = pd.DataFrame(rows).groupby(["analysis", "method", "term"])["covered"].mean()
                print(f"{done}/{replications} replications; coverage so far "
                      f"{covered.min():.3f}..{covered.max():.3f}", file=sys.stderr, flush=True)
    finally:
        if pool:
            pool.terminate()
            pool.join()
    return pd.DataFrame(rows)


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Per analysis × method × term: replications, target, mean estimate, bias, SD vs mean SE, coverage, rejections."""
    grouped = rows.groupby(["analysis", "method", "term"], sort=False)
    table = grouped.agg(replications=("estimate", "size"), target=("target", "mean"),
                        mean_estimate=("estimate", "mean"), sd_estimate=("estimate", "std"),
                        mean_std_error=("std_error", "mean"), coverage=("covered", "mean"),
                        rejected=("rejected", "mean"), rejected_holm=("rejected_holm", "mean"),
                        seconds=("seconds", "median")).reset_index()
    table["bias"] = table["mean_estimate"] - table["target"]
    return table[["analysis", "method", "term", "replications", "target", "mean_estimate", "bias", "sd_estimate",
                  "mean_std_error", "coverage", "rejected", "rejected_holm", "seconds"]]


def coverage_interval(coverage: float, replications: int) -> tuple[float, float]:
    """A 95% Wilson interval of an observed coverage."""
    z = 1.96
    centre = (coverage + z**2 / (2 * replications)) / (1 + z**2 / replications)
    half = z * math.sqrt(coverage * (1 - coverage) / replications + z**2 / (4 * replications**2)) / (1 + z**2 / replications)
    return centre - half, centre + half


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=list(SCENARIOS), default="realistic")
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1, help="seed of the first replication")
    parser.add_argument("--jobs", type=int, default=1, help="processes (each replication is independent)")
    parser.add_argument("--methods", nargs="+", choices=["glm_cluster", "gee", "mixed"])
    parser.add_argument("--out", help="also write the per-replication rows to this CSV")
    parser.add_argument("--max-seconds", type=float, help="stop after this long and summarise the replications done")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    rows = run(args.replications, args.scenario, args.scale, args.seed, args.jobs,
               tuple(args.methods) if args.methods else None, progress=True, max_seconds=args.max_seconds)
    done = rows["seed"].nunique()
    elapsed = time.perf_counter() - start
    if args.out:
        rows.to_csv(args.out, index=False)
    table = summarise(rows)
    print(f"scenario {args.scenario}: {done} replications at scale {args.scale} "
          f"(from seed {args.seed}); {elapsed:.0f} s "
          f"({elapsed / max(done, 1):.1f} s per replication, {args.jobs} job(s)); "
          f"median n={int(rows['n'].median())}, clusters={int(rows['clusters'].median())}")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    checked = table.dropna(subset=["target"])
    ok = checked["coverage"].between(*COVERAGE_BOUNDS)
    print(f"coverage within {list(COVERAGE_BOUNDS)}: {int(ok.sum())} of {len(checked)} rows"
          + ("" if ok.all() else "; outside: " + ", ".join(
              f"{r.analysis}/{r.method}/{r.term}={r.coverage:.3f}" for r in checked[~ok].itertuples())))
    return 0 if ok.all() else 1


if __name__ == "__main__":
    raise SystemExit(main())
