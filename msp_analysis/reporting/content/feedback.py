"""People's own feedback in the locality report: what people say beside what the record says of them.

Three tables for the council, its region and England: the SG4a pathway as the record gives it and
as the same people tell it; the six 'I' statements (the codebook's wording, verbatim from the
resource) with the share who agree; who answered and when, with the numbers of people. Every count
goes through :func:`msp_analysis.disclosure.display.disclose` with the secondary suppression of
:func:`msp_analysis.disclosure.feedback.feedback_protection`; percentages are of the counts as
shown. Words: ``reporting/text/feedback.yaml``.
"""

from __future__ import annotations

import pandas as pd

from msp_analysis.analysis.feedback import ANSWERED_BY, ANSWERED_WHEN, feedback_columns, feedback_counts
from msp_analysis.disclosure.display import DisclosedTable, disclose
from msp_analysis.disclosure.feedback import feedback_protection
from msp_analysis.disclosure.policies import DisclosurePolicy
from msp_analysis.io.processed import clean_exists, read_clean
from msp_analysis.reference.codebook import person_items
from msp_analysis.reporting.content.groups import _side_by_side
from msp_analysis.reporting.sections import ReportText, Section, short_name

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


def _table(specs: list[tuple[str, list[tuple[str, str]]]], values: dict, protection, year: str, areas: dict,
           names: dict, policy: DisclosurePolicy, rate_labels: list[str], count_label: str | None,
           first: str, caption: str, note: str = "") -> DisclosedTable:
    """Rows `specs` (label, [(numerator, denominator) per rate]) as one table: council, region and England side by side.

    Each rate's cells are the area's counts; the council also shows the first rate's denominator as a count.
    """
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
        labels = {f"{level}_{r}_pct": text(key, area=names[level]) for r, key in enumerate(rate_labels)}
        rates = {f"{level}_{r}_pct": ([f"{level}_{r}_num"], [f"{level}_{r}_den"]) for r in range(len(rate_labels))}
        columns, counts, texts = list(labels), [], []
        if level == "council":
            lead = {"label": text(first)}
            if count_label:
                labels = {**lead, **labels, "council_0_den": text(count_label, area=names[level])}
                counts = ["council_0_den"]
            else:
                labels = {**lead, **labels}
            columns, texts = list(labels), ["label"]
        parts.append(disclose(frame, policy, columns=columns, labels=labels, text=texts, counts=counts, rates=rates,
                              national=[level == "England"] * len(frame), suppressed=suppressed))
    return _side_by_side(parts, caption, note)


def feedback_section(df_enquiries: pd.DataFrame, feedback: pd.DataFrame | None, ons_code: str, council: str,
                     region: str, year: str, policy: DisclosurePolicy) -> tuple[Section, dict]:
    """The locality report's feedback section; a sentence saying so when there is no feedback.

    >>> section, facts = feedback_section(enquiries, feedback, "E06000047", "County Durham", "North East",
    ...                                   "2023-24", sac)  # doctest: +SKIP
    """
    council = short_name(council)
    if feedback is None or feedback.empty:
        return Section(markdown=text("no_feedback")), {}
    counts = feedback_counts(df_enquiries, feedback)
    if counts[(counts["financial_year"] == year) & (counts["ons_code"] == ons_code)].empty:
        return Section(markdown=text("no_feedback_here", council=council, year=year)), {}
    protection = feedback_protection(df_enquiries, feedback, policy)
    values = _area_values(counts, year, ons_code, region)
    areas = {"council": ons_code, "region": region, "England": "England"}
    names = {"council": council, "region": region, "England": "England"}
    compare = _table([(text(key), [(r_num, r_den), (s_num, s_den)]) for key, (r_num, r_den, s_num, s_den) in COMPARE],
                     values, protection, year, areas, names, policy, ["column_record_pct", "column_said_pct"],
                     "column_answered", "column_measure", text("compare_caption", year=year, council=council,
                                                                region=region), text("compare_note"))
    items = person_items()
    statements = _table([(wording, [(f"{item}_agree", f"{item}_answered")])
                         for item, wording in zip(items["item_id"], items["wording"], strict=True)],
                        values, protection, year, areas, names, policy, ["column_agree_pct"], "column_answered",
                        "column_statement", text("statements_caption", year=year))
    who = _table([(text(key), [(key, "responses")]) for key in WHO], values, protection, year, areas, names, policy,
                 ["column_share_pct"], None, "column_group", text("who_caption", year=year))
    shown = protection.disclosed(year, "council", ons_code, "responses")
    facts: dict = {"feedback_responses": shown}
    sentences = [text("intro")]
    sentences.append(text("responses_hidden", council=council, year=year) if pd.isna(shown) else
                     text("responses", council=council, responses=policy.format_count(values["council"]["responses"]),
                          year=year))
    record, said = compare.value(2, "council_0_pct"), compare.value(2, "council_1_pct")
    if record is not None and said is not None:
        sentences.append(text("agree_gap", council=council, record=compare.text(2, "council_0_pct"),
                              said=compare.text(2, "council_1_pct")))
        facts.update(feedback_record_fully=record, feedback_said_fully=said)
    return Section(markdown=" ".join(sentences), tables=[compare, statements, who]), facts
