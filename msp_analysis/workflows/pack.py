"""The regional pack: a region's temperature-check returns in, cleaned data, scores and the report out.

:func:`pack` validates the returns (feedback workbook per return), merges the usable ones into
the rows :func:`~msp_analysis.clean.temperature_check.clean_temperature_check` reads (through
:func:`~msp_analysis.io.workbook.returns.return_rows`), cleans and scores them, tabulates which
councils returned (:func:`coverage_table`) and renders the regional report.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from msp_analysis.analysis.indicators import council_scores, score_temperature_check
from msp_analysis.clean import clean_and_validate
from msp_analysis.clean.temperature_check import wide_answers
from msp_analysis.io.processed import write_clean_outputs
from msp_analysis.io.workbook.feedback import ValidationSummary, council_status, validate_returns
from msp_analysis.io.workbook.layout import STATUS_UNREADABLE, USABLE_STATUSES, checked_region_wave
from msp_analysis.io.workbook.returns import ReturnReading, return_rows
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import likert_items
from msp_analysis.reporting.render import batch as reports
from msp_analysis.toolkit.files import write_csv
from msp_analysis.toolkit.paths import resolve_path

# respondent-level rows and the values typed in returns: for the pack's owner only (toolkit.files.PRIVATE)
PRIVATE_FILES = ("temperature_check.returns.csv", "problems.csv")
COVERAGE_COLUMNS = ["ons_code", "cassr_code", "council", "returned", "status", "in_scores", "returns",
                    "organisations", "respondents", "files", "note"]


def headline_scores(clean_long: pd.DataFrame, region: str | None = None) -> pd.DataFrame:
    """Council indicator means (1-5, higher = better culture) and, last, the region's mean of its councils.

    The numbers the regional report leads with: :func:`~msp_analysis.analysis.indicators.council_scores`
    of the clean answers (respondents averaged per organisation, organisations per council),
    with the council's name, and a region row in which every council counts once.

    >>> headline_scores(clean_temperature_check(rows).clean, "North East")  # doctest: +SKIP
    """
    indicators = list(dict.fromkeys(likert_items(include_bank=True)["indicator"]))  # a v2 return carries the bank
    base = ["ons_code", "council", "wave"]
    if clean_long.empty:
        return pd.DataFrame(columns=base + indicators + ["n_organisations", "n_respondents"])
    scores = council_scores(wide_answers(clean_long))
    indicators = [c for c in indicators if c in scores.columns]
    names = {}
    for wave in scores["wave"].unique():
        if wave in geography.FINANCIAL_YEARS:
            names.update(geography.councils(wave).set_index("ons_code")["name"].to_dict())
    scores.insert(1, "council", scores["ons_code"].map(names).fillna(""))
    others = [c for c in scores.columns if c not in base + indicators]
    scores = scores[base + indicators + others]
    if region is not None and len(scores):
        total = {"ons_code": "", "council": f"{region} (mean of councils)",
                 "wave": "; ".join(sorted(scores["wave"].unique())),
                 **scores[indicators + [c for c in others if c.startswith("stf_")]].mean().to_dict(),
                 "n_organisations": int(scores["n_organisations"].sum()),
                 "n_respondents": int(scores["n_respondents"].sum())}
        scores = pd.concat([scores, pd.DataFrame([total])], ignore_index=True)
    return scores


def coverage_table(region: str, wave: str, summary: ValidationSummary,
                   clean_long: pd.DataFrame | None = None) -> pd.DataFrame:
    """Which councils of `region` returned in `wave`, with what status and whether they are scored.

    One row per council of the region in that wave, then one per return that could not be
    attributed to one of them (unreadable, council not chosen, another region or wave).
    """
    region, wave = checked_region_wave(region, wave)
    councils = geography.councils(wave, region)
    returns = summary.returns
    returns["matches"] = (returns["region"] == region) & (returns["wave"] == wave)
    returns["usable"] = returns["status"].isin(USABLE_STATUSES) & returns["matches"]
    counts = pd.DataFrame(columns=["ons_code", "organisations", "respondents"])
    if clean_long is not None and len(clean_long):
        keys = clean_long[["ons_code", "org_id", "respondent"]].drop_duplicates()
        counts = keys.groupby("ons_code").agg(organisations=("org_id", "nunique"),
                                             respondents=("respondent", "size")).reset_index()
    counts = counts.set_index("ons_code")
    rows = []
    for council in councils.itertuples(index=False):
        mine = returns[returns["ons_code"] == council.ons_code]
        ours = mine[mine["matches"]]
        scored = bool(mine["usable"].any()) and council.ons_code in counts.index
        note = []
        if len(mine) > len(ours):
            note.append(f"{len(mine) - len(ours)} return(s) made from another region's or wave's template")
        if int(mine["usable"].sum()) > 1:
            note.append("several returns: check none is a resubmission of another")
        rows.append({
            "ons_code": council.ons_code, "cassr_code": council.cassr_code, "council": council.name,
            "returned": "yes" if len(mine) else "no",
            "status": council_status(ours["status"]) if len(ours) else (
                "template of another region or wave" if len(mine) else "not returned"),
            "in_scores": "yes" if scored else "no", "returns": len(mine),
            "organisations": int(counts.loc[council.ons_code, "organisations"]) if scored else 0,
            "respondents": int(counts.loc[council.ons_code, "respondents"]) if scored else 0,
            "files": "; ".join(Path(f).name for f in mine["file"]), "note": "; ".join(note),
        })
    for r in returns[~returns["ons_code"].isin(set(councils["ons_code"]))].itertuples(index=False):
        if r.status == STATUS_UNREADABLE or not r.ons_code:
            note = "council not identified (see its feedback workbook)"
        elif not r.matches:
            note = f"template for {r.region or '?'} {r.wave or '?'}, not {region} {wave}"
        else:
            note = "council outside the region"
        rows.append({"ons_code": r.ons_code, "cassr_code": "", "council": r.council or "(not identified)",
                     "returned": "yes", "status": r.status, "in_scores": "no", "returns": 1, "organisations": 0,
                     "respondents": 0, "files": Path(r.file).name, "note": note})
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


@dataclass
class PackResult:
    """Everything :func:`pack` produced, with the files written and what happened to the report."""

    region: str
    wave: str
    out_dir: Path
    summary: ValidationSummary
    coverage: pd.DataFrame
    headline: pd.DataFrame
    scores: pd.DataFrame
    clean: object | None  # CleanResult of the usable returns, or None when there were none
    files: dict[str, Path] = field(default_factory=dict)
    report: str = ""
    report_outcomes: list = field(default_factory=list)

    @property
    def report_failed(self) -> bool:
        return any(o.status == "failed" for o in self.report_outcomes)

    def text(self) -> str:
        returned = int((self.coverage["returned"] == "yes").sum() if len(self.coverage) else 0)
        region_rows = self.coverage[self.coverage["cassr_code"] != ""]
        scored = int((region_rows["in_scores"] == "yes").sum())
        lines = [self.summary.text().rstrip("\n"),
                 f"{self.region} {self.wave}: {scored} of {len(region_rows)} councils scored; "
                 f"{returned} return(s) received",
                 f"not returned: {', '.join(region_rows.loc[region_rows['returned'] == 'no', 'council']) or 'none'}",
                 f"report: {self.report}",
                 f"outputs in {self.out_dir}: " + ", ".join(sorted(p.name for p in self.files.values()))]
        return "\n".join(lines) + "\n"


def _remap_rejects(rejects: pd.DataFrame, readings: dict[str, ReturnReading]) -> pd.DataFrame:
    """Point the cleaner's reject lines at spreadsheet cells: row = the cell's row, column = ``Sheet!F14``."""
    out = rejects.copy()
    cells = []
    for file, row, column in zip(out["file"], out["row"], out["column"], strict=True):
        reading = readings.get(file)
        cells.append(reading.cell_of(column, int(row)) if reading is not None else column)
    out["column"] = cells
    out["row"] = [int(re.search(r"(\d+)$", c)[1]) if re.search(r"!\D+\d+$", c) else r
                  for c, r in zip(cells, out["row"], strict=True)]
    return out.astype({"row": "int64"})


def render_pack_report(region: str, wave: str, data_dir: str | Path, out_dir: str | Path,
                       quiet: bool = True) -> tuple[str, list]:
    """Render the regional temperature-check report from the pack's ``temperature_check.parquet`` in `data_dir`."""
    params = reports.validate_parameters("temperature_check", {"region": region, "wave": wave, "data_dir": str(data_dir)})
    outcomes = reports.render_reports("temperature_check", [params], out_dir, jobs=1, quiet=quiet)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        return f"failed: {failed[0].error}", outcomes
    return f"rendered {Path(out_dir) / 'index.html'}", outcomes


def pack(region: str, wave: str, returns: Sequence[str | Path], out_dir: str | Path,
         render: bool = True, quiet: bool = True) -> PackResult:
    """Validate, merge, clean, score and report a region's returns for one wave, in one call.

    Writes to `out_dir`: ``feedback/STEM.feedback.xlsx`` per return, ``validation.csv`` (one
    row per return) and ``problems.csv``, ``temperature_check.returns.csv`` (the merged rows
    given to the cleaner), ``temperature_check.parquet`` / ``.rejects.csv`` (rejects point at
    ``Return!F14``-style cells) / ``.manifest.json``, ``scores.csv`` (council × wave scores with
    ``z_`` columns), ``headline.csv`` (council means and the region's), ``coverage.csv`` and,
    once the notebook is registered, the rendered report (``index.html``).

    Returns from another region's or wave's template, of a wrong template version, or
    unreadable are listed in the coverage table and left out of the scores. Answers the
    feedback marks as errors are left out; the rest of an incomplete return is used.

    >>> result = pack("North East", "2024-25", ["durham.xlsx", "gateshead.xlsx"], "pack")  # doctest: +SKIP
    >>> print(result.text())                                                            # doctest: +SKIP
    """
    region, wave = checked_region_wave(region, wave)
    out_dir, returns = resolve_path(out_dir), [resolve_path(path) for path in returns]  # relative: from the root
    summary = validate_returns(returns, feedback_dir=out_dir / "feedback")
    files: dict[str, Path] = {}

    def save(name: str, frame: pd.DataFrame) -> None:
        files[name] = out_dir / name
        write_csv(files[name], frame, private=name in PRIVATE_FILES)

    save("validation.csv", summary.returns)
    save("problems.csv", summary.problems)
    usable = [r for r in summary.readings
              if r.usable and r.template_region == region and r.template_wave == wave and r.respondents]
    merged = pd.concat([return_rows(r) for r in usable], ignore_index=True) if usable else return_rows(
        ReturnReading(path=""))
    save("temperature_check.returns.csv", merged.drop(columns=["_source_row"]))
    clean = None
    clean_long = None
    scores = pd.DataFrame(columns=["ons_code", "wave"])
    if len(merged):
        clean = clean_and_validate("temperature_check", merged, source=str(usable[0].path))
        clean.rejects = _remap_rejects(clean.rejects, {r.path: r for r in usable})
        write_clean_outputs("temperature_check", clean, [r.path for r in usable], out_dir)
        for suffix in ("parquet", "rejects.csv", "manifest.json"):
            files[f"temperature_check.{suffix}"] = out_dir / f"temperature_check.{suffix}"
        clean_long = clean.clean
        if len(clean_long):
            scores = score_temperature_check(clean_long)
    save("scores.csv", scores)
    headline = headline_scores(clean_long if clean_long is not None else pd.DataFrame(), region)
    save("headline.csv", headline)
    coverage = coverage_table(region, wave, summary, clean_long)
    save("coverage.csv", coverage)
    result = PackResult(region, wave, out_dir, summary, coverage, headline, scores, clean, files)
    if not render:
        result.report = "not rendered (render=False)"
    elif clean_long is None or clean_long.empty:
        result.report = "not rendered: no usable returns"
    else:
        result.report, result.report_outcomes = render_pack_report(region, wave, out_dir, out_dir, quiet=quiet)
        for outcome in result.report_outcomes:
            if outcome.html_path is not None:
                result.files[Path(outcome.html_path).name] = Path(outcome.html_path)
                result.files["index.html"] = out_dir / "index.html"
    return result
