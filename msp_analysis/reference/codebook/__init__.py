"""Canonical labels, the culture-indicator instrument and geography, kept as data.

A new label variant is a one-line change to a CSV here, not a code change. Tables
are read lazily (on first call) and cached, so importing the package stays cheap.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import pandas as pd


@lru_cache(maxsize=None)
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


@lru_cache(maxsize=None)
def label_lookup(field: str) -> dict[str, str]:
    """Map normalised variants of `field` to canonical SAC labels."""
    labels = _read("labels.csv")
    rows = labels[labels["field"] == field]
    if rows.empty:
        raise ValueError(f"unknown field {field!r}; known fields: {sorted(labels['field'].unique())}")
    return {normalise_label(v): c for v, c in zip(rows["variant"], rows["canonical"])}


def canonical_labels(field: str) -> list[str]:
    """The canonical labels of `field` in codebook order."""
    labels = _read("labels.csv")
    rows = labels[(labels["field"] == field) & (labels["variant"] == labels["canonical"])]
    return rows["canonical"].tolist()


@lru_cache(maxsize=None)
def unknown_markers() -> dict[str, str]:
    """Map normalised unknown/suppression markers (``DK``, ``[c]``, blank…) to their kind."""
    markers = _read("unknown_markers.csv")
    lookup = {normalise_label(m): k for m, k in zip(markers["marker"], markers["kind"])}
    lookup[""] = "missing"
    return lookup


@lru_cache(maxsize=None)
def _field_table() -> dict[str, dict[str, str]]:
    return _read("fields.csv").set_index("field").to_dict(orient="index")


def field_info(field: str) -> dict[str, str]:
    """The row of ``fields.csv`` for `field` (unknown label, multi-valued flag)."""
    return dict(_field_table()[field])


def instrument() -> pd.DataFrame:
    """The culture-indicator instrument: one row per item, derived from the seed's Table 1."""
    items = read_codebook("instrument.csv")
    items["reverse_coded"] = items["reverse_coded"].eq("true")
    return items


def likert_items(indicators: list[str] | None = None) -> pd.DataFrame:
    """Likert items of the instrument, optionally only for some indicators."""
    items = instrument()
    items = items[items["answer_scale"] == "likert5"]
    if indicators is not None:
        items = items[items["indicator"].isin(indicators)]
    return items.reset_index(drop=True)


LIKERT_LABELS = ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")
