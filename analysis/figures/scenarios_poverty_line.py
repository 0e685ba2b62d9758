"""The figure ``scenarios_poverty_line``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.figures.check import labels
from analysis.figures.common import (
    FigureSpec, SEASON_ASSUMPTIONS, SEASON_FACTS, illustrative, legend_below, keep_inside, legend_columns, register,
    start_figure, styled, thousands, yuan,
)
from analysis.report import format_number, format_quantity, format_share

PRESET_ORDER = ("low", "base", "high")
TEXT = {
    "en": {
        "title": "Dividend per recipient person against the poverty line",
        "subtitle": "{illustrative}; each preset sets every assumption to its low, base or high value; recipients: the {recipients} not yet out of poverty",
        "caption": "Yearly dividend per recipient person ({recipients} not yet out of poverty, {recipient_persons}) from one season's village profit under the low, base and high presets: {listing}; grey bars show the poverty line assumed in each preset. Averaged over all {households} registered as poor ({persons}, the tick on each bar) it would be {average_listing}.",
        "alt": "Bar chart of the yearly dividend per recipient person under three presets, each drawn inside a grey bar of the poverty line: {listing}; a tick on each bar marks the average over all registered poor persons: {average_listing}.",
        "axis": "Yuan per person per year",
        "low": "Low preset", "base": "Base preset", "high": "High preset",
        "line": "Poverty line (assumed)", "transfer": "Dividend per recipient person (model)",
        "average": "Average over all registered poor persons",
        "bar_label": "{amount}\n{share} of the line",
        "item": "{preset} {amount} ({share} of a {line} line)",
        "average_item": "{amount} ({preset})",
    },
    "zh": {
        "title": "每名受助人口所获分红与贫困线对比",
        "subtitle": "{illustrative}；各情形将全部假设取低值、基准值或高值；受助对象为尚未脱贫的{recipients}",
        "caption": "低、基准、高三种情形下一季村集体利润对每名受助人口（尚未脱贫的{recipients}，{recipient_persons}）的年分红：{listing}；灰色柱为各情形假设的贫困线。若摊给全部{households}建档立卡贫困户（{persons}，即各柱上的短横线），分别为{average_listing}。",
        "alt": "条形图：三种情形下每名受助人口的年分红，置于灰色贫困线柱内：{listing}；各柱上的短横线为全部建档立卡贫困人口的平均值：{average_listing}。",
        "axis": "元/人/年",
        "low": "低值情形", "base": "基准情形", "high": "高值情形",
        "line": "贫困线（假设）", "transfer": "每名受助人口分红（模型）",
        "average": "全部建档立卡贫困人口平均",
        "bar_label": "{amount}\n为贫困线的{share}",
        "item": "{preset}{amount}（贫困线{line}的{share}）",
        "average_item": "{amount}（{preset}）",
    },
}


def prepare() -> pd.DataFrame:
    """Low, base and high presets: dividend per recipient person and its share of the poverty line, the
    average over every registered poor person (per_person_yuan), the poverty line, and the recipients."""
    from analysis import scenarios
    from analysis.parameters import get_parameters

    table = scenarios.presets_table().set_index("preset")
    rows = []
    for preset in PRESET_ORDER:
        p = get_parameters(preset)
        row = table.loc[preset]
        rows.append({"preset": preset, "per_recipient_person_yuan": float(row["per_recipient_person_yuan"]),
                     "recipient_share_of_poverty_line": float(row["recipient_share_of_poverty_line"]),
                     "per_person_yuan": float(row["per_person_yuan"]),
                     "share_of_poverty_line": float(row["share_of_poverty_line"]),
                     "poverty_line_yuan": p.poverty_line_yuan, "recipient_households": p.recipient_households,
                     "recipient_persons": p.recipient_persons, "households": p.households, "persons": p.persons,
                     **{name: getattr(p, name) for name in SEASON_ASSUMPTIONS}})
    return pd.DataFrame(rows)


def text_values(df: pd.DataFrame, lang: str) -> dict:
    words = TEXT[lang]
    sep = "; " if lang == "en" else "；"
    listing = sep.join(words["item"].format(
        preset=words[row["preset"]], amount=yuan(row["per_recipient_person_yuan"], lang),
        share=format_share(row["recipient_share_of_poverty_line"], 1),
        line=format_quantity(row["poverty_line_yuan"], "yuan", lang=lang)) for _, row in df.iterrows())
    averages = (", " if lang == "en" else "、").join(
        words["average_item"].format(preset=words[row["preset"]].lower() if lang == "en" else words[row["preset"]],
                                     amount=yuan(row["per_person_yuan"], lang)) for _, row in df.iterrows())
    first = df.iloc[0]
    return {"listing": listing, "average_listing": averages, "illustrative": illustrative(SEASON_ASSUMPTIONS, lang),
            "recipients": format_quantity(first["recipient_households"], "households", lang=lang),
            "recipient_persons": format_quantity(first["recipient_persons"], "persons", lang=lang, decimals=0),
            "households": format_quantity(first["households"], "households", lang=lang),
            "persons": format_quantity(first["persons"], "persons", lang=lang)}


HEIGHT = {"single-column": 1.55}  # bars with two-line labels under a long subtitle, a three-row legend


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Bars of the dividend per recipient person inside grey bars of the poverty line, per preset; a tick at
    the average over all registered poor persons."""
    from matplotlib.lines import Line2D

    fig, size, words = start_figure("scenarios_poverty_line", df, lang, size, height_scale=HEIGHT, chrome=chrome)
    ax = fig.add_subplot()
    positions = np.arange(len(df))
    lines = ax.bar(positions, df["poverty_line_yuan"], width=0.72, color=style.LIGHT_COLOUR, label=words["line"])
    ax.bar(positions, df["per_recipient_person_yuan"], width=0.5, color=style.ASSUMED_COLOUR, label=words["transfer"])
    tick = dict(color=style.TEXT_COLOUR, linewidth=size.line_width_pt * 1.2, solid_capstyle="butt")
    for x, average in zip(positions, df["per_person_yuan"]):  # one short line each (one box each for the checks)
        ax.plot([x - 0.25, x + 0.25], [average, average], **tick)
    for x, line, (_, row) in zip(positions, lines, df.iterrows()):
        label = ax.text(x, row["per_recipient_person_yuan"] + df["poverty_line_yuan"].max() * 0.02,
                        words["bar_label"].format(amount=yuan(row["per_recipient_person_yuan"], lang),
                                                  share=format_share(row["recipient_share_of_poverty_line"], 1)),
                        ha="center", va="bottom", fontsize=size.small_pt)
        labels(label, line)  # the dividend's label sits inside the grey bar of its poverty line
        keep_inside(ax.text(x, row["poverty_line_yuan"], format_number(row["poverty_line_yuan"]), ha="center",
                            va="bottom", fontsize=size.small_pt, color="#555555"), "y")
    ax.set_xticks(positions, [words[p] for p in df["preset"]])
    ax.tick_params(axis="x", length=0)
    ax.set_ylabel(words["axis"])
    ax.set_ylim(0, df["poverty_line_yuan"].max() * 1.02)
    thousands(ax.yaxis)
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], label=words["average"], **tick))
    legend_below(fig, ax, legend_columns(fig, 3), handles=handles)
    return fig


SPEC = register(FigureSpec(
    "scenarios_poverty_line", prepare, draw, text_values,
    text=TEXT,
    facts=SEASON_FACTS + ("households_out_of_poverty_2017",),
    assumptions=SEASON_ASSUMPTIONS + ("poverty_line_yuan",),
))
