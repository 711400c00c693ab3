"""Content of a council's assurance report: its commissioners' evidence and its providers' self-assessments.

The clean assurance returns (kind ``assurance``, one row per organisation × check) of one council and wave
become what the council's safeguarding lead reads: who returned (coverage); for the commissioners, whether
the evidence Table 1's commissioner row looks for is present, by CQC key question; the gaps, named in the
resource's own words (evidence no commissioner has, guidelines a provider does not have); the providers'
Appendix 3 guidelines checklist as a grid; and their Appendix 5 ratings of success by perspective.

What is printed and why (docs/assurance.md): an assurance return is an organisation's account of itself, not a
person's, so its counts are of organisations' answers and are shown exactly, not put through the small-count
rule for people; but an organisation is named only where its return says its name may be published
(``name_published``), otherwise it is "Commissioner 1", "Provider A" (numbered in the order of their
IDs). The free text of a return (the source of the evidence, notes) is never printed: it can name staff or
people; the report says only whether a source and a date were given. Every table still goes through
:func:`msp_analysis.disclosure.display.disclose`. The fixed words are in ``reporting/text/assurance.yaml``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from msp_analysis.clean.assurance import OUTPUT_DTYPES, check_table
from msp_analysis.disclosure.display import disclose
from msp_analysis.disclosure.policies import DisclosurePolicy, get_policy, policy_title
from msp_analysis.io.processed import clean_exists, read_clean
from msp_analysis.reference import geography
from msp_analysis.reference.geography import short_name
from msp_analysis.reporting.sections import ReportText, Section

KEY_QUESTIONS = ("Safe", "Effective", "Caring", "Responsive", "Well-led")
ANSWERS = ("Yes", "Partly", "No")
PERSPECTIVES = ("individuals", "staff", "service", "relatives_friends")
SUCCESS_PARTS = ("means", "delivered", "measured")
COUNT = "{:.0f}"  # counts of organisations' answers: organisational, shown exactly (module docstring)

text = ReportText("assurance")


def load_assurance(data_dir: str | Path) -> pd.DataFrame:
    """The clean assurance returns in `data_dir`, or an empty frame of the same columns when none were cleaned
    there (the report then says so rather than failing)."""
    if clean_exists("assurance", data_dir):
        return read_clean("assurance", data_dir)
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in OUTPUT_DTYPES.items()})


@dataclass
class AssuranceReport:
    """Every section of one council's assurance report for one wave."""

    council: str
    ons_code: str
    wave: str
    policy: DisclosurePolicy
    summary: Section
    coverage: Section
    evidence: Section
    gaps: Section
    checklist: Section
    success: Section
    notes: Section
    facts: dict = field(default_factory=dict)


def organisation_labels(returns: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(kind, org_id) → what the report calls the organisation: its name where the return allows it to be
    published, else "Commissioner 1", "Provider A" …, the unnamed ones numbered in the order of their IDs."""
    labels = {}
    for kind, group in returns.groupby("kind", sort=True):
        orgs = group.drop_duplicates("org_id").sort_values("org_id")
        unnamed = 0
        for org in orgs.itertuples(index=False):
            if bool(org.name_published):
                labels[(kind, org.org_id)] = str(org.org_name)
            else:
                mark = str(unnamed + 1) if kind == "commissioner" else _letters(unnamed)
                labels[(kind, org.org_id)] = text(f"anonymous_{kind}", mark=mark)
                unnamed += 1
    return labels


def _letters(n: int) -> str:
    """A, B, … Z, AA, AB …"""
    letters = string.ascii_uppercase
    return letters[n] if n < 26 else _letters(n // 26 - 1) + letters[n % 26]


def _coverage(returns: pd.DataFrame, labels: dict, policy: DisclosurePolicy) -> tuple[Section, dict]:
    if returns.empty:
        return Section(markdown=text("coverage_none")), {"commissioners": 0, "providers": 0}
    grouped = returns.groupby(["kind", "org_id"], sort=True)
    table = grouped.agg(checks=("check_id", "size"), answered=("answered", "sum"), rejected=("answer_rejected", "sum"),
                        sourced=("has_source", "sum"), dated=("evidence_date", lambda s: int(s.notna().sum())))
    table = table.reset_index()
    table["organisation"] = [labels[(k, o)] for k, o in zip(table["kind"], table["org_id"], strict=True)]
    table["kind_label"] = table["kind"].map(lambda k: text(f"kind_{k}"))
    table["order"] = table["kind"].map({"commissioner": 0, "provider": 1})
    published = grouped["name_published"].first().to_numpy()
    table["unnamed"] = ~published.astype(bool)
    table = table.sort_values(["order", "unnamed", "organisation"], kind="stable").reset_index(drop=True)
    columns = {"organisation": text("column_organisation"), "kind_label": text("column_kind"),
               "checks": text("column_checks"), "answered": text("column_answered"),
               "sourced": text("column_sourced"), "dated": text("column_dated")}
    shown = disclose(table, policy, columns=list(columns), labels=columns, text=["organisation", "kind_label"],
                     numbers={c: COUNT for c in ("checks", "answered", "sourced", "dated")},
                     caption=text("coverage_caption"), note=text("coverage_note"))
    facts = {"commissioners": int((table["kind"] == "commissioner").sum()),
             "providers": int((table["kind"] == "provider").sum()),
             "answered": int(table["answered"].sum()), "checks": int(table["checks"].sum())}
    return Section(tables=[shown]), facts


def _answer_counts(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per value of `by`: answers Yes, Partly, No and not answered (rejected answers count as not answered)."""
    answer = rows["answer"].astype(object).where(rows["answered"].to_numpy(), "not_answered")
    pairs = pd.DataFrame({"key": rows[by].astype(str).to_numpy(), "answer": answer.astype(str).to_numpy()})
    counts = pairs.groupby(["key", "answer"]).size().unstack(fill_value=0)
    return counts.reindex(columns=[*ANSWERS, "not_answered"], fill_value=0).astype(float).rename_axis(by)


def _evidence(commissioners: pd.DataFrame, policy: DisclosurePolicy) -> tuple[Section, dict]:
    if commissioners.empty:
        return Section(markdown=text("evidence_none")), {}
    counts = _answer_counts(commissioners, "heading").reindex(KEY_QUESTIONS, fill_value=0.0)
    pieces = commissioners.groupby("heading")["check_id"].nunique().reindex(KEY_QUESTIONS, fill_value=0)
    table = counts.assign(pieces=pieces.astype(float)).rename_axis("key_question").reset_index()
    table["answers"] = table[[*ANSWERS, "not_answered"]].sum(axis=1)
    table["yes_pct"] = np.where(table["answers"] > 0, table["Yes"] / table["answers"].where(table["answers"] > 0) * 100,
                                np.nan)
    columns = {"key_question": text("column_key_question"), "pieces": text("column_pieces"),
               "Yes": text("answer_yes"), "Partly": text("answer_partly"), "No": text("answer_no"),
               "not_answered": text("answer_not_answered"), "yes_pct": text("column_yes_pct")}
    shown = disclose(table, policy, columns=list(columns), labels=columns, text=["key_question"],
                     numbers={**{c: COUNT for c in ("pieces", *ANSWERS, "not_answered")}, "yes_pct": "{:.0f}%"},
                     caption=text("evidence_caption"), note=text("evidence_note"))
    answered = table[table["answers"] > 0]
    facts: dict = {"evidence_yes": int(table["Yes"].sum()), "evidence_answers": int(table["answers"].sum())}
    sentence = text("evidence_summary", yes=facts["evidence_yes"], answers=facts["evidence_answers"],
                    commissioners=commissioners["org_id"].nunique())
    if len(answered):
        best = answered.loc[answered["yes_pct"].idxmax()]
        worst = answered.loc[answered["yes_pct"].idxmin()]
        if best["key_question"] != worst["key_question"]:
            sentence += " " + text("evidence_best_worst", best=best["key_question"], best_pct=f"{best['yes_pct']:.0f}%",
                                   worst=worst["key_question"], worst_pct=f"{worst['yes_pct']:.0f}%")
        facts.update(best_key_question=best["key_question"], worst_key_question=worst["key_question"])
    return Section(markdown=sentence, tables=[shown]), facts


def _gaps(returns: pd.DataFrame, policy: DisclosurePolicy) -> tuple[Section, dict]:
    """Evidence or guidelines some organisation does not have (No) or did not say (not answered), in the resource's
    words, with how many organisations said so; Appendix 5 measures rated Red or Red/Amber."""
    checks = check_table().set_index(["kind", "check_id"])["text"]
    asked = returns[returns["scale"] == "evidence3"]
    if asked.empty:
        return Section(markdown=text("gaps_none_returned")), {"gaps": 0}
    counts = _answer_counts(asked.assign(key=asked["kind"] + "|" + asked["check_id"]), "key")
    order = {f"{k}|{c}": i for i, (k, c) in enumerate(zip(check_table()["kind"], check_table()["check_id"],
                                                          strict=True))}
    counts = counts.loc[sorted(counts.index, key=lambda key: order.get(key, len(order)))]
    gaps = counts[(counts["No"] > 0) | (counts["not_answered"] > 0)].copy()
    gaps["organisations"] = counts.loc[gaps.index].sum(axis=1)
    gaps.index = [tuple(key.split("|", 1)) for key in gaps.index]
    kinds = [k for k, _ in gaps.index]
    first = asked.drop_duplicates(["kind", "check_id"]).set_index(["kind", "check_id"])["heading"]
    table = pd.DataFrame({
        "kind": [text(f"kind_{k}") for k in kinds],
        "where": [first.loc[key] if key[0] == "commissioner" else text(f"heading_{first.loc[key]}")
                  for key in gaps.index],
        "check": [checks.loc[key] for key in gaps.index],
        "No": gaps["No"].to_numpy(), "not_answered": gaps["not_answered"].to_numpy(),
        "organisations": gaps["organisations"].to_numpy(),
        "_order": [0 if k == "commissioner" else 1 for k in kinds],
        "_none": (gaps["No"] + gaps["not_answered"] == gaps["organisations"]).to_numpy(),
    }).sort_values(["_order", "_none", "No"], ascending=[True, False, False], kind="stable").reset_index(drop=True)
    facts: dict = {"gaps": len(table), "gap_checks": [key[1] for key in gaps.index]}
    if table.empty:
        return Section(markdown=text("gaps_none")), facts
    columns = {"kind": text("column_kind"), "where": text("column_where"), "check": text("column_check"),
               "No": text("answer_no"), "not_answered": text("answer_not_answered"),
               "organisations": text("column_organisations")}
    shown = disclose(table, policy, columns=list(columns), labels=columns, text=["kind", "where", "check"],
                     numbers={c: COUNT for c in ("No", "not_answered", "organisations")},
                     caption=text("gaps_caption"))
    nobody = table[table["_none"] & (table["_order"] == 0)]
    markdown = text("gaps_summary", gaps=len(table))
    if len(nobody):
        markdown += " " + text("gaps_nobody", pieces=len(nobody), first=nobody["check"].iloc[0])
    return Section(markdown=markdown, tables=[shown]), facts


def _checklist(providers: pd.DataFrame, labels: dict, policy: DisclosurePolicy) -> tuple[Section, dict]:
    rows = providers[providers["part"] == "guidelines"]
    if rows.empty:
        return Section(markdown=text("checklist_none")), {}
    checks = check_table()
    checks = checks[(checks["kind"] == "provider") & (checks["part"] == "guidelines")]
    names = {org: labels[("provider", org)] for org in rows["org_id"].unique()}
    order = sorted(names, key=lambda o: (not rows.loc[rows["org_id"] == o, "name_published"].iloc[0], names[o]))
    shown_answer = rows["answer"].astype(object).where(rows["answered"], text("grid_not_answered"))
    grid = (rows.assign(shown=shown_answer).pivot_table(index="check_id", columns="org_id", values="shown",
                                                        aggfunc="first")
            .reindex(index=checks["check_id"], columns=order).fillna(text("grid_not_answered")))
    table = pd.DataFrame({"check": checks["text"].to_numpy(),
                          "under": checks["heading"].map(lambda h: text(f"heading_{h}")).to_numpy()})
    columns = {"check": text("column_check"), "under": text("column_where")}
    for n, org in enumerate(order):
        table[f"org_{n}"] = grid[org].to_numpy()
        columns[f"org_{n}"] = names[org]
    table["yes"] = (grid == "Yes").sum(axis=1).to_numpy().astype(float)
    columns["yes"] = text("column_providers_yes")
    shown = disclose(table, policy, columns=list(columns), labels=columns,
                     text=[c for c in columns if c != "yes"], numbers={"yes": COUNT},
                     caption=text("checklist_caption"), note=text("checklist_note"))
    all_yes = int((table["yes"] == len(order)).sum())
    markdown = text("checklist_summary", providers=len(order), all_yes=all_yes, items=len(table))
    return Section(markdown=markdown, tables=[shown]), {"checklist_all_yes": all_yes}


def _success(providers: pd.DataFrame, policy: DisclosurePolicy) -> tuple[Section, dict]:
    rows = providers[providers["part"].isin(SUCCESS_PARTS)]
    if rows.empty:
        return Section(markdown=text("success_none")), {}
    grouped = rows.groupby(["heading", "part"])
    table = pd.DataFrame({"measures": grouped["check_id"].nunique(), "ratings": grouped["answered"].sum(),
                          "mean": grouped["value"].mean(),
                          "low": grouped["value"].apply(lambda v: float((v <= 2).sum()))}).reset_index()
    table["_p"] = table["heading"].map({p: i for i, p in enumerate(PERSPECTIVES)})
    table["_q"] = table["part"].map({p: i for i, p in enumerate(SUCCESS_PARTS)})
    table = table.sort_values(["_p", "_q"]).reset_index(drop=True)
    table["perspective"] = table["heading"].map(lambda h: text(f"heading_{h}"))
    table["part_label"] = table["part"].map(lambda p: text(f"part_{p}"))
    columns = {"perspective": text("column_perspective"), "part_label": text("column_part"),
               "measures": text("column_measures"), "ratings": text("column_ratings"),
               "mean": text("column_mean_rating"), "low": text("column_low_ratings")}
    shown = disclose(table, policy, columns=list(columns), labels=columns, text=["perspective", "part_label"],
                     numbers={"measures": COUNT, "ratings": COUNT, "mean": "{:.1f}", "low": COUNT},
                     caption=text("success_caption"), note=text("success_note"))
    rated = table.dropna(subset=["mean"])
    facts: dict = {}
    markdown = text("success_intro", providers=rows["org_id"].nunique())
    if len(rated):
        low = rated.loc[rated["mean"].idxmin()]
        high = rated.loc[rated["mean"].idxmax()]
        markdown += " " + text("success_summary", high_part=high["part_label"].lower(),
                               high=high["perspective"], high_mean=f"{high['mean']:.1f}", low_part=low["part_label"].lower(),
                               low=low["perspective"], low_mean=f"{low['mean']:.1f}")
        facts.update(success_highest=(high["heading"], high["part"]), success_lowest=(low["heading"], low["part"]))
    return Section(markdown=markdown, tables=[shown]), facts


def _data_notes(params, policy: DisclosurePolicy) -> Section:
    dataset = Path(str(params.data_dir)).name if params is not None else text("data_notes_default_dataset")
    lines = [text("data_notes_source", dataset=dataset), text("data_notes_organisational"),
             text("data_notes_names"), text("data_notes_free_text"), text("data_notes_scales"),
             text("data_notes_policy", policy=policy_title(policy.name), code=policy.name), text("data_notes_scope")]
    if params is not None:
        lines.append(text("data_notes_parameters", locality=params.locality, wave=params.wave))
    return Section(markdown="\n".join(f"- {line}" for line in lines))


def build_assurance_report(returns: pd.DataFrame, locality: str, wave: str, policy: DisclosurePolicy | str,
                           params=None) -> AssuranceReport:
    """Every section of council `locality`'s (ONS code) assurance report for `wave` from the clean returns.

    >>> report = build_assurance_report(load_assurance("data/processed/x"), "E06000047", "2023-24", "sac")  # doctest: +SKIP
    """
    policy = get_policy(policy) if isinstance(policy, str) else policy
    council = short_name(str(geography.councils(wave).set_index("ons_code").at[locality, "name"]))
    mine = returns[(returns["ons_code"] == locality) & (returns["wave"] == wave)]
    labels = organisation_labels(mine)
    commissioners = mine[mine["kind"] == "commissioner"]
    providers = mine[mine["kind"] == "provider"]
    facts: dict = {}
    coverage, more = _coverage(mine, labels, policy)
    facts.update(more)
    evidence, more = _evidence(commissioners, policy)
    facts.update(more)
    gaps, more = _gaps(mine, policy)
    facts.update(more)
    checklist, more = _checklist(providers, labels, policy)
    facts.update(more)
    success, more = _success(providers, policy)
    facts.update(more)
    heading = text("summary_heading", council=council, wave=wave)
    if mine.empty:
        summary = text("summary_none", council=council, wave=wave)
    else:
        summary = text("summary", council=council, wave=wave, commissioners=facts["commissioners"],
                       providers=facts["providers"])
        if evidence.markdown and not commissioners.empty:
            summary += " " + evidence.markdown.split(". ")[0].rstrip(".") + "."
        if facts.get("gaps"):
            summary += " " + text("summary_gaps", gaps=facts["gaps"])
    return AssuranceReport(
        council=council, ons_code=locality, wave=wave, policy=policy,
        summary=Section(markdown=f"## {heading}\n\n{summary}"), coverage=coverage, evidence=evidence, gaps=gaps,
        checklist=checklist, success=success, notes=_data_notes(params, policy), facts=facts)
