"""Small helpers that turn computed numbers into report prose, in English or Chinese.

The notebooks never type a number into their prose: they compute it and format
it here, so the same value reads the same everywhere.

>>> format_quantity(5_000_000, "yuan", "at_least")
'≥ 5,000,000 yuan'
>>> format_quantity(4000, "yuan", "approximately", lang="zh")
'近4,000元'
>>> format_quantity(0.4, "share")
'40%'
"""
from __future__ import annotations

import math
import numbers
import re

from analysis.errors import ParameterError

LANGS = ("en", "zh")
QUALIFIERS = ("exact", "at_least", "approximately", "at_most")

# How a qualifier reads before a number (the article's 余/多, 近, 最高).
_QUALIFIER_PREFIX = {
    "en": {"exact": "", "at_least": "≥ ", "approximately": "≈ ", "at_most": "≤ "},
    "zh": {"exact": "", "at_least": "不少于", "approximately": "近", "at_most": "最高"},
}
# What a qualifier means, for the reader (the markers are the article's words).
_QUALIFIER_MEANING = {
    "en": {
        "exact": "the article states the number as is",
        "at_least": "at least: the article writes 余 or 多 (“more than”) after the number",
        "approximately": "approximately: the article writes 近 (“nearly”) before the number",
        "at_most": "at most: the article writes 最高 (“up to”) before the number",
    },
    "zh": {
        "exact": "原文给出确切数字",
        "at_least": "至少:原文在数字后写“余”或“多”",
        "approximately": "约数:原文在数字前写“近”",
        "at_most": "至多:原文在数字前写“最高”",
    },
}

# Unit words. Units not listed read as their snake_case name with "per" spelled out.
_UNIT_EN = {
    "person_days": "person-days",
    "coefficient_of_variation": "",
    "ratio": "",
}
_UNIT_ZH = {
    "yuan": "元",
    "mu": "亩",
    "kg": "千克",
    "jin": "斤",
    "households": "户",
    "persons": "人",
    "villages": "个村",
    "segments": "段",
    "years": "年",
    "groups": "个",
    "persons_per_day": "人/日",
    "person_days": "人日",
    "days": "天",
    "workers": "人",
    "items": "项",
    "committees": "个",
    "household": "户",
    "person": "人",
    "worker": "人",
    "segment": "段",
    "group": "组",
    "day": "日",
    "month": "月",
    "year": "年",
    "season": "季",
    "coefficient_of_variation": "",
    "ratio": "",
}
# Units whose values are not numbers: printed as they are.
TEXT_UNITS = frozenset({"text", "date", "month_day"})
# Count units whose English word is plural: one of them reads singular.
_SINGULAR_EN = {
    "households": "household",
    "persons": "person",
    "villages": "village",
    "segments": "segment",
    "years": "year",
    "groups": "group",
    "days": "day",
    "workers": "worker",
    "person_days": "person-day",
    "items": "item",
    "committees": "committee",
    "rows": "row",
}
_MINUS = "\u2212"


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ParameterError(f"lang={lang!r}: choose one of {', '.join(LANGS)}")


def _check_qualifier(qualifier: str) -> None:
    if qualifier not in QUALIFIERS:
        raise ParameterError(f"qualifier={qualifier!r}: choose one of {', '.join(QUALIFIERS)}")


def format_number(value: float, decimals: int | None = None) -> str:
    """Format a number with thousands separators and a true minus sign.

    ``decimals=None`` chooses: whole numbers and anything of size 100 or more
    get no decimals, sizes from 1 to 100 get two, smaller ones three
    significant digits; trailing zeros are dropped in that automatic mode.

    >>> format_number(2_000_000)
    '2,000,000'
    >>> format_number(1234.567)
    '1,235'
    >>> format_number(2.8395)
    '2.84'
    >>> format_number(0.0475)
    '0.0475'
    >>> format_number(-1500)
    '−1,500'

    Raises ParameterError for NaN or infinite values.
    """
    value = float(value)
    if not math.isfinite(value):
        raise ParameterError(f"value={value}: must be a finite number")
    size = abs(value)
    automatic = decimals is None
    if automatic:
        if size >= 100 or size == round(size):
            decimals = 0
        elif size >= 1:
            decimals = 2
        else:
            decimals = max(0, 2 - math.floor(math.log10(size)))
    text = f"{size:,.{decimals}f}"
    if automatic and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.strip("0.,") == "":
        return text  # rounds to zero: no sign
    return (_MINUS if value < 0 else "") + text


def format_share(value: float, decimals: int | None = None) -> str:
    """Format a share (0–1) as a percentage: ``0.4`` → ``'40%'``, ``0.275`` → ``'27.5%'``.

    ``decimals=None`` gives no decimals for whole percentages and one otherwise.
    """
    percent = float(value) * 100
    if decimals is None:
        decimals = 0 if abs(percent - round(percent)) < 1e-9 else 1
    return f"{format_number(percent, decimals)}%"


def format_unit(unit: str, lang: str = "en", value: float | None = None) -> str:
    """The word for *unit* (``'yuan_per_kg'`` → ``'yuan per kg'``, ``'元/千克'`` in Chinese).

    With *value* equal to 1 an English count unit reads singular (``'household'``,
    ``'person per group'``). Unitless units (ratio, coefficient of variation) give ``''``.
    """
    _check_lang(lang)
    table = _UNIT_ZH if lang == "zh" else _UNIT_EN
    if "_per_" in unit and unit not in table:
        top, bottom = unit.split("_per_", 1)
        if lang == "zh":
            return f"{format_unit(top, 'zh')}/{format_unit(bottom, 'zh')}"
        return f"{format_unit(top, 'en', value)} per {format_unit(bottom, 'en', 1)}"
    if lang == "en" and value is not None and float(value) == 1 and unit in _SINGULAR_EN:
        return _SINGULAR_EN[unit]
    return table.get(unit, unit if lang == "zh" else unit.replace("_", " "))


def format_quantity(
    value: float,
    unit: str,
    qualifier: str = "exact",
    lang: str = "en",
    decimals: int | None = None,
) -> str:
    """A number with its qualifier and unit, as prose reads it.

    >>> format_quantity(40, "persons", "at_least")
    '≥ 40 persons'
    >>> format_quantity(200, "persons_per_day", "at_most", lang="zh")
    '最高200人/日'
    >>> format_quantity(500, "yuan_per_mu")
    '500 yuan per mu'

    Shares read as percentages, years without separators; text, date and
    month_day values are returned unchanged.
    Raises ParameterError for an unknown language or qualifier.
    """
    _check_lang(lang)
    _check_qualifier(qualifier)
    if unit in TEXT_UNITS:
        return str(value)
    prefix = _QUALIFIER_PREFIX[lang][qualifier]
    if unit == "year":
        return f"{prefix}{int(value)}"
    if unit == "share":
        return prefix + format_share(value, decimals)
    if unit == "rate_per_year":
        rate = format_share(value, decimals)
        return f"{prefix}每年{rate}" if lang == "zh" else f"{prefix}{rate} per year"
    number = format_number(value, decimals)
    word = format_unit(unit, lang, value)
    if lang == "zh" or not word:
        return f"{prefix}{number}{word}"
    return f"{prefix}{number} {word}"


def format_range(low: float, high: float, unit: str, lang: str = "en", decimals: int | None = None) -> str:
    """A low–high range with one unit: ``format_range(50, 70, 'yuan_per_kg')`` → ``'50–70 yuan per kg'``."""
    _check_lang(lang)
    if unit == "share":
        return f"{format_share(low, decimals)}–{format_share(high, decimals)}"
    span = f"{format_number(low, decimals)}–{format_number(high, decimals)}"
    sep = "" if lang == "zh" else " "
    return f"{span}{sep}{format_unit(unit, lang)}"


def explain_qualifier(qualifier: str, lang: str = "en") -> str:
    """What a qualifier means and which word of the article marks it."""
    _check_lang(lang)
    _check_qualifier(qualifier)
    return _QUALIFIER_MEANING[lang][qualifier]


def format_fact(fact_id: str, lang: str = "en", decimals: int | None = None) -> str:
    """A fact of data/facts.csv as prose: value, qualifier and unit (``'≥ 5,000,000 yuan'``)."""
    from analysis.data import fact  # imported here: report helpers stay importable alone

    f = fact(fact_id)
    return format_quantity(f.value, f.unit, f.qualifier, lang=lang, decimals=decimals)


def format_yuan(value: float, lang: str = "en", decimals: int | None = None) -> str:
    """An amount in yuan: ``format_yuan(2_400_000)`` → ``'2,400,000 yuan'``."""
    return format_quantity(value, "yuan", lang=lang, decimals=decimals)


# --- prose with computed numbers ------------------------------------------------
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_]+))?\}")
_FACT_SPECS = ("number", "quote", "paragraph", "unit", "qualifier")


def _fill_value(value, spec: str | None, lang: str) -> str:
    if isinstance(value, str):
        return value
    if not isinstance(value, numbers.Real):
        return str(value)
    if spec is None or spec == "number":
        return format_number(value)
    return format_quantity(value, spec, lang=lang)


def _fill_fact(fact_id: str, spec: str | None, lang: str) -> str:
    from analysis.data import fact

    f = fact(fact_id)
    if spec is None:
        return format_quantity(f.value, f.unit, f.qualifier, lang=lang)
    if spec == "number":
        return str(f.value) if f.unit in TEXT_UNITS else format_number(f.value)
    if spec == "quote":
        return f"“{f.source_quote}”"
    if spec == "paragraph":
        return str(f.source_paragraph)
    if spec == "unit":
        return format_unit(f.unit, lang, f.value)
    if spec == "qualifier":
        return explain_qualifier(f.qualifier, lang)
    raise ParameterError(f"placeholder {{{fact_id}:{spec}}}: a fact takes one of {', '.join(_FACT_SPECS)}")


def fill(template: str, lang: str = "en", **values) -> str:
    """Fill ``{name}`` placeholders of *template* with computed numbers, formatted.

    A placeholder names a keyword argument or, failing that, a fact id of
    data/facts.csv. ``{name}`` formats a given number plainly and a fact with its
    qualifier and unit; ``{name:UNIT}`` formats a given number with a unit
    (``{pool:yuan}``, ``{share:share}``); a fact takes ``:number``, ``:quote``,
    ``:paragraph``, ``:unit`` or ``:qualifier``. ``{{`` and ``}}`` are literal braces.

    >>> fill("{n} of {total:households}", n=113, total=243)
    '113 of 243 households'

    Raises ParameterError naming a placeholder that is neither given nor a fact.
    """
    _check_lang(lang)
    from analysis.errors import AnalysisError

    def replace(match: re.Match) -> str:
        name, spec = match.group(1), match.group(2)
        if name in values:
            return _fill_value(values[name], spec, lang)
        try:
            return _fill_fact(name, spec, lang)
        except ParameterError:
            raise
        except AnalysisError:
            raise ParameterError(f"placeholder {{{name}}}: neither a given value nor a fact id") from None

    parts = template.replace("{{", "\0").replace("}}", "\1")
    return _PLACEHOLDER.sub(replace, parts).replace("\0", "{").replace("\1", "}")


def markdown(template: str, lang: str = "en", **values):
    """:func:`fill` wrapped as an IPython Markdown object: notebooks show it as prose."""
    from IPython.display import Markdown

    return Markdown(fill(template, lang, **values))


# --- the data page ------------------------------------------------------------------
def _cell(text) -> str:
    """Text safe inside a Markdown pipe-table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _constraints(field: dict) -> str:
    rules = []
    for key, rule in sorted(field.get("constraints", {}).items()):
        if key == "required":
            continue
        if key == "enum":
            rule = ", ".join(str(item) for item in rule)
        rules.append(f"{key}: {rule}" if rule is not True else key)
    return "; ".join(rules)


def data_dictionary(data_dir=None) -> "pd.DataFrame":
    """Every field of every resource of datapackage.json, from the Table Schemas.

    Columns: resource, file, field, type, required (bool), constraints (text), description.
    """
    import json

    import pandas as pd

    from analysis import data, paths

    package = json.loads(paths.data_file("datapackage.json", data_dir).read_text(encoding="utf-8"))
    rows = []
    for resource in package["resources"]:
        schema = data.read_schema(resource["name"], data_dir)
        for field in schema["fields"]:
            rows.append({
                "resource": resource["name"],
                "file": resource["path"],
                "field": field["name"],
                "type": field.get("type", "string"),
                "required": bool(field.get("constraints", {}).get("required", False)),
                "constraints": _constraints(field),
                "description": field.get("description", ""),
            })
    return pd.DataFrame(rows)


def data_dictionary_markdown(prefix: str = "../", data_dir=None) -> str:
    """The data page: per resource a heading, its description, download links and a field table.

    *prefix* leads from the page to the site root (``"../"`` from notebooks/, ``""`` from
    the front page); files are linked as ``<prefix>data/<file>``.
    """
    import json

    from analysis import data, paths

    package = json.loads(paths.data_file("datapackage.json", data_dir).read_text(encoding="utf-8"))
    fields = data_dictionary(data_dir)
    lines = []
    for resource in package["resources"]:
        name, file = resource["name"], resource["path"]
        schema = data.read_schema(name, data_dir)
        rows = len(data.load_table(name, data_dir))
        key = ", ".join(schema.get("primaryKey", [])) if isinstance(schema.get("primaryKey"), list) else schema.get("primaryKey", "")
        lines += [
            f"### {name}",
            "",
            _cell(schema.get("description", "")),
            "",
            f"Download: [{file}]({prefix}data/{file}) ({format_quantity(rows, 'rows')}) · "
            f"schema [{resource['schema']}]({prefix}data/{resource['schema']})"
            + (f" · primary key: `{key}`" if key else ""),
            "",
            "| field | type | required | constraints | description |",
            "|---|---|---|---|---|",
        ]
        for row in fields[fields["resource"] == name].itertuples():
            lines.append(
                f"| `{row.field}` | {row.type} | {'yes' if row.required else 'no'} | "
                f"{_cell(row.constraints)} | {_cell(row.description)} |"
            )
        lines.append("")
    return "\n".join(lines)
