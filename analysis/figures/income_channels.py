"""The figure ``income_channels``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis import style
from analysis.figures.common import (
    FigureSpec, assumption_table, base_parameters, case_values, data_module, fact_number, fact_text, find_case,
    full_width_brackets, illustrative, keep_inside, legend_below, legend_columns, register, start_figure, styled,
    thousands, wrap, yuan,
)
from analysis.report import format_number, format_quantity

TEXT = {
    "en": {
        "title": "Income reaching registered poor households, by channel (one year)",
        "subtitle": "{illustrative}; above: averages over all {households_n} registered poor households; below: per household that receives it",
        "caption": "Yearly income of registered poor households by channel ({case}). Averaged over all {households} registered as poor: {listing}. Per household that receives it: {receiving}. The cooperative job is an individual case from the article ({coop} per couple per year), shown only per receiving household. Wages are paid out of the production cost the enterprise advances, not on top of the profit.",
        "alt": "Bar chart in two panels of yearly income by channel. Averages over all registered poor households: {listing}. Per receiving household: {receiving}.",
        "x_households": "Yuan per year, averaged over all {households_n} registered poor households",
        "x_receiving": "Yuan per year per household that receives it",
        "case_note": "Cooperative job: an individual case, not an average",
        "not_known": "not known: how many households hold the land",
        "legend_model": "Depends on assumptions (model)", "legend_case": "Individual case from the article",
        "item": "{label} {amount}",
        "receiving_item": "{label} {amount} ({households})",
        "receiving_unknown": "{label} not known (how many households hold the land is not known)",
        "receiving_case": "{label} {amount}",
    },
    "zh": {
        "title": "建档立卡贫困户各渠道收入（一年）",
        "subtitle": "{illustrative}；上栏为全部{households}的平均值；下栏为每户实际获得者",
        "caption": "{case}下建档立卡贫困户各渠道年收入。全部{households}平均：{listing}。每户实际获得者：{receiving}。合作社务工为文章中的个案（每对夫妻每年{coop}），只在下栏列示。工资出自企业垫付的生产成本，并非利润之外的额外收入。",
        "alt": "条形图，分两栏，显示各渠道年收入。全部建档立卡贫困户平均：{listing}。每户实际获得者：{receiving}。",
        "x_households": "元/年，全部{households_n}户建档立卡贫困户平均",
        "x_receiving": "元/年，每户实际获得者",
        "case_note": "合作社务工为个案，非平均值",
        "not_known": "未知：不清楚多少户持有这些土地",
        "legend_model": "取决于假设（模型）", "legend_case": "文章中的个案",
        "item": "{label}{amount}",
        "receiving_item": "{label}{amount}（{households}）",
        "receiving_unknown": "{label}未知（不清楚多少户持有土地）",
        "receiving_case": "{label}{amount}",
    },
}
CASE_CHANNEL = "cooperative_job"
RECEIVING_COLUMNS = ("receiving_households", "receiving_persons", "per_receiving_household_yuan",
                     "per_receiving_person_yuan")
RECEIVING_ASSUMPTIONS = ("workers_per_working_household",)  # wage earners' households (model.temporary_workers)


def prepare(p=None) -> pd.DataFrame:
    """Income by channel (model.income_channels at base, or *p*): per registered household and person (averages
    over everyone), and per household and person that receive it (model.income_channel_recipients, gross:
    receiving_households, receiving_persons, per_receiving_household_yuan, per_receiving_person_yuan; NaN where
    not known); ``case`` names the parameters (:func:`find_case`)."""
    from analysis import model

    p = p or base_parameters()
    channels = model.income_channels(p).reset_index(drop=True)
    receiving = model.income_channel_recipients(p).set_index("channel")
    for column in RECEIVING_COLUMNS:
        channels[column] = channels["channel"].map(receiving[column])
    return channels.assign(label_zh=channels["label_zh"].map(full_width_brackets), case=find_case(p))


def _basis_names(df: pd.DataFrame) -> list[str]:
    return [re.sub(r"\(.*?\)", "", token).strip() for text in df["basis"] for token in re.split(r"[,;]", text)]


def _channel_facts(df: pd.DataFrame) -> tuple[str, ...]:
    known = set(data_module().load_facts()["fact_id"])
    return tuple(name for name in _basis_names(df) if name in known)


def _channel_assumptions(df: pd.DataFrame) -> tuple[str, ...]:
    names = _basis_names(df) + (list(RECEIVING_ASSUMPTIONS) if "per_receiving_household_yuan" in df.columns else [])
    return tuple(name for name in names if name in assumption_table().index)


def text_values(df: pd.DataFrame, lang: str) -> dict:
    words = TEXT[lang]
    averaged = df[df["channel"] != CASE_CHANNEL]
    case = df[df["channel"] == CASE_CHANNEL]
    sep = "; " if lang == "en" else "；"
    listing = sep.join(words["item"].format(label=row[f"label_{lang}"], amount=yuan(row["per_household_yuan"], lang))
                       for _, row in averaged.iterrows())
    receiving = []
    if "per_receiving_household_yuan" in df.columns:
        for _, row in df.iterrows():
            amount = row["per_receiving_household_yuan"]
            if row["channel"] == CASE_CHANNEL:
                receiving.append(words["receiving_case"].format(label=row[f"label_{lang}"], amount=yuan(amount, lang)))
            elif amount != amount:  # NaN: how many households receive it is not known
                receiving.append(words["receiving_unknown"].format(label=row[f"label_{lang}"]))
            else:
                households = format_quantity(row["receiving_households"], "households", lang=lang, decimals=0)
                receiving.append(words["receiving_item"].format(label=row[f"label_{lang}"], amount=yuan(amount, lang),
                                                                households=households))
    coop = yuan(case["total_yuan"].iloc[0], lang) if len(case) else ""
    return {"listing": listing, "receiving": sep.join(receiving), "coop": coop,
            "households": fact_text("poor_households_registered", lang),
            "households_n": format_number(fact_number("poor_households_registered")),
            "illustrative": illustrative(("daily_wage_yuan", "long_term_wage_yuan_per_year", "subsidy_fraction"), lang),
            **case_values(df, lang)}


HEIGHT = {"single-column": 1.9, "web": 1.1}  # two panels of wrapped labels


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Bars of income by channel: above, averaged over every registered poor household; below, per household that
    receives it (the cooperative case among them, marked; land rent: not known)."""
    from matplotlib.patches import Patch

    fig, size, words = start_figure("income_channels", df, lang, size, height_scale=HEIGHT, chrome=chrome)
    values = text_values(df, lang)
    averaged = df[df["channel"] != CASE_CHANNEL].iloc[::-1]
    receiving = df.iloc[::-1] if "per_receiving_household_yuan" in df.columns else df[df["channel"] == CASE_CHANNEL]
    axes = fig.subplots(2, 1, gridspec_kw={"height_ratios": [len(averaged), max(len(receiving), 1)]})
    model = dict(facecolor=style.ASSUMED_COLOUR, hatch=style.ASSUMED_HATCH, edgecolor="white", linewidth=0)
    individual = dict(facecolor=style.NEUTRAL_COLOUR, hatch="", edgecolor="white", linewidth=0)
    panels = ((axes[0], averaged, "per_household_yuan", words["x_households"].format(**values)),
              (axes[1], receiving, "per_receiving_household_yuan" if "per_receiving_household_yuan" in df.columns
               else "total_yuan", words["x_receiving"]))
    for ax, part, column, axis_label in panels:
        positions = np.arange(len(part))
        amounts = part[column].to_numpy(dtype=float)
        known = ~np.isnan(amounts)
        cases = (part["channel"] == CASE_CHANNEL).to_numpy()
        for mask, look in ((known & ~cases, model), (known & cases, individual)):
            if mask.any():
                ax.barh(positions[mask], amounts[mask], height=0.6, **look)
        ax.set_yticks(positions, [wrap(fig, label, size.small_pt, 0.3) for label in part[f"label_{lang}"]],
                      fontsize=size.small_pt)
        top = np.nanmax(amounts) if known.any() else 1.0
        for y, value, is_known in zip(positions, amounts, known):
            text = yuan(value, lang) if is_known else \
                wrap(fig, words["not_known"], size.small_pt, 0.45)
            keep_inside(ax.text((value if is_known else 0) + top * 0.015, y, text, va="center", fontsize=size.small_pt,
                                color=style.TEXT_COLOUR if is_known else "#555555"))
        ax.set_xlim(0, top * 1.05)
        ax.set_xlabel(axis_label)
        ax.tick_params(axis="y", length=0)
        thousands(ax.xaxis)
    handles = [Patch(label=wrap(fig, words["legend_model"], size.small_pt, 0.4), **model),
               Patch(label=wrap(fig, words["legend_case"], size.small_pt, 0.4), **individual)]
    legend_below(fig, axes[1], legend_columns(fig, 2), handles=handles)
    return fig


SPEC = register(FigureSpec(
    "income_channels", prepare, draw, text_values,
    text=TEXT,
    facts=_channel_facts,
    assumptions=_channel_assumptions,
))
