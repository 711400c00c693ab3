"""Tests for the return template's lists and prose in msp_analysis.reference.codebook."""

import pytest

from msp_analysis.reference import codebook


def test_organisation_types_and_roles_keep_list_order_and_filter_by_kind():
    assert codebook.organisation_types() == ("Local authority", "NHS trust", "Integrated care board", "Care provider",
                                             "Police", "Safeguarding adults board", "Other")
    assert codebook.organisation_types("council") == ("Local authority",)
    assert codebook.organisation_types("partner") == codebook.organisation_types()[1:-1]
    assert codebook.respondent_roles() == ("Practitioner", "Team manager", "Senior leader", "Safeguarding lead", "Other")
    assert codebook.respondent_roles("staff") == codebook.respondent_roles()[:-1]


def test_unknown_kind_names_the_known_ones():
    with pytest.raises(ValueError, match=r"'council', 'other', 'partner'"):
        codebook.organisation_types("charity")


def test_steps_principles_and_themes_cover_the_seed_and_the_indicators():
    assert [title for title, _ in codebook.essential_steps()][:2] == ["Leadership", "Culture"]
    assert len(codebook.essential_steps()) == 8
    assert [name for name, _ in codebook.safeguarding_principles()] == [
        "Empowerment", "Prevention", "Proportionality", "Protection", "Partnership", "Accountability"]
    assert set(codebook.template_themes()) == set(codebook.instrument().query("answer_scale == 'likert5'")["indicator"])


def test_instructions_use_known_styles_and_lists():
    rows = codebook.return_instructions()
    assert {style for style, _ in rows} == {"title", "blank", "heading", "text", "list", "small"}
    assert [text for style, text in rows if style == "list"] == ["essential_steps", "safeguarding_principles"]
