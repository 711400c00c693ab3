"""What every report is made of: sections, and the small rules for writing their sentences.

A report's content module (:mod:`msp_analysis.reporting.content`) returns its parts as
:class:`Section` objects (sentences, then a figure, then tables, then more sentences) that
display themselves in a notebook; every table of a section is a :class:`SectionTable`, whose
``frame`` is the table's disclosed values as a DataFrame (``report.pathway.tables[0].frame``), for
a researcher who wants to take a table further. The helpers here are the house style of the sentences:
a percentage as people write it (:func:`pct`), a category label as it reads inside a
sentence (:func:`phrase`), a region with or without "the" (:func:`with_article`), and text
from the data made inert before it is rendered as Markdown (:func:`inert`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, fields
from functools import cache
from importlib import resources

import pandas as pd
import yaml

from msp_analysis.disclosure.display import HIDDEN_SYMBOL_TITLE, DisclosedTable
from msp_analysis.reference.codebook import label_phrases
from msp_analysis.reporting.figures import FigureImage


@cache
def _text_file(report: str) -> dict[str, str]:
    with resources.files("msp_analysis.reporting.text").joinpath(f"{report}.yaml").open(encoding="utf-8") as handle:
        entries = yaml.safe_load(handle)
    if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
        raise ValueError(f"reporting/text/{report}.yaml: expected 'key: text' lines")
    return entries


@dataclass(frozen=True)
class ReportText:
    """A report's fixed words, kept in one text file (``reporting/text/REPORT.yaml``), not in Python.

    Each entry is a sentence or paragraph with ``{name}`` placeholders filled from the numbers
    (``str.format``, so a literal brace is written twice); ``text("key", n=3)``. The file is package
    data, read once per process.
    """

    report: str

    def __call__(self, key: str, /, **values: object) -> str:
        entries = _text_file(self.report)
        if key not in entries:
            raise KeyError(f"reporting/text/{self.report}.yaml has no entry {key!r}")
        return entries[key].format(**values)


def pct(value: float) -> str:
    """A percentage (0-100) as a sentence writes it: whole numbers, ``68%``."""
    return f"{value:.0f}%"


def score(value: float, top: float = 5) -> str:
    """A mean score as a sentence writes it: one decimal, two where one would round up to the top (4.97, not 5.0 of 5)."""
    one = f"{value:.1f}"
    return f"{value:.2f}" if float(one) >= top > value else one


def signed(value: float, decimals: int = 1) -> str:
    """A difference with its sign (+0.4, -0.2), and 0.0 with none: never "-0.0" or "+0.0"."""
    text = f"{value:+.{decimals}f}"
    return text[1:] if float(text) == 0 else text


def quoted(words: str) -> str:
    """Words quoted inside a sentence, without their own closing full stop: no '"… practice.".' at a sentence's end."""
    return f'"{words.strip().rstrip(".")}"'


def phrase(label: str) -> str:
    """A label as it reads inside a sentence: 'Own Home' → "the person's own home", 'MCA awareness' kept."""
    phrases = label_phrases()
    if label in phrases:
        return phrases[label]
    return label if label[:2].isupper() else label[:1].lower() + label[1:].lower()


def with_article(region: str) -> str:
    """'the North East' but 'London' and 'Yorkshire and the Humber', as people write them."""
    return region if region in ("London", "Yorkshire and the Humber") else f"the {region}"


def inert(markdown: str) -> str:
    """Markdown whose text came partly from data, made safe to render: any HTML in it shows as
    text and no link (``[x](javascript:...)``) can form. Report prose uses neither HTML nor links."""
    return html.escape(markdown, quote=False).replace("[", "\\[").replace("]", "\\]")


@dataclass
class SectionTable(DisclosedTable):
    """A disclosed table as a section holds it: shown as before, and its data as a DataFrame (:attr:`frame`)."""

    @classmethod
    def of(cls, table: DisclosedTable) -> SectionTable:
        """`table` as a SectionTable (the same cells, policy and notes; nothing is disclosed again)."""
        if isinstance(table, cls):
            return table
        return cls(**{f.name: getattr(table, f.name) for f in fields(DisclosedTable)})

    @property
    def frame(self) -> pd.DataFrame:
        """The table's disclosed values, one column per shown column, headed as shown.

        Numbers as the table shows them (counts rounded, percentages computed from the shown
        counts, model estimates unrounded), NaN where a cell is hidden or blank; text columns as
        text. Nothing the table hides is in it. A copy: changing it changes nothing in the report.
        """
        frame = self.values.copy()
        if frame.shape[1] == self.display.shape[1]:
            frame.columns = list(self.display.columns)
        return frame


MAIN_POINTS_HEADING = "Main points"


@dataclass(frozen=True)
class MainPoints:
    """The box of three to five plain sentences a board reads first; every sentence escaped, ``[c]`` explained."""

    sentences: tuple[str, ...]

    def to_html(self) -> str:
        items = "".join(f"<li>{html.escape(s).replace('[c]', f'<abbr title={chr(34)}{HIDDEN_SYMBOL_TITLE}{chr(34)}>[c]</abbr>')}</li>"
                        for s in self.sentences)
        return f'<section class="msp-points" aria-label="{MAIN_POINTS_HEADING}"><h2>{MAIN_POINTS_HEADING}</h2><ul>{items}</ul></section>'

    def _repr_html_(self) -> str:
        return self.to_html()


@dataclass
class Section:
    """One part of a report: main points (a summary only), sentences, then a figure, then tables; displays itself.

    Each table becomes a :class:`SectionTable` (``section.tables[0].frame`` is its data as a DataFrame).
    """

    markdown: str = ""
    figure: FigureImage | None = None
    tables: list[DisclosedTable] = field(default_factory=list)
    after: str = ""
    points: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tables = [SectionTable.of(table) for table in self.tables]

    def outputs(self) -> list[object]:
        """The display objects in order: Markdown (made inert), figure, tables, Markdown after."""
        # lazy: IPython costs about 70 ms to import and is needed only where a section is displayed
        from IPython.display import Markdown

        items: list[object] = [MainPoints(tuple(self.points))] if self.points else []
        items += [Markdown(inert(self.markdown))] if self.markdown else []
        if self.figure is not None:
            items.append(self.figure)
        items += self.tables
        if self.after:
            items.append(Markdown(inert(self.after)))
        return items

    def _ipython_display_(self) -> None:
        # lazy: see outputs(); inside a kernel IPython is already loaded
        from IPython.display import display

        for item in self.outputs():  # a table, figure or the main points: its HTML and a short plain-text stand-in,
            html_of = getattr(item, "_repr_html_", None)  # not the repr of every frame and byte it holds
            if html_of is None:
                display(item)
            else:
                display({"text/html": html_of(), "text/plain": f"<{type(item).__name__}>"}, raw=True)
