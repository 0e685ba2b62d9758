"""The figure ``scenarios_poverty_line``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.figures.check import labels
from analysis.figures.common import (
    FigureSpec, SEASON_ASSUMPTIONS, SEASON_FACTS, illustrative, legend_below, keep_inside, legend_columns, register,
    start_figure, styled, thousands,
)
from analysis.report import format_number, format_quantity, format_share

PRESET_ORDER = ("low", "base", "high")
TEXT = {
    "en": {
        "title": "Profit transfer per registered poor person against the poverty line",
        "subtitle": "{illustrative}; each preset sets every assumption to its low, base or high value",
        "caption": "Per-person transfer from one season's village profit under the low, base and high presets: {listing}; grey bars show the poverty line assumed in each preset.",
        "alt": "Bar chart of the yearly transfer per registered poor person under three presets, each drawn inside a grey bar of the poverty line: {listing}.",
        "axis": "Yuan per person per year",
        "low": "Low preset", "base": "Base preset", "high": "High preset",
        "line": "Poverty line (assumed)", "transfer": "Transfer per registered poor person (model)",
        "bar_label": "{amount}\n{share} of the line",
        "item": "{preset} {amount} ({share} of a {line} line)",
    },
    "zh": {
        "title": "每名建档立卡贫困人口所获利润补助与贫困线对比",
        "subtitle": "{illustrative}；各情形将全部假设取低值、基准值或高值",
        "caption": "低、基准、高三种情形下一季村集体利润对每名贫困人口的补助：{listing}；灰色柱为各情形假设的贫困线。",
        "alt": "条形图：三种情形下每名建档立卡贫困人口的年补助，置于灰色贫困线柱内：{listing}。",
        "axis": "元/人/年",
        "low": "低值情形", "base": "基准情形", "high": "高值情形",
        "line": "贫困线（假设）", "transfer": "每名贫困人口补助（模型）",
        "bar_label": "{amount}\n为贫困线的{share}",
        "item": "{preset}{amount}（贫困线{line}的{share}）",
    },
}


def prepare() -> pd.DataFrame:
    """Low, base and high presets: transfer per person, the poverty line and the share of it."""
    from analysis import scenarios
    from analysis.parameters import get_parameters

    table = scenarios.presets_table().set_index("preset")
    rows = []
    for preset in PRESET_ORDER:
        p = get_parameters(preset)
        row = table.loc[preset]
        rows.append({"preset": preset, "per_person_yuan": float(row["per_person_yuan"]),
                     "poverty_line_yuan": p.poverty_line_yuan,
                     "share_of_poverty_line": float(row["share_of_poverty_line"]),
                     **{name: getattr(p, name) for name in SEASON_ASSUMPTIONS}})
    return pd.DataFrame(rows)


def text_values(df: pd.DataFrame, lang: str) -> dict:
    words = TEXT[lang]
    sep = "; " if lang == "en" else "；"
    listing = sep.join(words["item"].format(
        preset=words[row["preset"]], amount=format_quantity(row["per_person_yuan"], "yuan", lang=lang, decimals=0),
        share=format_share(row["share_of_poverty_line"], 1),
        line=format_quantity(row["poverty_line_yuan"], "yuan", lang=lang)) for _, row in df.iterrows())
    return {"listing": listing, "illustrative": illustrative(SEASON_ASSUMPTIONS, lang)}


HEIGHT = {"single-column": 1.45}  # bars with two-line labels under a long subtitle


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Bars of the per-person transfer inside grey bars of the poverty line, per preset."""
    fig, size, words = start_figure("scenarios_poverty_line", df, lang, size, height_scale=HEIGHT, chrome=chrome)
    ax = fig.add_subplot()
    positions = np.arange(len(df))
    lines = ax.bar(positions, df["poverty_line_yuan"], width=0.72, color=style.LIGHT_COLOUR, label=words["line"])
    ax.bar(positions, df["per_person_yuan"], width=0.5, color=style.ASSUMED_COLOUR, label=words["transfer"])
    for x, line, (_, row) in zip(positions, lines, df.iterrows()):
        label = ax.text(x, row["per_person_yuan"] + df["poverty_line_yuan"].max() * 0.02,
                        words["bar_label"].format(amount=format_quantity(row["per_person_yuan"], "yuan", lang=lang,
                                                                         decimals=0),
                                                  share=format_share(row["share_of_poverty_line"], 1)),
                        ha="center", va="bottom", fontsize=size.small_pt)
        labels(label, line)  # the transfer's label sits inside the grey bar of its poverty line
        keep_inside(ax.text(x, row["poverty_line_yuan"], format_number(row["poverty_line_yuan"]), ha="center",
                            va="bottom", fontsize=size.small_pt, color="#555555"), "y")
    ax.set_xticks(positions, [words[p] for p in df["preset"]])
    ax.tick_params(axis="x", length=0)
    ax.set_ylabel(words["axis"])
    ax.set_ylim(0, df["poverty_line_yuan"].max() * 1.02)
    thousands(ax.yaxis)
    legend_below(fig, ax, legend_columns(fig, 2))
    return fig


SPEC = register(FigureSpec(
    "scenarios_poverty_line", prepare, draw, text_values,
    text=TEXT,
    facts=SEASON_FACTS,
    assumptions=SEASON_ASSUMPTIONS + ("poverty_line_yuan",),
))
