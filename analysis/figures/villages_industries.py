"""The figure ``villages_industries``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

import pandas as pd

from analysis import style
from analysis.figures.check import labels
from analysis.figures.common import (
    FigureSpec, data_module, fact_number, legend_columns, register, start_figure, styled, wrap,
)
from analysis.report import format_number, format_share

CONTRACT_INDUSTRY = "tianfu_contract"
TEXT = {
    "en": {
        "title": "Dasuhe's {villages_n} villages and their industries",
        "subtitle": "The article names {named_n} villages and their main industries; all {villages_n} share the Tianfu contract's profit",
        "caption": "Industries the article names for each village ({named}); the other {unnamed_n} villages are not named in the source and their own industries are not stated; all {villages_n} villages share the villages' part of the Tianfu contract's profit.",
        "alt": "Dot matrix of industries (rows) by village (columns): {listing}. A last column stands for {unnamed_n} further villages, not named in the source, with only the Tianfu profit share known.",
        "unnamed": "{unnamed_n} further villages, not named in the source",
        "contract": "Tianfu contract: share of the villages' {share} of profit",
        "stated": "Stated in the article", "unknown": "Not stated in the source",
        "village": "{en}\n{zh}",
    },
    "zh": {
        "title": "大苏河乡{villages_n}个村及其产业",
        "subtitle": "文章点名{named_n}个村及其主导产业；{villages_n}个村共享天福菌业合同利润",
        "caption": "文章所述各村产业（{named}）；其余{unnamed_n}个村文章未点名，其产业亦未说明；{villages_n}个村共同分享天福菌业合同中村集体所得利润。",
        "alt": "点阵图，行为产业、列为村：{listing}。最后一列代表文章未点名的另外{unnamed_n}个村，仅知其分享天福菌业利润。",
        "unnamed": "另外{unnamed_n}个村（原文未点名）",
        "contract": "天福菌业合同：分享村集体{share}利润",
        "stated": "文章所述", "unknown": "原文未说明",
        "village": "{zh}",
    },
}


def prepare() -> pd.DataFrame:
    """Village × industry cells: 'stated' where the article names it; the unnamed villages as one column."""
    data = data_module()
    villages = data.load_table("villages")
    links = data.load_table("village_industries")
    industries = links.drop_duplicates("industry_id")[["industry_id", "industry_en", "industry_zh", "sector"]]
    unnamed = data.count_unnamed_villages()
    rows = []
    columns = [(v.village_id, v.name_en, v.name_zh, True) for v in villages.itertuples()] + \
              [("unnamed", "", "", False)]
    for village_id, name_en, name_zh, named in columns:
        stated = set(links.loc[links["village_id"] == village_id, "industry_id"])
        for industry in industries.itertuples():
            status = "stated" if industry.industry_id in stated else ("absent" if named else "unknown")
            rows.append({"village_id": village_id, "village_en": name_en, "village_zh": name_zh, "is_named": named,
                         "villages": 1 if named else unnamed, "industry_id": industry.industry_id,
                         "industry_en": industry.industry_en, "industry_zh": industry.industry_zh, "status": status,
                         "fact_id": ""})
        rows.append({"village_id": village_id, "village_en": name_en, "village_zh": name_zh, "is_named": named,
                     "villages": 1 if named else unnamed, "industry_id": CONTRACT_INDUSTRY, "industry_en": "",
                     "industry_zh": "", "status": "stated", "fact_id": "villages_sharing_profit"})
    frame = pd.DataFrame(rows)
    fact_ids = links.set_index(["village_id", "industry_id"])["fact_id"]
    for i, row in frame.iterrows():
        if (row["village_id"], row["industry_id"]) in fact_ids.index:
            frame.at[i, "fact_id"] = fact_ids.loc[(row["village_id"], row["industry_id"])]
    return frame


def text_values(df: pd.DataFrame, lang: str) -> dict:
    named = df[df["is_named"]].drop_duplicates("village_id")
    unnamed_n = int(df.loc[~df["is_named"], "villages"].iloc[0])
    sep = ", " if lang == "en" else "、"
    names = sep.join(TEXT[lang]["village"].format(en=r.village_en, zh=r.village_zh) for r in named.itertuples())
    stated = df[(df["status"] == "stated") & df["is_named"] & (df["industry_id"] != CONTRACT_INDUSTRY)]
    listing = ("; " if lang == "en" else "；").join(
        TEXT[lang]["village"].format(en=v, zh=z) + (": " if lang == "en" else "：") +
        sep.join(stated.loc[stated["village_id"] == vid, f"industry_{lang}"])
        for vid, v, z in named[["village_id", "village_en", "village_zh"]].itertuples(index=False))
    return {"villages_n": format_number(fact_number("villages_total")), "named_n": format_number(len(named)),
            "unnamed_n": format_number(unnamed_n), "named": names, "listing": listing,
            "share": format_share(fact_number("profit_share_villages"))}


HEIGHT = {"web": 1.1, "single-column": 1.45, "double-column": 1.1, "slide": 1.1}


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Dot matrix: industries (rows) × villages (columns); the unnamed villages marked 'not stated'."""
    from matplotlib.lines import Line2D

    fig, size, words = start_figure("villages_industries", df, lang, size, height_scale=HEIGHT, chrome=chrome)
    values = text_values(df, lang)
    villages = df.drop_duplicates("village_id")
    industries = df.drop_duplicates("industry_id")
    ax = fig.add_subplot()
    col = {v: i for i, v in enumerate(villages["village_id"])}
    row = {k: -i for i, k in enumerate(industries["industry_id"])}
    marker_size = (size.font_pt * 1.3) ** 2
    dots = {}
    for status, face, edge, marker in (("stated", style.BLUE, style.BLUE, "o"),
                                       ("unknown", "white", style.NEUTRAL_COLOUR, "o")):
        cells = df[df["status"] == status]
        dots[status] = ax.scatter(cells["village_id"].map(col), cells["industry_id"].map(row), s=marker_size, c=face,
                                  edgecolors=edge, linewidths=size.line_width_pt, marker=marker, zorder=3)
    shade = ax.axvspan(len(villages) - 1.5, len(villages) - 0.5, color="#F4F4F4", zorder=0)
    for cell in df[df["status"] == "unknown"].itertuples():
        labels(ax.text(col[cell.village_id], row[cell.industry_id], "?", ha="center", va="center",
                       fontsize=size.small_pt, color=style.NEUTRAL_COLOUR, zorder=4), dots["unknown"], shade)
    column_labels = [words["village"].format(en=v.village_en, zh=v.village_zh) if v.is_named else
                     words["unnamed"].format(**values) for v in villages.itertuples()]
    _column_labels(fig, ax, column_labels, size)
    row_labels = [words["contract"].format(**values) if k == CONTRACT_INDUSTRY else
                  (f"{e} {z}" if lang == "en" else z)
                  for k, e, z in industries[["industry_id", "industry_en", "industry_zh"]].itertuples(index=False)]
    ax.set_yticks([row[k] for k in industries["industry_id"]],
                  [wrap(fig, label, size.small_pt, 0.3) for label in row_labels], fontsize=size.small_pt)
    ax.tick_params(length=0)
    ax.set_xlim(-0.6, len(villages) - 0.4)
    ax.set_ylim(-len(industries) + 0.5, 0.5)
    for x in range(len(villages)):
        ax.axvline(x, color=style.LIGHT_COLOUR, linewidth=0.5, zorder=1)
    for side in ("left", "bottom", "top", "right"):
        ax.spines[side].set_visible(False)
    handles = [Line2D([], [], marker="o", linestyle="none", color=style.BLUE, label=words["stated"]),
               Line2D([], [], marker="o", linestyle="none", markerfacecolor="white",
                      markeredgecolor=style.NEUTRAL_COLOUR, label=words["unknown"])]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 0), ncols=legend_columns(fig, 2))
    return fig


STAGGER_BELOW_IN = 5.0  # figures narrower than this set the village names on two alternating rows


def _column_labels(fig, ax, texts: list[str], size) -> None:
    """The village names above their columns: as top tick labels, or on narrow figures on two
    alternating rows (each name may then be as wide as two columns)."""
    from matplotlib.transforms import blended_transform_factory, offset_copy

    width_in = fig.get_size_inches()[0]
    if width_in >= STAGGER_BELOW_IN:
        ax.set_xticks(range(len(texts)), [wrap(fig, t, size.small_pt, 0.5 / len(texts)) for t in texts],
                      fontsize=size.small_pt)
        ax.xaxis.tick_top()
        return
    ax.set_xticks([])
    wrapped = [wrap(fig, t, size.small_pt, 1.1 / len(texts)) for t in texts]
    line_pt = size.small_pt * LINE_SPACING
    lower = max(w.count("\n") + 1 for w in wrapped[::2]) * line_pt + size.small_pt * 0.4
    base = blended_transform_factory(ax.transData, ax.transAxes)
    for x, text in enumerate(wrapped):
        offset = size.small_pt * 0.3 + (lower if x % 2 else 0.0)
        ax.text(x, 1, text, ha="center", va="bottom", fontsize=size.small_pt, linespacing=LINE_SPACING,
                transform=offset_copy(base, fig=fig, y=offset, units="points"))


LINE_SPACING = 1.2


SPEC = register(FigureSpec(
    "villages_industries", prepare, draw, text_values,
    text=TEXT,
    facts=lambda df: tuple(f for f in df["fact_id"] if f) + ("villages_total", "profit_share_villages"),
))
