"""Cleaners, one module per dataset kind; each returns clean rows plus reasoned rejects.

``CLEANERS`` maps a kind to its pure function ``clean_KIND(frame, source=..., **options)
-> CleanResult``; the CLI, notebooks and tests all go through it.
"""

from msp_analysis.clean.common import CleanResult
from msp_analysis.clean.evaluation import clean_evaluation
from msp_analysis.clean.la_measures import clean_la_measures
from msp_analysis.clean.sac import clean_sac
from msp_analysis.clean.temperature_check import clean_temperature_check
from msp_analysis.toolkit.errors import UnusableInputError

CLEANERS = {
    "evaluation": clean_evaluation,
    "la_measures": clean_la_measures,
    "sac": clean_sac,
    "temperature_check": clean_temperature_check,
}

__all__ = ["CLEANERS", "CleanResult", "UnusableInputError", "clean_evaluation"]
