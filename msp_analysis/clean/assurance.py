"""Clean commissioners' and providers' assurance returns (kind ``assurance``) into one row per organisation × check.

An assurance return (:mod:`msp_analysis.io.workbook.assurance`) is an organisation's own account, not a
person's: a commissioner says, for each piece of evidence of Table 1's commissioner row, whether it exists
(Yes / Partly / No), where it comes from and its date; a provider rates itself on Appendix 5's measures of
success (Red … Green) and says whether its internal guidelines cover each item of Appendix 3 (Yes / Partly /
No). Input rows are text, one per check (``read_assurance_frame`` makes them from filled workbooks; a flat file
with the same columns works too): ``kind``, ``ons_code`` (code or name of the council the return is for),
``region``, ``wave``, ``org_name``, ``name_published``, ``check_id``, ``answer``, ``source``, ``date``, ``notes``.

What is rejected, and how much goes with it:

* **the whole row** (counted in ``rows_rejected``; one reject line per problem): a return the reader could not
  read or that is not an assurance return of this version (one row for the file); a check whose wording was
  edited or whose answer is a formula; a ``kind`` that is not commissioner or provider; a check that is not one of
  that kind's; a wave that is not a financial year of the geography; a council that is not one in that wave, or
  not in the return's region; no organisation name; the same organisation's check answered twice for the same council, kind and wave (the later one, naming the first).
* **the answer** (the row is kept, ``answer_rejected`` set, no value): an answer that is not on the check's scale.
  **The date** (the row and answer are kept, no date): a date that is not a date. **The name** (the rows are
  kept, the organisation is not named; one line per file): ``name_published`` other than yes / no / blank.

A blank answer is kept as not answered (``answered`` false): for assurance it is a gap, not an error to hide.
Rows in = rows kept + rows rejected. ``name_published`` is true only where the return says Yes: reports name
an organisation only then (docs/assurance.md).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pa

from msp_analysis.clean.common import REJECT_COLUMNS, SOURCE_FILE, SOURCE_ROW, CleanResult, match_columns, with_source
from msp_analysis.clean.schemas import (
    COUNCIL_CODE,
    REGION_NAMES,
    YEAR,
    DatasetKind,
    output_columns,
    output_dtypes,
    rule,
    schema,
    typed_column,
)
from msp_analysis.io.workbook.assurance import KINDS as ASSURANCE_KINDS
from msp_analysis.io.workbook.assurance import answer_options, assurance_checks
from msp_analysis.io.workbook.layout import RAG_LABELS
from msp_analysis.io.workbook.returns import organisation_id
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import (
    commissioner_evidence,
    evidence_answers,
    normalise_label,
    provider_checklist,
    success_measures,
)
from msp_analysis.reference.financial_years import parse_financial_year

REQUIRED = ["kind", "ons_code", "wave", "org_name", "check_id", "answer"]
OPTIONAL = ["region", "name_published", "source", "date", "notes"]
PARTS = ("evidence", "means", "delivered", "measured", "guidelines")
ROW_LEFT_OUT = "; the whole row is left out"
ANSWER_LEFT_OUT = "; this answer is left out, the rest of the row is kept"
DATE_LEFT_OUT = "; the date is left out, the answer is kept"
YES, NO = ("yes", "y", "true", "1"), ("no", "n", "false", "0", "")


@cache
def check_table() -> pd.DataFrame:
    """Every check of both kinds: ``kind``, ``check_id``, ``part`` (evidence; means, delivered, measured: the three
    parts of Appendix 5; guidelines: Appendix 3), ``heading`` (the key question of Table 1, the Appendix 5
    perspective, or ``guidelines`` / ``operational``), ``scale`` and ``text`` (verbatim), in template order."""
    evidence = commissioner_evidence()
    measures = success_measures()
    checklist = provider_checklist()
    parts = [
        pd.DataFrame({"kind": "commissioner", "check_id": evidence["evidence_id"], "part": "evidence",
                      "heading": evidence["table1_column"], "text": evidence["text"]}),
        pd.DataFrame({"kind": "provider", "check_id": measures["measure_id"], "part": measures["part"],
                      "heading": measures["perspective"], "text": measures["text"]}),
        pd.DataFrame({"kind": "provider", "check_id": checklist["check_id"], "part": "guidelines",
                      "heading": checklist["under"].replace("", "guidelines"), "text": checklist["text"]}),
    ]
    table = pd.concat(parts, ignore_index=True)
    scales = pd.concat([assurance_checks(kind)[["check_id", "scale"]].assign(kind=kind) for kind in ASSURANCE_KINDS])
    return table.merge(scales, on=["kind", "check_id"], how="left", validate="one_to_one")


SCHEMA = schema("assurance", {
    "kind": typed_column("string", pa.Check.isin(list(ASSURANCE_KINDS)), description="commissioner or provider."),
    "ons_code": typed_column("string", COUNCIL_CODE, description="ONS code of the council the return is for."),
    "region": typed_column("string", pa.Check.isin(REGION_NAMES), description="ADASS region of that council."),
    "wave": typed_column("string", YEAR, description="Financial year of the return (YYYY-YY)."),
    "org_id": typed_column("string", description="The council's code and the organisation's name, as an ID."),
    "org_name": typed_column("string", description="The organisation's name (reports print it only where "
                                                   "name_published)."),
    "name_published": typed_column("bool", description="The return says the organisation's name may be published "
                                                       "(Yes; blank or No: false)."),
    "check_id": typed_column("string", description="The check (commissioner_evidence.csv, success_measures.csv, "
                                                   "provider_checklist.csv)."),
    "part": typed_column("string", pa.Check.isin(list(PARTS)),
                         description="evidence (Table 1); means, delivered, measured (Appendix 5); guidelines "
                                     "(Appendix 3)."),
    "heading": typed_column("string", description="Key question (Table 1), perspective (Appendix 5) or guidelines / "
                                                  "operational (Appendix 3)."),
    "scale": typed_column("string", pa.Check.isin(["evidence3", "rag5"]),
                          description="evidence3 (Yes 2, Partly 1, No 0) or rag5 (Red 1 … Green 5)."),
    "answer": typed_column("string", nullable=True, description="The answer as its scale names it; missing when "
                                                                "blank or rejected."),
    "value": typed_column("float64", nullable=True, description="The answer's value on its scale."),
    "answered": typed_column("bool", description="An answer on the scale was given."),
    "answer_rejected": typed_column("bool", description="The answer could not be read; a reject line says why."),
    "has_source": typed_column("bool", description="A source of the evidence is given."),
    "source": typed_column("string", nullable=True, description="Where the evidence comes from, verbatim (free text: "
                                                                "never printed in a report)."),
    "evidence_date": typed_column("string", nullable=True, description="Date of the evidence (YYYY-MM-DD)."),
    "notes": typed_column("string", nullable=True, description="Free text, verbatim (never printed in a report)."),
    "source_file": typed_column("string", description="File the row came from."),
    "source_row": typed_column("int64", pa.Check.ge(1), description="Row of that file (of the Assurance sheet for a "
                                                                    "workbook)."),
}, [
    rule("value_when_answered", "an answered check has a value and an unanswered one none",
         lambda d: d["answered"] == d["value"].notna()),
    rule("answer_when_answered", "an answered check has its answer", lambda d: d["answered"] == d["answer"].notna()),
    rule("values_on_their_scale", "evidence values run 0-2 and ratings 1-5",
         lambda d: d["value"].isna() | ((d["scale"] == "evidence3") & d["value"].between(0, 2))
         | ((d["scale"] == "rag5") & d["value"].between(1, 5))),
    rule("no_answer_when_rejected", "a rejected answer is not answered", lambda d: ~(d["answer_rejected"] & d["answered"])),
])

OUTPUT_COLUMNS = output_columns(SCHEMA)
OUTPUT_DTYPES = output_dtypes(SCHEMA)


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA else str(value).strip()


def _date(text: str) -> str | None:
    """ISO date of ``dd/mm/yyyy``, ``yyyy-mm-dd`` (a time after it allowed), ``dd.mm.yyyy`` or ``dd-mm-yyyy``."""
    text = re.sub(r"[ T]00:00(:00)?$", "", text)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return None


def _options(scale: str) -> dict[str, tuple[str, float]]:
    values = evidence_answers()
    return {normalise_label(o): (o, float(values[o] if scale == "evidence3" else RAG_LABELS.index(o) + 1))
            for o in answer_options(scale)}


def clean_assurance(frame: pd.DataFrame, source: str = "assurance.csv") -> CleanResult:
    """Clean assurance rows (text) into one row per organisation × check; see the module docstring.

    >>> result = clean_assurance(read_assurance_frame(["durham_icb.xlsx"]))  # doctest: +SKIP
    >>> result.reconciles()                                                   # doctest: +SKIP
    True
    """
    df = match_columns(with_source(frame, source), REQUIRED, source)
    for column in OPTIONAL:
        if column not in df:
            df[column] = ""
    checks = check_table().set_index(["kind", "check_id"])
    options = {scale: _options(scale) for scale in ("evidence3", "rag5")}
    councils_of: dict[str, pd.DataFrame] = {}
    kept, lines = [], []
    first_seen: dict[tuple, tuple[str, int]] = {}
    unclear_publication: set[str] = set()
    order = sorted(range(len(df)), key=lambda i: (str(df[SOURCE_FILE].iat[i]), int(df[SOURCE_ROW].iat[i])))
    for i in order:
        row = {c: _text(df[c].iat[i]) for c in REQUIRED + OPTIONAL}
        file, line = str(df[SOURCE_FILE].iat[i]), int(df[SOURCE_ROW].iat[i])
        problems: list[tuple[str, str, str]] = []  # column, value, reason

        def problem(column: str, reason: str, row: dict = row, problems: list = problems) -> None:
            problems.append((column, row.get(column, ""), reason))

        kind = row["kind"].casefold()
        if kind not in ASSURANCE_KINDS:
            problem("kind", "kind must be commissioner or provider")
        elif (kind, row["check_id"]) not in checks.index:
            problem("check_id", f"not a check of the {kind} assurance return (see the template's Check ID column)")
        wave = parse_financial_year(row["wave"]) if row["wave"] else None
        if wave not in geography.FINANCIAL_YEARS:
            problem("wave", f"not a financial year from {geography.FINANCIAL_YEARS[0]} to "
                            f"{geography.FINANCIAL_YEARS[-1]}; expected e.g. 2023-24")
        code = geography.resolve_council(row["ons_code"], wave) if row["ons_code"] and wave in \
            geography.FINANCIAL_YEARS else None
        region = None
        if not row["ons_code"]:
            problem("ons_code", "no council; choose the council the return is for in B4 of the Assurance sheet")
        elif wave in geography.FINANCIAL_YEARS and code is None:
            problem("ons_code", f"not a council in {wave}; choose the council from the list in B4")
        elif code is not None:
            table = councils_of.setdefault(wave, geography.councils(wave).set_index("ons_code"))
            region = str(table.at[code, "region"])
            if row["region"]:
                try:
                    given = geography.canonical_region(row["region"])
                except ValueError:
                    given = None
                if given != region:
                    problem("region", f"the council is in {region}, not in {row['region']}; a council of another "
                                      "region needs that region's template")
        if not row["org_name"]:
            problem("org_name", "no organisation name; write your organisation's name in B5")
        if not problems:
            key = (kind, code, wave, organisation_id(code, row["org_name"]), row["check_id"])
            if key in first_seen:
                where = first_seen[key]
                problem("check_id", f"this organisation's {kind} return for this council and wave is read twice; "
                                    f"first seen at {where[0]} row {where[1]}; send one return per organisation")
            else:
                first_seen[key] = (file, line)
        if problems:
            lines += [{"file": file, "row": line, "column": c, "value": v, "reason": r + ROW_LEFT_OUT}
                      for c, v, r in problems]
            continue
        check = checks.loc[(kind, row["check_id"])]
        answer, value, rejected = None, np.nan, False
        if row["answer"]:
            picked = options[check["scale"]].get(normalise_label(row["answer"]))
            if picked is None:
                rejected = True
                lines.append({"file": file, "row": line, "column": "answer", "value": row["answer"],
                              "reason": "not an answer of this check; pick one of "
                                        + ", ".join(answer_options(check["scale"])) + ANSWER_LEFT_OUT})
            else:
                answer, value = picked
        if row["name_published"].casefold() not in YES + NO and file not in unclear_publication:
            unclear_publication.add(file)  # one line per file: the answers are kept, the name is not published
            lines.append({"file": file, "row": line, "column": "name_published", "value": row["name_published"],
                          "reason": "whether the name may be published must be Yes or No; read as No: the "
                                    "organisation is not named, its answers are kept"})
        date = _date(row["date"]) if row["date"] else None
        if row["date"] and date is None:
            lines.append({"file": file, "row": line, "column": "date", "value": row["date"],
                          "reason": "not a date; type it as dd/mm/yyyy, e.g. 31/03/2024" + DATE_LEFT_OUT})
        kept.append({"kind": kind, "ons_code": code, "region": region, "wave": wave,
                     "org_id": organisation_id(code, row["org_name"]), "org_name": row["org_name"],
                     "name_published": row["name_published"].casefold() in YES, "check_id": row["check_id"],
                     "part": check["part"], "heading": check["heading"], "scale": check["scale"], "answer": answer,
                     "value": value, "answered": answer is not None, "answer_rejected": rejected,
                     "has_source": bool(row["source"]), "source": row["source"] or None, "evidence_date": date,
                     "notes": row["notes"] or None, "source_file": file, "source_row": line})
    clean = pd.DataFrame(kept, columns=OUTPUT_COLUMNS).astype(OUTPUT_DTYPES)
    rejects = pd.DataFrame(lines, columns=REJECT_COLUMNS).astype({"row": "int64"})
    rejected_rows = len(df) - len(clean)
    return CleanResult(clean=clean, rejects=rejects, rows_in=len(df), rows_rejected=rejected_rows)


KIND = DatasetKind("assurance", clean_assurance, SCHEMA, (
    "Commissioners' and providers' assurance returns, one row per organisation × check: Table 1's commissioner "
    "evidence (yes / partly / no, source, date), Appendix 5's measures of success (Red … Green) and Appendix 3's "
    "guidelines checklist (docs/assurance.md)."))
