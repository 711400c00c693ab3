"""msp-analysis: evaluate Making Safeguarding Personal with honest numbers.

The package cleans safeguarding data, scores culture indicators, models outcome
achievement and renders disclosure-controlled reports (see ../README.md).
"""

__version__ = "0.1.0"
