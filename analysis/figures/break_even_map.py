"""The figure ``break_even_map``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.figures.common import (
    FigureSpec, SEASON_ASSUMPTIONS, SEASON_FACTS, assumption_table, base_parameters, case_values, find_case,
    illustrative, legend_below, legend_columns, register, season, start_figure, styled, thousands, wrap, yuan,
)
from analysis.report import format_quantity

TEXT = {
    "en": {
        "title": "Price × yield: where the contract pays poor households",
        "subtitle": "{illustrative}; colour = dividend per recipient person in one season; below the break-even line the villages get nothing",
        "caption": "Dividend per recipient person ({recipients} not yet out of poverty) over farm-gate price and dry yield per segment (cost per segment and subsidy share as in {the_case}); the line marks zero profit, the cross {the_case} ({base_price}, {base_yield}: {base_transfer}; averaged over all registered poor persons {base_registered}), the dashed box the assumed low–high ranges.",
        "alt": "Heat map with price on the horizontal axis ({price_range}) and yield on the vertical axis ({yield_range}); the dividend per recipient person rises towards high price and yield, is zero below the break-even line, and is {base_transfer} at {the_case}.",
        "x": "Farm-gate price of dried wood-ear (yuan per kg)", "y": "Dry yield (kg per segment)",
        "colour": "Dividend per recipient person (yuan per year)",
        "break_even": "Break-even (zero profit)", "base": "{Case}", "range": "Assumed low–high range",
    },
    "zh": {
        "title": "价格 × 产量：合同何时能给贫困户带来收益",
        "subtitle": "{illustrative}；颜色为一季中每名受助人口所获分红；盈亏平衡线以下各村分文不得",
        "caption": "每名受助人口（尚未脱贫的{recipients}）所获分红随干木耳收购价与每段干耳产量的变化（每段成本与补助比例取{case}的值）；实线为利润为零，叉号为{case}（{base_price}，{base_yield}：{base_transfer}；全部建档立卡贫困人口平均{base_registered}），虚线框为假设的低值至高值范围。",
        "alt": "热力图：横轴为价格（{price_range}），纵轴为产量（{yield_range}）；每名受助人口分红随价格和产量升高而增加，盈亏平衡线以下为零，在{case}下为{base_transfer}。",
        "x": "干木耳收购价（元/千克）", "y": "每段干耳产量（千克/段）",
        "colour": "每名受助人口分红（元/年）",
        "break_even": "盈亏平衡（利润为零）", "base": "{case}", "range": "假设的低值至高值范围",
    },
}


def prepare(p=None) -> pd.DataFrame:
    """The price × yield grid (kind 'grid'), the base case (or *p*; kind 'base_case') and the assumed low/high
    corners: profit, the dividend per recipient person (the colour) and the average per registered person;
    *p*'s recipient_households; ``case`` names the parameters (:func:`find_case`)."""
    from analysis import scenarios

    p = p or base_parameters()
    table = assumption_table()
    grid = scenarios.break_even_grid(p, *_map_axes(p, table)).assign(kind="grid")
    # the grid's households' pool per recipient person instead of per registered person (the same pool)
    grid["per_recipient_person_yuan"] = grid["per_person_yuan"] * p.persons / p.recipient_persons
    s = season(p)
    extra = [{"kind": "base_case", "price_yuan_per_kg": p.price_yuan_per_kg,
              "yield_kg_per_segment": p.yield_kg_per_segment, "profit_yuan": s["profit_yuan"],
              "per_person_yuan": s["per_person_yuan"], "share_of_poverty_line": s["share_of_poverty_line"],
              "per_recipient_person_yuan": s["per_recipient_person_yuan"]}]
    for corner in ("low", "high"):
        extra.append({"kind": f"range_{corner}",
                      "price_yuan_per_kg": float(table.loc["price_yuan_per_kg", corner]),
                      "yield_kg_per_segment": float(table.loc["yield_kg_per_segment", corner])})
    columns = ["kind", "price_yuan_per_kg", "yield_kg_per_segment", "profit_yuan", "per_person_yuan",
               "share_of_poverty_line", "per_recipient_person_yuan"]
    return pd.concat([grid, pd.DataFrame(extra)], ignore_index=True)[columns].assign(
        recipient_households=p.recipient_households, case=find_case(p))


MAP_POINTS = 61
MAP_MARGIN = 0.1  # share of each axis added beyond the break-even line and the assumed range


def _map_axes(p, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Price and yield axes wide enough to show the assumed ranges *and* the break-even line.

    Price runs from below the break-even price at the highest assumed yield to above the highest
    assumed price; yield likewise (break-even price × yield = cost per segment).
    """
    price_low, price_high = (float(table.loc["price_yuan_per_kg", c]) for c in ("low", "high"))
    yield_low, yield_high = (float(table.loc["yield_kg_per_segment", c]) for c in ("low", "high"))
    price_start = min(price_low, p.cost_yuan_per_segment / yield_high) * (1 - MAP_MARGIN)
    yield_start = min(yield_low, p.cost_yuan_per_segment / price_high) * (1 - MAP_MARGIN)
    return (np.linspace(price_start, price_high * (1 + MAP_MARGIN), MAP_POINTS),
            np.linspace(yield_start, yield_high * (1 + MAP_MARGIN), MAP_POINTS))


def text_values(df: pd.DataFrame, lang: str) -> dict:
    from analysis.report import format_range

    grid = df[df["kind"] == "grid"]
    base = df[df["kind"] == "base_case"].iloc[0]
    return {
        "base_price": format_quantity(base["price_yuan_per_kg"], "yuan_per_kg", lang=lang),
        "base_yield": format_quantity(base["yield_kg_per_segment"], "kg_per_segment", lang=lang),
        "base_transfer": yuan(base["per_recipient_person_yuan"], lang),
        "base_registered": yuan(base["per_person_yuan"], lang),
        "recipients": format_quantity(base["recipient_households"], "households", lang=lang),
        "price_range": format_range(grid["price_yuan_per_kg"].min(), grid["price_yuan_per_kg"].max(), "yuan_per_kg", lang),
        "yield_range": format_range(grid["yield_kg_per_segment"].min(), grid["yield_kg_per_segment"].max(),
                                    "kg_per_segment", lang),
        "illustrative": illustrative(("cost_yuan_per_segment", "subsidy_fraction"), lang),
        **case_values(df, lang),
    }


HEIGHT = {"single-column": 1.7}  # a heat map, its colour bar and a three-row legend


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Heat map of the dividend per recipient person over price × yield, break-even contour, base case and ranges."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    fig, size, words = start_figure("break_even_map", df, lang, size, height_scale=HEIGHT, chrome=chrome)
    grid = df[df["kind"] == "grid"]
    prices = np.sort(grid["price_yuan_per_kg"].unique())
    yields = np.sort(grid["yield_kg_per_segment"].unique())
    table = grid.pivot(index="yield_kg_per_segment", columns="price_yuan_per_kg")
    ax = fig.add_subplot()
    mesh = ax.pcolormesh(prices, yields, table["per_recipient_person_yuan"].to_numpy(), shading="nearest",
                         cmap=style.SEQUENTIAL_CMAP, rasterized=True)  # heat map as an image in SVG/PDF; text stays vector
    colourbar = fig.colorbar(mesh, ax=ax)
    colourbar.set_label(wrap(fig, words["colour"], size.font_pt, 0.5))
    thousands(colourbar.ax.yaxis)
    ax.contour(prices, yields, table["profit_yuan"].to_numpy(), levels=[0], colors="white",
               linewidths=size.line_width_pt * 1.2)
    base = df[df["kind"] == "base_case"].iloc[0]
    ax.plot(base["price_yuan_per_kg"], base["yield_kg_per_segment"], marker="X", color=style.ORANGE,
            markeredgecolor="black", markersize=size.font_pt * 1.1, linestyle="none")
    low = df[df["kind"] == "range_low"].iloc[0]
    high = df[df["kind"] == "range_high"].iloc[0]
    ax.add_patch(Rectangle((low["price_yuan_per_kg"], low["yield_kg_per_segment"]),
                           high["price_yuan_per_kg"] - low["price_yuan_per_kg"],
                           high["yield_kg_per_segment"] - low["yield_kg_per_segment"],
                           fill=False, edgecolor="white", linestyle="--", linewidth=size.line_width_pt))
    ax.set_xlabel(words["x"])
    ax.set_ylabel(words["y"])
    handles = [Line2D([], [], color="white", linewidth=size.line_width_pt * 1.2, label=words["break_even"]),
               Line2D([], [], marker="X", color=style.ORANGE, markeredgecolor="black", linestyle="none",
                      label=words["base"].format(**case_values(df, lang))),
               Line2D([], [], color="white", linestyle="--", linewidth=size.line_width_pt, label=words["range"])]
    legend = legend_below(fig, ax, legend_columns(fig, 3), handles=handles, facecolor=style.NEUTRAL_COLOUR,
                           frameon=True)
    legend.get_frame().set_linewidth(0)
    return fig


SPEC = register(FigureSpec(
    "break_even_map", prepare, draw, text_values,
    text=TEXT,
    facts=SEASON_FACTS + ("households_out_of_poverty_2017",),
    assumptions=SEASON_ASSUMPTIONS,
))
