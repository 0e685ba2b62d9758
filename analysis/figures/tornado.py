"""The figure ``tornado``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.figures.common import (
    FigureSpec, SEASON_FACTS, base_parameters, case_values, find_case, legend_below, legend_columns, register,
    start_figure, styled, thousands, wrap,
)
from analysis.report import format_quantity

TEXT = {
    "en": {
        "title": "Which assumptions move the transfer per poor person most",
        "subtitle": "One at a time, each assumption from its low to its high value, the others held fixed ({case}: {base} per person per year)",
        "caption": "Sensitivity of the yearly transfer per registered poor person to each assumption over its low–high range, others held fixed ({case}); {leader} moves it most (from {leader_low} to {leader_high}). {n_flat} further assumptions do not change this output.",
        "alt": "Tornado chart of {n} assumptions, sorted by their effect on the transfer per person ({case}: {base}): {listing}.",
        "axis": "Transfer per registered poor person (yuan per year)",
        "low": "Assumption at its low value", "high": "Assumption at its high value", "base": "{Case}",
        "item": "{label} {low} to {high}",
    },
    "zh": {
        "title": "哪些假设对每名贫困人口补助影响最大",
        "subtitle": "每次只改变一个假设（从低值到高值），其余固定于{case}（每人每年{base}）",
        "caption": "每名建档立卡贫困人口年补助对各假设（低值至高值，其余固定于{case}）的敏感性；{leader}影响最大（{leader_low}至{leader_high}）。另有{n_flat}项假设不影响该结果。",
        "alt": "龙卷风图，{n}项假设按对每人补助的影响排序（{case}：{base}）：{listing}。",
        "axis": "每名建档立卡贫困人口补助（元/年）",
        "low": "假设取低值", "high": "假设取高值", "base": "{case}",
        "item": "{label}{low}至{high}",
    },
}


def prepare(p=None) -> pd.DataFrame:
    """The one-at-a-time sensitivity of the transfer per person (all assumptions, sorted by swing) around the
    base case or *p*; ``case`` names the parameters (:func:`find_case`)."""
    from analysis import scenarios

    p = p or base_parameters()
    return scenarios.sensitivity(p, output="per_person_yuan").reset_index(drop=True).assign(case=find_case(p))


def _moving(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["swing"] > 0].sort_values("swing", ascending=False, kind="stable")


def text_values(df: pd.DataFrame, lang: str) -> dict:
    moving = _moving(df)
    yuan = lambda v: format_quantity(v, "yuan", lang=lang, decimals=0)  # noqa: E731
    leader = moving.iloc[0]
    sep = "; " if lang == "en" else "；"
    listing = sep.join(TEXT[lang]["item"].format(label=row[f"label_{lang}"], low=yuan(row["output_low"]),
                                                          high=yuan(row["output_high"])) for _, row in moving.iterrows())
    return {"base": yuan(df["output_base"].iloc[0]), "leader": leader[f"label_{lang}"],
            "leader_low": yuan(leader["output_low"]), "leader_high": yuan(leader["output_high"]),
            "n": str(len(moving)), "n_flat": str(len(df) - len(moving)), "listing": listing, **case_values(df, lang)}


HEIGHT = {"single-column": 1.4}  # a label of up to three lines per assumption


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Horizontal bars from the base output to the output at each assumption's low and high value."""
    moving = _moving(df).iloc[::-1]
    fig, size, words = start_figure("tornado", df, lang, size, height_scale=HEIGHT, chrome=chrome)
    ax = fig.add_subplot()
    base = float(df["output_base"].iloc[0])
    positions = np.arange(len(moving))
    ax.barh(positions, moving["output_low"] - base, left=base, height=0.6, color=style.BLUE, label=words["low"])
    ax.barh(positions, moving["output_high"] - base, left=base, height=0.6, color=style.ORANGE,
            hatch=style.ASSUMED_HATCH, edgecolor="white", linewidth=0, label=words["high"])
    labels = [wrap(fig, row[f"label_{lang}"], size.small_pt, 0.36) + "\n" + _range_text(row, lang)
              for _, row in moving.iterrows()]
    ax.set_yticks(positions, labels, fontsize=size.small_pt)
    ax.tick_params(axis="y", length=0)
    ax.axvline(base, color=style.TEXT_COLOUR, linewidth=size.line_width_pt * 0.7,
               label=words["base"].format(**case_values(df, lang)))
    ax.set_xlabel(words["axis"])
    thousands(ax.xaxis)
    ax.xaxis.grid(True)
    ax.set_axisbelow(True)
    legend_below(fig, ax, legend_columns(fig, 3))
    return fig


def _range_text(row, lang: str) -> str:
    from analysis.report import format_range

    return format_range(row["low"], row["high"], row["unit"], lang=lang)


SPEC = register(FigureSpec(
    "tornado", prepare, draw, text_values,
    text=TEXT,
    facts=SEASON_FACTS,
    assumptions=lambda df: tuple(_moving(df)["parameter"]),
))
