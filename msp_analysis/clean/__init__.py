"""Cleaners, one module per dataset kind; each returns clean rows plus reasoned rejects."""

from msp_analysis.clean.common import CleanResult, UnusableInputError

__all__ = ["CleanResult", "UnusableInputError"]
