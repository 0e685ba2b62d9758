"""The figure ``contract_money_flow``: its words (en/zh), ``prepare``, ``text_values`` and ``draw``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.figures.common import (
    FigureSpec, SEASON_ASSUMPTIONS, SEASON_FACTS, base_parameters, case_values, fact_number, fact_text, find_case,
    illustrative, keep_inside, legend_below, legend_columns, money, money_axis, register, season, start_figure, styled,
)
from analysis.report import format_number, format_share

MONEY_STEPS = ("revenue_yuan", "cost_yuan", "profit_yuan", "enterprise_yuan", "village_pool_yuan",
               "households_pool_yuan", "welfare_pool_yuan")
TEXT = {
    "en": {
        "title": "Where one season's money goes: the Tianfu contract for poor households' segments",
        "subtitle": "{illustrative}; the {enterprise_share} / {village_share} profit split is the article's, the subsidy share is assumed",
        "caption": "One season on the {segments} managed for registered poor households ({case}): revenue {revenue}, cost {cost}, profit {profit}; the enterprise keeps {enterprise_share} ({enterprise}), the {villages_n} villages get {village_share} ({villages}), of which an assumed {subsidy_share} ({households}) subsidises poor households and the rest ({welfare}) funds public welfare.",
        "alt": "Waterfall chart in {unit} ({case}): revenue {revenue} minus cost {cost} leaves profit {profit}; enterprise {enterprise}; villages {villages}, split into poor-household subsidies {households} and public welfare {welfare}. Amounts depend on assumed price, yield and cost.",
        "axis": "Amount ({unit})",
        "revenue_yuan": "Revenue", "cost_yuan": "Costs", "profit_yuan": "Profit",
        "enterprise_yuan": "Enterprise", "village_pool_yuan": "{villages_n} villages",
        "households_pool_yuan": "Poor-household subsidies", "welfare_pool_yuan": "Public welfare",
        "fact": "{share} (article)", "assumption": "{share} (assumed)",
        "legend_fact": "Split stated in the article", "legend_assumed": "Split assumed (subsidy share)",
    },
    "zh": {
        "title": "一季资金去向：天福菌业为贫困户代理经营的菌段",
        "subtitle": "{illustrative}；企业{enterprise_share}、村{village_share}的利润分成为原文所述，补助比例为假设",
        "caption": "为建档立卡贫困户代理经营的{segments}一季（{case}）：收入{revenue}，成本{cost}，利润{profit}；企业占{enterprise_share}（{enterprise}），{villages_n}个村占{village_share}（{villages}），其中假设{subsidy_share}（{households}）用于补助贫困户，其余（{welfare}）用于村集体公益事业。",
        "alt": "瀑布图（{unit}，{case}）：收入{revenue}减成本{cost}得利润{profit}；企业{enterprise}；各村{villages}，分为贫困户补助{households}和公益事业{welfare}。金额取决于假设的价格、产量和成本。",
        "axis": "金额（{unit}）",
        "revenue_yuan": "收入", "cost_yuan": "成本", "profit_yuan": "利润",
        "enterprise_yuan": "企业", "village_pool_yuan": "{villages_n}个村",
        "households_pool_yuan": "补助贫困户", "welfare_pool_yuan": "公益事业",
        "fact": "{share}（原文）", "assumption": "{share}（假设）",
        "legend_fact": "原文所述分成", "legend_assumed": "假设的补助比例",
    },
}


def prepare(p=None) -> pd.DataFrame:
    """One season (base case, or parameters *p*) as waterfall steps: amount, bar bottom and top, share applied;
    ``case`` names the parameters (:func:`find_case`)."""
    p = p or base_parameters()
    s = season(p)
    revenue, cost, profit = s["revenue_yuan"], s["cost_yuan"], s["profit_yuan"]
    pool, households = s["village_pool_yuan"], s["households_pool_yuan"]
    welfare = s["welfare_pool_yuan"]
    rows = [
        ("revenue_yuan", revenue, 0.0, revenue, "total", np.nan, "", ""),
        ("cost_yuan", cost, min(profit, revenue), max(profit, revenue), "decrease", np.nan, "", ""),
        ("profit_yuan", profit, min(0.0, profit), max(0.0, profit), "subtotal", np.nan, "", ""),
        ("enterprise_yuan", s["enterprise_yuan"], pool, max(profit, pool), "decrease",
         1 - p.village_share, "fact", "profit_share_enterprise"),
        ("village_pool_yuan", pool, 0.0, pool, "subtotal", p.village_share, "fact", "profit_share_villages"),
        ("households_pool_yuan", households, welfare, pool, "part", p.subsidy_fraction, "assumption",
         "subsidy_fraction"),
        ("welfare_pool_yuan", welfare, 0.0, welfare, "part", 1 - p.subsidy_fraction, "assumption",
         "subsidy_fraction"),
    ]
    return pd.DataFrame(rows, columns=["step", "amount_yuan", "bottom_yuan", "top_yuan", "kind", "share",
                                       "share_basis", "share_source"]).assign(case=find_case(p))


def text_values(df: pd.DataFrame, lang: str) -> dict:
    amounts = dict(zip(df["step"], df["amount_yuan"]))
    shares = dict(zip(df["step"], df["share"]))
    values = {key: money(amounts[step], lang) for key, step in (
        ("revenue", "revenue_yuan"), ("cost", "cost_yuan"), ("profit", "profit_yuan"),
        ("enterprise", "enterprise_yuan"), ("villages", "village_pool_yuan"),
        ("households", "households_pool_yuan"), ("welfare", "welfare_pool_yuan"))}
    values.update(
        enterprise_share=format_share(shares["enterprise_yuan"]), village_share=format_share(shares["village_pool_yuan"]),
        subsidy_share=format_share(shares["households_pool_yuan"]), unit=money_axis(lang)[1],
        segments=fact_text("tianfu_segments_for_poor", lang),
        illustrative=illustrative(SEASON_ASSUMPTIONS[:3], lang),
        villages_n=format_number(fact_number("villages_sharing_profit")),
        **case_values(df, lang),
    )
    return values


HEIGHT = {"single-column": 1.5}  # seven two-line labels


@styled
def draw(df: pd.DataFrame, lang: str = "en", size="web", chrome: str = "full"):
    """Waterfall: revenue → costs → profit → enterprise / villages → subsidies and public welfare."""
    from matplotlib.patches import Patch

    fig, size, words = start_figure("contract_money_flow", df, lang, size, height_scale=HEIGHT, chrome=chrome)
    values = text_values(df, lang)
    divisor, unit = money_axis(lang)
    ax = fig.add_subplot()
    colours = {"revenue_yuan": style.BLUE, "cost_yuan": style.VERMILLION, "profit_yuan": style.BLUE,
               "enterprise_yuan": style.ORANGE, "village_pool_yuan": style.GREEN,
               "households_pool_yuan": style.GREEN, "welfare_pool_yuan": style.GREEN}
    positions = -np.arange(len(df))  # first step on top
    right = df["top_yuan"].max() / divisor
    for y, (_, row) in zip(positions, df.iterrows()):
        left, end = row["bottom_yuan"] / divisor, row["top_yuan"] / divisor
        hatch = style.ASSUMED_HATCH if row["share_basis"] == "assumption" else ""
        ax.barh(y, end - left, left=left, height=0.64, color=colours.get(row["step"], style.NEUTRAL_COLOUR),
                hatch=hatch, edgecolor="white" if hatch else "none", linewidth=0)
        keep_inside(ax.text(end + right * 0.012, y, money(row["amount_yuan"], lang), ha="left", va="center",
                            fontsize=size.small_pt))
        if y - 1 > positions[-1] - 1:  # connector from this bar's end to the next bar
            level = row["bottom_yuan"] if row["kind"] == "decrease" else row["top_yuan"]
            ax.plot([level / divisor] * 2, [y - 0.32, y - 0.68], color=style.NEUTRAL_COLOUR,
                    linewidth=size.line_width_pt * 0.5)
    labels = []
    for _, row in df.iterrows():
        label = words[row["step"]].format(**values)
        if row["share_basis"]:
            label += "\n" + words[row["share_basis"]].format(share=format_share(row["share"]))
        labels.append(label)
    ax.set_yticks(positions, labels)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(words["axis"].format(unit=unit))
    ax.set_xlim(min(0, df["bottom_yuan"].min() / divisor), right * 1.05)
    ax.axvline(0, color="#555555", linewidth=size.line_width_pt * 0.5)
    ax.xaxis.grid(True)
    ax.set_axisbelow(True)
    handles = [Patch(facecolor=style.GREEN, label=words["legend_fact"]),
               Patch(facecolor=style.GREEN, hatch=style.ASSUMED_HATCH, edgecolor="white",
                     label=words["legend_assumed"])]
    legend_below(fig, ax, legend_columns(fig, 2), handles=handles)
    return fig


SPEC = register(FigureSpec(
    "contract_money_flow", prepare, draw, text_values,
    text=TEXT,
    facts=SEASON_FACTS,
    assumptions=SEASON_ASSUMPTIONS,
))
