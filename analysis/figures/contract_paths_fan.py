"""The figure ``contract_paths_fan``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.figures.common import (
    FigureSpec, SEASON_ASSUMPTIONS, SEASON_FACTS, base_parameters, case_values, find_case, illustrative, money,
    legend_below, legend_columns, money_axis, register, start_figure, styled,
)
from analysis.report import format_number, format_share

TEXT = {
    "en": {
        "title": "Over the {years}-year contract: cumulative transfers to registered poor households",
        "subtitle": "{illustrative}; price and yield vary from year to year (assumed variability); bands hold {inner} and {outer} of simulated paths",
        "caption": "Cumulative subsidies to registered poor households over the {years} contract years ({draws} simulated paths, {case}): median {median} by year {years}, {outer} band {low} to {high}; the line shows the median of the villages' whole share.",
        "alt": "Fan chart over {years} years of cumulative transfers to registered poor households, in {unit}; the median reaches {median}, the {outer} band spans {low} to {high} by the last year.",
        "x": "Contract year", "y": "Cumulative amount ({unit})",
        "band90": "Poor-household subsidies: {outer} of paths", "band50": "{inner} of paths",
        "median": "Median", "villages": "Villages' whole share (median)",
    },
    "zh": {
        "title": "{years}年合同期内：建档立卡贫困户累计所获补助",
        "subtitle": "{illustrative}；价格与产量逐年波动（假设的变异程度）；色带包含{inner}和{outer}的模拟路径",
        "caption": "{years}年合同期内建档立卡贫困户累计补助（{draws}条模拟路径，{case}）：第{years}年中位数{median}，{outer}区间{low}至{high}；线条为各村所得利润总额的中位数。",
        "alt": "扇形图：{years}年间建档立卡贫困户累计补助（{unit}）；末年中位数{median}，{outer}区间{low}至{high}。",
        "x": "合同年份", "y": "累计金额（{unit}）",
        "band90": "贫困户补助：{outer}的路径", "band50": "{inner}的路径",
        "median": "中位数", "villages": "各村所得总额（中位数）",
    },
}
FAN_DRAWS = 2000
FAN_BANDS = ((0.05, 0.95), (0.25, 0.75))  # quantile pairs of the outer and inner band
FAN_MEDIAN = 0.5


def prepare(p=None) -> pd.DataFrame:
    """Quantiles per contract year of the simulated contract paths (from scenarios.contract_paths) around the
    base case or *p*; ``case`` names the parameters (:func:`find_case`)."""
    from analysis import scenarios

    p = p or base_parameters()
    paths_frame = scenarios.contract_paths(p, draws=FAN_DRAWS)
    return paths_frame[["year", "quantile", "households_yuan", "cumulative_households_yuan",
                        "cumulative_village_pool_yuan"]].assign(draws=FAN_DRAWS, case=find_case(p))


def _fan_quantile(df: pd.DataFrame, q: float, column: str) -> pd.Series:
    part = df[np.isclose(df["quantile"], q)].sort_values("year")
    return part.set_index("year")[column]


def text_values(df: pd.DataFrame, lang: str) -> dict:
    last = lambda q: _fan_quantile(df, q, "cumulative_households_yuan").iloc[-1]  # noqa: E731
    (outer_low, outer_high), _ = FAN_BANDS
    return {"years": format_number(df["year"].max()), "draws": format_number(df["draws"].iloc[0]),
            "median": money(last(FAN_MEDIAN), lang), "low": money(last(outer_low), lang),
            "high": money(last(outer_high), lang),
            "unit": money_axis(lang)[1], "inner": format_share(FAN_BANDS[1][1] - FAN_BANDS[1][0]),
            "outer": format_share(FAN_BANDS[0][1] - FAN_BANDS[0][0]),
            "illustrative": illustrative(SEASON_ASSUMPTIONS, lang), **case_values(df, lang)}


HEIGHT = {"single-column": 1.5}  # a four-row legend below the axes


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Fan chart of cumulative poor-household subsidies (5–95% and 25–75% bands, median) by contract year."""
    fig, size, words = start_figure("contract_paths_fan", df, lang, size, height_scale=HEIGHT, chrome=chrome)
    divisor, unit = money_axis(lang)
    ax = fig.add_subplot()
    column = "cumulative_households_yuan"
    q = {k: _fan_quantile(df, k, column) / divisor for pair in FAN_BANDS for k in pair}
    q[FAN_MEDIAN] = _fan_quantile(df, FAN_MEDIAN, column) / divisor
    values = text_values(df, lang)
    (outer_low, outer_high), (inner_low, inner_high) = FAN_BANDS
    years = q[FAN_MEDIAN].index.to_numpy()
    ax.fill_between(years, q[outer_low], q[outer_high], color=style.ORANGE, alpha=0.35, linewidth=0,
                    label=words["band90"].format(**values))
    ax.fill_between(years, q[inner_low], q[inner_high], color=style.ORANGE, alpha=0.75, linewidth=0,
                    label=words["band50"].format(**values))
    # the median dark on the orange bands: it stays visible in grey-scale (luma 34 against ~170)
    ax.plot(years, q[FAN_MEDIAN], color=style.TEXT_COLOUR, label=words["median"])
    villages = _fan_quantile(df, FAN_MEDIAN, "cumulative_village_pool_yuan") / divisor
    ax.plot(years, villages, color=style.BLUE, linestyle="--", label=words["villages"])
    ax.set_xticks(years)
    ax.set_xlim(years.min() - 0.3, years.max() + 0.3)
    ax.set_ylim(0, None)
    ax.set_xlabel(words["x"])
    ax.set_ylabel(words["y"].format(unit=unit))
    ax.yaxis.grid(True)
    ax.set_axisbelow(True)
    legend_below(fig, ax, legend_columns(fig, 2))
    return fig


SPEC = register(FigureSpec(
    "contract_paths_fan", prepare, draw, text_values,
    text=TEXT,
    facts=SEASON_FACTS + ("tianfu_contract_years",),
    assumptions=SEASON_ASSUMPTIONS + ("price_cv", "yield_cv"),
))
