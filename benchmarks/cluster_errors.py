"""Why clustered standard errors are narrow, cheaply: the simulator's councils, binomial records, one logit per draw.

Each replication draws England's councils, their context, latent culture and temperature checks
exactly as ``simulate`` does (:func:`msp_analysis.analysis.simulate.council_draw`: the scored
indicators and the true council-year log-odds), then the expressed outcomes per council-year as
binomial counts (about 2,800 a year at ``--scale 0.04``, shared by council size, a council
intercept of the scenario's SD and a record-level case-mix noise of variance 0.10), and fits the
``glm_cluster`` logit on the council-year cells (:func:`~msp_analysis.analysis.models.glm_cluster.logit_cluster`)
with the chosen CR2 working model. No cleaning, selection or record-level case mix: about 0.2 s a
replication instead of the 6 s of ``model_recovery.py``, so several hundred replications per
variation show which mechanism moves the SD of the estimates against the standard errors.

Variations: ``--equal-sizes`` (every council the mean size), ``--council-sd`` (the council
intercept's SD; 0 removes it), ``--within-sd`` (culture's change between waves), ``--working``
(``random_intercept`` or ``independence``), ``--within-between`` and ``--adjust`` (deprivation and
size) for the designs of the recovery study. Printed per term: mean estimate, SD of the estimates,
mean SE, their ratio (per score point, i.e. with each draw's own SD as the unit, as the recovery
study's targets are), the mean Satterthwaite df and council variance, coverage of the mean estimate
(an SE check that needs no target) and, for ``confounded-null``'s adjusted designs, how often the
true null is rejected at 5%.

    nice -n 19 .venv/bin/python benchmarks/cluster_errors.py --replications 500 --working independence
    nice -n 19 .venv/bin/python benchmarks/cluster_errors.py --replications 500 --equal-sizes
    nice -n 19 .venv/bin/python benchmarks/cluster_errors.py --scenario confounded-null --within-between --adjust

What it showed (500 replications each, realistic, unadjusted, seeds 90000-90499): under
independence the Satterthwaite df of the slopes were about 54 (not G - 1 = 154), under the
random intercept about 29 with tau^2 = 0.12 (the council SD^2 0.0625 plus the projection's
residual); coverage of the mean estimate 0.942-0.954 became 0.948-0.958; with equal council sizes
the random-intercept df are about 55-60 (6 replications: a check of direction only). On the
simulator's own records (its selection and case mix, no cleaning; 250 replications, a scratch
script) equal council sizes cut the SD of the supervision estimates from 0.051 to 0.041 and the
SD/SE ratios to 0.92-1.0, and removing the selection or the case mix changed nothing beyond noise
(supervision's SD/SE per point 1.04-1.05 in all three). In confounded-null's
within/between design (adjusted) tau^2 was 0.057 (the council SD^2 alone, the confounders being
adjusted for), the between slopes' df 26 (37 under independence) and the within slopes' df about
49 either way (their variance is within councils), every rejection rate 3-5.5%.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time

import numpy as np
import pandas as pd

from msp_analysis.analysis import simulate as sim
from msp_analysis.analysis.models.glm_cluster import logit_cluster

EXPRESSED_OF_CONCLUDED = sim.S42_SHARE * sim.ASKED_SHARES[sim.EXPRESSED]
CASE_MIX_VARIANCE = 0.10  # about the variance of the simulator's case-mix log-odds (simulate.case_mix_variance)


def replicate(seed: int, spec: sim.Scenario, frame: pd.DataFrame, ons: np.ndarray, *, scale: float,
              equal_sizes: bool, working: str, terms: list[str], adjust: list[str]) -> list[dict]:
    """One draw: the councils as ``simulate`` draws them, binomial outcomes per council-year, one logit."""
    rng = np.random.default_rng(seed)
    cw = sim.council_draw(rng, spec, frame, ons, sim.SIM_YEARS)
    size = np.full(len(cw), cw["weight"].mean()) if equal_sizes else cw["weight"].to_numpy(float)
    totals = pd.Series(size).groupby(cw["financial_year"].to_numpy()).transform("sum").to_numpy()
    people = rng.poisson(sim.ENQUIRIES_PER_YEAR_AT_SCALE_1 * scale * EXPRESSED_OF_CONCLUDED * size / totals)
    codes, names = pd.factorize(cw["ons_code"], sort=True)
    year = pd.factorize(cw["financial_year"], sort=True)[0]
    council = rng.normal(0, spec.council_sd, len(names))[codes]
    eta = spec.intercept + 0.05 * year + council + cw["eta"].to_numpy(float)
    cell = np.repeat(np.arange(len(cw)), people)
    person = eta[cell] + rng.normal(0, math.sqrt(CASE_MIX_VARIANCE), len(cell))
    fully = rng.random(len(cell)) < 1 / (1 + np.exp(-person))
    successes = np.bincount(cell, weights=fully, minlength=len(cw))
    keep = people > 0
    years = [(year == y).astype(float) for y in range(1, year.max() + 1)]
    X = np.column_stack([np.ones(len(cw)), cw[terms + adjust].to_numpy(float), *years])[keep]
    fit = logit_cluster(X, successes[keep], people[keep].astype(float), codes[keep], len(names), working=working)
    sd = {t: float(cw[f"sd_{sim.indicator_of(t)}"].iloc[0]) for t in terms}
    return [{"seed": seed, "term": t.removeprefix("z_"), "estimate": fit.params[1 + i],
             "std_error": math.sqrt(fit.cov[1 + i, 1 + i]), "df": fit.df[1 + i], "sd": sd[t],
             "council_variance": fit.council_variance} for i, t in enumerate(terms)]


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Per term: mean estimate, SD of the estimates and mean SE (per score point), df, tau^2, coverage, rejection."""
    from scipy import stats

    rows = rows.assign(per_point=rows["estimate"] / rows["sd"], se_point=rows["std_error"] / rows["sd"])
    quantile = stats.t(rows["df"]).ppf(0.975)
    centre = rows.groupby("term")["per_point"].transform("mean")
    rows = rows.assign(covered=(rows["per_point"] - centre).abs() <= quantile * rows["se_point"],
                       rejected=rows["estimate"].abs() > quantile * rows["std_error"])
    grouped = rows.groupby("term", sort=False)
    table = grouped.agg(replications=("seed", "nunique"), mean_estimate=("estimate", "mean"),
                        sd_estimate=("estimate", "std"), mean_std_error=("std_error", "mean"), df=("df", "mean"),
                        council_variance=("council_variance", "mean"), coverage_of_mean=("covered", "mean"),
                        rejected=("rejected", "mean"))
    table.insert(4, "sd_over_se_per_point", grouped["per_point"].std() / grouped["se_point"].mean())
    return table.reset_index()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=list(sim.SCENARIOS), default="realistic")
    parser.add_argument("--replications", type=int, default=300)
    parser.add_argument("--scale", type=float, default=0.04)
    parser.add_argument("--seed", type=int, default=90000, help="seed of the first replication")
    parser.add_argument("--working", choices=["random_intercept", "independence"], default="random_intercept")
    parser.add_argument("--equal-sizes", action="store_true", help="every council the mean size")
    parser.add_argument("--council-sd", type=float, help="SD of the council intercept (the scenario's if not given)")
    parser.add_argument("--within-sd", type=float, help="SD of culture's change between waves")
    parser.add_argument("--within-between", action="store_true", help="each indicator split Mundlak style")
    parser.add_argument("--adjust", action="store_true", help="adjust for deprivation and size")
    args = parser.parse_args(argv)
    changes = {k: v for k, v in (("council_sd", args.council_sd), ("within_sd", args.within_sd)) if v is not None}
    spec = dataclasses.replace(sim.scenario(args.scenario), **changes)
    frame = sim.council_frame(sim.SIM_YEARS)
    ons = np.array(sorted(frame["ons_code"].unique()))
    terms = ([f"{t}_{part}" for t in sim.MODEL_TERMS for part in ("between", "within")] if args.within_between
             else [f"z_{t}" for t in sim.MODEL_TERMS])
    adjust = list(sim.COVARIATES) if args.adjust else []
    start = time.perf_counter()
    rows = pd.DataFrame([row for i in range(args.replications)
                         for row in replicate(args.seed + i, spec, frame, ons, scale=args.scale,
                                              equal_sizes=args.equal_sizes, working=args.working, terms=terms,
                                              adjust=adjust)])
    print(f"scenario {args.scenario}{' ' + str(changes) if changes else ''}: {args.replications} replications, "
          f"working model {args.working}{', equal sizes' if args.equal_sizes else ''}"
          f"{', within/between' if args.within_between else ''}{', adjusted' if args.adjust else ''}; "
          f"{time.perf_counter() - start:.0f} s")
    print(summarise(rows).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
