"""The figure ``contract_paths_fan``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.figures.common import (
    FigureSpec, SEASON_ASSUMPTIONS, SEASON_FACTS, base_parameters, case_values, find_case, illustrative,
    legend_below, legend_columns, register, start_figure, styled, thousands, yuan,
)
from analysis.report import format_number, format_quantity, format_share

TEXT = {
    "en": {
        "title": "Over the {years}-year contract: cumulative dividend per recipient household",
        "subtitle": "{illustrative}; price and yield vary from year to year, a disaster year (probability {disaster_p} a year) loses {disaster_loss} of the yield; bands hold {inner} and {outer} of simulated paths",
        "caption": "Cumulative dividend per recipient household ({recipients} not yet out of poverty) over the {years} contract years ({draws} simulated paths, {case}): median {median} by year {years}, {outer} band {low} to {high}; the dashed line is the median averaged over all {households} registered as poor ({average}). A year with a loss pays the villages nothing: in {zero_any} of paths at least one year pays no dividend ({zero_mean} such years on average), and {disaster_any} of paths have at least one disaster year (lower panel: share of paths, by year).",
        "alt": "Fan chart over {years} years of the cumulative dividend per recipient household, in yuan; the median reaches {median}, the {outer} band spans {low} to {high} by the last year; the average over all registered households reaches {average}. A lower panel shows, by year, the share of paths without a dividend and with a disaster; {zero_any} of paths have at least one year without a dividend.",
        "x": "Contract year", "y": "Cumulative yuan per recipient household",
        "y_years": "Share of paths",
        "band90": "Per recipient household: {outer} of paths", "band50": "{inner} of paths",
        "median": "Median", "registered": "Averaged over all registered (median)",
        "zero": "No dividend that year", "disaster": "Disaster year",
    },
    "zh": {
        "title": "{years}年合同期内：每户受助贫困户累计所获分红",
        "subtitle": "{illustrative}；价格与产量逐年波动，灾年（每年概率{disaster_p}）产量损失{disaster_loss}；色带包含{inner}和{outer}的模拟路径",
        "caption": "{years}年合同期内每户受助贫困户（尚未脱贫的{recipients}）累计分红（{draws}条模拟路径，{case}）：第{years}年中位数{median}，{outer}区间{low}至{high}；虚线为摊给全部{households}建档立卡贫困户的中位数（{average}）。亏损年份各村分文不得：{zero_any}的路径至少有一年没有分红（平均{zero_mean}年），{disaster_any}的路径至少有一个灾年（下栏：各年路径占比）。",
        "alt": "扇形图：{years}年间每户受助贫困户累计分红（元）；末年中位数{median}，{outer}区间{low}至{high}；全部建档立卡贫困户平均为{average}。下栏按年显示无分红和遭灾路径的占比；{zero_any}的路径至少有一年没有分红。",
        "x": "合同年份", "y": "每户受助贫困户累计金额（元）",
        "y_years": "路径占比",
        "band90": "每户受助贫困户：{outer}的路径", "band50": "{inner}的路径",
        "median": "中位数", "registered": "全部建档立卡贫困户平均（中位数）",
        "zero": "当年无分红", "disaster": "灾年",
    },
}
FAN_DRAWS = 2000
FAN_BANDS = ((0.05, 0.95), (0.25, 0.75))  # quantile pairs of the outer and inner band
FAN_MEDIAN = 0.5
TERM_COLUMNS = ("p_zero_dividend_year_any", "mean_zero_dividend_years", "p_disaster_year_any")


def prepare(p=None) -> pd.DataFrame:
    """Quantiles per contract year of the cumulative dividend per recipient household and of its average over
    every registered household (scenarios.contract_paths, cumulative households' part / households), the
    share of paths without a dividend and with a disaster each year, and the term's summary
    (scenarios.contract_term_summary, the same draws: p_zero_dividend_year_any, mean_zero_dividend_years,
    p_disaster_year_any), around the base case or *p*; ``case`` names the parameters (:func:`find_case`)."""
    from analysis import scenarios

    p = p or base_parameters()
    paths_frame = scenarios.contract_paths(p, draws=FAN_DRAWS)
    term = scenarios.contract_term_summary(p, draws=FAN_DRAWS)
    frame = paths_frame[["year", "quantile", "cumulative_per_recipient_household_yuan", "share_of_draws_zero_dividend",
                         "share_of_draws_disaster"]].copy()
    frame.insert(3, "cumulative_per_registered_household_yuan", paths_frame["cumulative_households_yuan"] / p.households)
    return frame.assign(**{name: term[name] for name in TERM_COLUMNS}, recipient_households=p.recipient_households,
                        households=p.households, disaster_probability_per_year=p.disaster_probability_per_year,
                        disaster_yield_loss_share=p.disaster_yield_loss_share, draws=FAN_DRAWS, case=find_case(p))


def _fan_quantile(df: pd.DataFrame, q: float, column: str) -> pd.Series:
    part = df[np.isclose(df["quantile"], q)].sort_values("year")
    return part.set_index("year")[column]


def _by_year(df: pd.DataFrame, column: str) -> pd.Series:
    return _fan_quantile(df, FAN_MEDIAN, column)  # the same on every quantile row of a year


def text_values(df: pd.DataFrame, lang: str) -> dict:
    last = lambda q, column="cumulative_per_recipient_household_yuan": _fan_quantile(df, q, column).iloc[-1]  # noqa: E731
    (outer_low, outer_high), _ = FAN_BANDS
    first = df.iloc[0]
    return {"years": format_number(df["year"].max()), "draws": format_number(df["draws"].iloc[0]),
            "median": yuan(last(FAN_MEDIAN), lang), "low": yuan(last(outer_low), lang),
            "high": yuan(last(outer_high), lang),
            "average": yuan(last(FAN_MEDIAN, "cumulative_per_registered_household_yuan"), lang),
            "recipients": format_quantity(first["recipient_households"], "households", lang=lang),
            "households": format_quantity(first["households"], "households", lang=lang),
            "zero_any": format_share(first["p_zero_dividend_year_any"], 0),
            "zero_mean": format_number(first["mean_zero_dividend_years"], 1),
            "disaster_any": format_share(first["p_disaster_year_any"], 0),
            "disaster_p": format_share(first["disaster_probability_per_year"]),
            "disaster_loss": format_share(first["disaster_yield_loss_share"]),
            "inner": format_share(FAN_BANDS[1][1] - FAN_BANDS[1][0]),
            "outer": format_share(FAN_BANDS[0][1] - FAN_BANDS[0][0]),
            "illustrative": illustrative(SEASON_ASSUMPTIONS, lang), **case_values(df, lang)}


HEIGHT = {"single-column": 1.9, "web": 1.1, "double-column": 1.15}  # a lower panel and a three-row legend


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Fan chart of the cumulative dividend per recipient household (5–95% and 25–75% bands, median) by contract
    year, the median average over registered households dashed; below, the share of paths without a dividend
    and with a disaster, by year."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    fig, size, words = start_figure("contract_paths_fan", df, lang, size, height_scale=HEIGHT, chrome=chrome)
    ax, years_ax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3.2, 1]})
    column = "cumulative_per_recipient_household_yuan"
    q = {k: _fan_quantile(df, k, column) for pair in FAN_BANDS for k in pair}
    q[FAN_MEDIAN] = _fan_quantile(df, FAN_MEDIAN, column)
    values = text_values(df, lang)
    (outer_low, outer_high), (inner_low, inner_high) = FAN_BANDS
    years = q[FAN_MEDIAN].index.to_numpy()
    ax.fill_between(years, q[outer_low], q[outer_high], color=style.ORANGE, alpha=0.35, linewidth=0,
                    label=words["band90"].format(**values))
    ax.fill_between(years, q[inner_low], q[inner_high], color=style.ORANGE, alpha=0.75, linewidth=0,
                    label=words["band50"].format(**values))
    # the median dark on the orange bands: it stays visible in grey-scale (luma 34 against ~170)
    ax.plot(years, q[FAN_MEDIAN], color=style.TEXT_COLOUR, label=words["median"])
    registered = _fan_quantile(df, FAN_MEDIAN, "cumulative_per_registered_household_yuan")
    ax.plot(years, registered, color=style.BLUE, linestyle="--", label=words["registered"])
    ax.set_ylim(0, None)
    ax.set_ylabel(words["y"])
    ax.yaxis.grid(True)
    ax.set_axisbelow(True)
    thousands(ax.yaxis)
    ax.tick_params(axis="x", labelbottom=False)
    width = 0.38
    years_ax.bar(years - width / 2, _by_year(df, "share_of_draws_zero_dividend"), width=width,
                 color=style.VERMILLION, linewidth=0)
    years_ax.bar(years + width / 2, _by_year(df, "share_of_draws_disaster"), width=width, color=style.NEUTRAL_COLOUR,
                 hatch=style.HATCHES[4], edgecolor="white", linewidth=0)
    years_ax.set_ylim(0, max(_by_year(df, "share_of_draws_zero_dividend").max(),
                             _by_year(df, "share_of_draws_disaster").max(), 0.01) * 1.15)
    years_ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    years_ax.yaxis.set_major_locator(MaxNLocator(2))
    years_ax.set_ylabel(words["y_years"])
    years_ax.set_xticks(years)
    years_ax.set_xlim(years.min() - 0.5, years.max() + 0.5)
    years_ax.set_xlabel(words["x"])
    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(facecolor=style.VERMILLION, linewidth=0, label=words["zero"]),
                Patch(facecolor=style.NEUTRAL_COLOUR, hatch=style.HATCHES[4], edgecolor="white", linewidth=0,
                      label=words["disaster"])]
    legend_below(fig, years_ax, legend_columns(fig, 2), handles=handles)
    return fig


SPEC = register(FigureSpec(
    "contract_paths_fan", prepare, draw, text_values,
    text=TEXT,
    facts=SEASON_FACTS + ("tianfu_contract_years", "households_out_of_poverty_2017"),
    assumptions=SEASON_ASSUMPTIONS + ("price_cv", "yield_cv", "disaster_probability_per_year",
                                      "disaster_yield_loss_share"),
))
