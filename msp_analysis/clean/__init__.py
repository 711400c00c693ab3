"""Cleaners, one module per dataset kind; each returns clean rows plus reasoned rejects.

``CLEANERS`` maps a kind to its pure function ``clean_KIND(frame, source=..., **options)
-> CleanResult``; the CLI, notebooks and tests all go through it.
"""

from msp_analysis.clean.common import CleanResult, UnusableInputError
from msp_analysis.clean.evaluation import clean_evaluation

CLEANERS = {
    "evaluation": clean_evaluation,
}

__all__ = ["CLEANERS", "CleanResult", "UnusableInputError", "clean_evaluation"]
