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
    check_presets_computable(data_dir)
    return checks


def check_presets_computable(data_dir: Path | str | None = None) -> None:
    """Each preset (a column of the assumptions table, with the facts) gives a season the model can
    compute: no output overflows to inf or NaN (values within their ranges can still be absurdly
    large). DataValidationError ``assumptions.csv: row <n>, column <preset>: <name>=<value> puts
    <output> out of the computable range (inf or nan)``, naming the first assumption whose value
    in a computable preset makes the season finite again."""
    from analysis import model

    values = {preset: parameters.preset_values(preset, data_dir) for preset in parameters.PRESETS}

    def overflows(preset_values: dict) -> list[str]:
        return model.overflowing(model.season_arrays(**model.season_inputs(parameters.Parameters(**preset_values))))

    broken = {preset: overflows(v) for preset, v in values.items()}
    fine = [preset for preset in parameters.PRESETS if not broken[preset]]
    names = list(data.load_assumptions(data_dir)["name"])
    for preset in parameters.PRESETS:
        if not broken[preset]:
            continue
        culprits = [name for name in names if fine and not overflows({**values[preset], name: values[fine[0]][name]})]
        name = (culprits or names)[0]
        row = names.index(name) + parameters.FIRST_DATA_LINE
        raise DataValidationError(
            f"{parameters.ASSUMPTIONS_FILE}: row {row}, column {preset}: {name}={values[preset][name]:.6g} "
            f"puts {broken[preset][0]} out of the computable range (inf or nan)")


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
    # an article named on the command line must be there: a mistyped path is an error, not a
    # skipped check (the default path, or DASUHE_ARTICLE, may be absent: then the check is skipped)
    if args.article is not None and not args.article.exists():
        raise ParameterError(f"--article {args.article}: not found")
    if args.article is not None and not args.article.is_file():
        raise ParameterError(f"--article {args.article}: not a regular file (the article's UTF-8 text)")
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
