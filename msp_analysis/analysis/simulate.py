"""Synthetic MSP data for every council in England, with the biases real data have and a stated truth.

The embedded default: `make demo` and the tests run on this instead of personal data. A
*scenario* (:data:`SCENARIOS`) says how the data are made:

* ``realistic`` (the default): culture is a latent council-wave value; staff answers measure it
  with the agreement staff surveys show (respondent-level ICC(1) about 0.13, so council scores
  carry measurement error); council context (deprivation and size, written to
  ``council_covariates``) drives both culture and outcomes; record-level case mix (age, capacity,
  risk type, location, support reason) shifts outcomes; who is asked and who expresses outcomes
  depends on culture and case difficulty; culture changes within councils between waves; and a
  small part of the effect acts one wave later. Effects are modest.
* ``easy``: the earlier simulator: outcomes drawn from the indicators *as scored*, respondents
  agreeing closely, nothing confounded — any clustered logit recovers the truth.
* ``confounded-null``: culture has no effect on outcomes; deprivation and size drive both, so an
  unadjusted model finds an association that adjusting or the within-council comparison removes.
* ``selection``: who is asked depends on culture and on a case difficulty that is not recorded, so
  no analysis of the expressed outcomes recovers the effect (the truth says by how much it misses).
* ``lagged``: culture acts on outcomes of the next wave only (a correct analysis uses ``lag=1``).

``truth`` (``truth.json``) states the true effects on latent culture (log-odds of fully achieved
per 1 SD of the latent council-wave culture), and under ``targets`` what a correct analysis
of the scored indicators should estimate and why: measurement error in council scores
attenuates every estimate, so the target of an adjusted analysis is the projection of the true
council log-odds onto the scored indicators and the covariates (computed by Monte Carlo over
:func:`stored_replicates` independent draws of the councils, fixed per scenario, stored in
``simulation_targets.json`` with the Monte Carlo error of each target). A model's slope is per 1 SD
of the scores it is given, and that SD varies from one simulation to the next (about 4%), so each
target is also stored per score point (``per_point``) and ``truth["targets"][analysis]["this_simulation"]``
gives it per 1 SD of that simulation's own scores (``truth["score_sd"]``): what the models' intervals,
which take the reported SD as their unit, should cover. None of this depends on ``scale``: the councils,
their covariates and the temperature checks (2 to 4 organisations of 3 to 8 respondents per council and
wave) are drawn before, and independently of, the records, whose number alone the scale sets.

Volumes at ``scale=1`` are England's: about 70,000 people a year whose outcomes were expressed and
whose achievement is recorded (NHS Digital, Adult Social Care Statistics in England: An Overview,
Table 8: 70,375 in 2020-21), out of about 99,000 concluded enquiries, shared between councils in
proportion to their (simulated) size.

Messiness is injected at documented rates (``MESSINESS``) and a known number of rows
break a consistency rule, so a correct cleaner rejects exactly ``truth["expected_rejects"]``.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from msp_analysis.analysis.indicators import council_scores, standardise
from msp_analysis.analysis.simulate_feedback import with_person_feedback
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import (
    LIKERT_LABELS,
    canonical_labels,
    likert_items,
    organisation_types,
    read_codebook,
    respondent_roles,
)
from msp_analysis.toolkit.errors import ParameterError

SIM_YEARS = ("2021-22", "2022-23", "2023-24")
MODEL_TERMS = ("supervision", "staffing", "complaints_learning")
# Concluded enquiries per year at scale 1: 70,375 expressed outcomes with achievement recorded
# (Overview Table 8, 2020-21) / 0.79 expressed of concluded S42 / 0.9 S42 of all concluded.
ENQUIRIES_PER_YEAR_AT_SCALE_1 = 99_000
EXPRESSED_PUBLISHED_2020_21 = 70_375
S42_SHARE = 0.9
PARTIAL_GIVEN_NOT_FULLY = 0.82  # keeps fully-or-partially near the published 93-95%
LOGIT_MARGINAL = 0.346  # (16 sqrt(3) / (15 pi))^2: attenuation of a marginal logit, 1/sqrt(1 + c^2 var)
TARGET_REPLICATES = 30
OTHER_YEARS_REPLICATES = 8  # targets of a simulation of other years than SIM_YEARS (tests): cheap and rougher
TARGET_SEED = 20261201
COVARIATES = ("deprivation", "log_size")
COVARIATES_FILE = "council_covariates.csv"  # ons_code,financial_year,deprivation,size,log_size
CASE_MIX = ("age", "lacked_capacity", "risk_types", "risk_location", "primary_support_reason")

# Share of rows (or cells) touched by each kind of messiness; all are recoverable.
MESSINESS = {
    "label_variant": 0.04,
    "label_case_spacing": 0.02,
    "unknown_marker": 0.02,
    "financial_year_format": 0.15,
    "cassr_code_as_float": 0.05,
    "ons_code_blank_use_cassr": 0.03,
    "ons_code_case_spacing": 0.03,
    "uk_date_format": 0.10,
    "risk_types_slash": 0.03,
}
# Share of rows that break one consistency rule each and must be rejected.
FAULT_RATE = 0.004
FAULTS = (
    "achieved_without_expressed",
    "start_after_concluded",
    "under_18",
    "duplicate_enquiry_id",
    "unknown_council",
    "risk_outcome_without_action",
    "year_contradicts_date",
)

# Council size (simulated adult population, thousands): counties the largest, City of London and
# the Isles of Scilly tiny. Approximate shape only; there is no council population file here.
TYPE_SIZE = {"Shire County": 620.0, "Metropolitan District": 230.0, "Unitary Authority": 170.0, "London Borough": 210.0}
TINY_COUNCILS = {"E09000001": 0.03, "E06000053": 0.01}

ASKED_SHARES = {
    "Yes they were asked and outcomes were expressed": 0.79,
    "Yes they were asked but no outcomes were expressed": 0.06,
    "No": 0.09,
    "Don't Know": 0.03,
    "Not Recorded": 0.03,
}
EXPRESSED = "Yes they were asked and outcomes were expressed"
RISK_TYPE_SHARES = {
    "Physical Abuse": 0.19, "Sexual Abuse": 0.03, "Psychological Abuse": 0.13,
    "Financial or Material Abuse": 0.15, "Discriminatory Abuse": 0.005, "Organisational Abuse": 0.05,
    "Neglect and Acts of Omission": 0.32, "Domestic Abuse": 0.05, "Sexual Exploitation": 0.005,
    "Modern Slavery": 0.003, "Self-Neglect": 0.08,
}
LOCATION_SHARES = {
    "Own Home": 0.46, "In the Community": 0.05, "Community Service": 0.03, "Care Home - Nursing": 0.11,
    "Care Home - Residential": 0.20, "Hospital - Acute": 0.04, "Hospital - Mental Health": 0.02,
    "Hospital - Community": 0.01, "Other": 0.08,
}
SOURCE_SHARES = {"Service Provider": 0.33, "Other - Known to individual": 0.58, "Other - Unknown to individual": 0.09}
ASSESSMENT_SHARES = {
    "Risk identified and action taken": 0.66, "Risk identified and no action taken": 0.06,
    "Risk Assessment inconclusive and action taken": 0.07, "Risk Assessment inconclusive and no action taken": 0.03,
    "No risk identified and action taken": 0.07, "No risk identified and no action taken": 0.08,
    "Enquiry ceased at individual's request and no action taken": 0.03,
}
RISK_OUTCOME_SHARES = {"Risk remained": 0.09, "Risk reduced": 0.64, "Risk removed": 0.27}
CAPACITY_SHARES = {
    "Yes, they lacked capacity": 0.30, "No, they did not lack capacity": 0.55, "Don't know": 0.07, "Not recorded": 0.08,
}
SUPPORT_REASON_SHARES = (0.38, 0.02, 0.14, 0.13, 0.12, 0.05, 0.08, 0.08)
# Case-mix effects on the log-odds of fully achieved (case difficulty; centred in the simulation).
CASE_MIX_EFFECTS: dict[str, Any] = {
    "lacked_capacity": {"Yes, they lacked capacity": -0.45},
    "risk_types": {"Self-Neglect": -0.55, "Domestic Abuse": -0.30, "Financial or Material Abuse": -0.15},
    "risk_location": {"Care Home - Nursing": 0.25, "Care Home - Residential": 0.25, "Hospital - Mental Health": -0.2},
    "age_per_decade_over_70": -0.06,
    "primary_support_reason_index": {2: -0.10, 4: -0.25},  # positions in the codebook's support-reason labels
}


@dataclass(frozen=True)
class Scenario:
    """How one scenario makes its data; every number is on the log-odds scale unless said otherwise.

    Parameters
    ----------
    name, description
        The scenario's name (``--scenario``) and what it is for.
    effects
        Log-odds of fully achieved per 1 SD of latent culture, same wave.
    lag_effects
        Per 1 SD of latent culture of the previous wave.
    on_scored
        ``easy`` only: outcomes drawn from the indicators as scored and standardised, not latent culture.
    deprivation_on_culture, size_on_culture
        SDs of latent culture per SD of deprivation and of log size (confounding paths).
    deprivation_on_outcome, size_on_outcome
        Log-odds per SD of deprivation and of log size.
    within_sd
        SD of the wave-to-wave change of latent culture within a council (total SD stays 1).
    case_mix
        Record-level case mix shifts outcomes (CASE_MIX_EFFECTS), and more deprived councils see harder cases.
    selection_culture, selection_difficulty
        Log-odds of being asked and expressing outcomes per SD of the council's mean culture, and
        per unit of case difficulty (minus the case-mix log-odds).
    unrecorded_difficulty_sd
        SD of a case difficulty no export records, acting on outcomes and on selection alike.
    loading, org_sd, person_sd, person_indicator_sd, item_sd
        An answer is 3.4 + loading x culture + organisation + person + person-indicator + item noise
        (answer points), reverse-coded items flipped, rounded and clipped to 1-5.
    respondents
        Range (low, high exclusive) of respondents per organisation.
    council_sd
        SD of the council random intercept.
    intercept
        Log-odds of fully achieved at the mean of everything.
    partial_log_odds
        0 (every scenario but ``easy``): of those not fully achieved, PARTIAL_GIVEN_NOT_FULLY are
        partially achieved whatever the culture, so the log-odds of "at least partially" move less
        than those of "fully" and proportional odds fail (as on the published data). Positive: the
        levels come from one latent logistic, fully above 0 and at least partially above
        -`partial_log_odds`, so proportional odds hold exactly (conditional on the council) and an
        ordinal model's slopes have the same target as the binary one (the ordinal recovery check).
    """

    name: str
    description: str
    effects: dict[str, float]
    lag_effects: dict[str, float] = field(default_factory=dict)
    on_scored: bool = False
    deprivation_on_culture: float = 0.0
    size_on_culture: float = 0.0
    deprivation_on_outcome: float = 0.0
    size_on_outcome: float = 0.0
    within_sd: float = 0.2
    case_mix: bool = True
    selection_culture: float = 0.0
    selection_difficulty: float = 0.0
    unrecorded_difficulty_sd: float = 0.0
    loading: float = 0.28
    org_sd: float = 0.15
    person_sd: float = 0.45
    person_indicator_sd: float = 0.4
    item_sd: float = 0.65
    respondents: tuple[int, int] = (3, 9)
    council_sd: float = 0.25
    intercept: float = 0.75
    partial_log_odds: float = 0.0

    def correct_adjustment(self) -> list[str]:
        """What an analysis must adjust for to estimate the culture effect without confounding."""
        out = [c for c, on in (("deprivation", self.deprivation_on_culture and self.deprivation_on_outcome),
                               ("log_size", self.size_on_culture and self.size_on_outcome)) if on]
        if self.case_mix and (self.selection_culture or self.deprivation_on_culture):
            out += list(CASE_MIX)
        return out


_NULL = {term: 0.0 for term in MODEL_TERMS}
SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("realistic", "all of the biases at once, modest effects: measurement error, confounding by "
             "deprivation and size, case mix, selection into being asked, change within councils, a lag",
             effects={"supervision": 0.20, "staffing": 0.12, "complaints_learning": 0.08},
             lag_effects={"supervision": 0.05}, deprivation_on_culture=-0.35, size_on_culture=0.15,
             deprivation_on_outcome=-0.15, size_on_outcome=-0.08, within_sd=0.3, selection_culture=0.25,
             selection_difficulty=0.5),
    Scenario("easy", "the earlier simulator: outcomes from the indicators as scored, close respondent agreement, "
             "nothing confounded (a check that the models are right, not of what real data do)",
             effects={"supervision": 0.30, "staffing": 0.20, "complaints_learning": 0.15}, on_scored=True,
             within_sd=0.2, case_mix=False, loading=0.8, org_sd=0.24, person_sd=0.32, person_indicator_sd=0.0,
             item_sd=0.6, respondents=(2, 6), intercept=0.8, partial_log_odds=2.0),
    Scenario("confounded-null", "culture has no effect; deprivation and size drive both culture and outcomes",
             effects=dict(_NULL), deprivation_on_culture=-0.6, size_on_culture=0.25, deprivation_on_outcome=-0.35,
             size_on_outcome=-0.15, within_sd=0.3, selection_culture=0.25, selection_difficulty=0.5),
    Scenario("selection", "who is asked depends on culture and on a case difficulty no export records",
             effects={"supervision": 0.20, "staffing": 0.12, "complaints_learning": 0.08}, within_sd=0.3,
             selection_culture=0.6, selection_difficulty=1.0, unrecorded_difficulty_sd=0.8),
    Scenario("lagged", "culture acts on the outcomes of the next wave only",
             effects=dict(_NULL), lag_effects={"supervision": 0.20, "staffing": 0.12, "complaints_learning": 0.08},
             within_sd=0.4),
)}
DEFAULT_SCENARIO = "realistic"


@dataclass
class Simulation:
    """Raw files as a council or region would send them, plus the truth behind them."""

    evaluation: pd.DataFrame
    temperature_check: pd.DataFrame
    truth: dict
    council_covariates: pd.DataFrame = field(default_factory=pd.DataFrame)
    person_feedback: pd.DataFrame = field(default_factory=pd.DataFrame)  # analysis/simulate_feedback.py


def _choice(rng: np.random.Generator, shares: dict[str, float], size: int) -> np.ndarray:
    labels = list(shares)
    p = np.array(list(shares.values()), dtype=float)
    return np.array(labels, dtype=object)[rng.choice(len(labels), size=size, p=p / p.sum())]


def council_frame(years: tuple[str, ...] = SIM_YEARS) -> pd.DataFrame:
    """Every council of each simulated year (the geography of that year)."""
    return pd.concat([geography.councils(y).assign(financial_year=y) for y in years], ignore_index=True)


def scenario(name: str) -> Scenario:
    """The scenario called `name` (a ParameterError naming the scenarios there are)."""
    if name not in SCENARIOS:
        raise ParameterError(f"unknown scenario {name!r}; expected one of {', '.join(SCENARIOS)}")
    return SCENARIOS[name]


def simulate(seed: int, scale: float = 1.0, years: tuple[str, ...] = SIM_YEARS,
             scenario_name: str = DEFAULT_SCENARIO) -> Simulation:
    """Simulate evaluation exports, temperature-check returns and council covariates for every council.

    Parameters
    ----------
    seed
        Seed of everything drawn.
    scale
        1.0 gives England's volumes (about 99,000 concluded enquiries a year).
    years
        Financial years simulated (one temperature-check wave each).
    scenario_name
        A name in :data:`SCENARIOS`.

    >>> sim = simulate(seed=1, scale=0.05)
    >>> sorted(sim.truth["effects"])
    ['complaints_learning', 'staffing', 'supervision']
    """
    if scale <= 0:
        raise ParameterError(f"scale must be positive, got {scale}")
    spec = scenario(scenario_name)
    rng = np.random.default_rng(seed)
    frame = council_frame(years)
    ons_all = np.array(sorted(frame["ons_code"].unique()))
    context = _council_context(rng, frame, ons_all)
    latent = _latent_culture(rng, spec, context, years)
    returns = _temperature_check(rng, spec, frame, latent)
    scored = _scored_indicators(returns)
    council_effect = dict(zip(ons_all, rng.normal(0, spec.council_sd, size=len(ons_all)), strict=True))
    records, achieved_share = _records(rng, spec, frame, context, latent, scored, council_effect, scale)
    records, feedback, feedback_truth = with_person_feedback(seed, records)  # its own generator: nothing else moves
    evaluation, faults = _inject_faults(rng, _messy(rng, records))
    covariates = frame[["ons_code", "financial_year"]].merge(context, on="ons_code", how="left")
    covariates = covariates[["ons_code", "financial_year", "deprivation", "size", "log_size"]]
    expressed = int((records["msp_asked"] == EXPRESSED).sum())
    # SD of each indicator's council scores (score points): one z unit of the scores the models are given
    score_sd = {t: round(float(scored[t].std(ddof=1)), 6) for t in MODEL_TERMS}
    expressed_s42 = int(((records["msp_asked"] == EXPRESSED) & (records["enquiry_type"] == "Section 42")).sum())
    truth = {
        "seed": seed,
        "scale": scale,
        "scenario": spec.name,
        "scenario_description": spec.description,
        "years": list(years),
        "effects": {t: float(spec.effects.get(t, 0.0)) for t in MODEL_TERMS},
        "lag_effects": {t: float(spec.lag_effects.get(t, 0.0)) for t in MODEL_TERMS},
        "effects_scale": ("log-odds of fully achieved (of expressed outcomes) per 1 SD of the council indicator as "
                          "scored and standardised across all council-waves" if spec.on_scored else
                          "log-odds of fully achieved (of expressed outcomes) per 1 SD of latent council-wave culture "
                          "(conditional on the council random intercept, the case mix and the council context)"),
        "targets": _with_this_simulation(copy.deepcopy(targets(spec.name, tuple(years))), score_sd),
        "score_sd": score_sd,
        "correct_adjustment": spec.correct_adjustment(),
        "context_effects": {"deprivation_on_outcome": spec.deprivation_on_outcome,
                            "log_size_on_outcome": spec.size_on_outcome,
                            "deprivation_on_culture": spec.deprivation_on_culture,
                            "log_size_on_culture": spec.size_on_culture},
        "case_mix_effects": {k: ({str(a): b for a, b in v.items()} if isinstance(v, dict) else v)
                             for k, v in CASE_MIX_EFFECTS.items()} if spec.case_mix else {},
        "selection": {"culture": spec.selection_culture, "case_difficulty": spec.selection_difficulty,
                      "unrecorded_difficulty_sd": spec.unrecorded_difficulty_sd},
        "intercept": spec.intercept,
        "council_random_effect_sd": spec.council_sd,
        "respondent_icc": respondent_icc(returns),
        "parameters": {k: v for k, v in asdict(spec).items() if k not in ("name", "description")},
        "rows": int(len(evaluation)),
        "expressed_with_achievement": expressed,
        "expressed_s42_per_year": round(expressed_s42 / len(years), 1),
        "expressed_s42_published_2020_21": EXPRESSED_PUBLISHED_2020_21,
        "fully_achieved_share": achieved_share,
        "expected_rejects": int(sum(faults.values())),
        "expected_clean_rows": int(len(evaluation) - sum(faults.values())),
        "faults": faults,
        "messiness": dict(MESSINESS),
        "fault_rate": FAULT_RATE,
        "temperature_check_rows": int(len(returns)),
        "person_feedback": feedback_truth,
    }
    return Simulation(evaluation=evaluation, temperature_check=_returns_as_text(returns), truth=truth,
                      person_feedback=feedback, council_covariates=covariates.sort_values(["ons_code", "financial_year"]).reset_index(drop=True))


def _council_context(rng: np.random.Generator, frame: pd.DataFrame, ons: np.ndarray) -> pd.DataFrame:
    """Per council: a deprivation index (mean 0, SD 1) and a simulated adult population (thousands)."""
    types = frame.drop_duplicates("ons_code").set_index("ons_code")["council_type"].reindex(ons)
    size = types.map(TYPE_SIZE).fillna(200.0).to_numpy() * rng.lognormal(0, 0.35, len(ons))
    size = size * pd.Series(ons).map(TINY_COUNCILS).fillna(1.0).to_numpy()
    log_size = np.log(size)
    deprivation = rng.normal(0, 1, len(ons))
    return pd.DataFrame({"ons_code": ons, "deprivation": np.round(deprivation, 4), "size": np.round(size, 2),
                         "log_size": np.round((log_size - log_size.mean()) / log_size.std(ddof=1), 4)})


def _latent_culture(rng: np.random.Generator, spec: Scenario, context: pd.DataFrame,
                    years: tuple[str, ...]) -> pd.DataFrame:
    """Latent culture per council and wave (one wave before the first too, for the lag), SD 1 per indicator.

    culture = deprivation path + size path + a council value (indicators correlated 0.5) + a
    wave change (SD ``within_sd``, correlated 0.3), scaled so that its total SD is 1.
    """
    indicators = sorted(likert_items()["indicator"].unique())
    k, n = len(indicators), len(context)
    confounded = spec.deprivation_on_culture**2 + spec.size_on_culture**2
    between_var = max(1.0 - confounded - spec.within_sd**2, 0.05)
    cov_b = (np.full((k, k), 0.5) + np.eye(k) * 0.5) * between_var
    cov_w = (np.full((k, k), 0.3) + np.eye(k) * 0.7) * spec.within_sd**2
    base = rng.multivariate_normal(np.zeros(k), cov_b, size=n)
    base += (spec.deprivation_on_culture * context["deprivation"].to_numpy()
             + spec.size_on_culture * context["log_size"].to_numpy())[:, None]
    waves = [_shift(years[0], -1), *years]
    rows = []
    for wave in waves:
        change = rng.multivariate_normal(np.zeros(k), cov_w, size=n)
        rows.append(pd.DataFrame(base + change, columns=indicators).assign(ons_code=context["ons_code"].to_numpy(),
                                                                           wave=wave))
    return pd.concat(rows, ignore_index=True)


def _shift(year: str, years: int) -> str:
    start = int(year[:4]) + years
    return f"{start}-{(start + 1) % 100:02d}"


def _temperature_check(rng: np.random.Generator, spec: Scenario, frame: pd.DataFrame,
                       latent: pd.DataFrame) -> pd.DataFrame:
    """Numeric returns: one row per organisation × respondent × wave.

    Organisation types and roles are those a return lists (the codebook's): the council's own
    (``Local authority``) plus one to three partners, and a named staff role for every person.
    """
    (council_type,) = organisation_types("council")
    partner_types, roles = organisation_types("partner"), respondent_roles("staff")
    items = likert_items()
    item_ids, reverse = items["item_id"].tolist(), items["reverse_coded"].to_numpy(dtype=bool)
    indicators = sorted(items["indicator"].unique())
    item_indicator = items["indicator"].map({name: i for i, name in enumerate(indicators)}).to_numpy()
    cw = frame[["ons_code", "name", "region", "financial_year"]].reset_index(drop=True)
    J = len(cw)
    # organisations: the council's own, then 1-3 partners of distinct types (in type order)
    n_partners = rng.integers(1, 4, size=J)
    pick = rng.random((J, len(partner_types))).argsort(axis=1)
    chosen = np.zeros((J, len(partner_types)), dtype=bool)
    for slot in range(3):
        hit = n_partners > slot
        chosen[np.arange(J)[hit], pick[hit, slot]] = True
    org_cw = np.concatenate([np.arange(J), np.nonzero(chosen)[0]])
    org_type = np.concatenate([np.full(J, -1), np.nonzero(chosen)[1]])
    sort = np.lexsort((org_type, org_cw))
    org_cw, org_type = org_cw[sort], org_type[sort]
    ons = cw["ons_code"].to_numpy(dtype=object)[org_cw]
    names = cw["name"].to_numpy(dtype=object)[org_cw]
    partner = np.array(partner_types, dtype=object)
    suffix = np.where(org_type < 0, "-LA", "-P" + org_type.astype(str))
    org_ids = ons + suffix
    org_names = np.where(org_type < 0, names + " Council", names + " " + partner[np.maximum(org_type, 0)])
    org_kinds = np.where(org_type < 0, council_type, partner[np.maximum(org_type, 0)])
    # respondents
    sizes = rng.integers(*spec.respondents, size=len(org_cw))
    org_of = np.repeat(np.arange(len(org_cw)), sizes)
    m = len(org_of)
    person_cw = org_cw[org_of]
    lat = latent.set_index(["ons_code", "wave"]).reindex(
        pd.MultiIndex.from_arrays([cw["ons_code"], cw["financial_year"]]))
    culture = lat[indicators].to_numpy(dtype=float)[person_cw]
    person = (rng.normal(0, spec.org_sd, len(org_cw))[org_of] + rng.normal(0, spec.person_sd, m))[:, None]
    person_indicator = rng.normal(0, spec.person_indicator_sd, (m, len(indicators)))[:, item_indicator]
    answer = (3.4 + spec.loading * culture[:, item_indicator] + person + person_indicator
              + rng.normal(0, spec.item_sd, (m, len(item_ids))))
    answer = np.where(reverse, 6 - answer, answer)
    answer = np.clip(np.rint(answer), 1, 5)
    answer[rng.random(answer.shape) < 0.03] = np.nan
    staffing = lat["staffing"].to_numpy(dtype=float)[person_cw]
    out = pd.DataFrame({
        "org_id": org_ids[org_of], "org_name": org_names[org_of], "org_type": org_kinds[org_of],
        "ons_code": ons[org_of], "region": cw["region"].to_numpy(dtype=object)[person_cw],
        "wave": cw["financial_year"].to_numpy(dtype=object)[person_cw],
        "respondent_role": np.array(roles, dtype=object)[rng.integers(len(roles), size=m)],
    })
    out = pd.concat([out, pd.DataFrame(answer, columns=item_ids)], axis=1)
    out["stf_turnover_pct"] = np.round(np.clip(28 - 4 * staffing + rng.normal(0, 4, m), 3, 60), 1)
    out["stf_vacancy_pct"] = np.round(np.clip(10 - 2.5 * staffing + rng.normal(0, 3, m), 0, 40), 1)
    out["stf_caseload"] = np.round(np.clip(18 - 2 * staffing + rng.normal(0, 3, m), 4, 40), 1)
    return out


def respondent_icc(returns: pd.DataFrame) -> dict[str, float]:
    """ICC(1) of each model indicator's respondent score within council-waves (one-way ANOVA estimator)."""
    from msp_analysis.analysis.indicators import respondent_scores

    scores = respondent_scores(returns)
    keys = returns["ons_code"].astype(str) + "|" + returns["wave"].astype(str)
    out = {}
    for term in MODEL_TERMS:
        values = pd.DataFrame({"g": keys, "y": scores[term]}).dropna()
        groups = values.groupby("g")["y"]
        n_i, k = groups.size().to_numpy(dtype=float), groups.ngroups
        n = n_i.sum()
        grand = values["y"].mean()
        msb = (n_i * (groups.mean().to_numpy() - grand) ** 2).sum() / (k - 1)
        msw = ((values["y"] - groups.transform("mean")) ** 2).sum() / (n - k)
        n0 = (n - (n_i**2).sum() / n) / (k - 1)
        out[term] = round(float((msb - msw) / (msb + (n0 - 1) * msw)), 4)
    return out


def _scored_indicators(returns: pd.DataFrame) -> pd.DataFrame:
    """Council × wave z-scores of the three model indicators, scored and standardised as the models do."""
    scores = council_scores(returns)
    return standardise(scores, list(MODEL_TERMS), by=None).set_index(["ons_code", "wave"])


def _returns_as_text(returns: pd.DataFrame) -> pd.DataFrame:
    """Likert answers written as their labels, as a return template would hold them."""
    out = returns.copy()
    labels = np.array(("",) + LIKERT_LABELS, dtype=object)
    for item in likert_items()["item_id"]:
        codes = out[item].fillna(0).astype(int).to_numpy()
        out[item] = labels[codes]
    return out


def _culture_log_odds(spec: Scenario, keys: pd.MultiIndex, latent: pd.DataFrame, scored: pd.DataFrame) -> np.ndarray:
    """Σ effect × culture (same wave) + Σ lag effect × culture (previous wave), per (ons_code, year) key."""
    lat = latent.set_index(["ons_code", "wave"])
    out = np.zeros(len(keys))
    if spec.on_scored:
        z = scored.reindex(keys)
        for term, effect in spec.effects.items():
            out += effect * z[f"z_{term}"].fillna(0).to_numpy()
        return out
    now = lat.reindex(keys)
    before = lat.reindex(pd.MultiIndex.from_arrays([keys.get_level_values(0),
                                                    [_shift(y, -1) for y in keys.get_level_values(1)]]))
    for term, effect in spec.effects.items():
        out += effect * now[term].to_numpy()
    for term, effect in spec.lag_effects.items():
        out += effect * before[term].to_numpy()
    return out


def _case_mix_log_odds(age: np.ndarray, capacity: np.ndarray, risk_types: np.ndarray, location: np.ndarray,
                       support_index: np.ndarray) -> np.ndarray:
    effects = CASE_MIX_EFFECTS
    out = effects["age_per_decade_over_70"] * (age - 70) / 10
    out = out + np.vectorize(effects["lacked_capacity"].get, otypes=[float])(capacity, 0.0)
    for risk, effect in effects["risk_types"].items():
        out = out + effect * np.char.find(risk_types.astype(str), risk).__ge__(0)
    out = out + np.vectorize(effects["risk_location"].get, otypes=[float])(location, 0.0)
    out = out + np.vectorize(effects["primary_support_reason_index"].get, otypes=[float])(support_index, 0.0)
    return out


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _records(
    rng: np.random.Generator, spec: Scenario, frame: pd.DataFrame, context: pd.DataFrame, latent: pd.DataFrame,
    scored: pd.DataFrame, council_effect: dict, scale: float,
) -> tuple[pd.DataFrame, float]:
    """Clean record-level enquiries: case mix, selection into being asked, outcomes from the scenario's model."""
    ctx = context.set_index("ons_code")
    size = frame["ons_code"].map(ctx["size"]).to_numpy()
    per_year = ENQUIRIES_PER_YEAR_AT_SCALE_1 * scale
    year_totals = pd.Series(size).groupby(frame["financial_year"].to_numpy()).transform("sum").to_numpy()
    counts = rng.poisson(per_year * size / year_totals)
    rows = frame.loc[frame.index.repeat(counts)].reset_index(drop=True)
    n = len(rows)
    deprivation = rows["ons_code"].map(ctx["deprivation"]).to_numpy()
    log_size = rows["ons_code"].map(ctx["log_size"]).to_numpy()

    start_year = rows["financial_year"].str[:4].astype(int).to_numpy()
    concluded = pd.to_datetime(pd.Series(start_year.astype(str)) + "-04-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    started = concluded - pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    concern = started - pd.to_timedelta(rng.integers(0, 30, n), unit="D")
    age = np.clip(np.rint(rng.normal(72, 17, n)), 18, 104).astype(int)

    # case mix: more deprived councils see more people lacking capacity and more self-neglect
    harder = spec.case_mix and spec.deprivation_on_culture != 0
    capacity = _choice(rng, CAPACITY_SHARES, n)
    if harder:
        shift = rng.random(n) < np.clip(0.06 * deprivation, 0, 1)
        capacity = np.where(shift, "Yes, they lacked capacity", capacity)
    first_risk = _choice(rng, RISK_TYPE_SHARES, n)
    if harder:
        first_risk = np.where(rng.random(n) < np.clip(0.04 * deprivation, 0, 1), "Self-Neglect", first_risk)
    second_risk = _choice(rng, RISK_TYPE_SHARES, n)
    risk_types = np.where((rng.random(n) < 0.2) & (second_risk != first_risk), first_risk + "; " + second_risk, first_risk)
    location = _choice(rng, LOCATION_SHARES, n)
    support_labels = canonical_labels("primary_support_reason")
    support_index = rng.choice(len(support_labels), size=n, p=np.array(SUPPORT_REASON_SHARES) / sum(SUPPORT_REASON_SHARES))
    support = np.array(support_labels, dtype=object)[support_index]

    case_mix = (_case_mix_log_odds(age, capacity, risk_types, location, support_index) if spec.case_mix
                else np.zeros(n))
    case_mix = case_mix - case_mix.mean()
    hidden = rng.normal(0, spec.unrecorded_difficulty_sd, n) if spec.unrecorded_difficulty_sd else np.zeros(n)
    keys = pd.MultiIndex.from_arrays([rows["ons_code"], rows["financial_year"]])
    culture = _culture_log_odds(spec, keys, latent, scored)

    # selection: asked and expressed more often where culture is better, less often for harder cases
    lat = latent.set_index(["ons_code", "wave"]).reindex(keys)
    mean_culture = lat[list(MODEL_TERMS)].mean(axis=1).to_numpy()
    select = (_logit(ASKED_SHARES[EXPRESSED]) + spec.selection_culture * mean_culture
              + spec.selection_difficulty * (case_mix + hidden))
    expressed = rng.random(n) < 1 / (1 + np.exp(-select))
    others = {k: v for k, v in ASKED_SHARES.items() if k != EXPRESSED}
    asked = np.where(expressed, EXPRESSED, _choice(rng, others, n))

    year_effect = {y: 0.05 * i for i, y in enumerate(sorted(rows["financial_year"].unique()))}
    logit = (spec.intercept + rows["financial_year"].map(year_effect).to_numpy()
             + rows["ons_code"].map(council_effect).to_numpy() + culture + case_mix + hidden
             + spec.deprivation_on_outcome * deprivation + spec.size_on_outcome * log_size)
    draw = rng.random(n)
    fully = draw < 1 / (1 + np.exp(-logit))
    partial = rng.random(n) < PARTIAL_GIVEN_NOT_FULLY
    if spec.partial_log_odds:  # one latent logistic: proportional odds hold (same draw, so fully is unchanged)
        partial = draw < 1 / (1 + np.exp(-(logit + spec.partial_log_odds)))
    achieved = np.where(fully, "Fully Achieved", np.where(partial, "Partially Achieved", "Not Achieved"))

    enquiry_type = np.where(rng.random(n) < S42_SHARE, "Section 42", "Other")
    assessment = _choice(rng, ASSESSMENT_SHARES, n)
    risk_outcome = np.where(assessment == "Risk identified and action taken", _choice(rng, RISK_OUTCOME_SHARES, n), "")
    support_given = np.where(capacity == "Yes, they lacked capacity", np.where(rng.random(n) < 0.85, "Yes", "No"), "")

    enquiry_ids = rng.choice(16**9, size=n, replace=False)
    person_pool = max(1, int(n * 0.85))
    person_ids = rng.integers(0, person_pool, n) + 16**7
    share = float(fully[expressed].mean()) if expressed.any() else float("nan")

    return pd.DataFrame({
        "enquiry_id": [f"EQ{v:09x}" for v in enquiry_ids],
        "person_id": [f"PN{v:08x}" for v in person_ids],
        "ons_code": rows["ons_code"],
        "cassr_code": rows["cassr_code"],
        "locality": np.array(["North team", "South team", "Central team"], dtype=object)[rng.integers(0, 3, n)],
        "enquiry_type": enquiry_type,
        "concern_date": concern.dt.strftime("%Y-%m-%d"),
        "enquiry_start_date": started.dt.strftime("%Y-%m-%d"),
        "concluded_date": concluded.dt.strftime("%Y-%m-%d"),
        "financial_year": rows["financial_year"],
        "age": age,
        "sex": _choice(rng, {"Female": 0.6, "Male": 0.39, "Not Known": 0.01}, n),
        "ethnicity": _choice(rng, dict(zip(canonical_labels("ethnicity"), (0.83, 0.01, 0.04, 0.03, 0.01, 0.01, 0.07), strict=True)), n),
        "primary_support_reason": support,
        "risk_types": risk_types,
        "risk_location": location,
        "risk_source": _choice(rng, SOURCE_SHARES, n),
        "risk_assessment_outcome": assessment,
        "risk_outcome": risk_outcome,
        "lacked_capacity": capacity,
        "capacity_support": support_given,
        "msp_asked": asked,
        "msp_outcome_achieved": np.where(expressed, achieved, ""),
    }), share


# --- what a correct analysis should estimate ---------------------------------------------------------


STORED_TARGETS = Path(__file__).with_name("simulation_targets.json")
STORED_REPLICATES = 100
# Scenarios whose recovery is checked at 200 or more replications against targets that are not zero by
# construction need more draws: the Monte Carlo SE of a slope is about 0.025/sqrt(draws) (0.002-0.003 at
# 100, as large as the bias such a check resolves; at 100 draws realistic's staffing targets came out
# 0.003-0.005 too high and the benchmark read that as a bias of the models). confounded-null's checked
# targets (adjusted, within/between) are exactly 0 whatever the draws.
STORED_REPLICATES_BY_SCENARIO = {"realistic": 1000}
GENERATOR_VERSION = 3  # raise when the generator or the targets change (then rewrite the stored targets)
# scenario fields the targets do not depend on (record-level draws only): changing them keeps the stored targets
NOT_IN_TARGETS = ("description", "intercept", "case_mix", "selection_culture", "selection_difficulty", "partial_log_odds")


def _fingerprint(spec: Scenario, replicates: int, years: tuple[str, ...]) -> str:
    """What the targets of a scenario depend on, as a short hash (the stored ones are used only when it matches)."""
    relevant = {k: v for k, v in asdict(spec).items() if k not in NOT_IN_TARGETS}
    payload = json.dumps({"spec": relevant, "replicates": replicates, "years": list(years), "seed": TARGET_SEED,
                          "version": GENERATOR_VERSION}, sort_keys=True, default=list)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@functools.cache
def targets(name: str, years: tuple[str, ...] = SIM_YEARS) -> dict:
    """What a correct analysis should estimate in scenario `name`: stored (:data:`STORED_TARGETS`) or computed.

    The stored targets (:data:`STORED_REPLICATES` replicates of England) are used when their
    fingerprint matches the scenario, the years and :data:`GENERATOR_VERSION`; otherwise
    :func:`compute_targets` runs with :data:`TARGET_REPLICATES` replicates (a few seconds), or
    :data:`OTHER_YEARS_REPLICATES` for years other than :data:`SIM_YEARS`.
    """
    spec = scenario(name)
    if STORED_TARGETS.is_file():
        stored = json.loads(STORED_TARGETS.read_text(encoding="utf-8")).get(name)
        if stored and stored.get("fingerprint") == _fingerprint(spec, stored_replicates(name), years):
            return stored
    return compute_targets(name, TARGET_REPLICATES if years == SIM_YEARS else OTHER_YEARS_REPLICATES, years)


def stored_replicates(name: str) -> int:
    """Draws of England the stored targets of scenario `name` average over (:data:`STORED_REPLICATES_BY_SCENARIO`)."""
    return STORED_REPLICATES_BY_SCENARIO.get(name, STORED_REPLICATES)


def write_stored_targets(replicates: int | None = None, names: tuple[str, ...] | None = None) -> Path:
    """Compute the targets of every scenario (or of `names`) and write :data:`STORED_TARGETS`.

    Each scenario with :func:`stored_replicates` draws unless `replicates` says otherwise; the
    entries of scenarios not in `names` are kept. Run after changing the generator (and raising
    GENERATOR_VERSION): ``python -c "from msp_analysis.analysis.simulate import write_stored_targets;
    write_stored_targets()"`` (realistic's 1000 draws take about ten minutes).
    """
    payload = json.loads(STORED_TARGETS.read_text(encoding="utf-8")) if STORED_TARGETS.is_file() else {}
    for name in names or tuple(SCENARIOS):
        payload[name] = compute_targets(name, replicates or stored_replicates(name))
    payload = {name: payload[name] for name in SCENARIOS if name in payload}
    STORED_TARGETS.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return STORED_TARGETS


def council_draw(rng: np.random.Generator, spec: Scenario, frame: pd.DataFrame, ons: np.ndarray,
                 years: tuple[str, ...]) -> pd.DataFrame:
    """One draw of England's councils as the targets see it: per council-year the true log-odds ``eta``
    (culture, lagged culture, context; no council intercept, year effect or case mix), the
    covariates, the weight (council size) and the scored indicators of every design
    (``z_``, ``_between``, ``_within``, ``_lag1``), and the draw's SD of each indicator's council
    scores in score points (``sd_``: one z unit). The same draws, in the same order, as
    :func:`simulate` makes of the councils and temperature checks, whatever the scale: no draw of
    the councils or temperature checks depends on it (only the records do)."""
    context = _council_context(rng, frame, ons)
    latent = _latent_culture(rng, spec, context, years)
    scored = _scored_indicators(_temperature_check(rng, spec, frame, latent)).reset_index()
    keys = pd.MultiIndex.from_arrays([frame["ons_code"], frame["financial_year"]])
    ctx = context.set_index("ons_code")
    cw = frame[["ons_code", "financial_year"]].assign(
        eta=_culture_log_odds(spec, keys, latent, scored.set_index(["ons_code", "wave"]))
        + spec.deprivation_on_outcome * frame["ons_code"].map(ctx["deprivation"]).to_numpy()
        + spec.size_on_outcome * frame["ons_code"].map(ctx["log_size"]).to_numpy(),
        deprivation=frame["ons_code"].map(ctx["deprivation"]).to_numpy(),
        log_size=frame["ons_code"].map(ctx["log_size"]).to_numpy(),
        weight=frame["ons_code"].map(ctx["size"]).to_numpy())
    z = scored.rename(columns={"wave": "financial_year"})[["ons_code", "financial_year",
                                                           *[f"z_{t}" for t in MODEL_TERMS]]]
    cw = cw.merge(z, on=["ons_code", "financial_year"], how="left")
    for t in MODEL_TERMS:  # the draw's SD of the council scores: the score points its z-scores are per
        cw[f"sd_{t}"] = float(scored[t].std(ddof=1))
    for t in MODEL_TERMS:
        between = cw.groupby("ons_code")[f"z_{t}"].transform("mean")
        cw[f"{t}_between"], cw[f"{t}_within"] = between, cw[f"z_{t}"] - between
        prior = z.assign(financial_year=[_shift(y, 1) for y in z["financial_year"]])[
            ["ons_code", "financial_year", f"z_{t}"]].rename(columns={f"z_{t}": f"{t}_lag1"})
        cw = cw.merge(prior, on=["ons_code", "financial_year"], how="left")
    return cw


def compute_targets(name: str, replicates: int = TARGET_REPLICATES, years: tuple[str, ...] = SIM_YEARS) -> dict:
    """What a correct analysis of the scored indicators should estimate in scenario `name`, and why.

    The council log-odds the scenario draws outcomes from (culture, lagged culture, deprivation,
    size) is projected, weighted by council size, onto each analysis's council-level design
    (z-scored indicators as the models score them, year effects, and the council covariates), over
    `replicates` independent draws of England's councils and temperature checks with a fixed seed.
    The slopes of that projection are the targets of a model conditional on the council (``mixed``);
    population-averaged models (``glm_cluster``, ``gee``) aim at them shrunk by
    1/sqrt(1 + 0.346 (council SD² + residual variance)), given as ``marginal``.

    The projection is multivariate (all of an analysis's terms at once), so it already carries how
    measurement error in correlated indicators moves effect from one to another (Σ_z⁻¹ Cov(z, η),
    not each effect times its reliability). Its Monte Carlo error is the spread of the same
    projection fitted to each draw alone over sqrt(draws) (``monte_carlo_se``): a recovery check
    whose bias resolution (SD of the estimates / sqrt(replications)) is not well above it needs
    more draws (:data:`STORED_REPLICATES_BY_SCENARIO`).

    Returns
    -------
    dict
        One entry per analysis (``unadjusted``, ``adjusted``, ``within_between``, ``lag1``): its
        ``design``, ``conditional`` and ``marginal`` slopes per term, their ``monte_carlo_se``, and ``why``.
    """
    spec = scenario(name)
    rng = np.random.default_rng(TARGET_SEED)
    frame = council_frame(years)
    ons = np.array(sorted(frame["ons_code"].unique()))
    stacked = [council_draw(rng, spec, frame, ons, years).assign(rep=rep) for rep in range(replicates)]
    data = pd.concat(stacked, ignore_index=True)
    data["rep_year"] = data["rep"].astype(str) + data["financial_year"]
    z_terms = [f"z_{t}" for t in MODEL_TERMS]
    designs = {
        "unadjusted": (z_terms, [], "z-scored indicators and year effects only (what `model outcome` fitted "
                       "before); confounded wherever context drives culture"),
        "adjusted": (z_terms, list(COVARIATES), "indicators adjusted for deprivation and size (and, at record "
                     "level, the case mix); attenuated by the measurement error of the council scores, all "
                     "indicators at once (error in correlated indicators also moves effect between them)"),
        "within_between": ([f"{t}_{part}" for t in MODEL_TERMS for part in ("between", "within")], list(COVARIATES),
                           "Mundlak split: council mean over waves and the wave deviation from it, adjusted; "
                           "the within slope is free of anything constant within a council"),
        "lag1": ([f"{t}_lag1" for t in MODEL_TERMS], list(COVARIATES), "indicators of the previous wave, adjusted"),
    }
    out: dict = {"replicates": replicates, "seed": TARGET_SEED, "fingerprint": _fingerprint(spec, replicates, years),
                 "note": ("targets of the named analyses of the scored indicators on the log-odds of fully achieved; "
                          "record-level case mix and selection are not in this projection, so where selection "
                          "depends on an unrecorded case difficulty (scenario 'selection') no analysis reaches them; "
                          f"averaged over {replicates} draws of England's councils and temperature checks "
                          "(monte_carlo_se: the Monte Carlo standard error of each slope; with 100 draws it was "
                          "0.002-0.003, enough to shift a target by more than the bias a 200-replication "
                          "recovery check resolves, so realistic's targets average over 1000); per_point: the same "
                          "per score point of the council scores, whose product with one simulation's SDs "
                          "(this_simulation in its truth) is what a model's slope per 1 SD of that simulation's "
                          "scores aims at; no target depends on the scale, which sets only the number of records "
                          "(the temperature checks, hence the scores' reliability, are the same at every scale)")}
    for analysis, (terms, covariates, why) in designs.items():
        used = data.dropna(subset=terms)
        if len(years) < 2 and analysis in ("within_between", "lag1"):
            out[analysis] = {"design": terms + covariates, "conditional": {}, "marginal": {},
                             "why": "needs two or more waves"}
            continue
        # year effects of each replicate by weighted demeaning within replicate × year (Frisch-Waugh: the
        # slopes of the regression with a dummy per replicate-year, without a column per replicate-year)
        w = used["weight"].to_numpy(float)
        X, y = _demeaned(used[terms + covariates].to_numpy(float), used["eta"].to_numpy(float), w,
                         used["rep_year"].to_numpy())
        coef = np.linalg.lstsq(X * np.sqrt(w)[:, None], y * np.sqrt(w), rcond=None)[0]
        residual = float(np.average((y - X @ coef) ** 2, weights=w))
        # Monte Carlo error: the spread of the same projection fitted to each replicate alone
        reps = used["rep"].to_numpy()
        each = np.array([np.linalg.lstsq(X[reps == r] * np.sqrt(w[reps == r])[:, None],
                                         y[reps == r] * np.sqrt(w[reps == r]), rcond=None)[0][:len(terms)]
                         for r in np.unique(reps)])
        mc_se = each.std(axis=0, ddof=1) / math.sqrt(len(each)) if len(each) > 1 else np.full(len(terms), np.nan)
        # a model that does not adjust for the case mix averages over it too (version 2 of the targets)
        unadjusted_case_mix = case_mix_variance() if spec.case_mix and analysis == "unadjusted" else 0.0
        shrink = 1 / math.sqrt(1 + LOGIT_MARGINAL * (spec.council_sd**2 + residual
                                                     + spec.unrecorded_difficulty_sd**2 + unadjusted_case_mix))
        slopes = {name.removeprefix("z_"): float(coef[i]) for i, name in enumerate(terms)}
        out[analysis] = {"design": terms + covariates, "conditional": {k: round(v, 4) for k, v in slopes.items()},
                         "marginal": {k: round(v * shrink, 4) for k, v in slopes.items()},
                         "monte_carlo_se": {name.removeprefix("z_"): round(float(mc_se[i]), 4)
                                            for i, name in enumerate(terms)},
                         "residual_variance": round(residual, 4), "why": why}
        if not spec.on_scored:
            sd = used[[f"sd_{indicator_of(name)}" for name in terms]].to_numpy(float)
            out[analysis]["per_point"] = _per_point(X, y, w, reps, sd, terms, spec, unadjusted_case_mix)
    return out


def indicator_of(term: str) -> str:
    """The indicator a design column or term is of: ``z_supervision``, ``supervision_between`` -> ``supervision``."""
    name = term.removeprefix("z_")
    for suffix in ("_between", "_within", "_lag1"):
        name = name.removesuffix(suffix)
    return name


def _per_point(X: np.ndarray, y: np.ndarray, w: np.ndarray, reps: np.ndarray, sd: np.ndarray, terms: list[str],
               spec: Scenario, unadjusted_case_mix: float) -> dict:
    """The same projection per score point of the council scores (each draw's z columns times that draw's SD).

    A model's slope is per 1 SD *of the scores it was given*: its interval is for the effect of
    that many score points, which differs from draw to draw. Per point the target is one number
    (``conditional``/``marginal``, with ``monte_carlo_se``); the target of one simulation per 1 SD
    of its own scores is that times its SDs (``truth["targets"][analysis]["this_simulation"]``).
    """
    k = len(terms)
    Xp = X.copy()
    Xp[:, :k] = X[:, :k] * sd  # within a replicate-year the SD is constant, so the demeaning carries over
    coef = np.linalg.lstsq(Xp * np.sqrt(w)[:, None], y * np.sqrt(w), rcond=None)[0]
    residual = float(np.average((y - Xp @ coef) ** 2, weights=w))
    each = np.array([np.linalg.lstsq(Xp[reps == r] * np.sqrt(w[reps == r])[:, None],
                                     y[reps == r] * np.sqrt(w[reps == r]), rcond=None)[0][:k]
                     for r in np.unique(reps)])
    mc_se = each.std(axis=0, ddof=1) / math.sqrt(len(each)) if len(each) > 1 else np.full(k, np.nan)
    shrink = 1 / math.sqrt(1 + LOGIT_MARGINAL * (spec.council_sd**2 + residual + spec.unrecorded_difficulty_sd**2
                                                 + unadjusted_case_mix))
    names = [name.removeprefix("z_") for name in terms]
    return {"conditional": {n: round(float(coef[i]), 5) for i, n in enumerate(names)},
            "marginal": {n: round(float(coef[i]) * shrink, 5) for i, n in enumerate(names)},
            "monte_carlo_se": {n: round(float(mc_se[i]), 5) for i, n in enumerate(names)},
            "score_sd": {indicator_of(n): round(float(sd[:, i].mean()), 5) for i, n in enumerate(names)}}


def _with_this_simulation(stored: dict, score_sd: dict[str, float]) -> dict:
    """The scenario's targets with ``this_simulation`` (:func:`this_simulation`) added to each analysis."""
    for analysis, aims in this_simulation(stored, score_sd).items():
        stored[analysis]["this_simulation"] = aims
    return stored


def this_simulation(targets_of_scenario: dict, score_sd: dict[str, float]) -> dict:
    """Each analysis's targets per 1 SD of one simulation's own council scores: per point times its SDs.

    What the models' intervals (per 1 SD of the scores they were given, that SD treated as the
    unit) should cover in that simulation. Analyses without ``per_point`` (``easy``, whose effects
    are per SD of the scores as drawn) keep their per-SD targets.
    """
    out = {}
    for analysis, entry in targets_of_scenario.items():
        if not isinstance(entry, dict) or "conditional" not in entry:
            continue
        point = entry.get("per_point")
        if point is None:
            out[analysis] = {"conditional": dict(entry["conditional"]), "marginal": dict(entry["marginal"])}
            continue
        out[analysis] = {scale: {term: round(value * score_sd[indicator_of(term)], 4)
                                 for term, value in point[scale].items()} for scale in ("conditional", "marginal")}
    return out


def _demeaned(X: np.ndarray, y: np.ndarray, w: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`X` and `y` minus their `w`-weighted means within each group (the group's fixed effect swept out)."""
    codes = pd.factorize(groups)[0]
    total = np.bincount(codes, weights=w)
    columns = np.column_stack([X, y])
    means = np.column_stack([np.bincount(codes, weights=w * c) for c in columns.T]) / total[:, None]
    swept = columns - means[codes]
    return swept[:, :-1], swept[:, -1]


@functools.cache
def case_mix_variance(draws: int = 200_000) -> float:
    """Variance of the case-mix log-odds (CASE_MIX_EFFECTS) over the simulator's case-mix shares, by Monte Carlo.

    About 0.10: a model that leaves the case mix out averages over it as over the council
    intercept, which shrinks its population-averaged slopes a little more (``unadjusted`` targets).
    """
    rng = np.random.default_rng(TARGET_SEED)
    age = np.clip(np.rint(rng.normal(72, 17, draws)), 18, 104)
    capacity = _choice(rng, CAPACITY_SHARES, draws)
    first, second = _choice(rng, RISK_TYPE_SHARES, draws), _choice(rng, RISK_TYPE_SHARES, draws)
    risk_types = np.where((rng.random(draws) < 0.2) & (second != first), first + "; " + second, first)
    location = _choice(rng, LOCATION_SHARES, draws)
    shares = np.array(SUPPORT_REASON_SHARES) / sum(SUPPORT_REASON_SHARES)
    support = rng.choice(len(shares), size=draws, p=shares)
    return float(_case_mix_log_odds(age, capacity, risk_types, location, support).var())


def _messy(rng: np.random.Generator, records: pd.DataFrame) -> pd.DataFrame:
    """Inject recoverable messiness at the rates of ``MESSINESS``."""
    out = records.copy()
    n = len(out)
    labels = read_codebook("labels.csv")
    variants = labels[labels["variant"] != labels["canonical"]]
    for column, group in variants.groupby("field"):
        if column == "risk_types":
            continue
        for canonical, options in group.groupby("canonical"):
            hit = (out[column] == canonical).to_numpy() & (rng.random(n) < MESSINESS["label_variant"])
            out.loc[hit, column] = options["variant"].to_numpy()[rng.integers(0, len(options), hit.sum())]
    for column in ("sex", "risk_location", "msp_asked", "risk_assessment_outcome"):
        hit = rng.random(n) < MESSINESS["label_case_spacing"]
        out.loc[hit, column] = " " + out.loc[hit, column].str.upper() + "  "
    for column, marker in (("sex", "Unknown"), ("ethnicity", ""), ("primary_support_reason", "N/K")):
        hit = rng.random(n) < MESSINESS["unknown_marker"]
        out.loc[hit, column] = marker
    risk_variants = variants[variants["field"] == "risk_types"]
    slash = rng.random(n) < MESSINESS["risk_types_slash"]
    short = dict(zip(risk_variants["canonical"], risk_variants["variant"], strict=True))
    out.loc[slash, "risk_types"] = out.loc[slash, "risk_types"].map(
        lambda cell: "/".join(short.get(p, p) for p in cell.split("; ")))

    year = out["financial_year"]
    start = year.str[:4]
    formats = [start + "/" + year.str[5:], start + "-" + (start.astype(int) + 1).astype(str),
               start + " to " + (start.astype(int) + 1).astype(str), "FY" + start, start.str[2:] + "/" + year.str[5:]]
    which = rng.integers(0, len(formats), n)
    hit = rng.random(n) < MESSINESS["financial_year_format"]
    for i, values in enumerate(formats):
        out.loc[hit & (which == i), "financial_year"] = values[hit & (which == i)]

    hit = rng.random(n) < MESSINESS["cassr_code_as_float"]
    out.loc[hit, "cassr_code"] = out.loc[hit, "cassr_code"].astype(str) + ".0"
    blank = rng.random(n) < MESSINESS["ons_code_blank_use_cassr"]
    out.loc[blank, "ons_code"] = ""
    hit = (rng.random(n) < MESSINESS["ons_code_case_spacing"]) & ~blank
    out.loc[hit, "ons_code"] = " " + out.loc[hit, "ons_code"].str.lower()
    for column in ("concern_date", "enquiry_start_date", "concluded_date"):
        hit = rng.random(n) < MESSINESS["uk_date_format"]
        out.loc[hit, column] = pd.to_datetime(out.loc[hit, column]).dt.strftime("%d/%m/%Y")
    return out


def _parse_date(text: str) -> pd.Timestamp:
    return pd.to_datetime(text, format="%d/%m/%Y" if "/" in text else "%Y-%m-%d")


def _inject_faults(rng: np.random.Generator, records: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Make a known set of rows break exactly one consistency rule each."""
    out = records.copy()
    n = len(out)
    n_faults = int(round(FAULT_RATE * n))
    rows = rng.choice(np.arange(1, n), size=n_faults, replace=False)
    kinds = np.array(FAULTS)[np.arange(n_faults) % len(FAULTS)]
    faulty = set(rows.tolist())
    clean_rows = np.array([i for i in range(n) if i not in faulty])
    for row, kind in zip(rows, kinds, strict=True):
        if kind == "achieved_without_expressed":
            out.loc[row, ["msp_asked", "msp_outcome_achieved"]] = ["No", "Fully Achieved"]
        elif kind == "start_after_concluded":
            concluded = _parse_date(out.loc[row, "concluded_date"])
            out.loc[row, "enquiry_start_date"] = (concluded + pd.Timedelta(days=10)).strftime("%Y-%m-%d")
            out.loc[row, "concern_date"] = (concluded - pd.Timedelta(days=5)).strftime("%Y-%m-%d")
        elif kind == "under_18":
            out.loc[row, "age"] = 16
        elif kind == "duplicate_enquiry_id":
            earlier = clean_rows[clean_rows < row]
            out.loc[row, "enquiry_id"] = str(out.at[int(earlier[rng.integers(len(earlier))]), "enquiry_id"])
        elif kind == "unknown_council":
            out.loc[row, ["ons_code", "cassr_code"]] = ["E06999999", ""]
        elif kind == "risk_outcome_without_action":
            out.loc[row, ["risk_assessment_outcome", "risk_outcome"]] = ["No risk identified and no action taken", "Risk reduced"]
        elif kind == "year_contradicts_date":
            concluded = _parse_date(out.loc[row, "concluded_date"])
            start = concluded.year if concluded.month >= 4 else concluded.year - 1
            out.loc[row, "financial_year"] = f"{start - 1}-{start % 100:02d}"
    counts = pd.Series(kinds).value_counts()
    return out, {kind: int(counts.get(kind, 0)) for kind in FAULTS}
