"""The figure ``poverty_outcomes``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

import math

import pandas as pd

from analysis import style
from analysis.figures.common import FigureSpec, fact_number, fact_text, register, start_figure, styled, wrap
from analysis.report import format_number, format_quantity, format_share

TEXT = {
    "en": {
        "title": "{out_n} of {registered_n} registered poor households were out of poverty by the end of {year}",
        "subtitle": "One square per registered poor household ({persons_n} registered poor persons); the article does not say what happened to the other {rest}",
        "caption": "Registered poor households of Dasuhe ({registered}; {persons}) and those the article reports out of poverty by the end of {year} ({out}); the remaining {rest} are computed as the difference.",
        "alt": "Waffle chart of {registered} squares, one per registered poor household: {out} coloured squares are households out of poverty by the end of {year}, {rest} grey squares are the rest ({rest_share} of the total).",
        "out_of_poverty": "Out of poverty by end-{year}: {out} (article)",
        "remaining": "Not reported out of poverty: {rest} (computed: {registered_n} − {out_n})",
    },
    "zh": {
        "title": "截至{year}年底，{registered}建档立卡贫困户中{out}实现脱贫",
        "subtitle": "每个方块代表一户建档立卡贫困户（共{persons}）；其余{rest}的情况文章未说明",
        "caption": "大苏河乡建档立卡贫困户（{registered}，{persons}）及文章所述{year}年底实现脱贫的户数（{out}）；其余{rest}为二者之差。",
        "alt": "方块图，共{registered_n}个方块，每块代表一户建档立卡贫困户：{out_n}个彩色方块为{year}年底已脱贫户，{rest_n}个灰色方块为其余户（占{rest_share}）。",
        "out_of_poverty": "{year}年底已脱贫：{out}（文章）",
        "remaining": "文章未报告脱贫：{rest}（计算：{registered_n} − {out_n}）",
    },
}


def prepare() -> pd.DataFrame:
    """Registered poor households split into out of poverty by end-2017 and the rest (computed)."""
    registered = fact_number("poor_households_registered")
    out = fact_number("households_out_of_poverty_2017")
    return pd.DataFrame([
        {"category": "out_of_poverty", "households": out, "basis": "fact",
         "fact_id": "households_out_of_poverty_2017"},
        {"category": "remaining", "households": registered - out, "basis": "computed",
         "fact_id": "poor_households_registered - households_out_of_poverty_2017"},
    ])


def text_values(df: pd.DataFrame, lang: str) -> dict:
    out = float(df.loc[df["category"] == "out_of_poverty", "households"].iloc[0])
    rest = float(df.loc[df["category"] == "remaining", "households"].iloc[0])
    registered = out + rest
    return {
        "out": format_quantity(out, "households", lang=lang), "rest": format_quantity(rest, "households", lang=lang),
        "registered": format_quantity(registered, "households", lang=lang),
        "out_n": format_number(out), "rest_n": format_number(rest), "registered_n": format_number(registered),
        "persons": fact_text("poor_persons_registered", lang),
        "persons_n": format_number(fact_number("poor_persons_registered")), "rest_share": format_share(rest / registered, 0),
        "year": str(int(fact_number("outcome_year"))),
    }


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Waffle chart: one square per registered poor household, coloured by outcome."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Patch, Rectangle

    fig, size, words = start_figure("poverty_outcomes", df, lang, size, chrome=chrome)
    values = text_values(df, lang)
    counts = [int(round(v)) for v in df["households"]]
    total = sum(counts)
    width_in, height_in = fig.get_size_inches()
    columns = max(1, math.ceil(math.sqrt(total * width_in / (height_in * 0.55))))
    rows = math.ceil(total / columns)
    ax = fig.add_subplot()
    colours = (style.FACT_COLOUR, style.LIGHT_COLOUR)
    start = 0
    for count, colour in zip(counts, colours):
        squares = [Rectangle((i % columns, rows - 1 - i // columns), 0.84, 0.84)
                   for i in range(start, start + count)]
        ax.add_collection(PatchCollection(squares, facecolor=colour, edgecolor="none"))
        start += count
    ax.set_xlim(-0.3, columns + 0.1)
    ax.set_ylim(-0.3, rows + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [Patch(facecolor=colour, label=wrap(fig, words[key].format(**values), size.font_pt, 0.85))
               for colour, key in zip(colours, ("out_of_poverty", "remaining"))]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 0), ncols=1,
              fontsize=size.font_pt, handlelength=1.2, borderaxespad=0.2)
    return fig


SPEC = register(FigureSpec(
    "poverty_outcomes", prepare, draw, text_values,
    text=TEXT,
    facts=("poor_households_registered", "households_out_of_poverty_2017", "poor_persons_registered", "outcome_year"),
))
