"""``python -m analysis validate``: the whole data package, then the assumptions' cross-column rules.

This module sits above :mod:`analysis.data` (schema, keys, provenance) and
:mod:`analysis.parameters` (assumption names and ranges, low <= base <= high), so neither
imports the other's rules: ``data`` does not import ``parameters``.

Output: one line per table on stdout, then ``ok``. Without the article the provenance rules are
not run; stderr then says so once, ``provenance not checked: article not found at PATH``, and the
exit status stays 0 unless ``--require-article`` (then that line is an error, exit 2).
"""
from __future__ import annotations

import sys
from pathlib import Path

from analysis import data, parameters
from analysis.errors import DataValidationError, ParameterError


def validate_all(data_dir: Path | str | None = None, article: Path | str | None = None) -> list[data.Check]:
    """Every rule of the package: :func:`analysis.data.validate_package`, then
    :func:`analysis.parameters.check_assumption_table`. DataValidationError on the first problem."""
    checks = data.validate_package(data_dir, article)
    parameters.check_assumption_table(data.load_assumptions(data_dir))
    return checks


def configure_validate(parser) -> None:
    """Options of ``python -m analysis validate``."""
    parser.add_argument("--data-dir", type=Path, default=None, help="data package folder (default: data/)")
    parser.add_argument("--article", type=Path, default=None, help="article text (default: shared/sources/...)")
    parser.add_argument("--require-article", action="store_true",
                        help="fail (exit 2) when the article is missing instead of skipping the provenance rules")


def run_validate(args) -> int:
    """Print one line per table and 'ok'; errors propagate as DataValidationError (exit 2)."""
    if args.data_dir is not None and not args.data_dir.is_dir():
        raise ParameterError(f"--data-dir {args.data_dir}: not a folder")
    status = data.provenance_status(args.article)
    if not status.checked and args.require_article:
        raise DataValidationError(f"{status} (--require-article)")
    checks = validate_all(args.data_dir, args.article)
    if not status.checked:
        print(status, file=sys.stderr)
    for check in checks:
        print(check)
    print("ok")
    sys.stdout.flush()
    return 0
