"""Load and validate the data package (``data/``): facts of the article, entity tables, assumptions.

Every table is a resource of ``data/datapackage.json`` with a Frictionless Table Schema in
``data/schemas/``; the schema is the one place that says a column's type, whether it is required,
its enum, minimum, maximum, pattern, minimum and maximum length, the primary key and the foreign keys.

Every failure raises :class:`DataValidationError` with ONE line ``<file>: row <n>, column <col>: <rule>``.
``<file>`` is the file's path inside the data folder; ``<n>`` is the CSV record number (header = row 1,
first data row = row 2, as frictionless counts; in a JSON file, its line); a problem with a whole file
is ``row 1, column -``; a lookup by id (:func:`fact`) is ``row -``. Values are echoed at most 60
characters long. The rules, in the order they are checked::

    file not found / not a regular file / cannot read: <reason>
    file too large: <k> bytes (limit <n>)            10 MB for a CSV or the article, 1 MB for JSON
    invalid UTF-8 byte 0x<hh> at byte offset <k> (the file must be UTF-8)   row and column of the cell
    invalid JSON: <reason>                           JSON syntax (row = line)
    must be a JSON object (...), not a list          datapackage.json, a schema
    resource <i> ...                                 not an object, no name/path/schema, a repeated name,
                                                     an encoding other than UTF-8, a dialect or format
    resource <i> path '<p>' is outside the data folder (...); refused unread
                                                     absolute, '..', or a symbolic link leading out
    field <i> ... / constraint <c> ... / unknown field 'x' (fields: ...)   schema mistakes: a field
                                                     without name, a bad minimum/maximum/pattern/enum,
                                                     an unknown primaryKey or foreign-key field
    header [...] does not match schema fields [...]  header differs from the schema's field names
    <k> cells, expected <n>                          ragged row
    length <k> exceeds maxLength 2000 (the limit for every cell of the package)
    control character U+<hhhh> at character <i> (not allowed in a cell)   NUL, tab, line breaks, bidi
    missing required value                           empty cell in a required field
    'x' is not a valid <type>                        integer, number, date (YYYY-MM-DD), year, boolean
    <v> is outside the 64-bit integer range
    'x' is not one of: a, b, c                       enum (units, qualifiers, topics, kinds ...)
    'x' does not match pattern <re>                  snake_case identifiers
    length <k> exceeds maxLength <n> / is below minLength <n>   quotes are at most 30 characters
    <v> is below minimum <m> / is above maximum <m>
    duplicate value 'x' (first at row <n>)           unique field
    duplicate primary key 'x' (first at row <n>)
    'x' is not a number (unit <u>)                   a fact whose unit is numeric (also without the article);
                                                     'x' is not a valid date (unit date), ... month-day MM-DD
    'x' not found in <table>.<field>                 foreign key (and <stem>_fact_id columns)
    fact 'f' has unit <u>, column expects <w>        a column <stem>_fact_id whose stem ends in a unit
    'x' does not occur in <col> '...'                field with "x-occursIn": <col> (same row)
    'x' does not occur in the value of fact 'f'      field with "x-occursInFactValue": <col>

Stay inside the package: every file read is the package file or a path of ``datapackage.json``,
relative, without ``..``, resolving (symbolic links followed) inside the data folder; anything
else is refused by name before it is opened.

Provenance, for tables with ``source_paragraph`` and ``source_quote`` (facts, cases), checked when
the article is present; without it the rules above still run on every row, the check lines say
``provenance not checked`` and :func:`provenance_status` tells the caller (``validate`` prints
``provenance not checked: article not found at PATH`` once)::

    <path>: line <n>, byte offset <k>: invalid UTF-8 byte 0x<hh> / NUL byte ...   a broken article
    <p> is out of range 1-<n> (article paragraphs)   paragraphs = non-empty lines; title 1, byline 2
    '...' does not occur verbatim in article paragraph <p>
    <v> does not match its quote '...' (parsed: ...) numeric value vs :func:`parse_quote_numbers`
    qualifier <q> does not match its quote '...'     余/多 at_least, 近 approximately, 最高 at_most
    'x' does not occur in its quote '...'            text and date values
    'MM-DD' does not match a month.day in its quote  month_day values ("8.16" -> 08-16)

Nothing downstream reads unvalidated data: every ``load_*`` validates first, cached per process
(keyed on the data folder and article path; :func:`clear_caches` forgets). The cross-column rules
of the assumptions live with the parameters (:mod:`analysis.parameters`);
:func:`analysis.validation.validate_all` runs both.
"""
from __future__ import annotations

import codecs
import copy
import csv
import functools
import io
import json
import math
import re
import stat
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

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


# --- limits --------------------------------------------------------------------------------------

MAX_CELL_CHARS = 2000  # every cell of every table (a schema's maxLength may say less)
MAX_CSV_BYTES = 10_000_000  # one table (the package's largest is ~25 KB)
MAX_JSON_BYTES = 1_000_000  # datapackage.json, one schema
MAX_ARTICLE_BYTES = 10_000_000
SHOWN_CHARS = 60  # longest value echoed in a message
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# C0 and C1 controls (NUL, tab, line breaks, escape ...), line/paragraph separators, the
# bidirectional overrides and isolates, and a stray byte-order mark.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def _shown(text) -> str:
    """A value for a message: repr, at most SHOWN_CHARS characters of it."""
    text = str(text)
    return repr(text) if len(text) <= SHOWN_CHARS else repr(text[:SHOWN_CHARS] + "…")


def _json_shown(value) -> str:
    """A JSON value for a message, as written in JSON, at most SHOWN_CHARS characters."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def _json_kind(value) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    return "a number"


# --- reading files of the package, and the article ------------------------------------------------

def _fail(file: str, row: int | str, column: str, rule: str) -> DataValidationError:
    return DataValidationError(f"{file}: row {row}, column {column}: {rule}")


PACKAGE_FILE = paths.DATAPACKAGE.name  # "datapackage.json", as messages name it


def _read_bytes(path: Path, name: str, limit: int, fail) -> bytes:
    """The bytes of a regular file of at most *limit* bytes; *fail(rule)* makes the error."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise fail("file not found") from None
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise fail("not a regular file")
    if info.st_size > limit:
        raise fail(f"file too large: {info.st_size} bytes (limit {limit})")
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror}") from None
    if len(data) > limit:
        raise fail(f"file too large: more than {limit} bytes")
    return data


def _without_bom(data: bytes) -> tuple[bytes, int]:
    return (data[len(codecs.BOM_UTF8):], len(codecs.BOM_UTF8)) if data.startswith(codecs.BOM_UTF8) else (data, 0)


def _bad_byte_rule(data: bytes, exc: UnicodeDecodeError, skipped: int) -> str:
    return f"invalid UTF-8 byte 0x{data[exc.start]:02x} at byte offset {exc.start + skipped} (the file must be UTF-8)"


def _inside_rule(value) -> str | None:
    """Why a path string of datapackage.json is not a plain relative path inside the folder, or None."""
    if not isinstance(value, str) or not value:
        return "is not a file name"
    if _CONTROL.search(value):
        return "contains a control character"
    path = PurePosixPath(value)
    if path.is_absolute() or value.startswith("~") or ".." in path.parts:
        return "is outside the data folder (a path must be relative to it, without '..'); refused unread"
    return None


def _package_path(data_dir: Path, file: str) -> Path | None:
    """The resolved path of *file* (relative to the data folder), or None when it resolves outside."""
    resolved = (data_dir / file).resolve()
    return resolved if resolved == data_dir or data_dir in resolved.parents else None


def _read_json(data_dir: Path, file: str):
    """A JSON file of the data package; *file* is its path inside the data folder (named in errors)."""
    path = _package_path(data_dir, file)
    if path is None:
        raise _fail(file, 1, "-", "leads outside the data folder through a symbolic link; refused unread")
    data, skipped = _without_bom(_read_bytes(path, file, MAX_JSON_BYTES, lambda rule: _fail(file, 1, "-", rule)))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(file, data.count(b"\n", 0, exc.start) + 1, "-", _bad_byte_rule(data, exc, skipped)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(file, exc.lineno, "-", f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise _fail(file, 1, "-", "invalid JSON: nested too deeply") from None


@contextmanager
def _csv_field_limit(limit: int):
    """Let Python's csv read cells up to *limit* characters (the cell rule below refuses long ones in one line)."""
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _read_csv(data_dir: Path, file: str, names: list[str]) -> list[list[str]]:
    """Records (header first) of a CSV of the package; undecodable bytes named by row and column."""
    path = _package_path(data_dir, file)
    if path is None:
        raise _fail(file, 1, "-", "leads outside the data folder through a symbolic link; refused unread")
    data, skipped = _without_bom(_read_bytes(path, file, MAX_CSV_BYTES, lambda rule: _fail(file, 1, "-", rule)))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row, column = _cell_of_bad_byte(data, names)
        raise _fail(file, row, column, _bad_byte_rule(data, exc, skipped)) from None
    records = []
    with _csv_field_limit(MAX_CSV_BYTES):
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            records.extend(reader)
        except csv.Error as exc:
            raise _fail(file, len(records) + 1, "-", f"not valid CSV: {exc}") from None
    return records


def _cell_of_bad_byte(data: bytes, names: list[str]) -> tuple[int | str, str]:
    """(row, column) of the first cell holding an undecodable byte (row 1 = header; column from the schema)."""
    text = data.decode("utf-8", "surrogateescape")
    try:
        with _csv_field_limit(MAX_CSV_BYTES):
            for row, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
                for index, cell in enumerate(cells):
                    if any("\udc80" <= char <= "\udcff" for char in cell):
                        column = names[index] if row > 1 and index < len(names) else "-"
                        return row, column
    except csv.Error:
        pass
    return "-", "-"


def _article_fail(path: Path, rule: str) -> DataValidationError:
    return DataValidationError(f"{path}: {rule}")


@functools.cache
def _article(path: Path) -> tuple[str, ...] | None:
    """The article's paragraphs, read once; None when there is no file at *path*."""
    if not path.is_file():
        return None
    data = _read_bytes(path, str(path), MAX_ARTICLE_BYTES, lambda rule: _article_fail(path, rule))
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise _article_fail(path, f"line {line}, byte offset {nul}: NUL byte (a binary file, not the article's UTF-8 text)")
    data, skipped = _without_bom(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _article_fail(path, f"line {line}, byte offset {exc.start + skipped}: invalid UTF-8 byte "
                                  f"0x{data[exc.start]:02x} (the article must be UTF-8 text)") from None
    return tuple(line for line in text.splitlines() if line.strip())


def read_article_paragraphs(article: Path | str | None = None) -> list[str] | None:
    """The article's paragraphs (non-empty lines; title = 1, byline = 2), or None when absent.

    A file that is not UTF-8 text raises DataValidationError ``<path>: line <n>, byte offset <k>: ...``.
    """
    found = _article(Path(article or paths.ARTICLE))
    return None if found is None else list(found)


@dataclass(frozen=True)
class Provenance:
    """Whether the provenance rules could run: the article, and its paragraph count (None: not found)."""

    article: Path
    paragraphs: int | None

    @property
    def checked(self) -> bool:
        return self.paragraphs is not None

    def __str__(self) -> str:
        if self.checked:
            return f"provenance checked against {self.paragraphs} article paragraphs ({self.article})"
        return f"provenance not checked: article not found at {self.article}"


def provenance_status(article: Path | str | None = None) -> Provenance:
    """Whether validation against *article* (default ``paths.ARTICLE``) checks provenance.

    Callers report it once (``validate`` prints ``provenance not checked: article not found at PATH``
    on stderr); the library itself never warns. A broken article raises DataValidationError.
    """
    path = Path(article or paths.ARTICLE)
    found = _article(path)
    return Provenance(path, None if found is None else len(found))


# --- datapackage.json and the schemas ------------------------------------------------------------

def _data_dir(data_dir) -> Path:
    return Path(data_dir) if data_dir is not None else paths.DATA_DIR


def read_schema(name: str, data_dir: Path | str | None = None) -> dict:
    """The Table Schema (a dict, a copy) of a resource of ``datapackage.json``."""
    return copy.deepcopy(_schema(_data_dir(data_dir).resolve(), name))


def _resource_fail(number: int, rule: str) -> DataValidationError:
    return _fail(PACKAGE_FILE, 1, "resources", f"resource {number} {rule}")


def _check_resource(data_dir: Path, number: int, resource, seen: dict[str, int]) -> None:
    if not isinstance(resource, dict):
        raise _resource_fail(number, f"is {_json_kind(resource)}, not an object")
    missing = [key for key in ("name", "path", "schema") if not isinstance(resource.get(key), str)]
    if missing:
        raise _resource_fail(number, f"has no {missing[0]!r} (name, path and schema are required)")
    name = resource["name"]
    if name in seen:
        raise _resource_fail(number, f"repeats the name {_shown(name)} (resource {seen[name]})")
    seen[name] = number
    encoding = resource.get("encoding", "utf-8")
    if not isinstance(encoding, str) or encoding.lower().replace("-", "") != "utf8":
        raise _resource_fail(number, f"encoding {_shown(encoding)} is not supported (the package is UTF-8)")
    if resource.get("format", "csv") != "csv" or "dialect" in resource:
        raise _resource_fail(number, "must be a plain CSV (format 'csv', no dialect)")
    for key in ("path", "schema"):
        rule = _inside_rule(resource[key])
        if rule is None and _package_path(data_dir, resource[key]) is None:
            rule = "leads outside the data folder through a symbolic link; refused unread"
        if rule:
            raise _resource_fail(number, f"{key} {_shown(resource[key])} {rule}")


@functools.cache
def _resources(data_dir: Path) -> tuple[tuple[str, dict], ...]:
    package = _read_json(data_dir, PACKAGE_FILE)
    if not isinstance(package, dict):
        raise _fail(PACKAGE_FILE, 1, "-", f"must be a JSON object (a data package), not {_json_kind(package)}")
    if "resources" not in package:
        raise _fail(PACKAGE_FILE, 1, "resources", "missing (a list of resources is required)")
    resources = package["resources"]
    if not isinstance(resources, list):
        raise _fail(PACKAGE_FILE, 1, "resources", f"must be a list of resources, not {_json_kind(resources)}")
    seen: dict[str, int] = {}
    for number, resource in enumerate(resources, start=1):
        _check_resource(data_dir, number, resource, seen)
    return tuple((resource["name"], resource) for resource in resources)


def read_resources(data_dir: Path | str | None = None) -> list[dict]:
    """The resources of ``datapackage.json`` in order (name, path, schema, ...), read once per data folder."""
    return [copy.deepcopy(resource) for _, resource in _resources(_data_dir(data_dir).resolve())]


@functools.cache
def _schema(data_dir: Path, name: str) -> dict:
    resources = dict(_resources(data_dir))
    if name not in resources:
        raise _fail(PACKAGE_FILE, 1, "resources", f"no resource named {name!r}")
    file = resources[name]["schema"]
    schema = _read_json(data_dir, file)
    _check_schema(file, name, schema, set(resources))
    return schema


def _parse_integer(text: str, field: dict) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise ValueError(text)
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise OverflowError(text)
    return value


# A number as the package writes it: ASCII digits, a point, an exponent (float() alone would also
# take '1_000', 'inf' and full-width or Arabic-Indic digits); parameters.to_number reads --set with it.
NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _parse_number(text: str, field: dict | None = None) -> float:
    if not NUMBER_TEXT.fullmatch(text):
        raise ValueError(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _parse_date(text: str, field: dict | None = None) -> date:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise ValueError(text)
    return date.fromisoformat(text)


def _parse_year(text: str, field: dict) -> int:
    if not re.fullmatch(r"[0-9]{4}", text):
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
_ORDERED_TYPES = ("integer", "number", "date", "year")  # the types minimum/maximum apply to
_CONSTRAINTS = ("required", "unique", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum")


def _check_constraints(fail, field: dict) -> None:
    """Each constraint of a field is one this module applies, of the right JSON type."""
    constraints = field.get("constraints", {})
    if not isinstance(constraints, dict):
        raise fail(f"constraints must be an object, not {_json_kind(constraints)}")
    kind = field.get("type", "string")
    for key, value in constraints.items():
        if key not in _CONSTRAINTS:
            raise fail(f"constraint {key!r} is not supported (supported: {', '.join(_CONSTRAINTS)})")
        if key in ("required", "unique") and not isinstance(value, bool):
            raise fail(f"constraint {key} must be true or false, not {_json_shown(value)}")
        if key in ("minLength", "maxLength") and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise fail(f"constraint {key} {_json_shown(value)} is not a non-negative integer")
        if key == "enum" and (not isinstance(value, list) or not value
                              or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value)):
            raise fail(f"constraint enum must be a non-empty list of strings or numbers, not {_json_shown(value)}")
        if key == "pattern":
            if not isinstance(value, str):
                raise fail(f"constraint pattern must be a string, not {_json_kind(value)}")
            try:
                re.compile(value)
            except re.error as exc:
                raise fail(f"constraint pattern {_shown(value)} is not a valid regular expression: {exc}") from None
        if key in ("minimum", "maximum"):
            if kind not in _ORDERED_TYPES:
                raise fail(f"constraint {key} does not apply to type {kind}")
            scalar = isinstance(value, str) if kind == "date" else (
                isinstance(value, (int, float)) and not isinstance(value, bool) and (kind == "number" or isinstance(value, int)))
            try:
                if not scalar:
                    raise ValueError(value)
                _convert(str(value), field)
            except (ValueError, OverflowError):
                raise fail(f"constraint {key} {_json_shown(value)} is not a valid {kind}") from None
    for key in ("trueValues", "falseValues"):
        if key in field and (not isinstance(field[key], list) or not all(isinstance(v, str) for v in field[key])):
            raise fail(f"{key} must be a list of strings")


def _key_fields(fail, what: str, value, names: list[str]) -> list[str]:
    """The field names of a primary or foreign key, each a field of the schema."""
    fields = _as_list(value) if isinstance(value, (str, list)) else None
    if not fields or not all(isinstance(f, str) for f in fields):
        raise fail(f"{what} must be a field name or a list of field names")
    for field in fields:
        if field not in names:
            raise fail(f"{what} names an unknown field {_shown(field)} (fields: {', '.join(names)})")
    return fields


def _check_schema(file: str, name: str, schema, resources: set[str]) -> None:
    """A schema the rules below can apply: fields with names and types, constraints, keys, extensions."""
    if not isinstance(schema, dict):
        raise _fail(file, 1, "-", f"must be a JSON object (a Table Schema), not {_json_kind(schema)}")
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields:
        raise _fail(file, 1, "fields", "must be a non-empty list of fields")
    names: list[str] = []
    for number, field in enumerate(fields, start=1):
        if not isinstance(field, dict):
            raise _fail(file, 1, "fields", f"field {number} is {_json_kind(field)}, not an object")
        if not isinstance(field.get("name"), str) or not field["name"] or _CONTROL.search(field["name"]):
            raise _fail(file, 1, "fields", f"field {number} has no 'name' (a non-empty string is required)")
        if field["name"] in names:
            raise _fail(file, 1, "fields", f"field {number} repeats the name {_shown(field['name'])}")
        names.append(field["name"])
    for field in fields:
        fail = functools.partial(_fail, file, 1, field["name"])
        kind = field.get("type", "string")
        if not isinstance(kind, str) or kind not in _PARSERS:
            shown = repr(kind) if isinstance(kind, str) else _json_shown(kind)
            raise fail(f"unsupported type {shown} (supported: {', '.join(_PARSERS)})")
        _check_constraints(fail, field)
        for key in ("x-occursIn", "x-occursInFactValue"):
            if key in field and field[key] not in names:
                raise fail(f"{key} {_shown(field[key])} is not a field of this schema (fields: {', '.join(names)})")
    if "primaryKey" in schema:
        _key_fields(functools.partial(_fail, file, 1, "primaryKey"), "primaryKey", schema["primaryKey"], names)
    foreign_keys = schema.get("foreignKeys", [])
    fail = functools.partial(_fail, file, 1, "foreignKeys")
    if not isinstance(foreign_keys, list):
        raise fail(f"must be a list, not {_json_kind(foreign_keys)}")
    for number, fk in enumerate(foreign_keys, start=1):
        reference = fk.get("reference") if isinstance(fk, dict) else None
        if not isinstance(reference, dict):
            raise fail(f"foreign key {number} needs 'fields' and a 'reference' object")
        cols = _key_fields(fail, f"foreign key {number}", fk.get("fields"), names)
        target = reference.get("resource") or name
        if not isinstance(target, str) or target not in resources:
            raise fail(f"foreign key {number} references unknown resource {_shown(target)}")
        target_cols = reference.get("fields")
        if not (isinstance(target_cols, str) or (isinstance(target_cols, list) and target_cols
                                                 and all(isinstance(c, str) for c in target_cols))):
            raise fail(f"foreign key {number} reference fields must be a field name or a list of field names")
        if len(_as_list(target_cols)) != len(cols):
            raise fail(f"foreign key {number} has {len(cols)} fields but its reference {len(_as_list(target_cols))}")
    _check_structure(file, name, fields)


def _check_structure(file: str, name: str, fields: list[dict]) -> None:
    """The fields the package's own rules read: the facts table's, and those of provenance."""
    kinds = {field["name"]: field.get("type", "string") for field in fields}
    needed = {}
    if name == "facts":
        needed.update({"fact_id": "string", "value": "string", "unit": "string"})
    if {"source_paragraph", "source_quote"} <= kinds.keys():
        needed.update({"source_paragraph": "integer", "source_quote": "string"})
    if {"value", "unit"} <= kinds.keys():
        needed.update({"value": "string", "unit": "string", **({"qualifier": "string"} if "qualifier" in kinds else {})})
    for column, kind in needed.items():
        if column not in kinds:
            raise _fail(file, 1, "fields", f"the {name} table needs a field {column!r} (the package's rules read it)")
        if kinds[column] != kind:
            raise _fail(file, 1, column, f"must be of type {kind}, not {kinds[column]} (the package's rules read it)")


# --- rows and cells ------------------------------------------------------------------------------

def _convert(text: str, field: dict):
    """Typed value of a non-empty cell; ValueError when the text is not of the field's type."""
    return _PARSERS[field.get("type", "string")](text, field)


def _check_cell(file: str, row: int, field: dict, text: str):
    name, constraints = field["name"], field.get("constraints", {})
    if len(text) > MAX_CELL_CHARS:
        raise _fail(file, row, name, f"length {len(text)} exceeds maxLength {MAX_CELL_CHARS} (the limit for every cell of the package)")
    control = _CONTROL.search(text)
    if control:
        raise _fail(file, row, name, f"control character U+{ord(control.group()):04X} at character {control.start() + 1} (not allowed in a cell)")
    if text == "":
        if constraints.get("required"):
            raise _fail(file, row, name, "missing required value")
        return None
    try:
        value = _convert(text, field)
    except OverflowError:
        raise _fail(file, row, name, f"{text} is outside the 64-bit integer range") from None
    except ValueError:
        raise _fail(file, row, name, f"{_shown(text)} is not a valid {field.get('type', 'string')}") from None
    if "enum" in constraints and text not in [str(v) for v in constraints["enum"]]:
        raise _fail(file, row, name, f"{_shown(text)} is not one of: {', '.join(map(str, constraints['enum']))}")
    if "pattern" in constraints and not re.fullmatch(constraints["pattern"], text):
        raise _fail(file, row, name, f"{_shown(text)} does not match pattern {constraints['pattern']}")
    if "maxLength" in constraints and len(text) > constraints["maxLength"]:
        raise _fail(file, row, name, f"length {len(text)} exceeds maxLength {constraints['maxLength']}")
    if "minLength" in constraints and len(text) < constraints["minLength"]:
        raise _fail(file, row, name, f"length {len(text)} is below minLength {constraints['minLength']}")
    if "minimum" in constraints and value < _convert(str(constraints["minimum"]), field):
        raise _fail(file, row, name, f"{text} is below minimum {constraints['minimum']}")
    if "maximum" in constraints and value > _convert(str(constraints["maximum"]), field):
        raise _fail(file, row, name, f"{text} is above maximum {constraints['maximum']}")
    return value


def _as_list(fields) -> list[str]:
    return [fields] if isinstance(fields, str) else list(fields)


def _header_shown(cells: list[str]) -> str:
    shown = [_shown(cell) for cell in cells[:40]]
    return "[" + ", ".join(shown + (["…"] if len(cells) > 40 else [])) + "]"


def _check_fact_values(file: str, rows: list[dict]) -> None:
    """A fact's value agrees with its unit: a finite number, an ISO date, a month-day MM-DD, or text.

    Runs with or without the article (``households=lots`` is refused either way).
    """
    for line, row in enumerate(rows, start=2):
        value, unit = row["value"], row["unit"]
        if value is None or unit is None or unit == "text":
            continue
        try:
            if unit == "date":
                _parse_date(value)
            elif unit == "month_day":
                if not re.fullmatch(r"[0-9]{2}-[0-9]{2}", value):
                    raise ValueError(value)
                date(2000, int(value[:2]), int(value[3:]))  # a leap year: 02-29 is a month-day
            else:
                _parse_number(value)
        except ValueError:
            rule = {"date": "is not a valid date", "month_day": "is not a month-day MM-DD"}.get(unit, "is not a number")
            raise _fail(file, line, "value", f"{_shown(value)} {rule} (unit {unit})") from None


@functools.cache
def _read_checked(data_dir: Path, name: str) -> tuple[str, list[dict], tuple[str, ...]]:
    """Rows of one resource as typed dicts, checked cell by cell, primary key and unique fields."""
    schema = _schema(data_dir, name)
    file = dict(_resources(data_dir))[name]["path"]
    fields = schema["fields"]
    names = [f["name"] for f in fields]
    records = _read_csv(data_dir, file, names)
    header = records[0] if records else []
    if header != names:
        raise _fail(file, 1, "-", f"header {_header_shown(header)} does not match schema fields {names}")
    rows = []
    unique_seen: dict[str, dict] = {f["name"]: {} for f in fields if f.get("constraints", {}).get("unique")}
    key = _as_list(schema.get("primaryKey", []))
    key_seen: dict[tuple, int] = {}
    for line, cells in enumerate(records[1:], start=2):
        if len(cells) != len(names):
            raise _fail(file, line, "-", f"{len(cells)} cells, expected {len(names)}")
        row = {f["name"]: _check_cell(file, line, f, text) for f, text in zip(fields, cells)}
        for col, seen in unique_seen.items():
            if row[col] is not None and row[col] in seen:
                raise _fail(file, line, col, f"duplicate value {_shown(row[col])} (first at row {seen[row[col]]})")
            seen[row[col]] = line
        if key:
            values = tuple(row[k] for k in key)
            if values in key_seen:
                shown = _shown(values[0]) if len(values) == 1 else _shown(values)
                raise _fail(file, line, ",".join(key), f"duplicate primary key {shown} (first at row {key_seen[values]})")
            key_seen[values] = line
        rows.append(row)
    if {"value", "unit"} <= set(names):
        _check_fact_values(file, rows)
    return file, rows, tuple(names)


def _target(fk: dict, name: str) -> str:
    return fk["reference"].get("resource") or name


def _check_foreign_keys(data_dir: Path, name: str, file: str, rows: list[dict]) -> None:
    schema = _schema(data_dir, name)
    schema_file = dict(_resources(data_dir))[name]["schema"]
    for number, fk in enumerate(schema.get("foreignKeys", []), start=1):
        cols = _as_list(fk["fields"])
        target = _target(fk, name)
        target_cols = _as_list(fk["reference"]["fields"])
        target_names = [f["name"] for f in _schema(data_dir, target)["fields"]]
        unknown = [c for c in target_cols if c not in target_names]
        if unknown:
            raise _fail(schema_file, 1, "foreignKeys", f"foreign key {number} references unknown field "
                        f"{_shown(unknown[0])} of resource {target!r} (fields: {', '.join(target_names)})")
        _, target_rows, _ = _read_checked(data_dir, target) if target != name else (file, rows, ())
        allowed = {tuple(r[c] for c in target_cols) for r in target_rows}
        for line, row in enumerate(rows, start=2):
            values = tuple(row[c] for c in cols)
            if all(v is None for v in values):
                continue
            if values not in allowed:
                shown = _shown(values[0]) if len(values) == 1 else _shown(values)
                raise _fail(file, line, ",".join(cols), f"{shown} not found in {target}.{','.join(target_cols)}")


def _check_provenance(file: str, rows: list[dict], paragraphs: tuple[str, ...]) -> None:
    """Paragraph in range, quote verbatim in it, and (for facts) the value agrees with the quote."""
    for line, row in enumerate(rows, start=2):
        number, quote = row["source_paragraph"], row["source_quote"]
        for column, value in (("source_paragraph", number), ("source_quote", quote)):
            if value is None:
                raise _fail(file, line, column, "missing required value (the provenance rules need it)")
        if not 1 <= number <= len(paragraphs):
            raise _fail(file, line, "source_paragraph", f"{number} is out of range 1-{len(paragraphs)} (article paragraphs)")
        if quote not in paragraphs[number - 1]:
            raise _fail(file, line, "source_quote", f"{_shown(quote)} does not occur verbatim in article paragraph {number}")
        if {"value", "unit", "qualifier"} <= row.keys() and None not in (row["value"], row["unit"], row["qualifier"]):
            problem = check_value_against_quote(row["value"], row["unit"], row["qualifier"], quote)
            if problem:
                column = "qualifier" if problem.startswith("qualifier ") else "value"
                raise _fail(file, line, column, problem)


def _expected_unit(column: str, units: list[str]) -> str | None:
    """The unit a ``<stem>_fact_id`` column's name promises (``area_mu_fact_id`` -> ``mu``), or None."""
    stem = column.removesuffix("_fact_id")
    matches = [u for u in units if stem == u or stem.endswith("_" + u)]
    return max(matches, key=len) if matches else None


def _needs_facts(fields: list[dict]) -> bool:
    return any(f["name"].endswith("_fact_id") or "x-occursInFactValue" in f for f in fields)


def _check_cross_table(data_dir: Path, name: str, file: str, rows: list[dict]) -> None:
    """Rules that need the facts: unit promised by ``<stem>_fact_id`` names; ``x-occursIn*`` fields."""
    fields = _schema(data_dir, name)["fields"]
    fact_columns = [f["name"] for f in fields if f["name"].endswith("_fact_id")]
    facts, units = {}, []
    if _needs_facts(fields):
        fact_rows = rows if name == "facts" else _read_checked(data_dir, "facts")[1]
        facts = {r["fact_id"]: r for r in fact_rows}
        unit_field = next(f for f in _schema(data_dir, "facts")["fields"] if f["name"] == "unit")
        units = [str(u) for u in unit_field.get("constraints", {}).get("enum", [])]

    def fact_of(line: int, column: str, fact_id):
        if fact_id not in facts:
            raise _fail(file, line, column, f"{_shown(fact_id)} not found in facts.fact_id")
        return facts[fact_id]

    for line, row in enumerate(rows, start=2):
        for column in fact_columns:
            unit = _expected_unit(column, units)
            if row[column] is None:
                continue
            found = fact_of(line, column, row[column])
            if unit and found["unit"] != unit:
                raise _fail(file, line, column, f"fact {row[column]!r} has unit {found['unit']}, column expects {unit}")
        for field in fields:
            text = row[field["name"]]
            if text is None:
                continue
            other = field.get("x-occursIn")
            if other and str(text) not in str(row[other] or ""):
                raise _fail(file, line, field["name"], f"{_shown(text)} does not occur in {other} {_shown(row[other] or '')}")
            other = field.get("x-occursInFactValue")
            if other and row[other] is not None and str(text) not in str(fact_of(line, other, row[other])["value"] or ""):
                raise _fail(file, line, field["name"], f"{_shown(text)} does not occur in the value of fact {row[other]!r}")


def check_value_against_quote(value: str, unit: str, qualifier: str, quote: str) -> str | None:
    """The rule a fact's value breaks against its quote, or None when they agree."""
    if unit in {"text", "date"}:
        return None if value in quote else f"{value!r} does not occur in its quote {quote!r}"
    if unit == "month_day":
        days = {f"{int(m):02d}-{int(d):02d}" for m, d in re.findall(r"(\d{1,2})\.(\d{1,2})", quote)}
        return None if value in days else f"{value!r} does not match a month.day in its quote {quote!r}"
    try:
        number = _parse_number(value)
    except ValueError:
        return f"{_shown(value)} is not a number (unit {unit})"
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
def _validated_one(data_dir: Path, name: str, article: Path) -> tuple[tuple[dict, ...], Check]:
    """Every rule of one table (the tables it refers to are read and schema-checked, not validated)."""
    file, rows, names = _read_checked(data_dir, name)
    _check_foreign_keys(data_dir, name, file, rows)
    _check_cross_table(data_dir, name, file, rows)
    message = "schema ok"
    if "source_quote" in names and "source_paragraph" in names:
        paragraphs = _article(article)
        if paragraphs is None:
            message += "; provenance not checked"
        else:
            _check_provenance(file, rows, paragraphs)
            message += f"; provenance ok against {len(paragraphs)} article paragraphs"
    return tuple(rows), Check(name, len(rows), message)


def _dependencies(data_dir: Path, name: str) -> list[str]:
    """The tables *name* refers to, directly or not (foreign keys, fact columns), each once."""
    found, todo = [], [name]
    while todo:
        current = todo.pop(0)
        schema = _schema(data_dir, current)
        targets = [_target(fk, current) for fk in schema.get("foreignKeys", [])]
        targets += ["facts"] if _needs_facts(schema["fields"]) else []
        for target in targets:
            if target != name and target not in found:
                found.append(target)
                todo.append(target)
    return found


def _validated(data_dir: Path, name: str, article: Path) -> tuple[tuple[dict, ...], Check]:
    result = _validated_one(data_dir, name, article)
    for target in _dependencies(data_dir, name):  # what a table refers to must be valid too
        _validated_one(data_dir, target, article)
    return result


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

    Raises :class:`DataValidationError` with a one-line message on the first problem. Without the
    article the provenance rules are not run (every other rule is); :func:`provenance_status` says so.
    """
    root = _data_dir(data_dir).resolve()
    article_path = Path(article or paths.ARTICLE)
    rows, _ = _validated(root, name, article_path)
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
    """Validate every resource of the package (schema, keys, cross-table rules, provenance when the
    article is present); the list of checks, or DataValidationError on the first error.

    The assumptions' cross-column rules live in :mod:`analysis.parameters`;
    :func:`analysis.validation.validate_all` runs both.
    """
    root = _data_dir(data_dir).resolve()
    article_path = Path(article or paths.ARTICLE)
    return [_validated(root, name, article_path)[1] for name, _ in _resources(root)]


def clear_caches() -> None:
    """Forget everything read (for tests that rewrite files in place)."""
    for cached in (_resources, _schema, _read_checked, _validated_one, _facts_by_id, _article):
        cached.cache_clear()
