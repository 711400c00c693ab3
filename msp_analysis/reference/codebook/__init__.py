"""Canonical labels, the instrument, geography and the return template's lists and prose, kept as data.

A new label variant is a one-line change to a CSV here, not a code change. Tables
are read lazily (on first call) and cached, so importing the package stays cheap; only
labels.csv is read at import, to check the few label constants code tests against.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import pandas as pd


@cache
def _read(name: str) -> pd.DataFrame:
    with resources.files(__package__).joinpath(name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def read_codebook(name: str) -> pd.DataFrame:
    """Return a copy of codebook table `name` (e.g. ``"labels.csv"``), every column as text."""
    return _read(name).copy()


_DASHES = re.compile("[\u2010-\u2015\u2212]")
_SPACES = re.compile(r"\s+")


def normalise_label(value: str) -> str:
    """Matching key for a label: case, dash style and spacing do not matter.

    >>> normalise_label("  Care Home \u2013 Nursing ")
    'care home - nursing'
    """
    return _SPACES.sub(" ", _DASHES.sub("-", str(value))).strip().casefold()


@cache
def label_lookup(field: str) -> dict[str, str]:
    """Map normalised variants of `field` to canonical SAC labels."""
    labels = _read("labels.csv")
    rows = labels[labels["field"] == field]
    if rows.empty:
        raise ValueError(f"unknown field {field!r}; known fields: {sorted(labels['field'].unique())}")
    return {normalise_label(v): c for v, c in zip(rows["variant"], rows["canonical"], strict=True)}


def canonical_labels(field: str) -> list[str]:
    """The canonical labels of `field` in codebook order (a new list each call: the caller may change it)."""
    return list(_canonical_labels(field))


@cache
def _canonical_labels(field: str) -> tuple[str, ...]:  # every report asks for several fields: filter labels.csv once
    labels = _read("labels.csv")
    rows = labels[(labels["field"] == field) & (labels["variant"] == labels["canonical"])]
    return tuple(rows["canonical"].tolist())


def _canonical(field: str, label: str) -> str:
    """`label`, checked to be a canonical label of `field` in labels.csv, so a renamed label fails at import."""
    if label not in canonical_labels(field):
        raise ValueError(f"labels.csv: {label!r} is not a canonical {field} label; known: {canonical_labels(field)}")
    return label


# The labels code tests against (the MSP pathway, SG3a support, SG2e), each named once for the whole package.
EXPRESSED = _canonical("msp_asked", "Yes they were asked and outcomes were expressed")
ASKED_NOT_EXPRESSED = _canonical("msp_asked", "Yes they were asked but no outcomes were expressed")
LACKED_CAPACITY = _canonical("lacked_capacity", "Yes, they lacked capacity")
ACTION_ON_RISK = _canonical("risk_assessment_outcome", "Risk identified and action taken")


@cache
def unknown_markers() -> dict[str, str]:
    """Map normalised unknown/suppression markers (``DK``, ``[c]``, blank…) to their kind."""
    markers = _read("unknown_markers.csv")
    lookup = {normalise_label(m): k for m, k in zip(markers["marker"], markers["kind"], strict=True)}
    lookup[""] = "missing"
    return lookup


@cache
def _field_table() -> dict[str, dict[str, str]]:
    return _read("fields.csv").set_index("field").to_dict(orient="index")


def field_info(field: str) -> dict[str, str]:
    """The row of ``fields.csv`` for `field` (unknown label, multi-valued flag)."""
    return dict(_field_table()[field])


SEED_FILE = "000_90a0418e40da04af.txt"
"""The founding resource (LGA/ADASS 2017, *Making Safeguarding Personal: what might 'good' look like for health and
social care commissioners and providers?*) as text; every codebook row drawn from it names it in its ``source``."""

ASKED = "return"
"""``asked`` value of the items on the temperature-check return template; the others (``bank``) are drawn from the
resource and scored where a return carries them, but not yet on the template (adding them would change the
questions of returns already filled in)."""


def instrument(include_bank: bool = False) -> pd.DataFrame:
    """The culture-indicator instrument: one row per item, each sourced to the seed (``instrument.csv``).

    By default only the items the return template asks (``asked == "return"``), in template order, as the
    template, its reader and the simulator use them; ``include_bank=True`` adds the item bank. Columns besides
    the wording and scale: ``indicator``, ``cqc_key_question`` (CQC's own filing of the topic),
    ``table1_column`` (the key question the resource's Table 1 gives it: reports group by this),
    ``table1_row`` (provider, commissioner or culture; blank when the passage is not in Table 1), ``msp_step``,
    ``step_group``, ``principle``, ``nhs_theme``, ``seed_passage`` (verbatim unless ``adapted``) and ``source``.

    >>> len(instrument()), len(instrument(include_bank=True)) > len(instrument())
    (30, True)
    """
    items = read_codebook("instrument.csv")
    items["reverse_coded"] = items["reverse_coded"].eq("true")
    items["adapted"] = items["adapted"].eq("true")
    if not include_bank:
        items = items[items["asked"] == ASKED].reset_index(drop=True)
    return items


@cache
def _indicator_table() -> pd.DataFrame:
    table = read_codebook("indicators.csv")
    table["in_models"] = table["indicator"].where(table["in_models"].eq("true")).notna()
    return table


def indicator_labels() -> dict[str, str]:
    """Indicator id → its display label (``indicators.csv``), in the order reports list them."""
    table = _indicator_table()
    return dict(zip(table["indicator"], table["label"], strict=True))


def indicator_phrase(indicator: str) -> str:
    """How an indicator reads inside a sentence ('learning from complaints'); unknown ids are returned as given."""
    table = _indicator_table().set_index("indicator")
    return str(table.at[indicator, "phrase"]) if indicator in table.index else indicator


@cache
def label_phrases() -> dict[str, str]:
    """Canonical SAC labels of the location and source of risk as they read inside a sentence
    (``label_phrases.csv``): 'Own Home' → "the person's own home"."""
    table = _read("label_phrases.csv")
    return dict(zip(table["label"], table["phrase"], strict=True))


def culture_terms() -> tuple[str, ...]:
    """The indicators the outcome models centre on (``in_models`` in ``indicators.csv``): supervision,
    staffing and complaints learning, the three the seed ties most directly to MSP practice."""
    table = _indicator_table()
    return tuple(table.loc[table["in_models"], "indicator"])


def likert_items(indicators: list[str] | None = None, include_bank: bool = False) -> pd.DataFrame:
    """Likert items of the instrument (the asked ones, or with `include_bank` the bank too), optionally only for
    some indicators."""
    items = instrument(include_bank)
    items = items[items["answer_scale"] == "likert5"]
    if indicators is not None:
        items = items[items["indicator"].isin(indicators)]
    return items.reset_index(drop=True)


LIKERT_LABELS = ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")


def _labels_of_kind(name: str, column: str, kind: str | None) -> tuple[str, ...]:
    table = _read(name)
    if kind is None:
        return tuple(table[column])
    if kind not in set(table["kind"]):
        raise ValueError(f"unknown kind {kind!r} in {name}; known kinds: {sorted(table['kind'].unique())}")
    return tuple(table.loc[table["kind"] == kind, column])


def organisation_types(kind: str | None = None) -> tuple[str, ...]:
    """Organisation types a return lists (``organisation_types.csv``), in list order.

    `kind` keeps one kind: ``council`` (the council itself), ``partner`` (the NHS, police,
    providers, the safeguarding adults board) or ``other``.

    >>> organisation_types("council")
    ('Local authority',)
    """
    return _labels_of_kind("organisation_types.csv", "org_type", kind)


def respondent_roles(kind: str | None = None) -> tuple[str, ...]:
    """Roles of the people answering a return (``respondent_roles.csv``), in list order; `kind` is
    ``staff`` (the named roles) or ``other``."""
    return _labels_of_kind("respondent_roles.csv", "role", kind)


def essential_steps() -> list[tuple[str, str]]:
    """(title, text) of the eight essential steps of Making Safeguarding Personal, in order, in the template's
    plain words; :func:`step_table` has the seed's own titles and groups."""
    table = _read("essential_steps.csv")
    return list(zip(table["title"], table["text"], strict=True))


def step_table() -> pd.DataFrame:
    """The eight essential steps: ``step`` (1-8), ``title``, ``text``, ``seed_title`` (the resource's words),
    ``group`` (see :func:`step_groups`) and ``source``."""
    table = read_codebook("essential_steps.csv")
    table["step"] = table["step"].astype(int)
    return table


def step_groups() -> pd.DataFrame:
    """The resource's four groups of steps (``group``, ``title`` as the resource heads them, ``steps``, ``source``).

    >>> step_groups()["group"].tolist()
    ['leading', 'workforce', 'prevention_engagement', 'across_organisations']
    """
    return read_codebook("step_groups.csv")


def safeguarding_principles() -> list[tuple[str, str]]:
    """(principle, text) of the six safeguarding principles; the text continues "Principle: …"."""
    table = _read("safeguarding_principles.csv")
    return list(zip(table["principle"], table["text"], strict=True))


def principle_table() -> pd.DataFrame:
    """The six principles with the resource's ``definition`` and ``i_statement`` (verbatim, Appendix 2)."""
    return read_codebook("safeguarding_principles.csv")


def person_items() -> pd.DataFrame:
    """Person-level feedback items: the six 'I' statements, verbatim, asked on the five-point agreement scale of
    the person after an enquiry (``person_items.csv``): ``item_id``, ``principle``, ``wording``, ``answer_scale``."""
    return read_codebook("person_items.csv")


@cache
def feedback_labels(field: str) -> dict[str, str]:
    """Normalised variants → canonical label of a person-feedback field (``answered_by``, ``answered_when``;
    ``feedback_labels.csv``), canonical labels first in list order.

    >>> feedback_labels("answered_by")["imca"]
    'An advocate'
    """
    table = _read("feedback_labels.csv")
    rows = table[table["field"] == field]
    if rows.empty:
        raise ValueError(f"unknown feedback field {field!r}; known: {sorted(table['field'].unique())}")
    return {normalise_label(v): c for v, c in zip(rows["variant"], rows["canonical"], strict=True)}


def success_measures() -> pd.DataFrame:
    """Appendix 5's West Sussex measures of success, one row per bullet (``success_measures.csv``).

    ``perspective``: individuals, staff, service, relatives_friends; ``part``: ``means`` (what success means),
    ``delivered`` (how it is delivered) or ``measured`` (how it is measured); ``text`` verbatim. These are
    provider-level measures: a provider rates itself on them, they are not asked of each person.
    """
    return read_codebook("success_measures.csv")


def provider_checklist() -> pd.DataFrame:
    """Appendix 3's provider internal-guidelines checklist (paragraph 14.231), one row per thing the guidelines
    should cover; ``under == "operational"`` for the operational guidelines (restraint, medication, money …)."""
    return read_codebook("provider_checklist.csv")


def commissioner_evidence() -> pd.DataFrame:
    """Table 1's commissioner row ("What evidence would a commissioner look for?"): one row per piece of evidence,
    with the key question it sits under. Answered yes / partly / no (:func:`evidence_answers`) with a source and
    date, not agreed with."""
    return read_codebook("commissioner_evidence.csv")


def evidence_answers() -> dict[str, int]:
    """Answer → value of the evidence scale (Yes 2, Partly 1, No 0)."""
    table = _read("evidence_answers.csv")
    return {a: int(v) for a, v in zip(table["answer"], table["value"], strict=True)}


def assurance_themes() -> tuple[str, ...]:
    """The nine thematic headings of NHS England's safeguarding assurance tool, as the resource lists them; items
    name theirs in ``instrument.csv`` (``nhs_theme``)."""
    return tuple(_read("assurance_themes.csv")["theme"])


def template_themes() -> dict[str, str]:
    """Indicator id → the theme as the return template names it to councils ('Mental Capacity Act awareness')."""
    table = _read("template_themes.csv")
    return dict(zip(table["indicator"], table["theme"], strict=True))


def return_instructions() -> list[tuple[str, str]]:
    """(style, text) rows of the return template's Instructions sheet (``return_instructions.csv``).

    Styles: ``title``, ``heading``, ``text``, ``small``, ``blank`` (an empty row) and ``list``,
    whose text names the codebook list written there one row per entry (``essential_steps``,
    ``safeguarding_principles``). Text holds ``{placeholders}`` the template fills in.
    """
    table = _read("return_instructions.csv")
    return list(zip(table["style"], table["text"], strict=True))


def published_files() -> list[dict[str, str]]:
    """The published national files whose addresses are known (``sources.csv``), one row per kind and year.

    Keys: ``kind``, ``year`` (``YYYY-YY``), ``url``, ``file_name``, ``publisher``, ``publication``,
    ``licence`` and ``address_from`` (where the address was found). ``msp-analysis fetch`` reads
    it; a newly published year is one more line. ``docs/data_sources.md`` lists every dataset,
    including those with no known address.
    """
    return _read("sources.csv").to_dict(orient="records")


@cache
def positive_wordings() -> dict[str, str]:
    """Each reverse-worded item in its positive form (``positive_wordings.csv``), for a report that lists items as
    strengths or weaknesses: 'Complaints are handled without reaching the staff…' → 'Complaints reach the staff
    who could learn from them.' The return asks the item as worded in ``instrument.csv``; this form is never asked."""
    table = _read("positive_wordings.csv")
    return dict(zip(table["item_id"], table["positive_wording"], strict=True))
