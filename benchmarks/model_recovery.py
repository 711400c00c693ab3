"""Simulation study: do the outcome models recover what a correct analysis should estimate, per scenario?

Each replication runs the whole pipeline a user runs: ``simulate(seed, scenario=S)`` →
``clean_evaluation`` and ``clean_temperature_check`` → ``score_temperature_check`` →
``link_outcomes`` → ``model_outcome`` with and without adjustment and with the within/between
split. For each analysis, method and term it compares the estimate and its 95% interval with the
scenario's target (``truth["targets"]``: the projection of the true council log-odds onto that
analysis's design, population-averaged for ``glm_cluster`` and ``gee``, conditional for ``mixed``)
per 1 SD of *that replication's* council scores (``truth["targets"][analysis]["this_simulation"]``:
the target per score point times the replication's SD). A model's slope is per 1 SD of the scores it
is given, and its interval treats that SD (reported in score points, ``details["sd_points"]``) as the
unit, as any standardised coefficient's does; the SD differs between replications (about 4% SD), so
against the average target per SD the slopes of the larger effects vary more than their intervals
allow (supervision's SD of the estimates over the mean SE 1.07-1.10 against 1.03-1.06 per its own SD,
R = 459), which is the unit changing, not the intervals failing. What remains (699 replications of
realistic at --scale 0.04, each against its own target): biases under 0.13 SD everywhere;
``gee`` (bias-reduced, exchangeable working correlation) SD/SE 0.96-1.03; ``glm_cluster``'s CR2,
whose small-sample correction then assumed independent records, 0.98-1.08, narrowest where the
council-level residual is largest (unadjusted supervision 1.08, coverage 0.910, Wilson 0.886-0.929:
the one row whose interval stays below 0.92); ``mixed``'s sandwich 1.00-1.08. Since then
``glm_cluster``'s CR2 takes a council random-intercept working model with per-term Satterthwaite df
and ``mixed``'s sandwich is CR2 in its own metric with the same df (why: :mod:`msp_analysis.analysis.models.glm_cluster`
and ``benchmarks/cluster_errors.py``): on fresh seeds, realistic 7001-7240 at --scale 0.04 covered
0.925-0.971 in all 24 rows (CR1 with t(G - 1) beside it 0.904-0.967; mixed's former G/(G-1) sandwich
0.925-0.967), SD of estimate - target over the mean SE 0.94-1.08; confounded-null 8001-8240 covered
0.929-0.975 in all 24 rows, the adjusted and within-council models rejecting the true null in 2.5-6.3%
of replications (CR1 3.8-8.3%, the G/(G-1) mixed sandwich 3.3-6.7%), the unadjusted one in 20-23%. Then it prints per analysis × method × term: the target, mean estimate, bias, the SD of the
estimates against the mean standard error, 95% coverage, the share of replications rejecting
"no association" at 5% (the false-positive rate where the target is 0), and the median time
per fit. Targets: coverage in [0.92, 0.98] for every row with a target.

Analyses (``ANALYSES``): ``unadjusted`` (indicators and year effects, ``glm_cluster``),
``adjusted`` (plus deprivation, size and the case mix, ``glm_cluster``) and ``within_between``
(the adjusted model with each indicator split Mundlak style, every method). ``gee`` and
``mixed`` weight within-council change heavily when councils are large, so their pooled
(unsplit) slope mixes the between and within slopes and has no single target; they are
compared with the truth only on the split. ``lagged`` adds ``lag1`` (culture of the previous wave).
``--ordinal`` adds the ordinal model on the indicators and years and its two cut-point logits
(``ordinal_cut``): in ``easy`` proportional odds hold, so all of them share the binary target; in
the other scenarios only the "fully achieved" cut has one, and ``po_test`` gives how often the
proportional-odds test rejects.

Standard errors compared in one run: ``glm_cluster`` rows carry CR2 (its ``std_error``, under a
council random-intercept working model, with per-term Satterthwaite df) and CR1 with t(G - 1)
(``coverage_cr1``, ``rejected_cr1``); ``mixed`` rows the council sandwich (its ``std_error``, CR2 in
the model's metric with Satterthwaite df; ``coverage_robust``: the same errors with t(G - 1);
``coverage_cr1``: the G/(G-1) sandwich with t(G - 1), mixed's intervals before) and the observed
information (``coverage_model``; runs made before the sandwich became mixed's standard error have
the information in ``std_error`` and no ``_model`` columns). ``sd_over_se`` is the SD of estimate -
target over the mean standard error (``sd_error`` over ``mean_std_error``): 1 when the standard
errors are right (runs summarised before it had the SD of the estimates, ``sd_estimate``, which
also counts the targets' own spread). With R replications
an observed coverage has a binomial SD of sqrt(0.95 x 0.05 / R) (0.015 at R = 200), so a row of a
method that covers exactly 0.95 falls outside [0.92, 0.98] about 3% of the time (2.5% at R = 240:
of 24 rows, 0.6 are expected outside, and all 24 inside only about half the time; the summary prints
this, :func:`chance_outside`); read the table with that in mind (and the Wilson interval, :func:`coverage_interval`). The targets are Monte Carlo
averages too (``truth["targets"][analysis]["monte_carlo_se"]``): a bias is a bias of the models only
when it is well beyond both the SD of the estimates / sqrt(R) and that error (realistic's targets
average over 1000 draws for this reason: at 100 their error was as large as what R = 200 resolves).
Give every scenario its own ``--seed`` range: one seed draws the same respondents, councils and
records in every scenario (only the parameters differ), so two scenarios run on the same seeds
share their chance deviations (the within-council complaints slope of seeds 1001-1064 correlated
0.86 between realistic and confounded-null) and do not confirm one another.

Rows are appended to ``--out`` after every replication, and seeds already there are skipped, so a
long run can be stopped and resumed; ``--summarise CSV...`` prints the tables of earlier runs.
Times: ``seconds`` per fit and ``prep_seconds`` per replication (simulate, clean, score), medians.

    nice -n 10 .venv/bin/python benchmarks/model_recovery.py --scenario realistic --replications 200 \
        --scale 0.04 --out /tmp/recovery/realistic.csv
    .venv/bin/python benchmarks/model_recovery.py --summarise /tmp/recovery/*.csv
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
import time
from pathlib import Path

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
# The ordinal model on the indicators and years (adjusting it costs 25 s a fit): its slopes, its cut-point logits
ORDINAL = (("ordinal", "unadjusted", ("ordinal",), {}),)
COVERAGE_BOUNDS = (0.92, 0.98)


def replicate(seed: int, scenario: str = "realistic", scale: float = 0.05,
              methods: tuple[str, ...] | None = None, ordinal: bool = False) -> list[dict]:
    """One replication: simulate, clean, score, link and fit every analysis; one row per analysis × method × term.

    ``glm_cluster`` rows also carry the CR1 standard error and whether its interval covered
    (``std_error_cr1``, ``covered_cr1``, ``rejected_cr1``), so one run compares CR2 with CR1.
    ``prep_seconds`` is the time to simulate, clean and score (shared by every fit of the replication).
    """
    from scipy import stats

    start, cpu = time.perf_counter(), time.process_time()
    sim = simulate(seed, scale=scale, scenario_name=scenario)
    clean_eval = clean_evaluation(sim.evaluation, source=f"simulated-{seed}.csv").clean
    clean_tc = clean_temperature_check(sim.temperature_check, source=f"returns-{seed}.csv").clean
    scores = score_temperature_check(clean_tc)
    prep, prep_cpu = time.perf_counter() - start, time.process_time() - cpu
    rows = []
    analyses = ANALYSES + (LAGGED if scenario == "lagged" else ()) + (ORDINAL if ordinal else ())
    for analysis, key, fit_methods, options in analyses:
        # per 1 SD of this replication's own scores (the unit its slopes and intervals are in; see the docstring)
        target = sim.truth["targets"][key].get("this_simulation", sim.truth["targets"][key])
        for method in fit_methods:
            if methods and method not in methods:
                continue
            start, cpu = time.perf_counter(), time.process_time()
            result = model_outcome(clean_eval, clean_tc, method=method, council_covariates=sim.council_covariates,
                                   scores=scores, **options)
            seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
            scale_key = "conditional" if method == "mixed" else "marginal"
            base = {"seed": seed, "scenario": scenario, "analysis": analysis, "method": method,
                    "seconds": seconds, "prep_seconds": prep, "cpu_seconds": cpu_seconds, "prep_cpu_seconds": prep_cpu,
                    "n": result.n, "clusters": result.clusters}
            quantile = float(stats.t(max(result.clusters - 1, 1)).ppf(0.975))
            cr1 = result.details.get("std_error_cr1", {})
            robust = result.details.get("std_error_robust", {}) if method == "mixed" else {}
            information = result.details.get("std_error_model", {}) if method == "mixed" else {}
            for term in result.details["multiplicity"]["family"]:
                row = result.term(term)
                true = target[scale_key].get(term, target[scale_key].get(f"{term}_lag1", math.nan))
                out = {**base, "term": term, "target": true, "estimate": row["estimate"],
                       "std_error": row["std_error"], "covered": bool(row["ci_low"] <= true <= row["ci_high"]),
                       "rejected": bool(row["p_value"] < 0.05), "rejected_holm": bool(row["p_value_holm"] < 0.05)}
                if term in cr1:
                    out.update(_interval_row(row["estimate"], cr1[term], true, quantile, "_cr1"))
                if term in robust:
                    out.update(_interval_row(row["estimate"], robust[term], true, quantile, "_robust"))
                if term in information:
                    out.update(_interval_row(row["estimate"], information[term], true, quantile, "_model"))
                if method == "ordinal" and not sim.truth["parameters"].get("partial_log_odds"):
                    out["target"], out["covered"] = math.nan, math.nan  # proportional odds fail: no single target
                rows.append(out)
            if method == "ordinal":
                rows.extend(_ordinal_rows(result, base, target[scale_key], quantile,
                                          bool(sim.truth["parameters"].get("partial_log_odds"))))
    return rows


def _interval_row(estimate: float, std_error: float, true: float, quantile: float, suffix: str = "") -> dict:
    """Standard error, coverage of `true` and rejection of 0 of a t interval (the fit's own df)."""
    return {f"std_error{suffix}": std_error,
            f"covered{suffix}": bool(estimate - quantile * std_error <= true <= estimate + quantile * std_error)
            if math.isfinite(true) else math.nan,
            f"rejected{suffix}": bool(abs(estimate) > quantile * std_error)}


def _ordinal_rows(result, base: dict, target: dict, quantile: float, proportional: bool) -> list[dict]:
    """The cut-point logits of the proportional-odds check, and the check itself, as rows.

    ``at_least_partially`` (Y >= partially) has the binary target only where proportional odds hold
    (``easy``); ``fully`` (Y = fully) always has the target of the binary model of the same analysis.
    The row ``po_test`` says whether the cluster-robust test of proportional odds rejected at 5%.
    """
    table = result.details["proportional_odds"]
    family = set(result.details["multiplicity"]["family"])
    rows = []
    for record in table.to_dict(orient="records"):
        term = record["term"]
        if term not in family:
            continue
        for cut, name in ((1, "at_least_partially"), (2, "fully")):
            true = target.get(term, math.nan) if (cut == 2 or proportional) else math.nan
            estimate = record[f"cut_{cut}_estimate"]
            rows.append({**base, "method": "ordinal_cut", "term": f"{term}|{name}", "target": true,
                         "estimate": estimate, **_interval_row(estimate, record[f"cut_{cut}_std_error"], true, quantile),
                         "rejected_holm": math.nan})
    test = result.details["proportional_odds_test"]
    rows.append({**base, "method": "ordinal_cut", "term": "po_test", "target": math.nan, "estimate": test["chi2"],
                 "std_error": math.nan, "covered": math.nan, "rejected": bool(test["p_value"] < 0.05),
                 "rejected_holm": math.nan})
    return rows


def _replicate_star(arguments: tuple) -> list[dict]:
    return replicate(*arguments)


def run(replications: int, scenario: str = "realistic", scale: float = 0.05, first_seed: int = 1, jobs: int = 1,
        methods: tuple[str, ...] | None = None, progress: bool = False,
        max_seconds: float | None = None, out: str | None = None, ordinal: bool = False) -> pd.DataFrame:
    """All replications (seeds first_seed, first_seed + 1, …), in `jobs` processes; one row per fit × term.

    With `out`, each replication's rows are appended to that CSV as soon as it is done (a run that
    is stopped loses nothing), and seeds already in the file are skipped (a run can be resumed).
    With `max_seconds`, stops once that much time has passed and returns the replications done.
    `ordinal` adds the ordinal model and its cut-point logits (ORDINAL).
    """
    start = time.perf_counter()
    done_seeds: set[int] = set()
    previous = pd.DataFrame()
    if out and Path(out).is_file() and Path(out).stat().st_size:
        previous = pd.read_csv(out)
        done_seeds = set(previous["seed"].unique().tolist())
    tasks = [(first_seed + i, scenario, scale, methods, ordinal) for i in range(replications)
             if first_seed + i not in done_seeds]
    rows: list[dict] = []
    pool = multiprocessing.get_context("spawn").Pool(jobs) if jobs > 1 else None
    try:
        results = pool.imap_unordered(_replicate_star, tasks) if pool else map(_replicate_star, tasks)
        for done, result in enumerate(results, start=1):
            rows.extend(result)
            if out:
                frame = pd.DataFrame(result).reindex(columns=ROW_COLUMNS)
                frame.to_csv(out, mode="a", index=False, header=not Path(out).is_file() or not Path(out).stat().st_size)
            if max_seconds is not None and time.perf_counter() - start > max_seconds:
                print(f"time budget of {max_seconds:.0f} s reached after {done} replications", file=sys.stderr)
                break
            if progress and (done % 10 == 0 or done == len(tasks)):
                covered = pd.DataFrame(rows).dropna(subset=["target"]).groupby(["analysis", "method", "term"])["covered"]
                print(f"{time.strftime('%H:%M:%S')} {done}/{len(tasks)} replications; coverage so far "
                      f"{covered.mean().min():.3f}..{covered.mean().max():.3f}", file=sys.stderr, flush=True)
    finally:
        if pool:
            pool.terminate()
            pool.join()
    new = pd.DataFrame(rows).reindex(columns=ROW_COLUMNS)
    return pd.concat([previous, new], ignore_index=True) if not previous.empty else new


ROW_COLUMNS = ["seed", "scenario", "analysis", "method", "term", "target", "estimate", "std_error", "covered",
               "rejected", "rejected_holm", "std_error_cr1", "covered_cr1", "rejected_cr1", "std_error_robust",
               "covered_robust", "rejected_robust", "std_error_model", "covered_model", "rejected_model", "seconds",
               "prep_seconds", "cpu_seconds", "prep_cpu_seconds", "n", "clusters"]


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Per analysis × method × term: replications, target, mean estimate, bias, SD vs mean SE, coverage, rejections.

    ``sd_error`` is the SD of estimate - target (each replication against its own target) and
    ``sd_over_se`` that over the mean standard error (the SD of the estimates where a row has no target):
    1 when the standard errors are right. ``sd_estimate`` also counts the targets' own spread between
    replications (per 1 SD of each one's scores), which no interval is meant to cover: on realistic's
    unadjusted supervision it made the ratio 1.065 where the spread about the targets gave 1.013 (145
    replications from seed 7001).
    """
    rows = rows.reindex(columns=ROW_COLUMNS)
    for column in ("covered", "rejected", "rejected_holm", "covered_cr1", "rejected_cr1", "covered_robust",
                   "rejected_robust", "covered_model", "rejected_model"):
        rows[column] = pd.to_numeric(rows[column].map({True: 1.0, False: 0.0, "True": 1.0, "False": 0.0}),
                                     errors="coerce")
    rows["error"] = rows["estimate"] - rows["target"]
    grouped = rows.groupby(["scenario", "analysis", "method", "term"], sort=False)
    table = grouped.agg(replications=("seed", "nunique"), target=("target", "mean"),
                        mean_estimate=("estimate", "mean"), sd_estimate=("estimate", "std"), sd_error=("error", "std"),
                        mean_std_error=("std_error", "mean"), coverage=("covered", "mean"),
                        rejected=("rejected", "mean"), rejected_holm=("rejected_holm", "mean"),
                        coverage_cr1=("covered_cr1", "mean"), rejected_cr1=("rejected_cr1", "mean"),
                        coverage_robust=("covered_robust", "mean"), rejected_robust=("rejected_robust", "mean"),
                        coverage_model=("covered_model", "mean"), rejected_model=("rejected_model", "mean"),
                        seconds=("seconds", "median")).reset_index()
    table["bias"] = table["mean_estimate"] - table["target"]
    # what an interval must cover is each replication's own target (per 1 SD of its own scores, which varies by
    # about 4%), so the spread that matters is that of estimate - target; the SD of the estimates where none
    table["sd_over_se"] = table["sd_error"].fillna(table["sd_estimate"]) / table["mean_std_error"]
    return table[["scenario", "analysis", "method", "term", "replications", "target", "mean_estimate", "bias",
                  "sd_estimate", "sd_error", "mean_std_error", "sd_over_se", "coverage", "coverage_cr1", "coverage_robust",
                  "coverage_model", "rejected", "rejected_cr1", "rejected_robust", "rejected_model", "rejected_holm",
                  "seconds"]]


def timings(rows: pd.DataFrame) -> pd.DataFrame:
    """Median wall and CPU seconds per fit of each analysis × method, and of simulating, cleaning and scoring.

    On a shared machine the CPU seconds (``time.process_time``) are the cost; wall seconds include
    waiting for the processor.
    """
    rows = rows.reindex(columns=ROW_COLUMNS)
    fits = rows.drop_duplicates(["scenario", "seed", "analysis", "method"])
    fits = fits[fits["method"] != "ordinal_cut"]
    table = fits.groupby(["analysis", "method"], sort=False)[["seconds", "cpu_seconds"]].median().reset_index()
    first = rows.drop_duplicates(["scenario", "seed"])
    extra = pd.DataFrame([{"analysis": "(simulate, clean, score)", "method": "",
                           "seconds": first["prep_seconds"].median(), "cpu_seconds": first["prep_cpu_seconds"].median()}])
    per_seed = fits.groupby(["scenario", "seed"])[["seconds", "cpu_seconds"]].sum(min_count=1)
    total = pd.DataFrame([{"analysis": "(one replication, all of the above)", "method": "",
                           "seconds": extra["seconds"].iloc[0] + per_seed["seconds"].median(),
                           "cpu_seconds": extra["cpu_seconds"].iloc[0] + per_seed["cpu_seconds"].median()}])
    return pd.concat([extra, table, total], ignore_index=True)


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
    parser.add_argument("--methods", nargs="+", choices=["glm_cluster", "gee", "mixed", "ordinal"])
    parser.add_argument("--ordinal", action="store_true", help="also fit the ordinal model (ORDINAL)")
    parser.add_argument("--out", help="also write the per-replication rows to this CSV")
    parser.add_argument("--max-seconds", type=float, help="stop after this long and summarise the replications done")
    parser.add_argument("--summarise", nargs="+", metavar="CSV",
                        help="print the tables of rows written by earlier runs (--out) and fit nothing")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    if args.summarise:
        found = [path for path in args.summarise if Path(path).is_file() and Path(path).stat().st_size]
        rows = pd.concat([pd.read_csv(path) for path in found], ignore_index=True)
        rows = rows.drop_duplicates(["scenario", "seed", "analysis", "method", "term"])
        heading = f"{rows['seed'].nunique()} replications read from {', '.join(found)}"
    else:
        rows = run(args.replications, args.scenario, args.scale, args.seed, args.jobs,
                   tuple(args.methods) if args.methods else None, progress=True, max_seconds=args.max_seconds,
                   out=args.out, ordinal=args.ordinal or bool(args.methods and "ordinal" in args.methods))
        done = rows["seed"].nunique()
        elapsed = time.perf_counter() - start
        heading = (f"scenario {args.scenario}: {done} replications at scale {args.scale} (from seed {args.seed}); "
                   f"{elapsed:.0f} s in this run, {args.jobs} job(s)")
    print(f"{heading}; median n={int(rows['n'].median())}, clusters={int(rows['clusters'].median())}")
    table = summarise(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        print("\nmedian seconds per fit (one core, shared machine):")
        print(timings(rows).to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    checked = table.dropna(subset=["target"])
    ok = checked["coverage"].between(*COVERAGE_BOUNDS)
    for name, part in checked.groupby("scenario", sort=False):
        inside = ok[part.index]
        print(f"{name}: coverage within {list(COVERAGE_BOUNDS)} in {int(inside.sum())} of {len(part)} rows"
              + ("" if inside.all() else "; outside: " + ", ".join(
                  f"{r.analysis}/{r.method}/{r.term}={r.coverage:.3f}" for r in part[~inside].itertuples())))
        outside = [chance_outside(int(r)) for r in part["replications"]]
        print(f"{name}: were every coverage exactly 0.95, a row of these replications would fall outside with "
              f"probability {min(outside):.3f}-{max(outside):.3f}, {sum(outside):.1f} of {len(part)} rows expected")
    return 0 if ok.all() else 1


def chance_outside(replications: int, coverage: float = 0.95, bounds: tuple[float, float] = COVERAGE_BOUNDS) -> float:
    """Probability that an observed coverage over `replications` falls outside `bounds` when the true one is `coverage`.

    >>> round(chance_outside(240), 3)
    0.025
    """
    from scipy import stats

    low, high = bounds
    below = stats.binom.cdf(math.ceil(low * replications - 1e-9) - 1, replications, coverage)
    above = stats.binom.sf(math.floor(high * replications + 1e-9), replications, coverage)
    return float(below + above)


if __name__ == "__main__":
    raise SystemExit(main())
