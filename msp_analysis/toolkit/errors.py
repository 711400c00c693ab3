"""One error family for everything a user can fix: bad input, bad parameters, unwritable output.

The CLI turns an :class:`MspError` into one line and exit code 2; any other exception is a bug
(exit 1, traceback in the run log). Each subclass also derives from the built-in exception a
caller would expect (``ValueError`` for bad values, ``OSError`` for files), so code that
catches those keeps working.
"""

from __future__ import annotations


class MspError(Exception):
    """Something the user can put right; the message says what, where, and how."""


class UnusableInputError(MspError, ValueError):
    """An input cannot be used at all (not found, wrong kind, missing columns); the message says why."""


class ParameterError(MspError, ValueError):
    """A parameter is unknown or has a bad value; the message names the key."""


class OutputError(MspError, OSError):
    """An output cannot be written (folder is a file, no permission, disk full); says which and why."""
