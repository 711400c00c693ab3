"""Synthetic MSP data for every council in England with known true effects.

The embedded default: `make demo` and the tests run on this instead of personal data.
Outcomes are generated from culture indicators *as scored from the simulated returns*
(scored with :mod:`msp_analysis.analysis.indicators`, then standardised across all council-waves, as
``msp-analysis model outcome`` does), so a
correct model recovers ``truth["effects"]`` without attenuation from measurement error.

Messiness is injected at documented rates (``MESSINESS``) and a known number of rows
break a consistency rule, so a correct cleaner rejects exactly ``truth["expected_rejects"]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from msp_analysis.analysis.indicators import council_scores, standardise
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
ROWS_AT_SCALE_1 = 100_000
TRUE_EFFECTS = {"supervision": 0.30, "staffing": 0.20, "complaints_learning": 0.15}
COUNCIL_SD = 0.25
INTERCEPT = 0.80  # log-odds of "fully achieved" for a council at the mean of every indicator
PARTIAL_GIVEN_NOT_FULLY = 0.82  # keeps fully-or-partially near the published 93-95%

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

# Council volume weights: counties carry the most enquiries, City of London and the
# Isles of Scilly very few. Approximate shape only; there is no council-level SAC file here.
TYPE_WEIGHT = {"Shire County": 3.0, "Metropolitan District": 1.1, "Unitary Authority": 0.8, "London Borough": 0.7}
TINY_COUNCILS = {"E09000001": 0.03, "E06000053": 0.02}

ASKED_SHARES = {
    "Yes they were asked and outcomes were expressed": 0.79,
    "Yes they were asked but no outcomes were expressed": 0.06,
    "No": 0.09,
    "Don't Know": 0.03,
    "Not Recorded": 0.03,
}
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


@dataclass
class Simulation:
    """Raw files as a council or region would send them, plus the truth behind them."""

    evaluation: pd.DataFrame
    temperature_check: pd.DataFrame
    truth: dict


def _choice(rng: np.random.Generator, shares: dict[str, float], size: int) -> np.ndarray:
    labels = list(shares)
    p = np.array(list(shares.values()), dtype=float)
    return np.array(labels, dtype=object)[rng.choice(len(labels), size=size, p=p / p.sum())]


def council_frame(years: tuple[str, ...] = SIM_YEARS) -> pd.DataFrame:
    """Every council of each simulated year (the geography of that year)."""
    return pd.concat([geography.councils(y).assign(financial_year=y) for y in years], ignore_index=True)


def simulate(seed: int, scale: float = 1.0, years: tuple[str, ...] = SIM_YEARS) -> Simulation:
    """Simulate evaluation exports and temperature-check returns for every council.

    >>> sim = simulate(seed=1, scale=0.05)
    >>> sorted(sim.truth["effects"])
    ['complaints_learning', 'staffing', 'supervision']
    """
    if scale <= 0:
        raise ParameterError(f"scale must be positive, got {scale}")
    rng = np.random.default_rng(seed)
    frame = council_frame(years)
    ons_all = np.array(sorted(frame["ons_code"].unique()))
    latent = _latent_culture(rng, ons_all, years)
    returns = _temperature_check(rng, frame, latent)
    scored = _scored_indicators(returns)
    council_effect = dict(zip(ons_all, rng.normal(0, COUNCIL_SD, size=len(ons_all)), strict=True))
    records = _records(rng, frame, scored, council_effect, scale)
    evaluation, faults = _inject_faults(rng, _messy(rng, records))
    truth = {
        "seed": seed,
        "scale": scale,
        "years": list(years),
        "effects": dict(TRUE_EFFECTS),
        "effects_scale": "log-odds of fully achieved (of expressed outcomes) per 1 SD of the council "
        "indicator scored from the simulated returns and standardised across all council-waves",
        "intercept": INTERCEPT,
        "council_random_effect_sd": COUNCIL_SD,
        "rows": int(len(evaluation)),
        "expected_rejects": int(sum(faults.values())),
        "expected_clean_rows": int(len(evaluation) - sum(faults.values())),
        "faults": faults,
        "messiness": dict(MESSINESS),
        "fault_rate": FAULT_RATE,
        "temperature_check_rows": int(len(returns)),
    }
    return Simulation(evaluation=evaluation, temperature_check=_returns_as_text(returns), truth=truth)


def _latent_culture(rng: np.random.Generator, ons: np.ndarray, years: tuple[str, ...]) -> pd.DataFrame:
    """Latent culture per council and wave: correlated indicators, a little drift between waves."""
    indicators = sorted(likert_items()["indicator"].unique())
    k = len(indicators)
    cov = np.full((k, k), 0.3) + np.eye(k) * 0.7
    base = rng.multivariate_normal(np.zeros(k), cov, size=len(ons))
    rows = []
    for wave in years:
        drift = rng.normal(0, 0.2, size=base.shape)
        rows.append(pd.DataFrame(base + drift, columns=indicators).assign(ons_code=ons, wave=wave))
    return pd.concat(rows, ignore_index=True)


def _temperature_check(rng: np.random.Generator, frame: pd.DataFrame, latent: pd.DataFrame) -> pd.DataFrame:
    """Numeric returns: one row per organisation × respondent × wave.

    Organisation types and roles are those a return lists (the codebook's): the council's own
    (``Local authority``) plus one to three partners, and a named staff role for every person.
    """
    (council_type,) = organisation_types("council")
    partner_types, roles = organisation_types("partner"), respondent_roles("staff")
    items = likert_items()
    item_ids, reverse = items["item_id"].tolist(), items["reverse_coded"].to_numpy(dtype=bool)
    lat = latent.set_index(["ons_code", "wave"])
    rows = []
    for ons, name, region, wave in frame[["ons_code", "name", "region", "financial_year"]].itertuples(index=False):
        partners = rng.choice(len(partner_types), size=rng.integers(1, 4), replace=False)
        orgs = [(f"{ons}-LA", f"{name} Council", council_type)] + [
            (f"{ons}-P{j}", f"{name} {partner_types[j]}", partner_types[j]) for j in sorted(partners)
        ]
        culture = lat.loc[(ons, wave)]
        item_culture = culture[items["indicator"]].to_numpy(dtype=float)  # once per council-wave, not per person
        staffing = float(culture["staffing"])
        for org_id, org_name, org_type in orgs:
            org_offset = rng.normal(0, 0.3)
            for _ in range(int(rng.integers(2, 6))):
                person = org_offset + rng.normal(0, 0.4)
                level = item_culture + person
                answer = 3.3 + 0.8 * level + rng.normal(0, 0.6, size=len(item_ids))
                answer = np.where(reverse, 6 - answer, answer)
                answer = np.clip(np.rint(answer), 1, 5)
                answer[rng.random(len(item_ids)) < 0.03] = np.nan
                rows.append({
                    "org_id": org_id, "org_name": org_name, "org_type": org_type, "ons_code": ons,
                    "region": region, "wave": wave, "respondent_role": roles[int(rng.integers(len(roles)))],
                    **dict(zip(item_ids, answer, strict=True)),
                    "stf_turnover_pct": round(float(np.clip(28 - 4 * staffing + rng.normal(0, 4), 3, 60)), 1),
                    "stf_vacancy_pct": round(float(np.clip(10 - 2.5 * staffing + rng.normal(0, 3), 0, 40)), 1),
                    "stf_caseload": round(float(np.clip(18 - 2 * staffing + rng.normal(0, 3), 4, 40)), 1),
                })
    return pd.DataFrame(rows)


def _scored_indicators(returns: pd.DataFrame) -> pd.DataFrame:
    """Council × wave z-scores of the three model indicators, scored and standardised as the models do."""
    scores = council_scores(returns)
    return standardise(scores, list(TRUE_EFFECTS), by=None).set_index(["ons_code", "wave"])


def _returns_as_text(returns: pd.DataFrame) -> pd.DataFrame:
    """Likert answers written as their labels, as a return template would hold them."""
    out = returns.copy()
    labels = np.array(("",) + LIKERT_LABELS, dtype=object)
    for item in likert_items()["item_id"]:
        codes = out[item].fillna(0).astype(int).to_numpy()
        out[item] = labels[codes]
    return out


def _records(
    rng: np.random.Generator, frame: pd.DataFrame, scored: pd.DataFrame, council_effect: dict, scale: float
) -> pd.DataFrame:
    """Clean record-level enquiries with outcomes drawn from the scored indicators."""
    weights = frame["council_type"].map(TYPE_WEIGHT).to_numpy() * frame["ons_code"].map(TINY_COUNCILS).fillna(1).to_numpy()
    size_noise = frame["ons_code"].map(dict(zip(frame["ons_code"].unique(), rng.lognormal(0, 0.3, frame["ons_code"].nunique()), strict=True)))
    weights = weights * size_noise.to_numpy()
    per_year = ROWS_AT_SCALE_1 * scale / frame["financial_year"].nunique()
    year_totals = frame.assign(w=weights).groupby("financial_year")["w"].transform("sum").to_numpy()
    counts = rng.poisson(per_year * weights / year_totals)
    rows = frame.loc[frame.index.repeat(counts)].reset_index(drop=True)
    n = len(rows)

    start_year = rows["financial_year"].str[:4].astype(int).to_numpy()
    concluded = pd.to_datetime(pd.Series(start_year.astype(str)) + "-04-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    started = concluded - pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    concern = started - pd.to_timedelta(rng.integers(0, 30, n), unit="D")
    age = np.clip(np.rint(rng.normal(72, 17, n)), 18, 104).astype(int)

    z = scored.reindex(pd.MultiIndex.from_arrays([rows["ons_code"], rows["financial_year"]]))
    logit = INTERCEPT + rows["ons_code"].map(council_effect).to_numpy()
    for indicator, effect in TRUE_EFFECTS.items():
        logit = logit + effect * z[f"z_{indicator}"].fillna(0).to_numpy()
    fully = rng.random(n) < 1 / (1 + np.exp(-logit))
    partial = rng.random(n) < PARTIAL_GIVEN_NOT_FULLY
    achieved = np.where(fully, "Fully Achieved", np.where(partial, "Partially Achieved", "Not Achieved"))

    enquiry_type = np.where(rng.random(n) < 0.9, "Section 42", "Other")
    asked = _choice(rng, ASKED_SHARES, n)
    expressed = asked == "Yes they were asked and outcomes were expressed"
    assessment = _choice(rng, ASSESSMENT_SHARES, n)
    risk_outcome = np.where(assessment == "Risk identified and action taken", _choice(rng, RISK_OUTCOME_SHARES, n), "")
    capacity = _choice(rng, CAPACITY_SHARES, n)
    support = np.where(capacity == "Yes, they lacked capacity", np.where(rng.random(n) < 0.85, "Yes", "No"), "")
    first_risk = _choice(rng, RISK_TYPE_SHARES, n)
    second_risk = _choice(rng, RISK_TYPE_SHARES, n)
    risk_types = np.where((rng.random(n) < 0.2) & (second_risk != first_risk), first_risk + "; " + second_risk, first_risk)

    enquiry_ids = rng.choice(16**9, size=n, replace=False)
    person_pool = max(1, int(n * 0.85))
    person_ids = rng.integers(0, person_pool, n) + 16**7

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
        "primary_support_reason": _choice(rng, dict(zip(canonical_labels("primary_support_reason"),
                                                        (0.38, 0.02, 0.14, 0.13, 0.12, 0.05, 0.08, 0.08), strict=True)), n),
        "risk_types": risk_types,
        "risk_location": _choice(rng, LOCATION_SHARES, n),
        "risk_source": _choice(rng, SOURCE_SHARES, n),
        "risk_assessment_outcome": assessment,
        "risk_outcome": risk_outcome,
        "lacked_capacity": capacity,
        "capacity_support": support,
        "msp_asked": asked,
        "msp_outcome_achieved": np.where(expressed, achieved, ""),
    })


def _messy(rng: np.random.Generator, records: pd.DataFrame) -> pd.DataFrame:
    """Inject recoverable messiness at the rates of ``MESSINESS``."""
    out = records.copy()
    n = len(out)
    labels = read_codebook("labels.csv")
    variants = labels[labels["variant"] != labels["canonical"]]
    for field, group in variants.groupby("field"):
        if field == "risk_types":
            continue
        for canonical, options in group.groupby("canonical"):
            hit = (out[field] == canonical).to_numpy() & (rng.random(n) < MESSINESS["label_variant"])
            out.loc[hit, field] = options["variant"].to_numpy()[rng.integers(0, len(options), hit.sum())]
    for field in ("sex", "risk_location", "msp_asked", "risk_assessment_outcome"):
        hit = rng.random(n) < MESSINESS["label_case_spacing"]
        out.loc[hit, field] = " " + out.loc[hit, field].str.upper() + "  "
    for field, marker in (("sex", "Unknown"), ("ethnicity", ""), ("primary_support_reason", "N/K")):
        hit = rng.random(n) < MESSINESS["unknown_marker"]
        out.loc[hit, field] = marker
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
