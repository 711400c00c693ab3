"""A council's assurance report: content from filled commissioner and provider workbooks, checked against the
answers typed in; names only where the return allows; free text never printed; and the rendered page (kernel)."""

import re
from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import yaml

from msp_analysis.clean import clean_and_validate
from msp_analysis.io.workbook import assurance
from msp_analysis.reference import codebook, geography
from msp_analysis.reporting.content import assurance as ar
from msp_analysis.reporting.registry import AssuranceParams
from tests.io.workbook.filling import assurance_answers, assurance_fill

REGION, WAVE, GATESHEAD, SUNDERLAND = "North East", "2023-24", "E08000037", "E08000024"
SECRET = "Jane Roe 07700 900123"  # in every source and note: never printed
ORGS = [  # kind, name, publish, seed
    ("commissioner", "Gateshead Integrated Care Board", "Yes", 0),
    ("commissioner", "Hidden Commissioning Unit", None, 1),
    ("provider", "Named Care Homes", "Yes", 0),
    ("provider", "Quiet Lane Care", "No", 2),
    ("provider", "Backstreet Support Ltd", None, 4),
]


@pytest.fixture(scope="module")
def returns(tmp_path_factory):
    folder = tmp_path_factory.mktemp("assurance_report")
    templates = {kind: assurance.write_assurance_template(kind, REGION, WAVE, folder / f"{kind}.xlsx")
                 for kind in assurance.KINDS}
    typed, paths = {}, []
    for n, (kind, name, publish, seed) in enumerate(ORGS):
        answers = assurance_answers(kind, seed=seed, blank_every=5 + n)
        answers = {c: (a, None if a is None else f"{s} from {SECRET}", d) for c, (a, s, d) in answers.items()}
        typed[name] = (kind, answers)

        def note(ws, rows):
            ws.cell(row=rows[next(iter(rows))], column=assurance.NOTES_COLUMN).value = f"ask {SECRET}"

        paths.append(assurance_fill(templates[kind], folder / f"org{n}.xlsx", answers, organisation=name,
                                    publish=publish, change=note))
    other = assurance_fill(templates["provider"], folder / "sunderland.xlsx", assurance_answers("provider"),
                           council="Sunderland", organisation="Elsewhere Care", publish="Yes")
    result = clean_and_validate("assurance", assurance.read_assurance_frame([*paths, other]), source=str(paths[0]))
    assert result.reconciles() and result.rows_rejected == 0
    return result.clean, typed


@pytest.fixture(scope="module")
def report(returns):
    return ar.build_assurance_report(returns[0], GATESHEAD, WAVE, "sac")


def _everything(report) -> str:
    parts = []
    for name in ("summary", "coverage", "evidence", "gaps", "checklist", "success", "notes"):
        section = getattr(report, name)
        parts += [section.markdown, section.after] + [t.to_html() for t in section.tables]
    return "\n".join(parts)


def test_the_notes_name_the_policy_and_say_the_national_collection_covers_section_42_only(report):
    notes = report.notes.markdown
    assert "the Safeguarding Adults Collection's rules (policy sac)" in notes
    assert "covers Section 42 enquiries only" in notes


def test_only_published_names_appear_and_no_free_text_is_printed(report):
    page = _everything(report)
    assert "Gateshead Integrated Care Board" in page and "Named Care Homes" in page
    for hidden in ("Hidden Commissioning Unit", "Quiet Lane Care", "Backstreet Support Ltd", "Elsewhere Care"):
        assert hidden not in page
    assert "Jane" not in page and "07700" not in page and "audit 1" not in page
    coverage = report.coverage.tables[0].display
    assert coverage["Organisation"].tolist() == ["Gateshead Integrated Care Board", "Commissioner 1",
                                                 "Named Care Homes", "Provider A", "Provider B"]


def test_coverage_counts_the_answers_each_organisation_gave(report, returns):
    coverage = report.coverage.tables[0].display.set_index("Organisation")
    # the unnamed are numbered in the order of their IDs: Backstreet Support is Provider A, Quiet Lane Provider B
    for (_, name, _, _), label in zip(ORGS, ["Gateshead Integrated Care Board", "Commissioner 1",
                                             "Named Care Homes", "Provider B", "Provider A"], strict=True):
        answers = returns[1][name][1]
        answered = sum(a is not None for a, _, _ in answers.values())
        assert int(coverage.loc[label, "Checks"]) == len(answers) and int(coverage.loc[label, "Answered"]) == answered
        assert int(coverage.loc[label, "With a source"]) == answered == int(coverage.loc[label, "With a date"])
    assert report.facts["commissioners"] == 2 and report.facts["providers"] == 3


def test_evidence_by_key_question_equals_the_commissioners_typed_answers(report, returns):
    column = dict(zip(codebook.commissioner_evidence()["evidence_id"], codebook.commissioner_evidence()["table1_column"],
                      strict=True))
    expected = {q: Counter() for q in ar.KEY_QUESTIONS}
    for kind, answers in returns[1].values():
        if kind == "commissioner":
            for check, (answer, _, _) in answers.items():
                expected[column[check]][answer or "Not answered"] += 1
    table = report.evidence.tables[0].display.set_index("Key question (Table 1)")
    for question, counts in expected.items():
        for answer in ("Yes", "Partly", "No", "Not answered"):
            assert int(table.loc[question, answer]) == counts[answer], (question, answer)
        total = sum(counts.values())
        assert table.loc[question, "Yes, % of answers"] == f"{counts['Yes'] / total * 100:.0f}%"


def test_gaps_name_every_check_some_organisation_lacks_in_the_resources_words(report, returns):
    expected = set()
    for kind, answers in returns[1].values():
        scales = dict(zip(assurance.assurance_checks(kind)["check_id"], assurance.assurance_checks(kind)["scale"],
                          strict=True))
        expected |= {c for c, (a, _, _) in answers.items() if scales[c] == "evidence3" and a in (None, "No")}
    assert set(report.facts["gap_checks"]) == expected and report.facts["gaps"] == len(expected)
    words = set(report.gaps.tables[0].display["What is looked for (the resource's words)"])
    texts = dict(zip(ar.check_table()["check_id"], ar.check_table()["text"], strict=True))
    assert words == {texts[c] for c in expected}


def test_the_checklist_grid_shows_each_providers_answer(report, returns):
    grid = report.checklist.tables[0].display
    checklist = codebook.provider_checklist()
    assert grid["What is looked for (the resource's words)"].tolist() == checklist["text"].tolist()
    assert list(grid.columns[2:5]) == ["Named Care Homes", "Provider A", "Provider B"]
    named = returns[1]["Named Care Homes"][1]
    assert grid["Named Care Homes"].tolist() == [named[c][0] or "not answered" for c in checklist["check_id"]]
    yes = [sum(returns[1][n][1][c][0] == "Yes" for n in ("Named Care Homes", "Quiet Lane Care",
                                                           "Backstreet Support Ltd")) for c in checklist["check_id"]]
    assert [int(v) for v in grid["Providers saying Yes"]] == yes


def test_success_ratings_are_the_providers_mean_by_perspective_and_part(report, returns):
    measures = codebook.success_measures().set_index("measure_id")
    values = {}
    for kind, answers in returns[1].values():
        if kind == "provider":
            for check, (answer, _, _) in answers.items():
                if check in measures.index and answer is not None:
                    key = (measures.at[check, "perspective"], measures.at[check, "part"])
                    values.setdefault(key, []).append(assurance.RAG_LABELS.index(answer) + 1)
    table = report.success.tables[0].frame
    assert len(table) == 12
    means = {key: np.mean(v) for key, v in values.items()}
    shown = sorted(float(v) for v in table.iloc[:, 4])
    assert shown == pytest.approx(sorted(round(m, 1) for m in means.values()), abs=0.051)
    assert report.facts["success_highest"] == max(means, key=means.get)


def test_a_council_with_no_returns_says_so_in_every_section(returns):
    report = ar.build_assurance_report(returns[0], "E06000047", WAVE, "sac")
    assert "No commissioner or provider returned" in report.summary.markdown
    assert all(not getattr(report, s).tables for s in ("coverage", "evidence", "gaps", "checklist", "success"))
    empty = ar.build_assurance_report(ar.load_assurance("/nonexistent/folder"), GATESHEAD, WAVE, "sac")
    assert "No commissioner or provider returned" in empty.summary.markdown


def test_the_words_are_in_the_text_file_and_every_key_used_exists():
    used = set(re.findall(r'text\(\s*f?"([a-z_{}]+)"', Path(ar.__file__).read_text(encoding="utf-8")))
    words = yaml.safe_load(resources.files("msp_analysis.reporting.text").joinpath("assurance.yaml").read_text())
    assert len(used) > 40
    for key in used:
        if "{" in key:  # anonymous_{kind}, kind_{k}, heading_{h}, part_{p}
            assert any(k.startswith(key.split("{")[0]) for k in words), key
        else:
            assert key in words, key


def test_the_batch_is_the_councils_with_returns(returns, tmp_path):
    returns[0].to_parquet(tmp_path / "assurance.parquet")
    found = AssuranceParams.batch(REGION, {"wave": WAVE, "data_dir": str(tmp_path)})
    order = list(geography.councils(WAVE, REGION)["ons_code"])
    assert [p.locality for p in found] == sorted([GATESHEAD, SUNDERLAND], key=order.index)
    assert found[0].report_name() == f"assurance_{found[0].locality}_{WAVE}"
    assert len(AssuranceParams.batch(REGION, {"wave": WAVE, "data_dir": str(tmp_path / "none")})) == 12


@pytest.mark.kernel
def test_the_rendered_report_of_simulated_returns_says_so_and_names_no_unpublished_provider(tmp_path):
    from msp_analysis.cli import main
    from msp_analysis.workflows.simulated_assurance import SOURCES, write_assurance_returns

    written = write_assurance_returns(tmp_path / "raw", REGION, WAVE, seed=11, councils=2, providers=2)
    assert main(["clean", "assurance", *map(str, written.files), "--out", str(tmp_path / "processed")]) == 0
    assert main(["reports", "assurance", "--region", REGION, "--param", f"wave={WAVE}", "--param",
                 f"data_dir={tmp_path / 'processed'}", "--out", str(tmp_path / "out"), "--quiet"]) == 0
    pages = sorted((tmp_path / "out").glob("assurance_*.html"))
    assert len(pages) == 2
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<title>Simulated data" in html and "not real figures for the councils" in html
        assert "Care Services 1" in html and "Care Services 2" not in html  # the second provider did not allow it
        assert "Provider A" in html and "Provider B" not in html
        assert not any(source in html for source in SOURCES)  # the free-text sources are never printed
        assert "Gaps" in html and "Providers saying Yes" in html


def test_a_batch_over_a_file_that_is_not_clean_assurance_is_a_parameter_error(tmp_path):
    from msp_analysis.toolkit.errors import ParameterError

    (tmp_path / "assurance.parquet").write_text("not parquet")
    with pytest.raises(ParameterError, match="not a clean assurance file"):
        AssuranceParams.batch(REGION, {"wave": WAVE, "data_dir": str(tmp_path)})
