"""The free-text scrubber: personal details out, ordinary sentences left as they were."""

import pandas as pd
import pytest

from msp_analysis.toolkit.privacy import REMOVED, scrub_free_text


@pytest.mark.parametrize("text,gone", [
    ("Ring 07700 900123 after 5", "07700 900123"),
    ("switchboard +44 (0)191 123 4567", "191 123 4567"),
    ("(0191) 123 4567 is the duty line", "123 4567"),
    ("e-mail jo.bloggs+msp@durham.gov.uk", "durham.gov.uk"),
    ("lives at DH1 5ZA", "DH1 5ZA"),
    ("NHS number 943 476 5919", "943 476 5919"),
    ("NHS number 9434765919", "9434765919"),
    ("see enquiry EQ20931 and ENQ/2023/0012", "EQ20931"),
    ("Mrs Jane Doe raised it", "Jane Doe"),
    ("born 12/05/1950", "12/05/1950"),
    ("details at https://example.org/case?id=7", "example.org"),
])
def test_personal_details_are_removed(text, gone):
    scrubbed = scrub_free_text(text)
    assert gone not in scrubbed and REMOVED in scrubbed


@pytest.mark.parametrize("text", [
    "Staffing improved in 2023-24; 3 of 12 posts filled.",
    "Turnover 45% (up from 30%); MCA training for Team B3.",
    "Covid-19 backlog cleared; sup_1 wording unclear.",
])
def test_ordinary_sentences_are_left_alone(text):
    assert scrub_free_text(text) == text


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
def test_missing_text_is_empty(missing):
    assert scrub_free_text(missing) == ""
