"""Load and validate the data package (``data/``): facts of the article, entity tables, assumptions.

Every table is a resource of ``data/datapackage.json`` with a Frictionless Table Schema in
``data/schemas/``; the schema is the one place that says a column's type, whether it is required,
its enum, minimum, maximum, pattern, maximum length, the primary key and the foreign keys.

Every failure raises :class:`DataValidationError` with ONE line ``<file>: row <n>, column <col>: <rule>``.
``<file>`` is the file's path inside the data folder; ``<n>`` is the CSV line number (header = row 1,
first data row = row 2, as frictionless counts); a problem with a whole file is ``row 1, column -``;
a lookup by id (:func:`fact`) is ``row -``. The rules, in the order they are checked::

    file not found                                   missing CSV or schema
    header [...] does not match schema fields [...]  header differs from the schema's field names
    <k> cells, expected <n>                          ragged row
    missing required value                           empty cell in a required field
    'x' is not a valid <type>                        integer, number, date (YYYY-MM-DD), year, boolean
    'x' is not one of: a, b, c                       enum (units, qualifiers, topics, kinds ...)
    'x' does not match pattern <re>                  snake_case identifiers
    length <k> exceeds maxLength <n>                 quotes are at most 30 characters
    <v> is below minimum <m> / is above maximum <m>
    duplicate value 'x' (first at row <n>)           unique field
    duplicate primary key 'x' (first at row <n>)
    'x' not found in <table>.<field>                 foreign key
    fact 'f' has unit <u>, column expects <w>        a column <stem>_fact_id whose stem ends in a unit
    'x' does not occur in <col> '...'                field with "x-occursIn": <col> (same row)
    'x' does not occur in the value of fact 'f'      field with "x-occursInFactValue": <col>

Provenance, for tables with ``source_paragraph`` and ``source_quote`` (facts, cases), checked when
the article is present (else skipped with a visible message; the rules above still run)::

    <p> is out of range 1-<n> (article paragraphs)   paragraphs = non-empty lines; title 1, byline 2
    '...' does not occur verbatim in article paragraph <p>
    <v> does not match its quote '...' (parsed: ...) numeric value vs :func:`parse_quote_numbers`
    qualifier <q> does not match its quote '...'     余/多 at_least, 近 approximately, 最高 at_most
    'x' does not occur in its quote '...'            text and date values
    'MM-DD' does not match a month.day in its quote  month_day values ("8.16" -> 08-16)

Nothing downstream reads unvalidated data: every ``load_*`` validates first, cached per process
(keyed on the data folder and article path; :func:`clear_caches` forgets).
"""
from __future__ import annotations

import csv
import functools
import json
import math
import re
import sys
import warnings
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.errors import DataValidationError

NON_NUMERIC_UNITS = frozenset({"text", "date", "month_day"})


# --- numbers written in Chinese --------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_POWERS = {"十": 10, "百": 100, "千": 1000}
_TOKEN = re.compile(
    r"(?P<most>最高\D{0,2}?)?(?P<near>近)?"
    r"(?:(?P<num>\d+(?:\.\d+)?)|(?P<cn>[零一二两三四五六七八九十百千]+)|(?P<pair>双)|(?P<half>减半))"
    r"(?P<more1>余|多)?(?P<wan>万)?(?P<more2>余|多)?(?P<pct>%)?"
)


@dataclass(frozen=True)
class ParsedNumber:
    """A number read from a quote, with the qualifier its wording implies."""

    value: float
    qualifier: str


def parse_chinese_numeral(text: str) -> int:
    """Convert a Chinese numeral below 10 000 to an int: ``"三十"`` -> 30, ``"十"`` -> 10, ``"四千"`` -> 4000."""
    total, digit = 0, None
    for char in text:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        elif char in _CN_POWERS:
            total += (1 if digit is None else digit) * _CN_POWERS[char]
            digit = None
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + (digit or 0)


def parse_quote_numbers(quote: str) -> list[ParsedNumber]:
    """Every number a quote states, normalised, in order of appearance.

    ``"投资500余万元"`` -> 500 * 10_000 = 5_000_000 at_least; ``"近四千元"`` -> 4000 approximately;
    ``"企业占40%"`` -> 0.4; ``"三个工作组"`` -> 3; ``"双组长"`` -> 2; ``"奖金减半"`` -> 0.5;
    ``"最高达到200人/日"`` -> 200 at_most.
    """
    found = []
    for match in _TOKEN.finditer(quote):
        if match["num"]:
            value = float(match["num"])
        elif match["cn"]:
            value = float(parse_chinese_numeral(match["cn"]))
        elif match["pair"]:
            value = 2.0
        else:
            value = 0.5
        if match["wan"]:
            value *= 10_000
        if match["pct"]:
            value /= 100
        if match["most"]:
            qualifier = "at_most"
        elif match["near"]:
            qualifier = "approximately"
        elif match["more1"] or match["more2"]:
            qualifier = "at_least"
        else:
            qualifier = "exact"
        found.append(ParsedNumber(value, qualifier))
    return found


# --- the article ---------------------------------------------------------------------------------

def read_article_paragraphs(article: Path | None = None) -> list[str] | None:
    """The article's paragraphs (non-empty lines; title = 1, byline = 2), or None when absent."""
    path = Path(article or paths.ARTICLE)
    if not path.is_file():
        return None
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- schema-driven reading and checking ------------------------------------------------------------

def _fail(file: str, row: int | str, column: str, rule: str) -> DataValidationError:
    return DataValidationError(f"{file}: row {row}, column {column}: {rule}")


PACKAGE_FILE = paths.DATAPACKAGE.name  # "datapackage.json", as messages name it


def _read_json(data_dir: Path, file: str) -> dict:
    """A JSON file of the data package; *file* is its path inside the data folder (named in errors)."""
    path = paths.data_file(file, data_dir)
    if not path.is_file():
        raise _fail(file, 1, "-", "file not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise _fail(file, exc.lineno, "-", f"invalid JSON: {exc.msg}") from None


def _data_dir(data_dir) -> Path:
    return Path(data_dir) if data_dir is not None else paths.DATA_DIR


def read_schema(name: str, data_dir: Path | str | None = None) -> dict:
    """The Table Schema (a dict) of a resource of ``datapackage.json``."""
    return _schema(_data_dir(data_dir).resolve(), name)


@functools.cache
def _resources(data_dir: Path) -> tuple[tuple[str, dict], ...]:
    package = _read_json(data_dir, PACKAGE_FILE)
    resources = package.get("resources", [])
    for number, resource in enumerate(resources, start=1):
        missing = [key for key in ("name", "path", "schema") if not isinstance(resource.get(key), str)]
        if missing:
            raise _fail(PACKAGE_FILE, 1, "resources", f"resource {number} has no {missing[0]!r} (name, path and schema are required)")
    return tuple((resource["name"], resource) for resource in resources)


def read_resources(data_dir: Path | str | None = None) -> list[dict]:
    """The resources of ``datapackage.json`` in order (name, path, schema, ...), read once per data folder."""
    return [dict(resource) for _, resource in _resources(_data_dir(data_dir).resolve())]


@functools.cache
def _schema(data_dir: Path, name: str) -> dict:
    resources = dict(_resources(data_dir))
    if name not in resources:
        raise _fail(PACKAGE_FILE, 1, "resources", f"no resource named {name!r}")
    schema = _read_json(data_dir, resources[name]["schema"])
    for field in schema.get("fields", []):
        if field.get("type", "string") not in _PARSERS:
            raise _fail(resources[name]["schema"], 1, field["name"], f"unsupported type {field['type']!r} (supported: {', '.join(_PARSERS)})")
    return schema


def _parse_integer(text: str, field: dict) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(text)
    return int(text)


def _parse_number(text: str, field: dict) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _parse_date(text: str, field: dict) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(text)
    return date.fromisoformat(text)


def _parse_year(text: str, field: dict) -> int:
    if not re.fullmatch(r"\d{4}", text):
        raise ValueError(text)
    return int(text)


def _parse_boolean(text: str, field: dict) -> bool:
    true_values = field.get("trueValues", ["true", "True", "TRUE", "1"])
    false_values = field.get("falseValues", ["false", "False", "FALSE", "0"])
    if text not in true_values + false_values:
        raise ValueError(text)
    return text in true_values


_PARSERS = {
    "string": lambda text, field: text,
    "integer": _parse_integer,
    "number": _parse_number,
    "date": _parse_date,
    "year": _parse_year,
    "boolean": _parse_boolean,
}


def _convert(text: str, field: dict):
    """Typed value of a non-empty cell; ValueError when the text is not of the field's type."""
    return _PARSERS[field.get("type", "string")](text, field)


def _check_cell(file: str, row: int, field: dict, text: str):
    name, constraints = field["name"], field.get("constraints", {})
    if text == "":
        if constraints.get("required"):
            raise _fail(file, row, name, "missing required value")
        return None
    try:
        value = _convert(text, field)
    except ValueError:
        raise _fail(file, row, name, f"{text!r} is not a valid {field.get('type', 'string')}") from None
    if "enum" in constraints and text not in [str(v) for v in constraints["enum"]]:
        raise _fail(file, row, name, f"{text!r} is not one of: {', '.join(map(str, constraints['enum']))}")
    if "pattern" in constraints and not re.fullmatch(constraints["pattern"], text):
        raise _fail(file, row, name, f"{text!r} does not match pattern {constraints['pattern']}")
    if "maxLength" in constraints and len(text) > constraints["maxLength"]:
        raise _fail(file, row, name, f"length {len(text)} exceeds maxLength {constraints['maxLength']}")
    if "minimum" in constraints and value < _convert(str(constraints["minimum"]), field):
        raise _fail(file, row, name, f"{text} is below minimum {constraints['minimum']}")
    if "maximum" in constraints and value > _convert(str(constraints["maximum"]), field):
        raise _fail(file, row, name, f"{text} is above maximum {constraints['maximum']}")
    return value


def _as_list(fields) -> list[str]:
    return [fields] if isinstance(fields, str) else list(fields)


@functools.cache
def _read_checked(data_dir: Path, name: str) -> tuple[str, list[dict], tuple[str, ...]]:
    """Rows of one resource as typed dicts, checked cell by cell, primary key and unique fields."""
    schema = _schema(data_dir, name)
    resource = dict(_resources(data_dir))[name]
    path = paths.data_file(resource["path"], data_dir)
    file = resource["path"]
    if not path.is_file():
        raise _fail(file, 1, "-", "file not found")
    fields = schema["fields"]
    names = [f["name"] for f in fields]
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        if header != names:
            raise _fail(file, 1, "-", f"header {header} does not match schema fields {names}")
        rows = []
        unique_seen: dict[str, dict] = {f["name"]: {} for f in fields if f.get("constraints", {}).get("unique")}
        key = _as_list(schema.get("primaryKey", []))
        key_seen: dict[tuple, int] = {}
        for line, cells in enumerate(reader, start=2):
            if len(cells) != len(names):
                raise _fail(file, line, "-", f"{len(cells)} cells, expected {len(names)}")
            row = {f["name"]: _check_cell(file, line, f, text) for f, text in zip(fields, cells)}
            for col, seen in unique_seen.items():
                if row[col] is not None and row[col] in seen:
                    raise _fail(file, line, col, f"duplicate value {row[col]!r} (first at row {seen[row[col]]})")
                seen[row[col]] = line
            if key:
                values = tuple(row[k] for k in key)
                if values in key_seen:
                    shown = values[0] if len(values) == 1 else values
                    raise _fail(file, line, ",".join(key), f"duplicate primary key {shown!r} (first at row {key_seen[values]})")
                key_seen[values] = line
            rows.append(row)
    return file, rows, tuple(names)


def _check_foreign_keys(data_dir: Path, name: str, file: str, rows: list[dict]) -> None:
    schema = _schema(data_dir, name)
    for fk in schema.get("foreignKeys", []):
        cols = _as_list(fk["fields"])
        target = fk["reference"].get("resource") or name
        target_cols = _as_list(fk["reference"]["fields"])
        _, target_rows, _ = _read_checked(data_dir, target) if target != name else (file, rows, ())
        allowed = {tuple(r[c] for c in target_cols) for r in target_rows}
        for line, row in enumerate(rows, start=2):
            values = tuple(row[c] for c in cols)
            if all(v is None for v in values):
                continue
            if values not in allowed:
                shown = values[0] if len(values) == 1 else values
                raise _fail(file, line, ",".join(cols), f"{shown!r} not found in {target}.{','.join(target_cols)}")


def _check_provenance(file: str, rows: list[dict], paragraphs: list[str]) -> None:
    """Paragraph in range, quote verbatim in it, and (for facts) the value agrees with the quote."""
    for line, row in enumerate(rows, start=2):
        number = row["source_paragraph"]
        if number > len(paragraphs):
            raise _fail(file, line, "source_paragraph", f"{number} is out of range 1-{len(paragraphs)} (article paragraphs)")
        quote = row["source_quote"]
        if quote not in paragraphs[number - 1]:
            raise _fail(file, line, "source_quote", f"{quote!r} does not occur verbatim in article paragraph {number}")
        if {"value", "unit", "qualifier"} <= row.keys():
            problem = check_value_against_quote(row["value"], row["unit"], row["qualifier"], quote)
            if problem:
                column = "qualifier" if problem.startswith("qualifier ") else "value"
                raise _fail(file, line, column, problem)


def _expected_unit(column: str, units: list[str]) -> str | None:
    """The unit a ``<stem>_fact_id`` column's name promises (``area_mu_fact_id`` -> ``mu``), or None."""
    stem = column.removesuffix("_fact_id")
    matches = [u for u in units if stem == u or stem.endswith("_" + u)]
    return max(matches, key=len) if matches else None


def _check_cross_table(data_dir: Path, name: str, file: str, rows: list[dict], article: Path) -> None:
    """Rules that need the facts: unit promised by ``<stem>_fact_id`` names; ``x-occursIn*`` fields."""
    fields = _schema(data_dir, name)["fields"]
    fact_columns = [f["name"] for f in fields if f["name"].endswith("_fact_id")]
    needs_facts = fact_columns or any("x-occursInFactValue" in f for f in fields)
    facts = {}
    if needs_facts and name != "facts":
        facts = {r["fact_id"]: r for r in _validated(data_dir, "facts", article)[0]}
        units = next(f for f in _schema(data_dir, "facts")["fields"] if f["name"] == "unit")["constraints"]["enum"]
    for line, row in enumerate(rows, start=2):
        for column in fact_columns:
            unit = _expected_unit(column, units)
            if row[column] is not None and unit and facts[row[column]]["unit"] != unit:
                raise _fail(file, line, column, f"fact {row[column]!r} has unit {facts[row[column]]['unit']}, column expects {unit}")
        for field in fields:
            text = row[field["name"]]
            if text is None:
                continue
            other = field.get("x-occursIn")
            if other and text not in (row[other] or ""):
                raise _fail(file, line, field["name"], f"{text!r} does not occur in {other} {row[other]!r}")
            other = field.get("x-occursInFactValue")
            if other and row[other] is not None and text not in facts[row[other]]["value"]:
                raise _fail(file, line, field["name"], f"{text!r} does not occur in the value of fact {row[other]!r}")


def check_value_against_quote(value: str, unit: str, qualifier: str, quote: str) -> str | None:
    """The rule a fact's value breaks against its quote, or None when they agree."""
    if unit in {"text", "date"}:
        return None if value in quote else f"{value!r} does not occur in its quote {quote!r}"
    if unit == "month_day":
        days = {f"{int(m):02d}-{int(d):02d}" for m, d in re.findall(r"(\d{1,2})\.(\d{1,2})", quote)}
        return None if value in days else f"{value!r} does not match a month.day in its quote {quote!r}"
    try:
        number = float(value)
    except ValueError:
        return f"{value!r} is not a number (unit {unit})"
    parsed = parse_quote_numbers(quote)
    same = [p for p in parsed if math.isclose(p.value, number, rel_tol=1e-12)]
    shown = ", ".join(f"{p.value:.12g} {p.qualifier}" for p in parsed) or "no number"
    if not same:
        return f"{value} does not match its quote {quote!r} (parsed: {shown})"
    if not any(p.qualifier == qualifier for p in same):
        return f"qualifier {qualifier} does not match its quote {quote!r} (parsed: {shown})"
    return None


# --- public API --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """One passed validation step: which table, how many rows, what was checked."""

    table: str
    rows: int
    message: str

    def __str__(self) -> str:
        return f"{self.table}: {self.rows} row{'' if self.rows == 1 else 's'}, {self.message}"


@functools.cache
def _validated(data_dir: Path, name: str, article: Path) -> tuple[tuple[dict, ...], Check]:
    file, rows, names = _read_checked(data_dir, name)
    _check_foreign_keys(data_dir, name, file, rows)
    _check_cross_table(data_dir, name, file, rows, article)
    message = "schema ok"
    if "source_quote" in names and "source_paragraph" in names:
        paragraphs = read_article_paragraphs(article)
        if paragraphs is None:
            message += f"; provenance SKIPPED (article not found: {article})"
        else:
            _check_provenance(file, rows, paragraphs)
            message += f"; provenance ok against {len(paragraphs)} article paragraphs"
    for fk in _schema(data_dir, name).get("foreignKeys", []):
        target = fk["reference"].get("resource") or name
        if target != name:
            _validated(data_dir, target, article)  # referenced facts must be valid too
    return tuple(rows), Check(name, len(rows), message)


def _frame(rows: tuple[dict, ...], schema: dict) -> pd.DataFrame:
    columns = {}
    for field in schema["fields"]:
        values = [r[field["name"]] for r in rows]
        kind = field.get("type", "string")
        if kind in {"integer", "year"}:
            series = pd.Series(values, dtype="Int64" if None in values else "int64")
        elif kind == "number":
            series = pd.Series([math.nan if v is None else v for v in values], dtype="float64")
        elif kind == "date":
            series = pd.to_datetime(pd.Series(values, dtype="object"))
        elif kind == "boolean":
            series = pd.Series(values, dtype="boolean")
        else:
            series = pd.Series(values, dtype="str")
        columns[field["name"]] = series
    return pd.DataFrame(columns)


def load_table(name: str, data_dir: Path | str | None = None, article: Path | str | None = None) -> pd.DataFrame:
    """A resource of ``datapackage.json`` as a typed DataFrame, validated first (schema, keys, provenance).

    Raises :class:`DataValidationError` with a one-line message on the first problem.
    """
    root = _data_dir(data_dir).resolve()
    article_path = Path(article or paths.ARTICLE)
    rows, check = _validated(root, name, article_path)
    if "SKIPPED" in check.message:
        warnings.warn(f"{name}: {check.message}", stacklevel=2)
    schema = _schema(root, name)
    frame = _frame(rows, schema)
    if name == "facts":
        numeric = ~frame["unit"].isin(NON_NUMERIC_UNITS)
        frame["value_number"] = pd.to_numeric(frame["value"].where(numeric), errors="coerce").astype("float64")
    return frame


def load_facts(data_dir: Path | str | None = None) -> pd.DataFrame:
    """The facts table, validated and typed, with a float ``value_number`` (NaN for text/date units)."""
    return load_table("facts", data_dir)


def load_assumptions(data_dir: Path | str | None = None) -> pd.DataFrame:
    """The assumptions table, validated against its schema, indexed by ``name`` (column kept too)."""
    frame = load_table("assumptions", data_dir)
    return frame.set_index("name", drop=False)


@dataclass(frozen=True)
class Fact:
    """One fact of the article."""

    fact_id: str
    value: float | str
    unit: str
    qualifier: str
    as_of: date | None
    source_paragraph: int
    source_quote: str
    note_en: str


@functools.cache
def _facts_by_id(data_dir: Path) -> dict[str, Fact]:
    out = {}
    for row in load_facts(data_dir).itertuples(index=False):
        value = row.value if row.unit in NON_NUMERIC_UNITS else float(row.value)
        as_of = None if pd.isna(row.as_of) else row.as_of.date()
        out[row.fact_id] = Fact(row.fact_id, value, row.unit, row.qualifier, as_of,
                                int(row.source_paragraph), row.source_quote, row.note_en)
    return out


def fact(fact_id: str, data_dir: Path | str | None = None) -> Fact:
    """The fact with this id; DataValidationError naming the id when there is none."""
    facts = _facts_by_id(_data_dir(data_dir).resolve())
    if fact_id not in facts:
        raise DataValidationError(f"facts.csv: row -, column fact_id: unknown fact_id {fact_id!r}")
    return facts[fact_id]


def fact_value(fact_id: str, data_dir: Path | str | None = None) -> float:
    """The numeric value of a fact; DataValidationError for an unknown id or a non-numeric fact."""
    found = fact(fact_id, data_dir)
    if isinstance(found.value, str):
        raise DataValidationError(f"facts.csv: row -, column value: fact {fact_id!r} is not numeric (unit {found.unit})")
    return found.value


def with_fact_values(frame: pd.DataFrame, data_dir: Path | str | None = None) -> pd.DataFrame:
    """A copy of an entity table with each ``<stem>_fact_id`` column resolved to a float column ``<stem>``.

    ``area_mu_fact_id`` -> ``area_mu``; the plain ``fact_id`` column is left as it is. Missing ids give NaN.
    """
    numbers = load_facts(data_dir).set_index("fact_id")["value_number"]
    out = frame.copy()
    for column in [c for c in frame.columns if c.endswith("_fact_id")]:
        out[column.removesuffix("_fact_id")] = frame[column].map(numbers).astype("float64")
    return out


def count_unnamed_villages(data_dir: Path | str | None = None) -> int:
    """Villages the article counts but does not name: fact villages_total minus the rows of villages.csv."""
    return int(fact_value("villages_total", data_dir)) - len(load_table("villages", data_dir))


def validate_package(data_dir: Path | str | None = None, article: Path | str | None = None) -> list[Check]:
    """Validate every resource of the package; the list of checks, or DataValidationError on the first error."""
    root = _data_dir(data_dir).resolve()
    article_path = Path(article or paths.ARTICLE)
    checks = [_validated(root, name, article_path)[1] for name, _ in _resources(root)]
    # Cross-column rules of the assumptions (low <= base <= high, names the model knows) live
    # with the parameters they describe; imported here to avoid a circular import.
    from analysis.parameters import check_assumption_table

    check_assumption_table(load_assumptions(root))
    return checks


def clear_caches() -> None:
    """Forget everything read (for tests that rewrite files in place)."""
    for cached in (_resources, _schema, _read_checked, _validated, _facts_by_id):
        cached.cache_clear()


# --- command line ----------------------------------------------------------------------------------

def configure_validate(parser) -> None:
    """Options of ``python -m analysis validate``."""
    parser.add_argument("--data-dir", type=Path, default=None, help="data package folder (default: data/)")
    parser.add_argument("--article", type=Path, default=None, help="article text (default: shared/sources/...)")


def run_validate(args) -> int:
    """Print one line per table and 'ok'; errors propagate as DataValidationError (exit 2)."""
    for check in validate_package(args.data_dir, args.article):
        print(check)
    print("ok")
    sys.stdout.flush()
    return 0
