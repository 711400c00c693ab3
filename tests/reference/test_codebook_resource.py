"""The codebook against the founding resource: what it quotes is in the seed verbatim, and it covers the resource.

The seed is read in place (``../shared/seed/`` beside the project, or ``MSP_SEED_DIR``); tests that need its text
skip with a reason when it is absent. The coverage tests need only the codebook.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from msp_analysis.reference import codebook

ROOT = Path(__file__).resolve().parents[2]
SEED = Path(os.environ.get("MSP_SEED_DIR", ROOT.parent / "shared" / "seed")) / codebook.SEED_FILE
KEY_QUESTIONS = {"Safe", "Effective", "Caring", "Responsive", "Well-led"}


def _normal(text: str) -> str:
    """Spacing as the PDF's text gives it does not matter, nor a line break after a slash or hyphen."""
    return re.sub(r"(?<=\w)([/-]) ", r"\1", re.sub(r"\s+", " ", text)).strip()


@pytest.fixture(scope="module")
def seed() -> str:
    if not SEED.is_file():
        pytest.skip(f"the seed text is not at {SEED} (set MSP_SEED_DIR to the folder holding {codebook.SEED_FILE})")
    return _normal(SEED.read_text(encoding="utf-8"))


def _quoted(seed: str, texts) -> list[str]:
    """The texts (or their parts between '...') that are not in the seed."""
    return [text for text in texts for part in str(text).split("...") if _normal(part) and _normal(part) not in seed]


def test_every_i_statement_and_principle_definition_is_quoted_verbatim(seed):
    principles = codebook.principle_table()
    assert _quoted(seed, principles["i_statement"]) == [] and _quoted(seed, principles["definition"]) == []
    assert list(codebook.person_items()["wording"]) == list(principles["i_statement"])


def test_every_appendix_5_measure_is_quoted_verbatim(seed):
    measures = codebook.success_measures()
    assert _quoted(seed, measures["text"]) == []


def test_checklists_evidence_themes_and_step_titles_are_quoted_verbatim(seed):
    assert _quoted(seed, codebook.provider_checklist()["text"]) == []
    assert _quoted(seed, codebook.commissioner_evidence()["text"]) == []
    assert _quoted(seed, codebook.assurance_themes()) == []
    assert _quoted(seed, codebook.step_groups()["title"]) == []
    assert _quoted(seed, codebook.step_table()["seed_title"]) == []


def test_every_unadapted_seed_passage_of_the_instrument_is_verbatim(seed):
    items = codebook.instrument(include_bank=True)
    assert _quoted(seed, items.loc[~items["adapted"], "seed_passage"]) == []


def test_a_misquote_is_caught(seed):
    assert _quoted(seed, ["I am asked what I want as the outcome of the process."]) != []


def test_every_row_drawn_from_the_resource_names_the_seed_file():
    tables = [codebook.instrument(include_bank=True), codebook.principle_table(), codebook.person_items(),
              codebook.success_measures(), codebook.provider_checklist(), codebook.commissioner_evidence(),
              codebook.step_groups(), codebook.step_table(), codebook.read_codebook("assurance_themes.csv")]
    for table in tables:
        assert table["source"].str.startswith(f"seed {codebook.SEED_FILE}: ").all()


def test_the_instrument_covers_every_step_key_question_and_principle_with_three_items():
    items = codebook.instrument(include_bank=True)
    steps = items["msp_step"].str.extract(r"^Step (\d):")[0].astype(int)
    assert sorted(steps.unique()) == list(range(1, 9)) and steps.value_counts().min() >= 3
    assert set(items["table1_column"]) == KEY_QUESTIONS and items["table1_column"].value_counts().min() >= 3
    principles = items["principle"][items["principle"] != ""]
    assert set(principles) == {p for p, _ in codebook.safeguarding_principles()} and principles.value_counts().min() >= 3
    assert set(items["step_group"]) == set(codebook.step_groups()["group"])


def test_every_assurance_theme_has_items_and_the_four_missing_ones_three():
    themes = codebook.instrument(include_bank=True)["nhs_theme"].value_counts()
    assert set(codebook.assurance_themes()) == set(themes.index) - {""}
    for theme in ("training", "safer recruitment", "governance and commissioning", "policy and implementation"):
        assert themes[theme] >= 3


def test_caring_rests_on_what_table_1_lists_not_only_advocacy():
    caring = codebook.instrument(include_bank=True).query("table1_column == 'Caring'")
    assert set(caring["indicator"]) > {"advocacy"} and {"culture", "provider", "commissioner"} <= set(caring["table1_row"])
    for words in ("wellbeing of staff", "safe to raise concerns", "wishes are followed", "relatives are welcome",
                  "communication is accessible"):
        assert caring["seed_passage"].str.contains(words).any(), words


def test_the_five_mis_filed_items_follow_table_1():
    items = codebook.instrument().set_index("item_id")
    assert items.loc[["stf_1", "stf_2", "prev_1", "prev_2", "part_3"], "table1_column"].tolist() == [
        "Effective", "Effective", "Effective", "Responsive", "Effective"]
    assert items.loc[["stf_1", "stf_2"], "cqc_key_question"].tolist() == ["Safe", "Safe"]  # CQC files staffing there


def test_step_groups_and_steps_agree():
    steps = codebook.step_table().set_index("step")["group"]
    for group in codebook.step_groups().itertuples():
        assert [n for n, g in steps.items() if g == group.group] == [int(s) for s in group.steps.split(";")]
    items = codebook.instrument(include_bank=True)
    numbers = items["msp_step"].str.extract(r"^Step (\d):")[0].astype(int)
    assert (numbers.map(steps) == items["step_group"]).all()


def test_the_template_asks_the_same_thirty_questions_and_the_bank_is_separate():
    asked, everything = codebook.instrument(), codebook.instrument(include_bank=True)
    assert len(asked) == 30 and set(everything["asked"]) == {"return", "bank"}
    assert everything["item_id"].is_unique and set(everything["indicator"]) <= set(codebook.indicator_labels())
    assert set(codebook.template_themes()) == set(codebook.likert_items()["indicator"])


def test_appendix_5_has_four_perspectives_and_three_parts_and_table_1_five_columns():
    measures = codebook.success_measures()
    assert measures["measure_id"].is_unique
    assert measures.groupby(["perspective", "part"]).size().shape == (12,)
    assert set(codebook.commissioner_evidence()["table1_column"]) == KEY_QUESTIONS
    assert len(codebook.commissioner_evidence()) == 17 and len(codebook.provider_checklist()) == 14
    assert codebook.evidence_answers() == {"Yes": 2, "Partly": 1, "No": 0}
