"""Tests for analysis/report.py: exact strings for every formatting rule."""
from __future__ import annotations

import pytest

from analysis import report
from analysis.errors import ParameterError


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (2_000_000, None, "2,000,000"),  # whole number: no decimals
        (1234.567, None, "1,235"),  # size >= 100: rounded to a whole number
        (690 / 243, None, "2.84"),  # 690 / 243 = 2.8395...: two decimals between 1 and 100
        (1.5, None, "1.5"),  # 1.50 with the trailing zero dropped
        (0.0475, None, "0.0475"),  # below 1: three significant digits
        (0.05, None, "0.05"),  # 0.0500 with trailing zeros dropped
        (-1500, None, "\u22121,500"),  # true minus sign
        (-0.0001, 0, "0"),  # rounds to zero: no sign
        (2952.0, 1, "2,952.0"),  # explicit decimals keep their zeros
    ],
)
def test_format_number(value, decimals, expected):
    assert report.format_number(value, decimals) == expected


def test_format_number_rejects_nan():
    with pytest.raises(ParameterError, match=r"^value=nan: must be a finite number$"):
        report.format_number(float("nan"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.4, "40%"),  # 0.4 * 100 = 40
        (0.6, "60%"),  # 0.6 * 100 = 60.000000000000001 -> whole
        (0.275, "27.5%"),  # 0.275 * 100 = 27.5
        (113 / 243, "46.5%"),  # 113 / 243 = 0.46502... -> 46.5
    ],
)
def test_format_share(value, expected):
    assert report.format_share(value) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((5_000_000, "yuan", "at_least"), "≥ 5,000,000 yuan"),
        ((4000, "yuan", "approximately"), "≈ 4,000 yuan"),
        ((200, "persons_per_day", "at_most"), "≤ 200 persons per day"),
        ((500, "yuan_per_mu"), "500 yuan per mu"),
        ((243, "households"), "243 households"),
        ((1, "households"), "1 household"),
        ((0.048, "kg_per_segment"), "0.048 kg per segment"),
        ((60, "yuan_per_kg"), "60 yuan per kg"),
        ((0.4, "share"), "40%"),
        ((0.4, "share", "approximately"), "≈ 40%"),
        (("大堡村", "text"), "大堡村"),
        ((13, "years"), "13 years"),
    ],
)
def test_format_quantity_en(args, expected):
    assert report.format_quantity(*args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((5_000_000, "yuan", "at_least"), "不少于5,000,000元"),
        ((4000, "yuan", "approximately"), "近4,000元"),
        ((200, "persons_per_day", "at_most"), "最高200人/日"),
        ((500, "yuan_per_mu"), "500元/亩"),
        ((243, "households"), "243户"),
        ((60, "yuan_per_kg"), "60元/千克"),
        ((10, "villages"), "10个村"),
    ],
)
def test_format_quantity_zh(args, expected):
    assert report.format_quantity(*args, lang="zh") == expected


def test_format_unit_unknown_reads_its_name():
    assert report.format_unit("person_days_per_season") == "person-days per season"
    assert report.format_unit("widgets", lang="zh") == "widgets"


def test_format_range():
    assert report.format_range(50, 70, "yuan_per_kg") == "50–70 yuan per kg"
    assert report.format_range(0.3, 0.7, "share") == "30%–70%"
    assert report.format_range(2952, 3335, "yuan", lang="zh") == "2,952–3,335元"


def test_explain_qualifier():
    assert report.explain_qualifier("approximately") == (
        "approximately: the article writes 近 (“nearly”) before the number"
    )
    assert report.explain_qualifier("at_most", lang="zh") == "至多：原文在数字前写“最高”"


def test_bad_language_and_qualifier_are_one_line_errors():
    with pytest.raises(ParameterError, match=r"^lang='fr': choose one of en, zh$"):
        report.format_quantity(1, "yuan", lang="fr")
    with pytest.raises(
        ParameterError, match=r"^qualifier='about': choose one of exact, at_least, approximately, at_most$"
    ):
        report.format_quantity(1, "yuan", "about")


def test_format_yuan():
    assert report.format_yuan(2_400_000) == "2,400,000 yuan"  # 800,000 * 0.05 * 60
    assert report.format_yuan(2_400_000, lang="zh") == "2,400,000元"
