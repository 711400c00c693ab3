"""People's own feedback in the locality report: what people say beside what the record says of them.

Three tables for the council, its region and England: the SG4a pathway as the record gives it and
as the same people tell it; the six 'I' statements (the codebook's wording, verbatim from the
resource) with the share who agree; who answered and when, with the numbers of people. Every count
goes through :func:`msp_analysis.disclosure.display.disclose` with the secondary suppression of
:func:`msp_analysis.disclosure.feedback.feedback_protection`; percentages are of the counts as
shown. Words: ``reporting/text/feedback.yaml``.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np
import pandas as pd

from msp_analysis.analysis.feedback import ANSWERED_BY, ANSWERED_WHEN, feedback_columns, feedback_counts
from msp_analysis.disclosure.display import DisclosedTable, disclose
from msp_analysis.disclosure.feedback import feedback_protection
from msp_analysis.disclosure.policies import DisclosurePolicy
from msp_analysis.io.processed import clean_exists, read_clean
from msp_analysis.reference.codebook import person_items
from msp_analysis.reference.geography import short_name
from msp_analysis.reporting.content.groups import _side_by_side, _stacked_side_by_side
from msp_analysis.reporting.sections import ReportText, Section
from msp_analysis.toolkit.caches import frame_cache

text = ReportText("feedback")
LEVELS = ("council", "region", "England")
COMPARE = (  # row: (record numerator, record denominator, said numerator, said denominator)
    ("measure_asked", ("record_asked", "responses", "said_asked", "said_answered")),
    ("measure_expressed", ("record_expressed", "responses", "said_expressed", "said_answered")),
    ("measure_fully", ("record_fully", "record_expressed", "said_fully", "said_achieved")),
)
WHO = (*ANSWERED_BY.values(), "by_not_recorded", *ANSWERED_WHEN.values(), "when_not_recorded")


def read_feedback(params) -> pd.DataFrame | None:
    """The clean ``person_feedback`` beside the report's data (``params.data_dir``), or None when there is none."""
    if params is None or not clean_exists("person_feedback", params.data_dir):
        return None
    return read_clean("person_feedback", params.data_dir)


def _area_values(counts: pd.DataFrame, year: str, ons_code: str, region: str) -> dict[str, pd.Series]:
    rows = counts[counts["financial_year"] == year]
    columns = feedback_columns()
    zero = pd.Series(0.0, index=columns)
    return {"council": rows.loc[rows["ons_code"] == ons_code, columns].sum().astype(float) if len(rows) else zero,
            "region": rows.loc[rows["region"] == region, columns].sum().astype(float) if len(rows) else zero,
            "England": rows[columns].sum().astype(float) if len(rows) else zero}


def _table(spec: tuple, values: dict, protection, year: str, areas: dict, names: dict, policy: DisclosurePolicy,
           caption: str, note: str = "") -> DisclosedTable:
    """One council's table of :func:`_specs` (rows, rate labels, count label, first column) disclosed alone:
    council, region and England side by side.

    Each rate's cells are the area's counts; the council also shows the first rate's denominator as a count.
    Built row by row from the council's own sums, apart from :func:`_feedback_year`, so the tests can check
    the slices of that against it.
    """
    specs, rate_labels, count_label, first = spec
    frame = pd.DataFrame({"label": [label for label, _ in specs]})
    suppressed: dict[str, list[bool]] = {}
    for level in LEVELS:
        for r, _ in enumerate(rate_labels):
            for part, position in (("num", 0), ("den", 1)):
                cells = [pairs[r][position] for _, pairs in specs]
                column = f"{level}_{r}_{part}"
                frame[column] = [values[level][c] for c in cells]
                suppressed[column] = [protection.secondary(year, level, areas[level], c) for c in cells]
    parts = []
    for level in LEVELS:
        labels = _level_labels(level, names[level], rate_labels, count_label, first)
        rates = {f"{level}_{r}_pct": ([f"{level}_{r}_num"], [f"{level}_{r}_den"]) for r in range(len(rate_labels))}
        counts = ["council_0_den"] if level == "council" and count_label else []
        parts.append(disclose(frame, policy, columns=list(labels), labels=labels,
                              text=["label"] if level == "council" else [], counts=counts, rates=rates,
                              national=[level == "England"] * len(frame), suppressed=suppressed))
    return _side_by_side(parts, caption, note)


def _specs() -> dict[str, tuple[list[tuple[str, list[tuple[str, str]]]], list[str], str | None, str]]:
    """The three tables' rows (label, [(numerator, denominator) per rate]), rate labels, count label and first column."""
    items = person_items()
    return {
        "compare": ([(text(key), [(r_num, r_den), (s_num, s_den)]) for key, (r_num, r_den, s_num, s_den) in COMPARE],
                    ["column_record_pct", "column_said_pct"], "column_answered", "column_measure"),
        "statements": ([(wording, [(f"{item}_agree", f"{item}_answered")])
                        for item, wording in zip(items["item_id"], items["wording"], strict=True)],
                       ["column_agree_pct"], "column_answered", "column_statement"),
        "who": ([(text(key), [(key, "responses")]) for key in WHO], ["column_share_pct"], None, "column_group"),
    }


def _level_labels(level: str, name: str, rate_labels: list[str], count_label: str | None, first: str) -> dict[str, str]:
    """One level's columns of a feedback table and their display names, in the order :func:`_table` shows them."""
    labels = {f"{level}_{r}_pct": text(key, area=name) for r, key in enumerate(rate_labels)}
    if level == "council":
        lead = {"label": text(first)}
        labels = {**lead, **labels, "council_0_den": text(count_label, area=name)} if count_label else {**lead, **labels}
    return labels


def year_work(df_enquiries: pd.DataFrame, feedback: pd.DataFrame, year: str, policy: DisclosurePolicy) -> list:
    """The shared work of this section for every council's report of `year` (:func:`~msp_analysis.toolkit.caches.compute_shared`)."""
    return [functools.partial(_feedback_year, df_enquiries, feedback, year, policy)]


@frame_cache(shared=True)
def _feedback_year(df_enquiries: pd.DataFrame, feedback: pd.DataFrame, year: str,
                   policy: DisclosurePolicy) -> SimpleNamespace:
    """Every council's three feedback tables of `year`, each disclosed once over the rows of all councils.

    A council's rows (``position[code] * len(rows)`` on) with its column names, caption and note
    are the table :func:`_table` discloses for it alone: its values are the sums :func:`_area_values`
    gives (council, its region ``region[code]``, England) and the same protection decides the secondary cells.
    """
    counts = feedback_counts(df_enquiries, feedback)
    protection = feedback_protection(df_enquiries, feedback, policy)
    rows = counts[counts["financial_year"] == year]
    columns = feedback_columns()
    councils = rows[["ons_code", "region"]].astype(str).drop_duplicates("ons_code")
    codes, regions = councils["ons_code"].tolist(), councils["region"].tolist()
    n = len(codes)
    by_code = rows.groupby(rows["ons_code"].astype(str))[columns].sum().astype(float).reindex(codes).fillna(0.0)
    by_region = rows.groupby(rows["region"].astype(str))[columns].sum().astype(float).reindex(regions).fillna(0.0)
    england = rows[columns].sum().astype(float)
    values = {"council": {c: by_code[c].to_numpy() for c in columns},
              "region": {c: by_region[c].to_numpy() for c in columns},
              "England": {c: np.full(n, england[c]) for c in columns}}
    areas = {"council": codes, "region": regions, "England": ["England"] * n}
    tables = {}
    for key, (specs, rate_labels, count_label, first) in _specs().items():
        k = len(specs)
        frame = pd.DataFrame({"label": [label for label, _ in specs] * n})
        suppressed: dict[str, list[bool]] = {}
        for level in LEVELS:
            for r, _ in enumerate(rate_labels):
                for part, position in (("num", 0), ("den", 1)):
                    cells = [pairs[r][position] for _, pairs in specs]
                    column = f"{level}_{r}_{part}"
                    frame[column] = np.column_stack([values[level][c] for c in cells]).reshape(n * k) if n else []
                    suppressed[column] = [protection.secondary(year, level, area, c) for area in areas[level]
                                          for c in cells]
        parts = []
        for level in LEVELS:
            labels = _level_labels(level, level, rate_labels, count_label, first)
            rates = {f"{level}_{r}_pct": ([f"{level}_{r}_num"], [f"{level}_{r}_den"]) for r in range(len(rate_labels))}
            counts_shown = ["council_0_den"] if level == "council" and count_label else []
            parts.append(disclose(frame, policy, columns=list(labels), text=["label"] if level == "council" else [],
                                  counts=counts_shown, rates=rates, national=[level == "England"] * len(frame),
                                  suppressed=suppressed))
        tables[key] = (_stacked_side_by_side(parts), k)
    return SimpleNamespace(position={code: i for i, code in enumerate(codes)},
                           region=dict(zip(codes, regions, strict=True)), tables=tables,
                           responses=dict(zip(codes, values["council"]["responses"], strict=True)))


def _table_of_year(stacked: SimpleNamespace, key: str, ons_code: str, names: dict, caption: str,
                   note: str = "") -> DisclosedTable:
    """One feedback table of one council, sliced from :func:`_feedback_year` (what :func:`_table` gives)."""
    table, k = stacked.tables[key]
    _, rate_labels, count_label, first = _specs()[key]
    labels = {c: v for level in LEVELS for c, v in _level_labels(level, names[level], rate_labels, count_label,
                                                                  first).items()}
    start = stacked.position[ons_code] * k
    return table.rows(start, start + k, caption=caption, labels=labels, note=note)


def feedback_section(df_enquiries: pd.DataFrame, feedback: pd.DataFrame | None, ons_code: str, council: str,
                     region: str, year: str, policy: DisclosurePolicy) -> tuple[Section, dict]:
    """The locality report's feedback section; a sentence saying so when there is no feedback.

    >>> section, facts = feedback_section(enquiries, feedback, "E06000047", "County Durham", "North East",
    ...                                   "2023-24", sac)  # doctest: +SKIP
    """
    council = short_name(council)
    if feedback is None or feedback.empty:
        return Section(markdown=text("no_feedback")), {}
    stacked = _feedback_year(df_enquiries, feedback, year, policy)
    if ons_code not in stacked.position:  # no feedback of the council in the year
        return Section(markdown=text("no_feedback_here", council=council, year=year)), {}
    protection = feedback_protection(df_enquiries, feedback, policy)
    names = {"council": council, "region": region, "England": "England"}
    if stacked.region.get(ons_code) == region:  # every council's tables disclosed once per year, sliced
        compare = _table_of_year(stacked, "compare", ons_code, names, text("compare_caption", year=year,
                                                                          council=council, region=region),
                                 text("compare_note"))
        statements = _table_of_year(stacked, "statements", ons_code, names, text("statements_caption", year=year))
        who = _table_of_year(stacked, "who", ons_code, names, text("who_caption", year=year))
        responses = stacked.responses[ons_code]
    else:
        compare, statements, who, responses = _tables_alone(df_enquiries, feedback, ons_code, region, year, policy,
                                                            names)
    shown = protection.disclosed(year, "council", ons_code, "responses")
    facts: dict = {"feedback_responses": shown}
    sentences = [text("intro")]
    sentences.append(text("responses_hidden", council=council, year=year) if pd.isna(shown) else
                     text("responses", council=council, responses=policy.format_count(responses), year=year))
    record, said = compare.value(2, "council_0_pct"), compare.value(2, "council_1_pct")
    if record is not None and said is not None:
        sentences.append(text("agree_gap", council=council, record=compare.text(2, "council_0_pct"),
                              said=compare.text(2, "council_1_pct")))
        facts.update(feedback_record_fully=record, feedback_said_fully=said)
    return Section(markdown=" ".join(sentences), tables=[compare, statements, who]), facts


def _tables_alone(df_enquiries: pd.DataFrame, feedback: pd.DataFrame, ons_code: str, region: str, year: str,
                  policy: DisclosurePolicy, names: dict) -> tuple[DisclosedTable, DisclosedTable, DisclosedTable, float]:
    """The three tables of one council disclosed on their own, and its number of responses."""
    council = names["council"]
    counts = feedback_counts(df_enquiries, feedback)
    protection = feedback_protection(df_enquiries, feedback, policy)
    values = _area_values(counts, year, ons_code, region)
    areas = {"council": ons_code, "region": region, "England": "England"}
    specs = _specs()
    compare = _table(specs["compare"], values, protection, year, areas, names, policy,
                     text("compare_caption", year=year, council=council, region=region), text("compare_note"))
    statements = _table(specs["statements"], values, protection, year, areas, names, policy,
                        text("statements_caption", year=year))
    who = _table(specs["who"], values, protection, year, areas, names, policy, text("who_caption", year=year))
    return compare, statements, who, values["council"]["responses"]
