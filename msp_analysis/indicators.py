"""Culture-indicator scores from temperature-check returns.

Scores are built bottom-up so that every level is inspectable: respondent (mean of the
indicator's answered items, reverse-coded items flipped), organisation (mean of its
respondents), council (mean of its organisations, each organisation weighted equally so
that a council sending ten respondents does not outvote its partners), and finally
standardised across councils within a wave, which is the scale the models use.
"""

from __future__ import annotations

import pandas as pd

from msp_analysis.codebook import likert_items

ID_COLUMNS = ["org_id", "ons_code", "wave"]
MIN_ANSWERED = 2


def respondent_scores(returns: pd.DataFrame, min_answered: int = MIN_ANSWERED) -> pd.DataFrame:
    """Per respondent row: mean item score for each indicator (1-5, higher = better culture).

    Items must be numeric 1-5 in columns named by ``item_id``. An indicator with fewer than
    `min_answered` answered items is missing rather than resting on one answer.
    """
    items = likert_items()
    items = items[items["item_id"].isin(returns.columns)]
    scores = pd.DataFrame(index=returns.index)
    for indicator, group in items.groupby("indicator", sort=False):
        answers = returns[group["item_id"]].astype("float64")
        reversed_items = group.loc[group["reverse_coded"], "item_id"]
        flipped = answers.copy()
        flipped[reversed_items] = 6 - answers[reversed_items]
        enough = flipped.notna().sum(axis=1) >= min_answered
        scores[indicator] = flipped.mean(axis=1).where(enough)
    return scores


def council_scores(returns: pd.DataFrame, min_answered: int = MIN_ANSWERED) -> pd.DataFrame:
    """Council × wave indicator means: respondents averaged per organisation, organisations per council.

    >>> council_scores(tidy_returns).loc[:, ["ons_code", "wave", "supervision"]]  # doctest: +SKIP
    """
    per_respondent = pd.concat([returns[ID_COLUMNS], respondent_scores(returns, min_answered)], axis=1)
    indicators = [c for c in per_respondent.columns if c not in ID_COLUMNS]
    per_org = per_respondent.groupby(ID_COLUMNS, sort=True)[indicators].mean()
    counts = returns.groupby(["ons_code", "wave"]).agg(
        n_organisations=("org_id", "nunique"), n_respondents=("org_id", "size")
    )
    per_council = per_org.groupby(["ons_code", "wave"]).mean()
    return per_council.join(counts).reset_index()


def standardise(scores: pd.DataFrame, columns: list[str], by: str = "wave") -> pd.DataFrame:
    """Add ``z_<column>``: each indicator standardised (mean 0, SD 1) across councils within `by`."""
    out = scores.copy()
    grouped = out.groupby(by)[columns]
    z = (out[columns] - grouped.transform("mean")) / grouped.transform("std", ddof=1)
    return out.join(z.add_prefix("z_"))
