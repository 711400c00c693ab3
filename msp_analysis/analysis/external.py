"""An external check: CQC's local authority assessment scores beside the published council measures.

CQC assesses each council's adult social care (Care Act Part 1) on nine quality statements scored
1-4; quality statement 7 is *Safeguarding*, the only published organisation-level rating of how a
council does safeguarding. The table read here (``cqc_la_assessments_2024_25`` of the public data
folder) is a third-party scrape of CQC's pages covering 72 of 153 councils assessed between May 2024
and October 2025; its SOURCE.md lists its limits (two of 648 values checked against CQC, one
overall rating missed). Council names are resolved through the geography (``Stoke``,
``Southend``, ``City of Doncaster Council`` …); a name that does not resolve is an error naming it.

:func:`cqc_check` joins the QS7 score to each council's latest published ASCOF 4A (people who use
services who feel safe), 4B (services made them feel safe) and workforce turnover, and gives
Spearman rank correlations and the mean of each measure per QS7 score: does CQC's safeguarding
score go with how safe people feel? It is a cross-section of at most 72 councils, measured in
different years, so an association, with wide intervals.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from msp_analysis.reference import geography
from msp_analysis.toolkit.errors import UnusableInputError

CQC_FOLDER = "cqc_la_assessments_2024_25"
CQC_FILE = "cqc_la_assessment_scores_72_councils.csv"
CQC_YEAR = "2024-25"  # the geography the councils are named in
QS7 = "qs7_safeguarding"
MEASURES = ("feel_safe", "services_made_feel_safe", "workforce_turnover")
NAME_PREFIXES = ("City of ",)  # forms of a name the geography's aliases lack


def load_cqc_scores(real_dir: str | Path) -> pd.DataFrame:
    """The CQC scores with ``ons_code`` resolved: one row per council assessed.

    Parameters
    ----------
    real_dir
        The public data folder (``MSP_REAL_DATA``); the table is read in place.
    """
    path = Path(real_dir) / CQC_FOLDER / CQC_FILE
    if not path.is_file():
        raise UnusableInputError(f"{path}: no such file; the CQC table is described in {CQC_FOLDER}/SOURCE.md")
    scores = pd.read_csv(path)
    if "authority_name" not in scores.columns or QS7 not in scores.columns:
        raise UnusableInputError(f"{path}: expected columns authority_name and {QS7}")
    codes = []
    for name in scores["authority_name"].astype(str):
        code = geography.resolve_council(name, CQC_YEAR)
        for prefix in NAME_PREFIXES:
            if code is None and name.startswith(prefix):
                code = geography.resolve_council(name[len(prefix):], CQC_YEAR)
        if code is None:
            raise UnusableInputError(f"{path}: council {name!r} does not resolve to a council of {CQC_YEAR}")
        codes.append(code)
    out = scores.assign(ons_code=codes)
    if out["ons_code"].duplicated().any():
        raise UnusableInputError(f"{path}: two rows name the same council "
                                 f"({out.loc[out['ons_code'].duplicated(), 'authority_name'].iloc[0]})")
    return out


def latest_measures(clean_measures: pd.DataFrame, measures: tuple[str, ...] = MEASURES) -> pd.DataFrame:
    """Each council's latest published value of each measure (``<measure>``, ``<measure>_year``)."""
    rows = clean_measures[clean_measures["geography_level"].eq("Council").fillna(False)
                          & clean_measures["disaggregation"].eq("Total").fillna(False)
                          & clean_measures["measure"].isin(list(measures)).fillna(False)
                          & clean_measures["value"].notna()]
    rows = rows.sort_values("financial_year").drop_duplicates(["ons_code", "measure"], keep="last")
    values = rows.pivot(index="ons_code", columns="measure", values="value")
    years = rows.pivot(index="ons_code", columns="measure", values="financial_year").add_suffix("_year")
    return values.join(years).reset_index()


def _spearman(x: pd.Series, y: pd.Series) -> tuple[float, float, float, int]:
    """Spearman's rho with a Fisher-z 95% interval (SE 1.06/sqrt(n-3)) and the number of pairs."""
    pairs = pd.DataFrame({"x": x, "y": y}).dropna()
    n = len(pairs)
    if n < 5:
        return float("nan"), float("nan"), float("nan"), n
    rho = float(pairs["x"].rank().corr(pairs["y"].rank()))
    z, se = math.atanh(max(min(rho, 0.999999), -0.999999)), 1.06 / math.sqrt(n - 3)
    return rho, math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se), n


def cqc_check(real_dir: str | Path, clean_measures: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """CQC's safeguarding score (QS7) against ASCOF 4A, 4B and workforce turnover, council by council.

    Parameters
    ----------
    real_dir
        The public data folder.
    clean_measures
        The clean la_measures frame (:func:`msp_analysis.analysis.link.load_real_la_measures`).

    Returns
    -------
    dict of DataFrame
        ``joined`` (one row per assessed council: its scores and latest measures), ``correlations``
        (Spearman's rho of QS7 and of the mean of the nine statements with each measure, 95%
        interval, councils) and ``by_score`` (each measure's mean and councils per QS7 score).
    """
    scores = load_cqc_scores(real_dir)
    joined = scores.merge(latest_measures(clean_measures), on="ons_code", how="left")
    rows = []
    for score in (QS7, "avg_score"):
        for measure in MEASURES:
            if measure not in joined.columns:
                continue
            rho, low, high, n = _spearman(joined[score], joined[measure])
            years = sorted(joined[f"{measure}_year"].dropna().unique())
            rows.append({"cqc_score": score, "measure": measure, "spearman_rho": rho, "ci_low": low,
                         "ci_high": high, "councils": n, "years": ", ".join(map(str, years))})
    by_score = joined.groupby(QS7)[[m for m in MEASURES if m in joined.columns]].agg(["mean", "count"])
    by_score.columns = [f"{column[0]}_{column[1]}" for column in by_score.columns]
    return {"joined": joined, "correlations": pd.DataFrame(rows),
            "by_score": by_score.reset_index().replace({np.nan: None})}
