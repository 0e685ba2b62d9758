"""The figure ``quantities_to_scale``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.figures.common import FigureSpec, fact, keep_inside, register, start_figure, styled, thousands, wrap
from analysis.report import format_number, format_quantity, format_wan

SQUARE_METRES_PER_MU = 10_000 / 15   # unit conversion: 15 mu = 1 hectare
QUANTITY_FACTS = {
    "area": ("changsha_ginseng_area_mu", "tianfu_land_transferred_mu", "tianfu_ground_fungus_area_mu",
             "dabao_fungus_area_mu"),
    "segments": ("tianfu_segments_produced", "tianfu_segments_for_poor"),
}
TEXT = {
    "en": {
        "title": "The article's quantities, drawn to scale",
        "subtitle": "Areas in mu (one mu ≈ {mu_m2} m²) and wood-ear cultivation segments, as the article states them{qualifier_note}",
        "caption": "Areas (mu) and fungus segments stated in the article, on common scales: {areas}; {segments}.",
        "alt": "Two bar charts. Areas in mu: {areas}. Fungus segments: {segments}.",
        "area_axis": "Area (mu)",
        "segments_axis": "Segments",
        "changsha_ginseng_area_mu": "Changsha 长沙: flat-ground ginseng",
        "tianfu_land_transferred_mu": "Tianfu 天福: land transferred",
        "tianfu_ground_fungus_area_mu": "Tianfu 天福: ground-laid wood-ear",
        "dabao_fungus_area_mu": "Dabao 大堡: wood-ear cooperative",
        "tianfu_segments_produced": "Tianfu 天福: segments produced",
        "tianfu_segments_for_poor": "of which run for poor households",
    },
    "zh": {
        "title": "文章中的数量（按比例绘制）",
        "subtitle": "面积（亩，每亩≈{mu_m2}平方米）与木耳菌段数，均为原文数字{qualifier_note}",
        "caption": "文章所述面积（亩）与菌段数，按同一比例尺绘制：{areas}；{segments}。",
        "alt": "两组条形图。面积：{areas}。菌段：{segments}。",
        "area_axis": "面积（亩）",
        "segments_axis": "菌段（万段）",  # counted in 万, as the article and the bar labels count them
        "changsha_ginseng_area_mu": "长沙村：平地参",
        "tianfu_land_transferred_mu": "天福菌业：流转土地",
        "tianfu_ground_fungus_area_mu": "天福菌业：地摆木耳",
        "dabao_fungus_area_mu": "大堡村：木耳合作社",
        "tianfu_segments_produced": "天福菌业：生产菌段",
        "tianfu_segments_for_poor": "其中为贫困户代理经营",
    },
}


def prepare() -> pd.DataFrame:
    """The article's areas (mu) and segment counts: one row per fact, with unit and qualifier."""
    rows = []
    for panel, fact_ids in QUANTITY_FACTS.items():
        for fact_id in fact_ids:
            f = fact(fact_id)
            rows.append({"panel": panel, "fact_id": fact_id, "value": float(f.value), "unit": f.unit,
                         "qualifier": f.qualifier, "label_en": TEXT["en"][fact_id],
                         "label_zh": TEXT["zh"][fact_id]})
    return pd.DataFrame(rows)


def text_values(df: pd.DataFrame, lang: str) -> dict:
    sep = "; " if lang == "en" else "；"
    def listing(panel):
        part = df[df["panel"] == panel]
        return sep.join(f"{row[f'label_{lang}']} {format_quantity(row['value'], row['unit'], row['qualifier'], lang)}"
                        for _, row in part.iterrows())
    return {"areas": listing("area"), "segments": listing("segments"),
            "mu_m2": format_number(SQUARE_METRES_PER_MU, 0),
            "qualifier_note": _qualifier_note(df["qualifier"], lang)}


QUALIFIER_NOTE = {
    "en": {"at_least": "≥ means “more than” (余/多)", "approximately": "≈ means “nearly” (近)",
           "at_most": "≤ means “up to” (最高)"},
    "zh": {"at_least": "“不少于”即原文“余/多”", "approximately": "“近”即原文“近”", "at_most": "“最高”即原文“最高”"},
}


def _qualifier_note(qualifiers, lang: str) -> str:
    """A short legend for the qualifiers present (empty when every number is exact)."""
    notes = [QUALIFIER_NOTE[lang][q] for q in ("at_least", "approximately", "at_most") if q in set(qualifiers)]
    if not notes:
        return ""
    return ("; " + ", ".join(notes)) if lang == "en" else ("；" + "，".join(notes))


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Two panels of horizontal bars: areas in mu and segments, with qualifiers (≥, ≈, ≤)."""
    fig, size, words = start_figure("quantities_to_scale", df, lang, size, chrome=chrome)
    panels = [p for p in QUANTITY_FACTS if (df["panel"] == p).any()]
    counts = [int((df["panel"] == p).sum()) for p in panels]
    axes = fig.subplots(len(panels), 1, gridspec_kw={"height_ratios": counts})
    axes = np.atleast_1d(axes)
    for ax, panel in zip(axes, panels):
        part = df[df["panel"] == panel].iloc[::-1]
        positions = np.arange(len(part))
        ax.barh(positions, part["value"], color=style.FACT_COLOUR, height=0.62)
        ax.set_yticks(positions, [wrap(fig, label, size.small_pt, 0.4) for label in part[f"label_{lang}"]])
        top = part["value"].max()
        for y, (_, row) in zip(positions, part.iterrows()):
            keep_inside(ax.text(row["value"] + top * 0.015, y,
                                format_quantity(row["value"], row["unit"], row["qualifier"], lang),
                                va="center", ha="left", fontsize=size.small_pt))
        ax.set_xlim(0, top * 1.05)
        ax.set_xlabel(words["area_axis" if panel == "area" else "segments_axis"])
        thousands(ax.xaxis)
        if lang == "zh" and panel == "segments":  # ticks in 万段, as the labels (200万段) and the article
            from matplotlib.ticker import FuncFormatter

            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_wan(v)))
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
    return fig


SPEC = register(FigureSpec(
    "quantities_to_scale", prepare, draw, text_values,
    text=TEXT,
    facts=lambda df: tuple(df["fact_id"]),
))
