"""The figure ``subsidy_share``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``.

The subsidy share is a choice of the villages, not an uncertainty (issue 10): the figure puts it
on the horizontal axis, from 0 to 1, and shows the dividend per recipient person for two
recipient rules, each with the Monte Carlo band of what is uncertain (price, yield, cost).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.figures.common import (
    FigureSpec, SEASON_FACTS, assumption_label, base_parameters, case_values, find_case,
    illustrative, join_labels, legend_below, legend_columns, legend_under_all, register, start_figure, styled, thousands, yuan,
)
from analysis.report import format_number, format_quantity, format_share

RULES = ("not_yet_exited", "all_registered")  # panels, left to right (top to bottom on narrow figures)
X_MARGIN = 0.03  # of the share axis, on each side
BANDS = (("q05", "q95"), ("q25", "q75"))  # outer and inner band: quantiles of subsidy_share_curve
TEXT = {
    "en": {
        "title": "The subsidy share is a choice: what each share would pay a recipient person",
        "subtitle": "{illustrative}; lines at {the_case}, bands hold {inner} and {outer} of {draws} Monte Carlo draws of them; right-hand scale: share of the {line} poverty line",
        "caption": "Yearly dividend per recipient person against the share of the villages' profit paid to poor households ({case}). At the run's share of {run_share} it is {nye} per person in the {nye_households} not yet out of poverty ({nye_line} of the poverty line; {outer} of draws between {nye_q05} and {nye_q95}), or {all} if spread over all {all_households} registered as poor ({all_line}). Paying out the villages' whole share would give {nye_full} and {all_full}. Bands: {draws} Monte Carlo draws (seed {seed}) of {varied}; the subsidy share and the recipients are choices and are not drawn.",
        "alt": "Line chart in two panels with the subsidy share from {first} to {last} on the horizontal axis: the dividend per recipient person rises in proportion to the share, to {nye_full} for the {nye_households} not yet out of poverty and {all_full} averaged over all {all_households} registered as poor; at the run's share of {run_share} it is {nye} and {all}; shaded bands show the Monte Carlo spread of the uncertain inputs.",
        "y": "Dividend per recipient person (yuan per year)",
        "y_line": "Share of the poverty line",
        "not_yet_exited": "Not yet out of poverty: {households}",
        "all_registered": "All registered: {households}",
        "line_label": "Model at {the_case}", "inner_label": "{inner} of draws", "outer_label": "{outer} of draws",
        "run_label": "Share at {the_case}: {share}",
    },
    "zh": {
        "title": "补助比例是一项选择：各比例下每名受助人口所获分红",
        "subtitle": "{illustrative}；线条为{case}，色带为对上述假设{draws}次蒙特卡洛抽样的{inner}和{outer}范围；右侧刻度为占贫困线（{line}）的比例",
        "caption": "每名受助人口年分红随村收益中补助贫困户比例的变化（{case}）。在本次比例{run_share}下，尚未脱贫的{nye_households}每人{nye}（为贫困线的{nye_line}；{outer}的抽样在{nye_q05}至{nye_q95}之间）；若摊给全部{all_households}建档立卡贫困户，每人{all}（{all_line}）。若各村所得全部用于补助，分别为每人{nye_full}和{all_full}。色带：{draws}次蒙特卡洛抽样（种子{seed}），抽取{varied}；补助比例与受助对象为选择，不参与抽样。",
        "alt": "折线图，分两栏，横轴为补助比例（{first}至{last}）：每名受助人口分红随比例成正比增加，尚未脱贫的{nye_households}达每人{nye_full}，全部{all_households}平均为每人{all_full}；在本次比例{run_share}下分别为{nye}和{all}；阴影色带为不确定输入的蒙特卡洛范围。",
        "y": "每名受助人口分红（元/年）",
        "y_line": "占贫困线的比例",
        "not_yet_exited": "尚未脱贫：{households}",
        "all_registered": "全部建档立卡：{households}",
        "line_label": "模型（{case}）", "inner_label": "{inner}的抽样", "outer_label": "{outer}的抽样",
        "run_label": "{case}的比例：{share}",
    },
}


def prepare(p=None) -> pd.DataFrame:
    """The dividend per recipient person over the subsidy share from 0 to 1 (:func:`analysis.scenarios.subsidy_share_curve`,
    seeded, MC_DRAWS draws) at the base case or *p*, as :func:`subsidy_share_frame`."""
    from analysis import scenarios
    from analysis.figures.montecarlo_distribution import MC_DRAWS

    p = p or base_parameters()
    return subsidy_share_frame(scenarios.subsidy_share_curve(p, draws=MC_DRAWS, seed=scenarios.DEFAULT_SEED), p)


def subsidy_share_frame(curve: pd.DataFrame, p=None) -> pd.DataFrame:
    """The plotted frame of ``subsidy_share`` for any :func:`analysis.scenarios.subsidy_share_curve`
    (a notebook's own, with its draws and seed).

    The curve's columns, then ``varied`` (the uncertain inputs its band draws, comma-separated:
    the Monte Carlo's rule at *p*) and ``case`` (:func:`find_case`; 'custom' when *p* is not
    given, and then the base preset's inputs are named as drawn).
    """
    from analysis import scenarios

    varied = scenarios.monte_carlo(1, p=p or base_parameters(), keep=0).varied  # the rule of the band's draws
    return curve.reset_index(drop=True).assign(varied=",".join(varied),
                                               case="custom" if p is None else find_case(p))


def _rule(df: pd.DataFrame, rule: str) -> pd.DataFrame:
    return df[df["recipients"] == rule].sort_values("subsidy_fraction", kind="stable")


def _at(part: pd.DataFrame, where) -> pd.Series:
    return part[where(part)].iloc[0]


def _varied(df: pd.DataFrame) -> list[str]:
    return [name for name in str(df["varied"].iloc[0]).split(",") if name]


def text_values(df: pd.DataFrame, lang: str) -> dict:
    values = {"draws": format_number(df["draws"].iloc[0]), "seed": str(int(df["seed"].iloc[0])),
              "line": format_quantity(df["poverty_line_yuan"].iloc[0], "yuan", lang=lang),
              "varied": join_labels(_varied(df), lang),
              "first": format_share(df["subsidy_fraction"].min()), "last": format_share(df["subsidy_fraction"].max()),
              "illustrative": illustrative(_varied(df), lang), **case_values(df, lang)}
    for rule, key in (("not_yet_exited", "nye"), ("all_registered", "all")):
        part = _rule(df, rule)
        run = _at(part, lambda f: f["is_run_share"])
        full = part.iloc[-1]
        values |= {key: yuan(run["per_recipient_person_yuan"], lang),
                   f"{key}_line": format_share(run["share_of_poverty_line"], 1),
                   f"{key}_q05": yuan(run["q05"], lang), f"{key}_q95": yuan(run["q95"], lang),
                   f"{key}_full": yuan(full["per_recipient_person_yuan"], lang),
                   f"{key}_households": format_quantity(run["recipient_households"], "households", lang=lang)}
        values["run_share"] = format_share(run["subsidy_fraction"])
    values["outer"], values["inner"] = (format_share(_band_share(df, pair)) for pair in BANDS)
    return values


def _band_share(df: pd.DataFrame, pair: tuple[str, str]) -> float:
    """The share of draws between two quantile columns ('q05', 'q95' -> 0.90)."""
    low, high = (int(name[1:]) / 100 for name in pair)
    return round(high - low, 6)


HEIGHT = {"single-column": 2.0}  # two panels stacked under a long subtitle


def _legend_handles(words: dict, values: dict, size, run_share: float) -> list:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    return [Line2D([], [], color=style.TEXT_COLOUR, linewidth=size.line_width_pt,
                   label=words["line_label"].format(**values)),
            Patch(facecolor=style.ORANGE, alpha=0.75, linewidth=0, label=words["inner_label"].format(**values)),
            Patch(facecolor=style.ORANGE, alpha=0.35, linewidth=0, label=words["outer_label"].format(**values)),
            Line2D([], [], color=style.TEXT_COLOUR, linestyle=":", linewidth=size.line_width_pt * 0.8,
                   marker="o", markersize=size.font_pt * 0.5,
                   label=words["run_label"].format(share=format_share(run_share), **values))]


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Two panels (recipient rules): the dividend per recipient person against the subsidy share at the run's
    values, with the Monte Carlo bands; the run's share marked; a right-hand scale in shares of the poverty line.
    Side by side with the legend below both (:func:`legend_under_all`); stacked on narrow figures."""
    from matplotlib.ticker import PercentFormatter

    fig, size, words = start_figure("subsidy_share", df, lang, size, height_scale=HEIGHT, chrome=chrome)
    values = text_values(df, lang)
    stacked = fig.get_size_inches()[0] < 5
    axes = list(fig.subplots(2, 1, sharex=True, sharey=True) if stacked else fig.subplots(1, 2, sharey=True))
    line = float(df["poverty_line_yuan"].iloc[0])
    run_share = float(_at(df, lambda f: f["is_run_share"])["subsidy_fraction"])
    top = float(df["q95"].max())
    (outer_low, outer_high), (inner_low, inner_high) = BANDS
    label = assumption_label("subsidy_fraction", lang)
    for i, (ax, rule) in enumerate(zip(axes, RULES)):
        part = _rule(df, rule)
        x = part["subsidy_fraction"].to_numpy()
        ax.fill_between(x, part[outer_low], part[outer_high], color=style.ORANGE, alpha=0.35, linewidth=0)
        ax.fill_between(x, part[inner_low], part[inner_high], color=style.ORANGE, alpha=0.75, linewidth=0)
        ax.plot(x, part["per_recipient_person_yuan"], color=style.TEXT_COLOUR, linewidth=size.line_width_pt)
        ax.axvline(run_share, color=style.TEXT_COLOUR, linestyle=":", linewidth=size.line_width_pt * 0.8)
        run = _at(part, lambda f: f["is_run_share"])
        ax.plot([run_share], [run["per_recipient_person_yuan"]], marker="o", color=style.TEXT_COLOUR,
                markersize=size.font_pt * 0.5, linestyle="none")
        households = format_quantity(run["recipient_households"], "households", lang=lang)
        ax.set_title(words[rule].format(households=households), fontsize=size.font_pt, loc="left")
        ax.set_xlim(-X_MARGIN, 1 + X_MARGIN)  # room between the first x tick label and the y axis's "0"
        ax.set_ylim(0, top * 1.05)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xticks(np.linspace(0, 1, 5))
        ax.yaxis.grid(True)
        ax.set_axisbelow(True)
        thousands(ax.yaxis)
        if stacked or i == len(axes) - 1:
            share_axis = ax.secondary_yaxis("right", functions=(lambda v: v / line, lambda s: s * line))
            share_axis.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            share_axis.set_ylabel(words["y_line"])
        if stacked or i == 0:
            ax.set_ylabel(words["y"])
        else:
            ax.tick_params(axis="y", labelleft=False)
        if not stacked or i == len(axes) - 1:
            ax.set_xlabel(label)
        else:
            ax.tick_params(axis="x", labelbottom=False)
    handles = _legend_handles(words, values, size, run_share)
    if stacked:
        legend_below(fig, axes[-1], 1, handles=handles)
    else:
        legend_under_all(fig, handles, legend_columns(fig, 4))
    return fig


SPEC = register(FigureSpec(
    "subsidy_share", prepare, draw, text_values,
    text=TEXT,
    facts=SEASON_FACTS + ("households_out_of_poverty_2017",),
    assumptions=lambda df: tuple(_varied(df)) + ("subsidy_fraction", "poverty_line_yuan"),
))
