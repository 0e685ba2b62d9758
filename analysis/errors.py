"""The project's exception types.

Every error a user can cause (bad data, a bad parameter, an unknown figure
name) is an :class:`AnalysisError` whose message is one line naming the file,
row and column, or the parameter, and the rule that was broken. The command
line prints that line and exits with status 2.
"""
from __future__ import annotations


class AnalysisError(Exception):
    """Base class: a one-line, user-facing message."""

    exit_status = 2


class DataValidationError(AnalysisError):
    """A file of the data package breaks its schema or a provenance rule.

    The message reads ``<file>: row <n>, column <name>: <rule>``.
    """


class ParameterError(AnalysisError, ValueError):
    """A parameter or argument is unknown, not a number, or out of its range.

    The message names the parameter, the value given and the allowed range,
    for example ``price_yuan_per_kg=-1.0: must be >= 0``.
    """


class OutputError(AnalysisError):
    """An output location cannot take the outputs: a file, read-only, full, inside ``data/``.

    The message names the option and the path, e.g. ``--out data/figs: is inside the data
    package (data/); choose a folder outside it``.
    """
