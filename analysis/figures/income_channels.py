"""The figure ``income_channels``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis import style
from analysis.figures.common import (
    FigureSpec, assumption_table, base_parameters, case_values, data_module, fact_number, fact_text, find_case,
    full_width_brackets, illustrative, keep_inside, legend_below, register, start_figure, styled, thousands, wrap,
)
from analysis.report import format_number, format_quantity

TEXT = {
    "en": {
        "title": "Income reaching registered poor households, by channel (one year)",
        "subtitle": "{illustrative}; averages over all {households_n} registered poor households; the cooperative job is one couple's case",
        "caption": "Yearly income per registered poor household by channel ({case}): {listing}. The cooperative job is an individual case from the article ({coop} per couple per year), shown apart and not spread across households. Wages are paid out of the production cost the enterprise advances, not on top of the profit.",
        "alt": "Bar chart of yearly income per registered poor household by channel: {listing}; a separate bar shows one cooperative job at {coop} per couple per year.",
        "x_households": "Yuan per registered poor household per year (average)",
        "x_case": "Yuan per job-holding couple per year",
        "case_note": "Individual case, not an average",
        "legend_model": "Average per household, depends on assumptions (model)",
        "item": "{label} {amount}",
    },
    "zh": {
        "title": "建档立卡贫困户各渠道收入（一年）",
        "subtitle": "{illustrative}；为全部{households}的平均值；合作社务工为一对夫妻的个案",
        "caption": "{case}下建档立卡贫困户各渠道户均年收入：{listing}。合作社务工为文章中的个案（每对夫妻每年{coop}），单独列示，不摊入各户。工资出自企业垫付的生产成本，并非利润之外的额外收入。",
        "alt": "条形图：建档立卡贫困户各渠道户均年收入：{listing}；另一条显示合作社务工个案，每对夫妻每年{coop}。",
        "x_households": "每户建档立卡贫困户年收入（元，平均）",
        "x_case": "每对务工夫妻年收入（元）",
        "case_note": "个案，非平均值",
        "legend_model": "户均值，取决于假设（模型）",
        "item": "{label}{amount}",
    },
}
CASE_CHANNEL = "cooperative_job"


def prepare(p=None) -> pd.DataFrame:
    """Income by channel (model.income_channels at base, or *p*): per household, and the cooperative case per couple;
    ``case`` names the parameters (:func:`find_case`)."""
    from analysis import model

    p = p or base_parameters()
    channels = model.income_channels(p).reset_index(drop=True)
    return channels.assign(label_zh=channels["label_zh"].map(full_width_brackets), case=find_case(p))


def _basis_names(df: pd.DataFrame) -> list[str]:
    return [re.sub(r"\(.*?\)", "", token).strip() for text in df["basis"] for token in re.split(r"[,;]", text)]


def _channel_facts(df: pd.DataFrame) -> tuple[str, ...]:
    known = set(data_module().load_facts()["fact_id"])
    return tuple(name for name in _basis_names(df) if name in known)


def _channel_assumptions(df: pd.DataFrame) -> tuple[str, ...]:
    return tuple(name for name in _basis_names(df) if name in assumption_table().index)


def text_values(df: pd.DataFrame, lang: str) -> dict:
    words = TEXT[lang]
    averaged = df[df["channel"] != CASE_CHANNEL]
    case = df[df["channel"] == CASE_CHANNEL]
    sep = "; " if lang == "en" else "；"
    listing = sep.join(words["item"].format(label=row[f"label_{lang}"],
                                            amount=format_quantity(row["per_household_yuan"], "yuan", lang=lang, decimals=0))
                       for _, row in averaged.iterrows())
    coop = format_quantity(case["total_yuan"].iloc[0], "yuan", lang=lang, decimals=0) if len(case) else ""
    return {"listing": listing, "coop": coop, "households": fact_text("poor_households_registered", lang),
            "households_n": format_number(fact_number("poor_households_registered")),
            "illustrative": illustrative(("daily_wage_yuan", "long_term_wage_yuan_per_year", "subsidy_fraction"), lang),
            **case_values(df, lang)}


HEIGHT = {"single-column": 1.6}  # two panels of wrapped labels


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Bars of income per registered poor household by channel; the cooperative case in its own panel."""
    from matplotlib.patches import Patch

    fig, size, words = start_figure("income_channels", df, lang, size, height_scale=HEIGHT, chrome=chrome)
    averaged = df[df["channel"] != CASE_CHANNEL].iloc[::-1]
    case = df[df["channel"] == CASE_CHANNEL]
    axes = fig.subplots(2, 1, gridspec_kw={"height_ratios": [len(averaged), max(len(case), 1) * 1.2]})
    for ax, part, column, axis_label, colour, hatch in (
        (axes[0], averaged, "per_household_yuan", words["x_households"], style.ASSUMED_COLOUR, style.ASSUMED_HATCH),
        (axes[1], case, "total_yuan", words["x_case"], style.NEUTRAL_COLOUR, ""),
    ):
        positions = np.arange(len(part))
        ax.barh(positions, part[column], height=0.6, color=colour, hatch=hatch, edgecolor="white", linewidth=0)
        ax.set_yticks(positions, [wrap(fig, label, size.small_pt, 0.3) for label in part[f"label_{lang}"]],
                      fontsize=size.small_pt)
        top = part[column].max() if len(part) else 1.0
        for y, value in zip(positions, part[column]):
            keep_inside(ax.text(value + top * 0.015, y, format_quantity(value, "yuan", lang=lang, decimals=0),
                                va="center", fontsize=size.small_pt))
        ax.set_xlim(0, top * 1.05)
        ax.set_xlabel(axis_label)
        ax.tick_params(axis="y", length=0)
        thousands(ax.xaxis)
    axes[1].text(1, 1.02, words["case_note"], transform=axes[1].transAxes, ha="right", va="bottom",
                 fontsize=size.small_pt, color="#555555")
    handles = [Patch(facecolor=style.ASSUMED_COLOUR, hatch=style.ASSUMED_HATCH, edgecolor="white", linewidth=0,
                     label=wrap(fig, words["legend_model"], size.small_pt, 0.5))]
    legend_below(fig, axes[1], 1, handles=handles)
    return fig


SPEC = register(FigureSpec(
    "income_channels", prepare, draw, text_values,
    text=TEXT,
    facts=_channel_facts,
    assumptions=_channel_assumptions,
))
