"""The return template's layout and vocabulary, shared by the writer and the reader of returns.

Rows are found by the key in column A (item ID or ``org_name`` …), not by position, so an
inserted row does not shift answers onto the wrong question; the constants here fix where the
template puts things and what a reader expects to find.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from msp_analysis.reference import geography
from msp_analysis.reference.codebook import LIKERT_LABELS, instrument, read_codebook
from msp_analysis.reference.financial_years import parse_financial_year
from msp_analysis.toolkit.errors import ParameterError

TEMPLATE_KIND = "temperature_check"
TEMPLATE_VERSION = "2"
TEMPLATE_VERSIONS = ("1", "2")
"""Versions a return may be made from: 1 asks the 30 items of the first template; 2 adds the item bank of
``instrument.csv`` and a ``notes_reviewed`` row. A return is read against its own version's items."""

INSTRUCTIONS_SHEET = "Instructions"
RETURN_SHEET = "Return"
COUNCILS_SHEET = "Councils"
META_SHEET = "_template"

COUNCIL_LABEL, REGION_LABEL, WAVE_LABEL = "Council", "Region", "Wave"
COUNCIL_ROW, REGION_ROW, WAVE_ROW = 4, 5, 6
VALUE_COLUMN = 2  # B: the council dropdown, region and wave
HEADER_ROW = 8
HEADER_ITEM_ID = "Item ID"
FIRST_PERSON_COLUMN = 6  # F
DEFAULT_RESPONDENTS = 10
IDENTITY_KEYS = ("org_name", "org_type", "respondent_role")
NOTES_KEY = "notes"
NOTES_REVIEWED_KEY = "notes_reviewed"  # version 2: the note was reviewed and may be published (Yes / No)
REVIEWED_OPTIONS = ("Yes", "No")
IDENTITY_LABELS = {
    "org_name": "Organisation name",
    "org_type": "Organisation type",
    "respondent_role": "Role of the person answering (optional)",
    NOTES_KEY: "Notes (optional; anything you want the region to know)",
    NOTES_REVIEWED_KEY: "Note reviewed: may the region print it in its report? (Yes / No; empty means No)",
}

DONT_KNOW = "Don't know"
RAG_LABELS = ("Red", "Red/Amber", "Amber", "Amber/Green", "Green")
SCALE_OPTIONS = {"likert5": LIKERT_LABELS + (DONT_KNOW,), "rag5": RAG_LABELS + (DONT_KNOW,)}
SCALE_NAMES = {"likert5": "Likert (agree/disagree)", "rag5": "RAG (red/amber/green)",
               "percent": "Number, 0 to 100", "number": "Number, 0 to 200"}
NUMBER_RANGES = {"percent": (0.0, 100.0), "number": (0.0, 200.0)}

STATUS_COMPLETE = "complete"
STATUS_INCOMPLETE = "incomplete"
STATUS_WRONG_VERSION = "wrong template version"
STATUS_UNREADABLE = "unreadable"
USABLE_STATUSES = (STATUS_COMPLETE, STATUS_INCOMPLETE)


def questions_checksum(items: pd.DataFrame | None = None) -> str:
    """sha256 of what a respondent answers: item ID, wording, answer scale and reverse coding of each item the
    template asks, in order. Tags (key question, step, source …) and the item bank are not part of it, so
    correcting a tag does not make earlier returns unreadable."""
    items = instrument() if items is None else items
    lines = (f"{i}\t{w}\t{s}\t{str(bool(r)).lower()}\n" for i, w, s, r in
             zip(items["item_id"], items["wording"], items["answer_scale"], items["reverse_coded"], strict=True))
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def instrument_checksum(items: pd.DataFrame | None = None) -> str:
    """The checksum a template records for its questions (`items`, default the current template's), so a return
    made from other questions is recognised.

    It is :func:`questions_checksum`, except for a question set first published under another checksum
    (``codebook/instrument_checksums.csv``): the first template recorded the sha256 of ``instrument.csv`` as
    then shipped, and its question set keeps that checksum, so returns filled in from it still read.
    """
    questions = questions_checksum(items if items is not None else version_items())
    table = read_codebook("instrument_checksums.csv")
    recorded = dict(zip(table["questions_sha256"], table["recorded_sha256"], strict=True))
    return recorded.get(questions, questions)


def version_items(version: str = TEMPLATE_VERSION) -> pd.DataFrame:
    """The instrument items a template of `version` asks, in instrument order: version 1 the items asked on the
    first template (``asked == "return"``), version 2 those and the item bank."""
    if version not in TEMPLATE_VERSIONS:
        raise ParameterError(f"template version {version!r}; known versions: {', '.join(TEMPLATE_VERSIONS)}")
    return instrument(include_bank=version != "1")


def template_items(scale: str = "likert", version: str = TEMPLATE_VERSION) -> pd.DataFrame:
    """Instrument items in template order with the answer scale each is asked on.

    ``scale="rag"`` asks the positively worded Likert items on the RAG scale; reverse-coded
    (negatively worded) items stay on Likert, because a RAG rating of "this goes wrong" is
    ambiguous (the cleaner rejects it). Staffing numbers keep their own scale.

    >>> template_items("rag").set_index("item_id").loc[["sup_1", "sup_3"], "template_scale"].tolist()
    ['rag5', 'likert5']
    """
    if scale not in ("likert", "rag"):
        raise ParameterError(f"scale={scale!r}; expected likert or rag")
    items = version_items(version)
    items["template_scale"] = items["answer_scale"]
    if scale == "rag":
        items.loc[(items["answer_scale"] == "likert5") & ~items["reverse_coded"], "template_scale"] = "rag5"
    ordinal = items["template_scale"].isin(SCALE_OPTIONS)
    return pd.concat([items[ordinal], items[~ordinal]]).reset_index(drop=True)


def checked_region_wave(region: str, wave: str) -> tuple[str, str]:
    """The canonical region name and financial year of `region` and `wave`, or a ParameterError
    naming the ``--region`` or ``--wave`` option."""
    try:
        region_name = geography.canonical_region(region)
    except ValueError as error:
        raise ParameterError(f"--region: {error}") from None
    year = parse_financial_year(wave)
    if year not in geography.FINANCIAL_YEARS:
        raise ParameterError(f"--wave {wave!r} is not a financial year this package covers "
                             f"({geography.FINANCIAL_YEARS[0]} to {geography.FINANCIAL_YEARS[-1]}), e.g. 2024-25")
    return region_name, year
