"""The figure ``poverty_gap``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``.

What "113 households out of poverty" implies (issue 10, item 4): how many households the
households' pool of one season could lift over the poverty line on its own, as a function of
how far below the line they start (an assumed shortfall per person), against the 113 exits the
article reports and the households not yet out of poverty that receive the subsidy.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.figures.common import (
    FigureSpec, SEASON_ASSUMPTIONS, SEASON_FACTS, assumption_table, base_parameters, case_values, fact_number,
    find_case, illustrative, legend_below, legend_columns, register, start_figure, styled, thousands, wrap,
)
from analysis.figures.common import yuan as yuan_text
from analysis.report import format_number, format_quantity, format_share

SHORTFALL = "poverty_shortfall_yuan_per_person"
GAP_POINTS = 61  # shortfalls drawn (plus the assumption's low, base, high and the run's value)
GAP_MARGIN = 0.25  # the axis runs this share of the assumed range beyond it on each side
GAP_FLOOR = 0.5  # ... but starts at half the assumed low at least (the count grows as 1 / shortfall)
TEXT = {
    "en": {
        "title": "How many households could the dividend alone lift over the poverty line?",
        "subtitle": "{illustrative}; households of {size} persons (the registered average), each given just enough to close its shortfall",
        "caption": "Households that one season's households' pool ({pool}, {case}) could lift over the poverty line on its own if it went only to as many households as it can close, by the assumed shortfall per person below the line: {n_base} households at {g_base} per person, from {n_high} to {n_low} over the assumed range {g_low} to {g_high} (shaded). The article reports {exits} out of poverty by the end of {year}: at {g_base} the dividend could explain at most {explained} of them, so at least {other} came from wages and other income; it could have lifted all of them only if they started at most {g_all} per person below the line. Spread evenly over the {recipients} not yet out of poverty, it closes {per_recipient} per person.",
        "alt": "Line chart: the households the dividend pool could lift over the poverty line fall from {n_first} at a shortfall of {g_first} per person to {n_last} at {g_last}; horizontal lines mark the {exits} out of poverty by the end of {year} and the {recipients} not yet out of poverty; the assumed shortfall range {g_low} to {g_high} is shaded.",
        "x": "Assumed shortfall below the poverty line (yuan per person per year)",
        "y": "Households",
        "liftable": "Households the pool alone could lift (model)",
        "exits": "Out of poverty by end-{year}: {exits} (article)",
        "recipients": "Not yet out of poverty, receiving the subsidy: {recipients}",
        "range": "Assumed range of the shortfall",
        "run": "{Case}: {g} per person, {n} households",
    },
    "zh": {
        "title": "仅靠分红能让多少户越过贫困线？",
        "subtitle": "{illustrative}；每户{size}人（建档立卡平均户规模），每户恰好补足其缺口",
        "caption": "一季补助贫困户资金（{pool}，{case}）若只给能补足缺口的户数，单靠它能让多少户越过贫困线，随假设的人均缺口而变：人均缺口{g_base}时{n_base}户，在假设范围{g_low}至{g_high}（阴影）内为{n_high}至{n_low}户。文章称{year}年底{exits}脱贫：缺口为{g_base}时分红至多能解释其中{explained}，至少{other}来自工资和其他收入；只有当这些户的人均缺口不超过{g_all}时，分红才足以让其全部脱贫。若平均分给尚未脱贫的{recipients}，每人可补足{per_recipient}。",
        "alt": "折线图：分红资金能让越过贫困线的户数，从人均缺口{g_first}时的{n_first}户降至{g_last}时的{n_last}户；水平线标出{year}年底脱贫的{exits}和尚未脱贫的{recipients}；假设的缺口范围{g_low}至{g_high}以阴影表示。",
        "x": "假设的人均低于贫困线的缺口（元/人/年）",
        "y": "户数",
        "liftable": "仅靠该资金可脱贫的户数（模型）",
        "exits": "{year}年底已脱贫：{exits}（文章）",
        "recipients": "尚未脱贫、领取补助：{recipients}",
        "range": "假设的缺口范围",
        "run": "{case}：人均{g}，{n}户",
    },
}


def prepare(p=None) -> pd.DataFrame:
    """:func:`analysis.scenarios.poverty_gap_lift` at the base case or *p* over shortfalls from below the
    assumption's low to above its high (and the run's value), with recipient_households and households
    (*p*'s), outcome_year (the year of the exits, a fact) and ``case`` (:func:`find_case`)."""
    from analysis import scenarios

    p = p or base_parameters()
    row = assumption_table().loc[SHORTFALL]
    low, base, high = (float(row[c]) for c in ("low", "base", "high"))
    value = float(getattr(p, SHORTFALL))
    margin = (high - low) * GAP_MARGIN
    start, stop = min(max(low - margin, low * GAP_FLOOR), value), max(high + margin, value)
    grid = np.unique(np.concatenate([np.linspace(start, stop, GAP_POINTS), [low, base, high, value]]))
    frame = scenarios.poverty_gap_lift(p, shortfalls=grid)
    return frame.assign(recipient_households=p.recipient_households, households=p.households,
                        outcome_year=fact_number("outcome_year"), case=find_case(p))


def _point(df: pd.DataFrame, name: str) -> pd.Series:
    return df[df["assumption_point"] == name].iloc[0]


def text_values(df: pd.DataFrame, lang: str) -> dict:
    yuan = lambda v: yuan_text(v, lang)  # noqa: E731
    count = lambda v: format_number(v, 0)  # noqa: E731
    points = {name: _point(df, name) for name in ("low", "base", "high")}
    run = df[df["is_run_value"]].iloc[0]
    first, last = df.iloc[0], df.iloc[-1]
    return {
        "pool": yuan(run["households_pool_yuan"]),
        "size": format_number(run["persons_per_household"]),
        "g_base": yuan(run["shortfall_yuan_per_person"]), "n_base": count(run["households_liftable"]),
        "g_low": yuan(points["low"]["shortfall_yuan_per_person"]), "n_low": count(points["low"]["households_liftable"]),
        "g_high": yuan(points["high"]["shortfall_yuan_per_person"]),
        "n_high": count(points["high"]["households_liftable"]),
        "g_first": yuan(first["shortfall_yuan_per_person"]), "n_first": count(first["households_liftable"]),
        "g_last": yuan(last["shortfall_yuan_per_person"]), "n_last": count(last["households_liftable"]),
        "exits": format_quantity(run["exits_households"], "households", lang=lang),
        "recipients": format_quantity(run["recipient_households"], "households", lang=lang),
        "explained": format_share(run["share_of_exits_explained_max"], 0),
        "other": format_share(run["share_of_exits_from_other_channels_min"], 0),
        "per_recipient": yuan(run["per_recipient_person_yuan"]),
        # the shortfall at which the pool closes every exit's gap: pool / (exits x persons per household)
        "g_all": yuan(run["households_pool_yuan"] / (run["exits_households"] * run["persons_per_household"])),
        "year": str(int(run["outcome_year"])),
        "illustrative": illustrative(SEASON_ASSUMPTIONS + (SHORTFALL,), lang), **case_values(df, lang),
    }


HEIGHT = {"single-column": 2.0}  # a four-row legend under the axes


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """The households the pool could lift against the shortfall per person; the exits and the recipients as
    horizontal lines, the assumed range shaded, the run's value marked."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig, size, words = start_figure("poverty_gap", df, lang, size, height_scale=HEIGHT, chrome=chrome)
    values = text_values(df, lang)
    ax = fig.add_subplot()
    x = df["shortfall_yuan_per_person"].to_numpy()
    low, high = (float(_point(df, name)["shortfall_yuan_per_person"]) for name in ("low", "high"))
    ax.axvspan(low, high, color=style.LIGHT_COLOUR, linewidth=0, zorder=0)
    exits = float(df["exits_households"].iloc[0])
    recipients = float(df["recipient_households"].iloc[0])
    ax.axhline(exits, color=style.FACT_COLOUR, linewidth=size.line_width_pt)
    ax.axhline(recipients, color=style.TEXT_COLOUR, linestyle="--", linewidth=size.line_width_pt * 0.8)
    ax.plot(x, df["households_liftable"], color=style.ORANGE, linewidth=size.line_width_pt * 1.6)
    run = df[df["is_run_value"]].iloc[0]
    ax.plot([run["shortfall_yuan_per_person"]], [run["households_liftable"]], marker="o", color=style.TEXT_COLOUR,
            markeredgecolor="white", markersize=size.font_pt * 0.7, linestyle="none")
    ax.set_xlim(x.min(), x.max())
    ax.set_ylim(0, max(df["households_liftable"].max(), recipients, exits) * 1.05)
    ax.set_xlabel(words["x"])
    ax.set_ylabel(words["y"])
    thousands(ax.xaxis)
    thousands(ax.yaxis)
    ax.yaxis.grid(True)
    ax.set_axisbelow(True)
    handles = [Line2D([], [], color=style.ORANGE, linewidth=size.line_width_pt * 1.6, label=words["liftable"]),
               Line2D([], [], color=style.FACT_COLOUR, linewidth=size.line_width_pt,
                      label=words["exits"].format(**values)),
               Line2D([], [], color=style.TEXT_COLOUR, linestyle="--", linewidth=size.line_width_pt * 0.8,
                      label=words["recipients"].format(**values)),
               Patch(facecolor=style.LIGHT_COLOUR, linewidth=0, label=words["range"]),
               Line2D([], [], marker="o", color=style.TEXT_COLOUR, markeredgecolor="white",
                      markersize=size.font_pt * 0.7, linestyle="none",
                      label=words["run"].format(g=values["g_base"], n=values["n_base"], **case_values(df, lang)))]
    columns = legend_columns(fig, 2)
    for handle in handles:  # long labels: wrapped to their column
        handle.set_label(wrap(fig, handle.get_label(), size.small_pt, 0.7 / columns))
    legend_below(fig, ax, columns, handles=handles)
    return fig


SPEC = register(FigureSpec(
    "poverty_gap", prepare, draw, text_values,
    text=TEXT,
    facts=SEASON_FACTS + ("households_out_of_poverty_2017", "outcome_year"),
    assumptions=SEASON_ASSUMPTIONS + (SHORTFALL,),
))
