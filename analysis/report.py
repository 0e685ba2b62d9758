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
    "yuan": "yuan",
    "mu": "mu",
    "kg": "kg",
    "jin": "jin",
    "persons_per_day": "persons per day",
    "person_days": "person-days",
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
}
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

    With *value* equal to 1 an English count unit reads singular (``'household'``).
    """
    _check_lang(lang)
    if lang == "zh":
        if unit in _UNIT_ZH:
            return _UNIT_ZH[unit]
        if "_per_" in unit:
            top, bottom = unit.split("_per_", 1)
            return f"{format_unit(top, 'zh')}/{format_unit(bottom, 'zh')}"
        return unit
    if value is not None and float(value) == 1 and unit in _SINGULAR_EN:
        return _SINGULAR_EN[unit]
    if unit in _UNIT_EN:
        return _UNIT_EN[unit]
    if "_per_" in unit:
        top, bottom = unit.split("_per_", 1)
        return f"{format_unit(top, 'en')} per {format_unit(bottom, 'en', 1)}"
    return unit.replace("_", " ")


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

    Shares read as percentages; ``unit='text'`` returns the value unchanged.
    Raises ParameterError for an unknown language or qualifier.
    """
    _check_lang(lang)
    _check_qualifier(qualifier)
    if unit == "text":
        return str(value)
    prefix = _QUALIFIER_PREFIX[lang][qualifier]
    if unit == "share":
        return prefix + format_share(value, decimals)
    number = format_number(value, decimals)
    word = format_unit(unit, lang, value)
    if lang == "zh":
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
