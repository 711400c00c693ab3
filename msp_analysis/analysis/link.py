"""Outcomes joined to culture indicators by council and financial year, through the geography.

The join key is (``ons_code``, ``financial_year``) of the outcome against (``ons_code``,
``wave``) of the council scores, where a wave is the financial year of the temperature
check. The rule at boundary changes (geography.BOUNDARY_CHANGES), chosen so that a score
only ever describes the area it was measured in:

* a score attaches to outcomes of the **same ONS code** in the wave ``lag`` years before the
  outcome year (``lag=0``: the same year). Codes differ across every boundary change, so a
  2022-23 Cumbria (E10000006) score never attaches to 2023-24 Cumberland (E06000063), and a
  2023-24 outcome row still coded Cumbria is reported as "not a council in 2023-24";
* with ``one_to_one_successors=True`` a council whose only predecessor had no other successor
  (same area, new code: Buckinghamshire 2020, North Yorkshire and Somerset 2023) may use its
  predecessor's score for waves before it existed; the code used is in ``score_ons_code``.
  Splits and mergers (Northamptonshire, Cumbria, Dorset, BCP) are never carried across;
* nothing is dropped silently: every outcome row is kept in ``LinkResult.data`` (scores
  missing where unmatched), every unmatched council-year is listed in ``LinkResult.unmatched``
  with its number of rows and a reason, and scores no outcome used are in ``unused_scores``.

:func:`la_panel` builds the council-year panel of two published council measures (e.g.
ASCOF 4A "feel safe" and Oflog workforce turnover) from the clean ``la_measures`` frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from msp_analysis.clean.la_measures import clean_la_measures
from msp_analysis.io.real_data import LA_MEASURE_FILES, read_real_tables
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import EXPRESSED
from msp_analysis.toolkit.errors import ParameterError, UnusableInputError

SCORE_KEYS = ["ons_code", "wave"]
OUTCOME_KEYS = ["ons_code", "financial_year"]
SECTION_42 = "Section 42"
ACHIEVED_LEVELS = {"Not Achieved": 0, "Partially Achieved": 1, "Fully Achieved": 2}
PANEL_YEARS = ("2017-18", "2018-19", "2019-20", "2020-21", "2021-22", "2022-23")

REASON_NOT_A_COUNCIL = "not a council in {year}"
REASON_NO_SCORE = "no culture score for this council in wave {wave}"
REASON_CREATED = ("council created on 1 April {first} from {predecessors} (boundary change); the predecessor's "
                  "score of wave {wave} describes a different area and is not used")
REASON_UNUSED_NOT_COUNCIL = "not a council in this wave"
REASON_UNUSED = "no outcome rows for this council and year"


@dataclass
class LinkResult:
    """Outcome rows with council scores attached, and what could not be matched.

    ``data``: every outcome row, with the score columns, ``score_wave``, ``score_ons_code``
    and ``matched`` (False where no score was found; its score columns are missing).
    ``unmatched``: one row per outcome council-year without a score (``ons_code,
    financial_year, rows, reason``). ``unused_scores``: score council-waves no outcome used.
    """

    data: pd.DataFrame
    unmatched: pd.DataFrame
    unused_scores: pd.DataFrame
    score_columns: list[str] = field(default_factory=list)
    rule: str = ""

    @property
    def matched_data(self) -> pd.DataFrame:
        """Only the outcome rows that found a score.

        Selected once per `data` (a report's several fits ask for it); each call returns its own
        frame (a shallow copy: changing it changes neither `data` nor the next call's frame).
        """
        cached = self.__dict__.get("_matched")
        if cached is None or cached[0] is not self.data:
            matched = self.data["matched"].to_numpy(dtype=bool)
            rows = self.data.reset_index(drop=True) if matched.all() else self.data[matched].reset_index(drop=True)
            self.__dict__["_matched"] = cached = (self.data, rows)
        return cached[1].copy(deep=False)

    def summary(self) -> dict:
        """Counts for a report or a JSON note: rows in, rows matched, unmatched council-years."""
        return {
            "rows": int(len(self.data)),
            "rows_matched": int(self.data["matched"].sum()),
            "rows_unmatched": int((~self.data["matched"]).sum()),
            "council_years_unmatched": int(len(self.unmatched)),
            "scores_unused": int(len(self.unused_scores)),
            "rule": self.rule,
        }


def shift_financial_year(year: str, years: int) -> str:
    """The financial year `years` later (negative: earlier). Example: ``shift_financial_year("2023-24", -1) == "2022-23"``."""
    start = int(str(year)[:4]) + years
    return f"{start}-{(start + 1) % 100:02d}"


def _exists(ons_code: str, year: str) -> bool:
    """Whether `ons_code` is a council in financial year `year` (False for years outside the codebook)."""
    if year not in geography.FINANCIAL_YEARS:
        return False
    return geography.resolve_council(ons_code, year) == ons_code


def _creation(ons_code: str) -> tuple[str, list[str]] | None:
    """(first financial year, predecessors) of a council created at a boundary change, else None."""
    changes = [(first, old) for first, old, new in geography.BOUNDARY_CHANGES if new == ons_code]
    if not changes:
        return None
    return changes[0][0], sorted(old for _, old in changes)


def _one_to_one_predecessor(ons_code: str) -> str | None:
    """The predecessor of a council that took over exactly one council's whole area, else None."""
    creation = _creation(ons_code)
    if creation is None or len(creation[1]) != 1:
        return None
    predecessor = creation[1][0]
    successors = {new for _, old, new in geography.BOUNDARY_CHANGES if old == predecessor}
    return predecessor if successors == {ons_code} else None


def _match_pair(ons_code: str, year: str, lag: int, available: set[tuple[str, str]],
                one_to_one_successors: bool) -> tuple[str | None, str, str]:
    """(score ons_code or None, score wave, reason) for one outcome council-year."""
    wave = shift_financial_year(year, -lag)
    if not _exists(ons_code, year):
        return None, wave, REASON_NOT_A_COUNCIL.format(year=year)
    if (ons_code, wave) in available:
        return ons_code, wave, ""
    creation = _creation(ons_code)
    if creation is not None and wave < creation[0]:
        predecessor = _one_to_one_predecessor(ons_code) if one_to_one_successors else None
        if predecessor is not None and (predecessor, wave) in available:
            return predecessor, wave, ""
        return None, wave, REASON_CREATED.format(first=creation[0][:4], predecessors=", ".join(creation[1]), wave=wave)
    return None, wave, REASON_NO_SCORE.format(wave=wave)


def link_outcomes(
    df_enquiries: pd.DataFrame,
    council_scores: pd.DataFrame,
    columns: list[str] | None = None,
    lag: int = 0,
    one_to_one_successors: bool = False,
) -> LinkResult:
    """Attach council × wave scores to outcome rows (record-level enquiries or council aggregates).

    `df_enquiries` needs ``ons_code`` and ``financial_year``; `council_scores` needs ``ons_code``
    and ``wave`` (e.g. :func:`msp_analysis.analysis.indicators.score_temperature_check`). `columns` are the
    score columns to attach (default: all but the keys). `lag` takes the score of the wave that
    many years before the outcome year. See the module docstring for the boundary-change rule.

    >>> linked = link_outcomes(expressed_outcomes(clean_eval), score_temperature_check(clean_tc))  # doctest: +SKIP
    >>> linked.unmatched  # council-years without a score, with the reason                          # doctest: +SKIP
    """
    missing = [c for c in OUTCOME_KEYS if c not in df_enquiries]
    if missing:
        raise ValueError(f"outcome frame lacks column(s) {', '.join(missing)}; expected ons_code and financial_year")
    missing = [c for c in SCORE_KEYS if c not in council_scores]
    if missing:
        raise ValueError(f"council scores lack column(s) {', '.join(missing)}; expected ons_code and wave")
    if lag < 0:
        raise ParameterError(f"lag must be 0 or more years (a score from before the outcome), got {lag}")
    columns = [c for c in council_scores.columns if c not in SCORE_KEYS] if columns is None else list(columns)
    clash = sorted(set(columns) & set(df_enquiries.columns))
    if clash:
        raise ValueError(f"score column(s) {', '.join(clash)} already in the outcome frame; rename one side")
    scores = council_scores[SCORE_KEYS + columns].astype({"ons_code": str, "wave": str})
    duplicated = scores.duplicated(SCORE_KEYS)
    if duplicated.any():
        first = scores.loc[duplicated, SCORE_KEYS].iloc[0].tolist()
        raise ValueError(f"council scores have more than one row for {first[0]} in wave {first[1]}")
    available = set(zip(scores["ons_code"], scores["wave"], strict=True))

    keys = df_enquiries[OUTCOME_KEYS].astype(str)
    pairs = keys.drop_duplicates().reset_index(drop=True)
    matches = [_match_pair(ons, year, lag, available, one_to_one_successors)
               for ons, year in zip(pairs["ons_code"], pairs["financial_year"], strict=True)]
    pairs["score_ons_code"] = pd.array([m[0] for m in matches], dtype="string")
    pairs["score_wave"] = pd.array([m[1] for m in matches], dtype="string")
    pairs["_reason"] = [m[2] for m in matches]

    lookup = pairs.merge(scores.rename(columns={"ons_code": "score_ons_code", "wave": "score_wave"}).astype(
        {"score_ons_code": "string", "score_wave": "string"}), on=["score_ons_code", "score_wave"], how="left")
    attached = keys.merge(lookup, on=OUTCOME_KEYS, how="left")
    data = df_enquiries.reset_index(drop=True).copy()
    for column in ["score_ons_code", "score_wave"] + columns:
        data[column] = attached[column].to_numpy()
    data["matched"] = attached["score_ons_code"].notna().to_numpy()

    rows = keys.value_counts().rename("rows").reset_index()
    unmatched = pairs[pairs["score_ons_code"].isna()].merge(rows, on=OUTCOME_KEYS)
    unmatched = unmatched.rename(columns={"_reason": "reason"})[OUTCOME_KEYS + ["rows", "reason"]]
    unmatched = unmatched.sort_values(OUTCOME_KEYS).reset_index(drop=True)

    used = set(zip(pairs["score_ons_code"].dropna(), pairs.loc[pairs["score_ons_code"].notna(), "score_wave"], strict=True))
    unused = scores.loc[[pair not in used for pair in zip(scores["ons_code"], scores["wave"], strict=True)], SCORE_KEYS]
    unused = unused.assign(reason=[REASON_UNUSED if _exists(ons, wave) else REASON_UNUSED_NOT_COUNCIL
                                   for ons, wave in zip(unused["ons_code"], unused["wave"], strict=True)])
    rule = (f"same ONS code, score wave = outcome year - {lag}" + (
        "; one-to-one successors use their predecessor's score" if one_to_one_successors else
        "; no score crosses a boundary change"))
    return LinkResult(data=data, unmatched=unmatched, unused_scores=unused.sort_values(SCORE_KEYS).reset_index(drop=True),
                      score_columns=columns, rule=rule)


def expressed_outcomes(clean_evaluation: pd.DataFrame, section_42_only: bool = True) -> pd.DataFrame:
    """Concluded enquiries where the person expressed outcomes, with outcome indicators for the models.

    Adds ``fully_achieved`` (1 fully, 0 partially or not), ``fully_or_partially_achieved`` and
    ``achieved_level`` (0 not, 1 partially, 2 fully: the ordinal outcome). Section 42
    enquiries only by default, as in the published MSP figures (SAC SG3c). Rows are those of
    a clean evaluation frame, so every one is concluded and consistent.

    >>> expressed_outcomes(clean_evaluation(raw).clean)["fully_achieved"].mean()  # doctest: +SKIP
    """
    needed = ["msp_asked", "msp_outcome_achieved", "enquiry_type"] + OUTCOME_KEYS
    missing = [c for c in needed if c not in clean_evaluation]
    if missing:
        raise UnusableInputError(f"not a clean evaluation frame: missing column(s) {', '.join(missing)}")
    keep = clean_evaluation["msp_asked"].eq(EXPRESSED).fillna(False)
    keep &= clean_evaluation["msp_outcome_achieved"].isin(list(ACHIEVED_LEVELS)).fillna(False)
    if section_42_only:
        keep &= clean_evaluation["enquiry_type"].eq(SECTION_42).fillna(False)
    out = clean_evaluation[keep.to_numpy()].reset_index(drop=True)
    codes, names = pd.factorize(out["msp_outcome_achieved"])  # every value is a level (kept above)
    level = pd.Series(np.array([ACHIEVED_LEVELS[str(name)] for name in names], dtype="int64")[codes],
                      index=out.index)
    return out.assign(achieved_level=level, fully_achieved=(level == 2).astype("int64"),
                      fully_or_partially_achieved=(level >= 1).astype("int64"))


def la_panel(
    clean_measures: pd.DataFrame,
    outcome: str = "feel_safe",
    indicator: str = "workforce_turnover",
    years: tuple[str, ...] = PANEL_YEARS,
    disaggregation: str = "Total",
) -> pd.DataFrame:
    """Council-year panel of two council measures: ``ons_code, name, financial_year, <outcome>, <indicator>``.

    Council rows of the clean ``la_measures`` frame, `disaggregation` only, in `years`; only
    council-years with both values are kept (a missing or suppressed value is not a zero).
    Both measures are published per council *in that year's geography*, so the join is on
    (ons_code, financial_year) with no carrying across boundary changes. Where two files give
    the same council, year and measure (the ASCOF trend table and the 2020-21 official file),
    equal values are kept once; values differing by more than 0.05 are an error.

    >>> la_panel(clean_la_measures(read_table("trend_data.csv")).clean)  # doctest: +SKIP
    """
    needed = ["ons_code", "geography_level", "financial_year", "measure", "value", "disaggregation"]
    missing = [c for c in needed if c not in clean_measures]
    if missing:
        raise UnusableInputError(f"not a clean la_measures frame: missing column(s) {', '.join(missing)}")
    if outcome == indicator:
        raise ParameterError(f"outcome and indicator are both {outcome!r}")
    rows = clean_measures[
        clean_measures["geography_level"].eq("Council").fillna(False)
        & clean_measures["disaggregation"].eq(disaggregation).fillna(False)
        & clean_measures["financial_year"].isin(list(years)).fillna(False)
        & clean_measures["measure"].isin([outcome, indicator]).fillna(False)
        & clean_measures["value"].notna()
    ]
    for measure in (outcome, indicator):
        if not rows["measure"].eq(measure).any():
            known = sorted(clean_measures["measure"].dropna().unique())
            raise UnusableInputError(f"no council values of measure {measure!r} in {years[0]} to {years[-1]}; "
                             f"measures present: {', '.join(known)}")
    keys = ["ons_code", "financial_year", "measure"]
    spread = rows.groupby(keys)["value"].agg(["min", "max"])
    conflict = spread[(spread["max"] - spread["min"]) > 0.05]
    if len(conflict):
        ons, year, measure = conflict.index[0]
        raise UnusableInputError(f"{len(conflict)} council-year(s) have different {measure} values in different files, "
                         f"e.g. {ons} {year}: {spread.loc[conflict.index[0]].tolist()}")
    values = rows.groupby(keys)["value"].first().unstack("measure")
    panel = values.dropna(subset=[outcome, indicator]).reset_index()
    panel = panel[["ons_code", "financial_year", outcome, indicator]]
    if "name" in rows:
        names = rows.drop_duplicates(["ons_code", "financial_year"])[["ons_code", "financial_year", "name"]]
        panel = panel.merge(names, on=["ons_code", "financial_year"], how="left")
        panel = panel[["ons_code", "name", "financial_year", outcome, indicator]]
    panel.columns.name = None
    return panel.astype({"ons_code": str, "financial_year": str}).sort_values(
        ["ons_code", "financial_year"]).reset_index(drop=True)


def load_real_la_measures(real_dir: str | Path, files: tuple[str, ...] = LA_MEASURE_FILES) -> pd.DataFrame:
    """Read and clean the public council-measure files in `real_dir` (see ``docs/data.md``).

    Reads the ASCOF trend table (4A, 2017-18 to 2023-24) and Oflog's ASC_data.csv (workforce
    turnover) through :func:`msp_analysis.io.real_data.read_real_tables` and ``clean_la_measures``.
    The 2020-21 official ASCOF file repeats the trend table's 2020-21 values, so it is not needed
    here; pass `files` to add it. A missing file is an error naming it.

    >>> panel = la_panel(load_real_la_measures("path/to/real"))  # doctest: +SKIP
    """
    frames = [clean_la_measures(table, source=str(path)).clean for path, table in read_real_tables(real_dir, files)]
    return pd.concat(frames, ignore_index=True)


def outcome_counts(rows: pd.DataFrame, outcome: str, by: list[str]) -> pd.DataFrame:
    """Aggregate 0/1 outcome rows to successes and trials per group (``<outcome>``, ``trials``).

    The council-aggregate form of a record-level frame; :func:`link_outcomes` and the binomial
    models accept either.

    >>> outcome_counts(expressed, "fully_achieved", ["ons_code", "financial_year"])  # doctest: +SKIP
    """
    grouped = rows.groupby(by, sort=True, dropna=False)[outcome]
    return pd.DataFrame({outcome: grouped.sum(), "trials": grouped.size()}).reset_index()

