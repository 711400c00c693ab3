"""Culture-indicator scores from temperature-check returns.

Scores are built bottom-up so that every level is inspectable: respondent (mean of the
indicator's answered items, reverse-coded items flipped), organisation (mean of its
respondents), council (mean of its organisations, each organisation weighted equally so
that a council sending ten respondents does not outvote its partners), and finally
standardised (``z_<indicator>``, mean 0 and SD 1), which is the scale the models use.

:func:`score_temperature_check` is the one call from a clean temperature-check frame to
the council × wave table the models take; it standardises across *all* council-waves in
the data, so a difference of one between two councils means the same in every wave (the
CLI contract: "standardised across all council-years in the data").

Weights (documented once here): every answered item of an indicator counts equally in a
respondent's score; every respondent with a score counts equally in their organisation's;
every organisation with a score counts equally in its council's (weight ``1 /
n_organisations``; an organisation without a score for an indicator is left out of that
indicator's mean and the others share its weight). The quantitative staffing items
(``stf_turnover_pct``, ``stf_vacancy_pct``, ``stf_caseload``) are averaged the same way.

The same scores can be built over other groupings of the instrument's items (``by``): the resource's
four groups of essential steps (``step_group``) or the CQC key question Table 1 files each item under
(``table1_column``), which is how the resource itself lays the steps and questions out. Items of the
item bank (``codebook/instrument.csv``, ``asked == "bank"``) are scored wherever a return carries them.
:func:`instrument_coverage` counts the instrument's items per step, group, key question, principle or
NHS England assurance theme.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from msp_analysis.clean.temperature_check import wide_answers  # the cleaner owns the long -> wide step
from msp_analysis.reference.codebook import (
    assurance_themes,
    instrument,
    likert_items,
    safeguarding_principles,
    step_groups,
)
from msp_analysis.toolkit.caches import frame_cache

ID_COLUMNS = ["org_id", "ons_code", "wave"]
COUNCIL_KEYS = ["ons_code", "wave"]
MIN_ANSWERED = 2
STAFFING_NUMBERS = ("stf_turnover_pct", "stf_vacancy_pct", "stf_caseload")
GROUPINGS = ("indicator", "step_group", "table1_column")
KEY_QUESTIONS = ("Safe", "Effective", "Caring", "Responsive", "Well-led")
COVERAGE_DIMENSIONS = ("msp_step", "step_group", "table1_column", "principle", "nhs_theme")


def _grouping(by: str) -> str:
    if by not in GROUPINGS:
        raise ValueError(f"by={by!r}; expected one of {', '.join(GROUPINGS)}")
    return by


def respondent_scores(returns: pd.DataFrame, min_answered: int = MIN_ANSWERED, by: str = "indicator") -> pd.DataFrame:
    """Per respondent row: mean item score for each indicator (1-5, higher = better culture).

    Items must be numeric 1-5 in columns named by ``item_id``. An indicator with fewer than
    `min_answered` answered items is missing rather than resting on one answer. `by` groups the
    items another way (``step_group``, ``table1_column``); the columns are then those groups.
    """
    items = likert_items(include_bank=True)
    items = items[items["item_id"].isin(returns.columns)]
    scores = pd.DataFrame(index=returns.index)
    for indicator, group in items.groupby(_grouping(by), sort=False):
        answers = _flipped(returns, group)
        enough = answers.notna().sum(axis=1) >= min_answered
        scores[indicator] = answers.mean(axis=1).where(enough)
    return scores


def _flipped(returns: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Answers to `items` as floats with reverse-coded items flipped (6 - answer), so high is good."""
    answers = returns[items["item_id"].tolist()].astype("float64")
    reversed_items = items.loc[items["reverse_coded"], "item_id"].tolist()
    answers[reversed_items] = 6 - answers[reversed_items]
    return answers


def _staffing_numbers(returns: pd.DataFrame) -> list[str]:
    return [c for c in STAFFING_NUMBERS if c in returns.columns]


def organisation_scores(returns: pd.DataFrame, min_answered: int = MIN_ANSWERED, by: str = "indicator") -> pd.DataFrame:
    """Organisation × wave indicator means (respondents weighted equally) and the organisation's weight.

    ``council_weight`` is 1 / (organisations of the council in that wave): each partner of a
    council counts as much as the council itself, whatever the number of its respondents.
    Quantitative staffing items, when present, are averaged over the organisation's respondents.

    >>> organisation_scores(wide).loc[:, ["org_id", "wave", "supervision", "council_weight"]]  # doctest: +SKIP
    """
    numbers = _staffing_numbers(returns)
    per_respondent = pd.concat(
        [returns[ID_COLUMNS].astype(str), respondent_scores(returns, min_answered, by),
         returns[numbers].astype("float64")], axis=1)
    values = [c for c in per_respondent.columns if c not in ID_COLUMNS]
    grouped = per_respondent.groupby(ID_COLUMNS, sort=True)
    per_org = grouped[values].mean().join(grouped.size().rename("n_respondents")).reset_index()
    orgs_in_council = per_org.groupby(COUNCIL_KEYS)["org_id"].transform("size")
    return per_org.assign(council_weight=1.0 / orgs_in_council)


def council_scores(returns: pd.DataFrame, min_answered: int = MIN_ANSWERED, by: str = "indicator") -> pd.DataFrame:
    """Council × wave indicator means: respondents averaged per organisation, organisations per council.

    Staffing numbers (``stf_turnover_pct`` …) are carried as council means when the returns have them.
    ``by="step_group"`` or ``"table1_column"`` gives one column per group of steps or key question instead.

    >>> council_scores(tidy_returns).loc[:, ["ons_code", "wave", "supervision"]]  # doctest: +SKIP
    """
    per_org = organisation_scores(returns, min_answered, by)
    values = [c for c in per_org.columns if c not in ID_COLUMNS + ["n_respondents", "council_weight"]]
    indicators = [c for c in values if c not in STAFFING_NUMBERS]
    numbers = [c for c in values if c in STAFFING_NUMBERS]
    grouped = per_org.groupby(COUNCIL_KEYS, sort=True)
    counts = grouped.agg(n_organisations=("org_id", "size"), n_respondents=("n_respondents", "sum"))
    per_council = grouped[indicators].mean().join(counts).join(grouped[numbers].mean())
    return per_council.reset_index()


def standardise(scores: pd.DataFrame, columns: list[str], by: str | None = "wave") -> pd.DataFrame:
    """Add ``z_<column>``: each indicator standardised (mean 0, SD 1, ddof=1).

    Within each value of `by` (default: within a wave); ``by=None`` pools every row, which
    is what :func:`score_temperature_check` and the models use (one scale for all waves).
    """
    out = scores.copy()
    values = out[columns].astype("float64")
    if by is None:
        z = (values - values.mean()) / values.std(ddof=1)
    else:
        grouped = values.groupby(out[by])
        z = (values - grouped.transform("mean")) / grouped.transform("std", ddof=1)
    return out.join(z.add_prefix("z_"))


def score_temperature_check(
    clean_long: pd.DataFrame, min_answered: int = MIN_ANSWERED, standardise_by: str | None = None
) -> pd.DataFrame:
    """Council × wave culture scores from a clean temperature-check frame, ready to link to outcomes.

    One row per council and wave: the mean score of every indicator (1-5), its ``z_`` score
    standardised across all council-waves in the data (``standardise_by="wave"`` standardises
    within each wave instead), ``n_organisations``, ``n_respondents`` and the council means of
    the staffing numbers present (``stf_turnover_pct``, ``stf_vacancy_pct``, ``stf_caseload``).

    >>> scores = score_temperature_check(clean_temperature_check(raw).clean)  # doctest: +SKIP
    >>> scores[["ons_code", "wave", "z_supervision", "n_organisations"]]       # doctest: +SKIP
    """
    scores = council_scores(wide_answers(clean_long), min_answered)
    indicators = [c for c in likert_items(include_bank=True)["indicator"].unique() if c in scores.columns]
    scored = standardise(scores, indicators, by=standardise_by)
    counts = ["n_organisations", "n_respondents"]
    numbers = [c for c in STAFFING_NUMBERS if c in scored.columns]
    order = COUNCIL_KEYS + indicators + [f"z_{c}" for c in indicators] + counts + numbers
    return scored[order].sort_values(COUNCIL_KEYS, kind="stable").reset_index(drop=True)


@frame_cache(shared=True)
def culture_scores(clean_tc_long: pd.DataFrame) -> pd.DataFrame:
    """Council × wave culture-indicator means (1-5) with ``n_respondents``, from a clean temperature check.

    The unstandardised scores the reports show, shared by every report built from the same
    frame: cached per input frame and worker (:func:`msp_analysis.toolkit.caches.frame_cache`).

    Parameters
    ----------
    clean_tc_long : pandas.DataFrame
        Clean long temperature-check returns (``clean_temperature_check(...).clean``).
    """
    return council_scores(wide_answers(clean_tc_long))


@frame_cache
def grouped_culture_scores(clean_tc_long: pd.DataFrame, by: str) -> pd.DataFrame:
    """Council × wave means (1-5) over every item of each group of steps (``by="step_group"``) or each key
    question (``by="table1_column"``), built as :func:`culture_scores`; cached per input frame and worker."""
    return council_scores(wide_answers(clean_tc_long), by=by)


def instrument_coverage(dimension: str) -> pd.DataFrame:
    """How many items of the instrument cover each value of `dimension`, asked on the template and in the bank.

    `dimension`: ``msp_step`` (Steps 1-8), ``step_group``, ``table1_column`` (key question), ``principle``
    or ``nhs_theme``. Every value the resource names is a row, in the resource's order, so a value
    with no item shows as 0. Columns: ``value``, ``asked``, ``bank``, ``total``.

    >>> instrument_coverage("table1_column")["value"].tolist()
    ['Safe', 'Effective', 'Caring', 'Responsive', 'Well-led']
    """
    if dimension not in COVERAGE_DIMENSIONS:
        raise ValueError(f"dimension={dimension!r}; expected one of {', '.join(COVERAGE_DIMENSIONS)}")
    items = instrument(include_bank=True)
    values = items[dimension]
    if dimension == "msp_step":
        values = values.str.extract(r"^(Step \d)")[0]
    order = {"msp_step": [f"Step {n}" for n in range(1, 9)], "step_group": step_groups()["group"].tolist(),
             "table1_column": list(KEY_QUESTIONS), "principle": [p for p, _ in safeguarding_principles()],
             "nhs_theme": list(assurance_themes())}[dimension]
    asked = items["asked"].eq("return")
    table = pd.DataFrame({"value": order})
    table["asked"] = [int((values.eq(v) & asked).sum()) for v in order]
    table["bank"] = [int((values.eq(v) & ~asked).sum()) for v in order]
    table["total"] = table["asked"] + table["bank"]
    return table


def reliability(wide_answers: pd.DataFrame) -> pd.DataFrame:
    """Cronbach's alpha per indicator and item-rest correlations, from respondent-level answers.

    One row per Likert item: ``indicator, item_id, reverse_coded, n_respondents, n_items, alpha,
    item_rest_correlation, alpha_if_deleted``. Reverse-coded items are flipped first; only
    respondents who answered every item of the indicator count (listwise), because alpha
    compares item variances with the variance of the same respondents' totals. Alpha near 0.7
    or above says the items measure one thing; a low or negative item-rest correlation points
    at an item read differently (or a reverse-coding error).

    >>> reliability(wide_answers(clean.clean)).groupby("indicator")["alpha"].first()  # doctest: +SKIP
    """
    items = likert_items(include_bank=True)
    items = items[items["item_id"].isin(wide_answers.columns)]
    rows = []
    for indicator, group in items.groupby("indicator", sort=False):
        answers = _flipped(wide_answers, group).dropna()
        # one row per item (the layout of pandas' own blocks), so that every sum runs in pandas' order
        values = np.ascontiguousarray(answers.to_numpy(dtype="float64").T)
        k, n = values.shape
        reverse = dict(zip(group["item_id"], group["reverse_coded"], strict=True))
        alpha = _cronbach_alpha(values)
        for i, item in enumerate(answers.columns):
            rest = np.delete(values, i, axis=0)
            correlation = pd.Series(values[i]).corr(pd.Series(rest.sum(axis=0))) if n > 2 and k > 1 else np.nan
            rows.append({
                "indicator": indicator, "item_id": item, "reverse_coded": bool(reverse[item]),
                "n_respondents": n, "n_items": k, "alpha": alpha, "item_rest_correlation": correlation,
                "alpha_if_deleted": _cronbach_alpha(rest) if k > 2 else np.nan,
            })
    columns = ["indicator", "item_id", "reverse_coded", "n_respondents", "n_items", "alpha",
               "item_rest_correlation", "alpha_if_deleted"]
    return pd.DataFrame(rows, columns=columns)


def _cronbach_alpha(values: np.ndarray) -> float:
    """k/(k-1) * (1 - sum of item variances / variance of the total), `values` one row per item; NaN when undefined."""
    k, n = values.shape
    if k < 2 or n < 2:
        return float("nan")
    total_variance = values.sum(axis=0).var(ddof=1)
    if not total_variance > 0:
        return float("nan")
    return float(k / (k - 1) * (1 - values.var(axis=1, ddof=1).sum() / total_variance))



# --- people's own feedback (kind person_feedback) ------------------------------------------------------------

FEEDBACK_KEYS = ["ons_code", "financial_year"]


def feedback_scores(feedback: pd.DataFrame) -> pd.DataFrame:
    """Council × year mean agreement (1-5) with each 'I' statement, from clean ``person_feedback`` rows.

    One row per council and year: ``n_responses`` (people who gave feedback), and for each statement
    (``i_empowerment`` …) the mean over the people who answered it and ``n_<statement>``, how many did,
    so a report can hide a mean resting on too few answers.

    >>> feedback_scores(clean_person_feedback(raw).clean)  # doctest: +SKIP
    """
    statements = [c for c in feedback.columns if c.startswith("i_")]
    values = feedback[statements].astype("float64")
    grouped = values.groupby([feedback[k].astype(str) for k in FEEDBACK_KEYS], sort=True)
    means = grouped.mean()
    counts = grouped.count().add_prefix("n_")
    size = feedback.groupby([feedback[k].astype(str) for k in FEEDBACK_KEYS], sort=True).size().rename("n_responses")
    return means.join(counts).join(size).reset_index()


def feedback_against_record(feedback: pd.DataFrame, enquiries: pd.DataFrame) -> pd.DataFrame:
    """What people say against what the record says: counts of enquiries by the record's SG4a answer and the
    person's, for the feedback rows whose enquiry is in the record (matched on ``enquiry_id`` and ``ons_code``).

    Columns: ``ons_code``, ``financial_year``, ``question`` (``msp_asked`` or ``msp_outcome_achieved``),
    ``record``, ``person`` (the labels, ``Not given`` when blank) and ``n``. Feedback whose enquiry is not in
    the record is counted under ``record == "Not in the record"``.
    """
    record = enquiries[["enquiry_id", "ons_code", "msp_asked", "msp_outcome_achieved"]].astype("string")
    record = record.drop_duplicates(["enquiry_id", "ons_code"])
    joined = feedback.astype({"enquiry_id": "string", "ons_code": "string"}).merge(
        record, on=["enquiry_id", "ons_code"], how="left", suffixes=("_person", "_record"), indicator=True)
    rows = []
    for question in ("msp_asked", "msp_outcome_achieved"):
        part = pd.DataFrame({
            "ons_code": joined["ons_code"].astype(str), "financial_year": joined["financial_year"].astype(str),
            "question": question,
            "record": joined[f"{question}_record"].astype("string").fillna("Not given").where(
                joined["_merge"].eq("both"), "Not in the record"),
            "person": joined[f"{question}_person"].astype("string").fillna("Not given"),
        })
        rows.append(part.groupby(list(part.columns), sort=True).size().rename("n").reset_index())
    return pd.concat(rows, ignore_index=True)
