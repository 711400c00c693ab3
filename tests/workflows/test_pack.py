"""Tests for msp_analysis.workflows.pack: a region's filled returns → clean data, scores, coverage and report.

The headline scores are checked against scores computed independently from the answers that
were typed into the returns (:func:`tests.io.workbook.filling.independent_scores`).
"""

import re
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from msp_analysis.disclosure.policies import get_policy
from msp_analysis.io import processed as io
from msp_analysis.io.workbook.template import write_template
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import indicator_labels
from msp_analysis.reporting.content.temperature_check import build_temperature_check_report
from msp_analysis.workflows.pack import pack
from tests.io.workbook.filling import COUNCILS, LIKERT, REGION, WAVE, expected_indicators, fill, independent_scores


@pytest.fixture(scope="module")
def packed(folder, filled):
    paths = [path for path, _ in filled.values()]
    return pack(REGION, WAVE, paths, folder / "pack", render=False)


def _report_rows(table) -> dict[str, list[str]]:
    return {row[0]: list(row[1:]) for row in table.display.itertuples(index=False, name=None)}


def test_pack_headline_scores_equal_scores_computed_from_the_typed_answers(packed, filled):
    headline = packed.headline.set_index("ons_code")
    indicators = sorted({i["indicator"] for i in LIKERT})
    expected_region = defaultdict(list)
    for council, (_, people) in filled.items():
        code = geography.resolve_council(council, WAVE)
        expected = independent_scores(people)
        for name, value in expected.items():
            assert headline.loc[code, name] == pytest.approx(value, abs=1e-12), (council, name)
            expected_region[name].append(value)
        assert headline.loc[code, "n_respondents"] == len(people)
    region_row = packed.headline[packed.headline["ons_code"] == ""].iloc[0]
    for name in indicators:
        assert region_row[name] == pytest.approx(np.mean(expected_region[name]), abs=1e-12)
    written = pd.read_csv(packed.files["headline.csv"], dtype={"ons_code": str}).fillna({"ons_code": ""})
    assert np.allclose(written[indicators].to_numpy(float), packed.headline[indicators].to_numpy(float))


def test_regional_report_scores_equal_scores_computed_from_the_typed_answers(packed, filled):
    indicator_of = {label: indicator for indicator, label in indicator_labels().items()}

    policy = get_policy("sac")
    clean = io.read_clean("temperature_check", packed.out_dir)
    report = build_temperature_check_report(clean, REGION, WAVE, policy)
    table = report.heatmap.tables[0]
    rows = _report_rows(table)
    labels = list(table.display.columns[1:])
    names = geography.councils(WAVE).set_index("ons_code")["name"]
    shown = 0
    for council, (_, people) in filled.items():
        row = rows[names[geography.resolve_council(council, WAVE)]]
        expected = independent_scores(people)
        for label, value in zip(labels, row, strict=True):
            indicator = indicator_of[label]
            if policy.is_suppressed(len(people)):
                assert not re.fullmatch(r"\d\.\d\d", value), (council, label, value)
            else:
                assert float(value) == pytest.approx(round(expected[indicator], 2), abs=0.0051), (council, label)
                shown += 1
    assert shown >= len(expected_indicators()), "at least one council's scores are shown"


def test_pack_writes_clean_outputs_that_reconcile_and_a_coverage_table(packed, filled):
    assert packed.clean.reconciles() and packed.clean.rejects.empty
    assert packed.clean.rows_in == sum(len(people) for _, people in filled.values())
    for name in ("temperature_check.parquet", "temperature_check.rejects.csv", "temperature_check.manifest.json",
                 "scores.csv", "coverage.csv", "validation.csv", "problems.csv", "temperature_check.returns.csv"):
        assert packed.files[name].is_file(), name
    assert "z_supervision" in packed.scores.columns
    coverage = packed.coverage.set_index("council")
    councils = geography.councils(WAVE, REGION)
    assert len(coverage) == len(councils)
    returned = coverage[coverage["returned"] == "yes"]
    assert sorted(returned["ons_code"]) == sorted(geography.resolve_council(c, WAVE) for c in COUNCILS)
    assert (returned["status"] == "complete").all() and (returned["in_scores"] == "yes").all()
    missing = coverage[coverage["returned"] == "no"]
    assert len(missing) == len(councils) - 3 and (missing["status"] == "not returned").all()
    assert "not returned: " in packed.text() and "Hartlepool" in packed.text()
    assert packed.report.startswith("not rendered")


def test_older_template_version_is_left_out_of_the_pack(good, folder, filled):
    def older(wb):
        wb["_template"]["B2"] = "0"
    path = good("older", older, council="Sunderland")
    result = pack(REGION, WAVE, [filled["Gateshead"][0], path], folder / "pack_older", render=False)
    sunderland = result.coverage.set_index("council").loc["Sunderland"]
    assert (sunderland["returned"], sunderland["status"], sunderland["in_scores"]) == (
        "yes", "wrong template version", "no")
    assert set(result.headline["ons_code"]) == {geography.resolve_council("Gateshead", WAVE), ""}


def test_cleaner_rejects_in_the_pack_point_at_template_cells(good, folder, filled):
    no_council = good("no_council_pack", council=None)
    other_wave = write_template(REGION, "2022-23", folder / "ne_2022-23.xlsx")
    old_wave = fill(other_wave, folder / "sunderland_2022-23.xlsx", "Sunderland", filled["Gateshead"][1])
    result = pack(REGION, WAVE, [no_council, old_wave, filled["Gateshead"][0]], folder / "pack_rejects",
                  render=False)
    rejects = pd.read_csv(result.files["temperature_check.rejects.csv"])
    assert set(rejects["column"]) == {"Return!B4"} and set(rejects["row"]) == {4}
    assert rejects["reason"].str.startswith("no council code").all()
    assert len(rejects) == len(filled["County Durham"][1]) and result.clean.reconciles()
    coverage = result.coverage.set_index("council")
    assert coverage.loc["Sunderland", "status"] == "template of another region or wave"
    assert coverage.loc["(not identified)", "note"].startswith("council not identified")


@pytest.mark.kernel
def test_pack_renders_the_regional_report_with_the_scores(folder, filled, packed):
    result = pack(REGION, WAVE, [path for path, _ in filled.values()], folder / "pack_rendered")
    assert result.report.startswith("rendered"), result.report
    assert result.files["index.html"].is_file() and not result.report_failed
    page = next((folder / "pack_rendered").glob("temperature_check_*.html")).read_text(encoding="utf-8")
    durham = geography.councils(WAVE).set_index("ons_code").loc[geography.resolve_council("County Durham", WAVE), "name"]
    rows = [re.findall(r"<td>([^<]*)</td>", row)
            for row in re.findall(rf"<tr><th scope=\"row\">{durham}</th>(.*?)</tr>", page)]
    scores = [cells for cells in rows if len(cells) == len(expected_indicators())]
    assert len(scores) == 1, "Durham's row of the heatmap table"
    expected = independent_scores(filled["County Durham"][1])
    assert sorted(float(c) for c in scores[0]) == pytest.approx(
        sorted(round(expected[i], 2) for i in expected_indicators()), abs=0.0051)
