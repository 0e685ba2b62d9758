"""Every figure of the report: one ``prepare_<id>`` and one ``draw_<id>`` per figure.

``prepare_<id>()`` reads the data package and the model and returns the tidy
DataFrame that the figure plots (it is also written as ``<id>.csv`` next to the
figure). ``draw_<id>(df, lang="en", size="web")`` only plots that frame and
returns a :class:`matplotlib.figure.Figure`; every string it shows comes from
the figure's entry in :data:`TEXT` (English and Chinese), or from the data.

:data:`FIGURES` is the registry (id → :class:`FigureSpec`); :func:`make_figure`
prepares and draws one figure; :func:`export_figures` writes files, CSVs and
the manifest; ``python -m analysis figures`` is its command line.

File layout written by the export (``OUT`` defaults to ``figures/``)::

    OUT/manifest.json
    OUT/<id>/<id>.csv                    the plotted data
    OUT/<id>/<id>_<lang>_<size>.<ext>    e.g. figures/tornado/tornado_zh_slide.pdf
"""
from __future__ import annotations

import functools
import inspect
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from analysis import paths, style
from analysis.errors import AnalysisError, ParameterError
from analysis.io import frame_to_csv, write_text  # frame_to_csv: the plotted frames' CSV text
from analysis.report import format_fact, format_number, format_quantity, format_share

MILLION = 1_000_000          # yuan → million yuan (English axis unit)
TEN_THOUSAND = 10_000        # yuan → 万元 (Chinese axis unit)
DEFAULT_JOBS = os.cpu_count() or 1  # render processes of the command line (output is the same for any count)
SQUARE_METRES_PER_MU = 10_000 / 15   # unit conversion: 15 mu = 1 hectare


# --- registry -------------------------------------------------------------------
@dataclass(frozen=True)
class FigureSpec:
    """What the export needs to know about one figure.

    ``facts`` and ``assumptions`` are the fact ids and assumption names the
    figure uses (a tuple, or a function of the prepared frame).
    """

    figure_id: str
    prepare: Callable[[], pd.DataFrame]
    draw: Callable[..., object]
    values: Callable[[pd.DataFrame, str], dict]
    facts: tuple[str, ...] | Callable[[pd.DataFrame], tuple[str, ...]] = ()
    assumptions: tuple[str, ...] | Callable[[pd.DataFrame], tuple[str, ...]] = ()
    text: dict = field(default_factory=dict)

    def fact_ids(self, df: pd.DataFrame) -> list[str]:
        """Sorted fact ids used by the figure."""
        found = self.facts(df) if callable(self.facts) else self.facts
        return sorted(set(found))

    def assumption_names(self, df: pd.DataFrame) -> list[str]:
        """Assumption names used by the figure, in the order of the assumptions table."""
        found = set(self.assumptions(df) if callable(self.assumptions) else self.assumptions)
        order = list(_assumptions().index)
        return sorted(found, key=lambda name: (order.index(name) if name in order else len(order), name))


FIGURES: dict[str, FigureSpec] = {}


def _register(figure_id: str, text: dict, values, facts=(), assumptions=()):
    """Decorator for ``draw_<id>``: registers the figure with its ``prepare_<id>``."""

    def decorate(draw):
        prepare = globals()[f"prepare_{figure_id}"]
        FIGURES[figure_id] = FigureSpec(figure_id, prepare, draw, values, facts, assumptions, text)
        return draw

    return decorate


def check_figure_id(figure_id: str) -> str:
    """Return *figure_id* if it is registered; ParameterError naming the choices otherwise."""
    if figure_id not in FIGURES:
        raise ParameterError(f"figure {figure_id!r}: unknown figure id, choose one of {', '.join(FIGURES)}")
    return figure_id


# --- shared data access -------------------------------------------------------------
def _facts_module():
    from analysis import data

    return data


@functools.cache
def _assumptions() -> pd.DataFrame:
    table = _facts_module().load_assumptions()
    return table.set_index("name") if "name" in table.columns else table


def _fact(fact_id: str):
    return _facts_module().fact(fact_id)


def _fact_number(fact_id: str) -> float:
    return float(_facts_module().fact_value(fact_id))


def _fact_text(fact_id: str, lang: str) -> str:
    """A fact as prose (value, qualifier, unit) in *lang*."""
    return format_fact(fact_id, lang)


def _label(name: str, lang: str) -> str:
    """The short label of an assumption in *lang*."""
    row = _assumptions().loc[name]
    return str(row[f"label_{lang}"])


def _base_parameters():
    from analysis.parameters import get_parameters

    return get_parameters("base")


# Which parameters a model figure shows: a preset as it stands, or anything else ("custom").
CASES = ("base", "low", "high", "custom")
CASE_WORDS = {
    "en": {"base": "base case", "low": "low preset", "high": "high preset", "custom": "this run's parameters"},
    "zh": {"base": "基准情形", "low": "低值情形", "high": "高值情形", "custom": "本次参数"},
}


def find_case(p) -> str:
    """'base', 'low' or 'high' when *p* equals that preset (base first), else 'custom'."""
    from analysis.parameters import get_parameters

    return next((preset for preset in CASES[:-1] if p == get_parameters(preset)), "custom")


def _case_values(df: pd.DataFrame, lang: str) -> dict[str, str]:
    """The case of a prepared frame in words: {case}, {the_case} (with an article) and {Case} (capitalised).

    A frame without a ``case`` column (a hand-made one) is not claimed to be a preset.
    """
    case = str(df["case"].iloc[0]) if "case" in df.columns and len(df) else "custom"
    words = CASE_WORDS[lang][case]
    if lang == "zh":
        return {"case": words, "the_case": words, "Case": words}
    the = words if case == "custom" else f"the {words}"
    return {"case": words, "the_case": the, "Case": words[0].upper() + words[1:]}


def figure_text(figure_id: str, df: pd.DataFrame, lang: str) -> dict[str, str]:
    """Title, subtitle, caption and alt text of a figure in *lang*, filled from *df*.

    The templates of :data:`TEXT` hold no numbers: every number comes from the
    figure's ``values`` function.
    """
    spec = FIGURES[check_figure_id(figure_id)]
    templates = spec.text[style.check_lang(lang)]
    values = spec.values(df, lang)
    return {key: templates[key].format(**values) for key in ("title", "subtitle", "caption", "alt")}


def figure_source(figure_id: str, df: pd.DataFrame, lang: str) -> str:
    """The footer: the article (publisher and date, from the facts) and the assumptions used."""
    spec = FIGURES[check_figure_id(figure_id)]
    labels = [_label(name, lang) for name in spec.assumption_names(df)]
    return style.source_line(
        str(_fact("source_publisher").value), str(_fact("source_date").value), labels, lang,
        uses_facts=bool(spec.fact_ids(df)),
    )


def _start(figure_id: str, df: pd.DataFrame, lang: str, size, height_scale: float = 1.0):
    """Open a framed figure: returns (fig, size preset, words of the figure in *lang*)."""
    preset = size if isinstance(size, style.SizePreset) else style.get_size(size)
    fig = style.new_figure(preset, height_scale)
    text = figure_text(figure_id, df, lang)
    style.frame_figure(fig, preset, text["title"], text["subtitle"], figure_source(figure_id, df, lang))
    words = dict(FIGURES[figure_id].text[lang])
    return fig, preset, words


def make_figure(figure_id: str, lang: str = style.DEFAULT_LANG, size: str = style.DEFAULT_SIZE, df=None, p=None):
    """Prepare (unless *df* is given; for parameters *p* if given) and draw one figure in the
    house style; return the Figure."""
    spec = FIGURES[check_figure_id(figure_id)]
    style.check_lang(lang)
    preset = style.get_size(size)
    frame = prepared(figure_id, p) if df is None else df
    return spec.draw(frame, lang=lang, size=preset)  # every draw_<id> is _styled: it sets the house style


def _styled(draw):
    """Run a ``draw_<id>`` inside the house style (so it can be called on its own)."""

    @functools.wraps(draw)
    def wrapper(df: pd.DataFrame, lang: str = style.DEFAULT_LANG, size=style.DEFAULT_SIZE):
        style.check_lang(lang)
        with style.figure_style(size) as preset:
            return draw(df, lang, preset)

    return wrapper


def _money_axis(lang: str) -> tuple[float, str]:
    """Divisor and unit word for amounts in yuan on an axis: million yuan / 万元."""
    return (MILLION, "million yuan") if lang == "en" else (TEN_THOUSAND, "万元")


def _money(value: float, lang: str) -> str:
    divisor, unit = _money_axis(lang)
    number = format_number(value / divisor)
    return f"{number} {unit}" if lang == "en" else f"{number}{unit}"


def _wrap(fig, text: str, size_pt: float, fraction: float) -> str:
    """*text* wrapped to *fraction* of the figure width."""
    return "\n".join(style.wrap_text(fig, text, size_pt, fig.get_size_inches()[0] * fraction))


def _legend_columns(fig, wanted: int) -> int:
    """Legend columns: *wanted* on wide figures, one on narrow ones (single-column)."""
    return wanted if fig.get_size_inches()[0] >= 5 else 1


def _legend_below(fig, ax, ncols: int, handles=None, **kwargs):
    """A legend under the x-axis label of *ax* (an axes legend, so constrained layout makes room)."""
    import matplotlib
    from matplotlib.transforms import offset_copy

    if handles is None:
        handles, _ = ax.get_legend_handles_labels()
    label_lines = ax.get_xlabel().count("\n") + 1 if ax.get_xlabel() else 0
    offset_pt = (float(matplotlib.rcParams["xtick.labelsize"]) * 1.3
                 + float(matplotlib.rcParams["axes.labelsize"]) * 1.3 * label_lines + 8)
    anchor = offset_copy(ax.transAxes, fig=fig, y=-offset_pt, units="points")
    return ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 0), bbox_transform=anchor,
                     ncols=ncols, **kwargs)


def _thousands(axis, nbins: int | None = None) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    if nbins is None:
        nbins = 5 if axis.axes.figure.get_size_inches()[0] >= 5 else 3
    axis.set_major_locator(MaxNLocator(nbins))
    axis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v, 0 if abs(v) >= 10 or v == round(v) else 1)))


# === quantities_to_scale ===========================================================
QUANTITY_FACTS = {
    "area": ("changsha_ginseng_area_mu", "tianfu_land_transferred_mu", "tianfu_ground_fungus_area_mu",
             "dabao_fungus_area_mu"),
    "segments": ("tianfu_segments_produced", "tianfu_segments_for_poor"),
}
TEXT_QUANTITIES = {
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
        "segments_axis": "菌段（段）",
        "changsha_ginseng_area_mu": "长沙村：平地参",
        "tianfu_land_transferred_mu": "天福菌业：流转土地",
        "tianfu_ground_fungus_area_mu": "天福菌业：地摆木耳",
        "dabao_fungus_area_mu": "大堡村：木耳合作社",
        "tianfu_segments_produced": "天福菌业：生产菌段",
        "tianfu_segments_for_poor": "其中为贫困户代理经营",
    },
}


def prepare_quantities_to_scale() -> pd.DataFrame:
    """The article's areas (mu) and segment counts: one row per fact, with unit and qualifier."""
    rows = []
    for panel, fact_ids in QUANTITY_FACTS.items():
        for fact_id in fact_ids:
            f = _fact(fact_id)
            rows.append({"panel": panel, "fact_id": fact_id, "value": float(f.value), "unit": f.unit,
                         "qualifier": f.qualifier, "label_en": TEXT_QUANTITIES["en"][fact_id],
                         "label_zh": TEXT_QUANTITIES["zh"][fact_id]})
    return pd.DataFrame(rows)


def _values_quantities(df: pd.DataFrame, lang: str) -> dict:
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


@_register("quantities_to_scale", TEXT_QUANTITIES, _values_quantities,
           facts=lambda df: tuple(df["fact_id"]))
@_styled
def draw_quantities_to_scale(df: pd.DataFrame, lang: str = "en", size="web"):
    """Two panels of horizontal bars: areas in mu and segments, with qualifiers (≥, ≈, ≤)."""
    fig, size, words = _start("quantities_to_scale", df, lang, size)
    panels = [p for p in QUANTITY_FACTS if (df["panel"] == p).any()]
    counts = [int((df["panel"] == p).sum()) for p in panels]
    axes = fig.subplots(len(panels), 1, gridspec_kw={"height_ratios": counts})
    axes = np.atleast_1d(axes)
    for ax, panel in zip(axes, panels):
        part = df[df["panel"] == panel].iloc[::-1]
        positions = np.arange(len(part))
        ax.barh(positions, part["value"], color=style.FACT_COLOUR, height=0.62)
        ax.set_yticks(positions, part[f"label_{lang}"])
        top = part["value"].max()
        for y, (_, row) in zip(positions, part.iterrows()):
            ax.text(row["value"] + top * 0.015, y, format_quantity(row["value"], row["unit"], row["qualifier"], lang),
                    va="center", ha="left", fontsize=size.small_pt)
        ax.set_xlim(0, top * 1.32)
        ax.set_xlabel(words["area_axis" if panel == "area" else "segments_axis"])
        _thousands(ax.xaxis)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
    return fig


# === poverty_outcomes =================================================================
TEXT_POVERTY = {
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


def prepare_poverty_outcomes() -> pd.DataFrame:
    """Registered poor households split into out of poverty by end-2017 and the rest (computed)."""
    registered = _fact_number("poor_households_registered")
    out = _fact_number("households_out_of_poverty_2017")
    return pd.DataFrame([
        {"category": "out_of_poverty", "households": out, "basis": "fact",
         "fact_id": "households_out_of_poverty_2017"},
        {"category": "remaining", "households": registered - out, "basis": "computed",
         "fact_id": "poor_households_registered - households_out_of_poverty_2017"},
    ])


def _values_poverty(df: pd.DataFrame, lang: str) -> dict:
    out = float(df.loc[df["category"] == "out_of_poverty", "households"].iloc[0])
    rest = float(df.loc[df["category"] == "remaining", "households"].iloc[0])
    registered = out + rest
    return {
        "out": format_quantity(out, "households", lang=lang), "rest": format_quantity(rest, "households", lang=lang),
        "registered": format_quantity(registered, "households", lang=lang),
        "out_n": format_number(out), "rest_n": format_number(rest), "registered_n": format_number(registered),
        "persons": _fact_text("poor_persons_registered", lang),
        "persons_n": format_number(_fact_number("poor_persons_registered")), "rest_share": format_share(rest / registered, 0),
        "year": str(int(_fact_number("outcome_year"))),
    }


@_register("poverty_outcomes", TEXT_POVERTY, _values_poverty,
           facts=("poor_households_registered", "households_out_of_poverty_2017", "poor_persons_registered",
                  "outcome_year"))
@_styled
def draw_poverty_outcomes(df: pd.DataFrame, lang: str = "en", size="web"):
    """Waffle chart: one square per registered poor household, coloured by outcome."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Patch, Rectangle

    fig, size, words = _start("poverty_outcomes", df, lang, size)
    values = _values_poverty(df, lang)
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
    handles = [Patch(facecolor=colours[0], label=words["out_of_poverty"].format(**values)),
               Patch(facecolor=colours[1], label=words["remaining"].format(**values))]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 0), ncols=1,
              fontsize=size.font_pt, handlelength=1.2, borderaxespad=0.2)
    return fig


# --- model helpers -------------------------------------------------------------------
SEASON_ASSUMPTIONS = ("yield_kg_per_segment", "price_yuan_per_kg", "cost_yuan_per_segment", "subsidy_fraction")
SEASON_FACTS = ("tianfu_segments_for_poor", "profit_share_enterprise", "profit_share_villages", "villages_sharing_profit",
                "poor_households_registered", "poor_persons_registered")
ILLUSTRATIVE = {
    "en": "Illustrative: depends on assumed {labels}",
    "zh": "示意：取决于假设的{labels}",
}


def _join_labels(names, lang: str) -> str:
    """Assumption labels as a list in prose: 'price, yield and cost' / '价格、产量、成本'."""
    labels = [_label(name, lang).lower() if lang == "en" else _label(name, lang) for name in names]
    if lang == "zh":
        return "、".join(labels)
    return (", ".join(labels[:-1]) + " and " + labels[-1]) if len(labels) > 1 else "".join(labels)


def _illustrative(names, lang: str) -> str:
    """'Illustrative: depends on assumed price, yield, ...' built from the assumption labels."""
    return ILLUSTRATIVE[lang].format(labels=_join_labels(names, lang))


def _season(p=None) -> dict:
    from analysis import model

    return model.season(p or _base_parameters())


# === contract_money_flow ==============================================================
MONEY_STEPS = ("revenue_yuan", "cost_yuan", "profit_yuan", "enterprise_yuan", "village_pool_yuan",
               "households_pool_yuan", "welfare_pool_yuan")
TEXT_MONEY = {
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


def prepare_contract_money_flow(p=None) -> pd.DataFrame:
    """One season (base case, or parameters *p*) as waterfall steps: amount, bar bottom and top, share applied;
    ``case`` names the parameters (:func:`find_case`)."""
    p = p or _base_parameters()
    s = _season(p)
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


def _values_money(df: pd.DataFrame, lang: str) -> dict:
    amounts = dict(zip(df["step"], df["amount_yuan"]))
    shares = dict(zip(df["step"], df["share"]))
    values = {key: _money(amounts[step], lang) for key, step in (
        ("revenue", "revenue_yuan"), ("cost", "cost_yuan"), ("profit", "profit_yuan"),
        ("enterprise", "enterprise_yuan"), ("villages", "village_pool_yuan"),
        ("households", "households_pool_yuan"), ("welfare", "welfare_pool_yuan"))}
    values.update(
        enterprise_share=format_share(shares["enterprise_yuan"]), village_share=format_share(shares["village_pool_yuan"]),
        subsidy_share=format_share(shares["households_pool_yuan"]), unit=_money_axis(lang)[1],
        segments=_fact_text("tianfu_segments_for_poor", lang),
        illustrative=_illustrative(SEASON_ASSUMPTIONS[:3], lang),
        villages_n=format_number(_fact_number("villages_sharing_profit")),
        **_case_values(df, lang),
    )
    return values


@_register("contract_money_flow", TEXT_MONEY, _values_money, facts=SEASON_FACTS, assumptions=SEASON_ASSUMPTIONS)
@_styled
def draw_contract_money_flow(df: pd.DataFrame, lang: str = "en", size="web"):
    """Waterfall: revenue → costs → profit → enterprise / villages → subsidies and public welfare."""
    from matplotlib.patches import Patch

    fig, size, words = _start("contract_money_flow", df, lang, size)
    values = _values_money(df, lang)
    divisor, unit = _money_axis(lang)
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
        ax.text(end + right * 0.012, y, _money(row["amount_yuan"], lang), ha="left", va="center",
                fontsize=size.small_pt)
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
    ax.set_xlim(min(0, df["bottom_yuan"].min() / divisor), right * 1.3)
    ax.axvline(0, color="#555555", linewidth=size.line_width_pt * 0.5)
    ax.xaxis.grid(True)
    ax.set_axisbelow(True)
    handles = [Patch(facecolor=style.GREEN, label=words["legend_fact"]),
               Patch(facecolor=style.GREEN, hatch=style.ASSUMED_HATCH, edgecolor="white",
                     label=words["legend_assumed"])]
    ax.legend(handles=handles, loc="lower right")
    return fig


# === scenarios_poverty_line ============================================================
PRESET_ORDER = ("low", "base", "high")
TEXT_SCENARIOS = {
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


def prepare_scenarios_poverty_line() -> pd.DataFrame:
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


def _values_scenarios(df: pd.DataFrame, lang: str) -> dict:
    words = TEXT_SCENARIOS[lang]
    sep = "; " if lang == "en" else "；"
    listing = sep.join(words["item"].format(
        preset=words[row["preset"]], amount=format_quantity(row["per_person_yuan"], "yuan", lang=lang, decimals=0),
        share=format_share(row["share_of_poverty_line"], 1),
        line=format_quantity(row["poverty_line_yuan"], "yuan", lang=lang)) for _, row in df.iterrows())
    return {"listing": listing, "illustrative": _illustrative(SEASON_ASSUMPTIONS, lang)}


@_register("scenarios_poverty_line", TEXT_SCENARIOS, _values_scenarios, facts=SEASON_FACTS,
           assumptions=SEASON_ASSUMPTIONS + ("poverty_line_yuan",))
@_styled
def draw_scenarios_poverty_line(df: pd.DataFrame, lang: str = "en", size="web"):
    """Bars of the per-person transfer inside grey bars of the poverty line, per preset."""
    fig, size, words = _start("scenarios_poverty_line", df, lang, size)
    ax = fig.add_subplot()
    positions = np.arange(len(df))
    ax.bar(positions, df["poverty_line_yuan"], width=0.72, color=style.LIGHT_COLOUR, label=words["line"])
    ax.bar(positions, df["per_person_yuan"], width=0.5, color=style.ASSUMED_COLOUR, label=words["transfer"])
    for x, (_, row) in zip(positions, df.iterrows()):
        ax.text(x, row["per_person_yuan"] + df["poverty_line_yuan"].max() * 0.02,
                words["bar_label"].format(amount=format_quantity(row["per_person_yuan"], "yuan", lang=lang, decimals=0),
                                          share=format_share(row["share_of_poverty_line"], 1)),
                ha="center", va="bottom", fontsize=size.small_pt)
        ax.text(x, row["poverty_line_yuan"], format_number(row["poverty_line_yuan"]), ha="center", va="bottom",
                fontsize=size.small_pt, color="#555555")
    ax.set_xticks(positions, [words[p] for p in df["preset"]])
    ax.tick_params(axis="x", length=0)
    ax.set_ylabel(words["axis"])
    ax.set_ylim(0, df["poverty_line_yuan"].max() * 1.12)
    _thousands(ax.yaxis)
    _legend_below(fig, ax, _legend_columns(fig, 2))
    return fig


# === tornado =============================================================================
TEXT_TORNADO = {
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


def prepare_tornado(p=None) -> pd.DataFrame:
    """The one-at-a-time sensitivity of the transfer per person (all assumptions, sorted by swing) around the
    base case or *p*; ``case`` names the parameters (:func:`find_case`)."""
    from analysis import scenarios

    p = p or _base_parameters()
    return scenarios.sensitivity(p, output="per_person_yuan").reset_index(drop=True).assign(case=find_case(p))


def _moving(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["swing"] > 0].sort_values("swing", ascending=False, kind="stable")


def _values_tornado(df: pd.DataFrame, lang: str) -> dict:
    moving = _moving(df)
    yuan = lambda v: format_quantity(v, "yuan", lang=lang, decimals=0)  # noqa: E731
    leader = moving.iloc[0]
    sep = "; " if lang == "en" else "；"
    listing = sep.join(TEXT_TORNADO[lang]["item"].format(label=row[f"label_{lang}"], low=yuan(row["output_low"]),
                                                          high=yuan(row["output_high"])) for _, row in moving.iterrows())
    return {"base": yuan(df["output_base"].iloc[0]), "leader": leader[f"label_{lang}"],
            "leader_low": yuan(leader["output_low"]), "leader_high": yuan(leader["output_high"]),
            "n": str(len(moving)), "n_flat": str(len(df) - len(moving)), "listing": listing, **_case_values(df, lang)}


@_register("tornado", TEXT_TORNADO, _values_tornado, facts=SEASON_FACTS,
           assumptions=lambda df: tuple(_moving(df)["parameter"]))
@_styled
def draw_tornado(df: pd.DataFrame, lang: str = "en", size="web"):
    """Horizontal bars from the base output to the output at each assumption's low and high value."""
    moving = _moving(df).iloc[::-1]
    fig, size, words = _start("tornado", df, lang, size)
    ax = fig.add_subplot()
    base = float(df["output_base"].iloc[0])
    positions = np.arange(len(moving))
    ax.barh(positions, moving["output_low"] - base, left=base, height=0.6, color=style.BLUE, label=words["low"])
    ax.barh(positions, moving["output_high"] - base, left=base, height=0.6, color=style.ORANGE,
            hatch=style.ASSUMED_HATCH, edgecolor="white", linewidth=0, label=words["high"])
    labels = [_wrap(fig, row[f"label_{lang}"], size.small_pt, 0.36) + "\n" + _range_text(row, lang)
              for _, row in moving.iterrows()]
    ax.set_yticks(positions, labels, fontsize=size.small_pt)
    ax.tick_params(axis="y", length=0)
    ax.axvline(base, color=style.TEXT_COLOUR, linewidth=size.line_width_pt * 0.7,
               label=words["base"].format(**_case_values(df, lang)))
    ax.set_xlabel(words["axis"])
    _thousands(ax.xaxis)
    ax.xaxis.grid(True)
    ax.set_axisbelow(True)
    _legend_below(fig, ax, _legend_columns(fig, 3))
    return fig


def _range_text(row, lang: str) -> str:
    from analysis.report import format_range

    return format_range(row["low"], row["high"], row["unit"], lang=lang)


# === break_even_map ========================================================================
TEXT_BREAK_EVEN = {
    "en": {
        "title": "Price × yield: where the contract pays poor households",
        "subtitle": "{illustrative}; colour = transfer per registered poor person in one season; below the break-even line the villages get nothing",
        "caption": "Transfer per registered poor person over farm-gate price and dry yield per segment (cost per segment and subsidy share as in {the_case}); the line marks zero profit, the cross {the_case} ({base_price}, {base_yield}: {base_transfer}), the dashed box the assumed low–high ranges.",
        "alt": "Heat map with price on the horizontal axis ({price_range}) and yield on the vertical axis ({yield_range}); the transfer per person rises towards high price and yield, is zero below the break-even line, and is {base_transfer} at {the_case}.",
        "x": "Farm-gate price of dried wood-ear (yuan per kg)", "y": "Dry yield (kg per segment)",
        "colour": "Transfer per registered poor person (yuan per year)",
        "break_even": "Break-even (zero profit)", "base": "{Case}", "range": "Assumed low–high range",
    },
    "zh": {
        "title": "价格 × 产量：合同何时能给贫困户带来收益",
        "subtitle": "{illustrative}；颜色为一季中每名建档立卡贫困人口所获补助；盈亏平衡线以下各村分文不得",
        "caption": "每名建档立卡贫困人口所获补助随干木耳收购价与每段干耳产量的变化（每段成本与补助比例取{case}的值）；实线为利润为零，叉号为{case}（{base_price}，{base_yield}：{base_transfer}），虚线框为假设的低值至高值范围。",
        "alt": "热力图：横轴为价格（{price_range}），纵轴为产量（{yield_range}）；每人补助随价格和产量升高而增加，盈亏平衡线以下为零，在{case}下为{base_transfer}。",
        "x": "干木耳收购价（元/千克）", "y": "每段干耳产量（千克/段）",
        "colour": "每名建档立卡贫困人口补助（元/年）",
        "break_even": "盈亏平衡（利润为零）", "base": "{case}", "range": "假设的低值至高值范围",
    },
}


def prepare_break_even_map(p=None) -> pd.DataFrame:
    """The price × yield grid (kind 'grid'), the base case (or *p*; kind 'base_case') and the assumed low/high
    corners; ``case`` names the parameters (:func:`find_case`)."""
    from analysis import scenarios

    p = p or _base_parameters()
    table = _assumptions()
    grid = scenarios.break_even_grid(p, *_map_axes(p, table)).assign(kind="grid")
    s = _season(p)
    extra = [{"kind": "base_case", "price_yuan_per_kg": p.price_yuan_per_kg,
              "yield_kg_per_segment": p.yield_kg_per_segment, "profit_yuan": s["profit_yuan"],
              "per_person_yuan": s["per_person_yuan"], "share_of_poverty_line": s["share_of_poverty_line"]}]
    for corner in ("low", "high"):
        extra.append({"kind": f"range_{corner}",
                      "price_yuan_per_kg": float(table.loc["price_yuan_per_kg", corner]),
                      "yield_kg_per_segment": float(table.loc["yield_kg_per_segment", corner])})
    columns = ["kind", "price_yuan_per_kg", "yield_kg_per_segment", "profit_yuan", "per_person_yuan",
               "share_of_poverty_line"]
    return pd.concat([grid, pd.DataFrame(extra)], ignore_index=True)[columns].assign(case=find_case(p))


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


def _values_break_even(df: pd.DataFrame, lang: str) -> dict:
    from analysis.report import format_range

    grid = df[df["kind"] == "grid"]
    base = df[df["kind"] == "base_case"].iloc[0]
    return {
        "base_price": format_quantity(base["price_yuan_per_kg"], "yuan_per_kg", lang=lang),
        "base_yield": format_quantity(base["yield_kg_per_segment"], "kg_per_segment", lang=lang),
        "base_transfer": format_quantity(base["per_person_yuan"], "yuan", lang=lang, decimals=0),
        "price_range": format_range(grid["price_yuan_per_kg"].min(), grid["price_yuan_per_kg"].max(), "yuan_per_kg", lang),
        "yield_range": format_range(grid["yield_kg_per_segment"].min(), grid["yield_kg_per_segment"].max(),
                                    "kg_per_segment", lang),
        "illustrative": _illustrative(("cost_yuan_per_segment", "subsidy_fraction"), lang),
        **_case_values(df, lang),
    }


@_register("break_even_map", TEXT_BREAK_EVEN, _values_break_even, facts=SEASON_FACTS, assumptions=SEASON_ASSUMPTIONS)
@_styled
def draw_break_even_map(df: pd.DataFrame, lang: str = "en", size="web"):
    """Heat map of the transfer per person over price × yield, break-even contour, base case and ranges."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    fig, size, words = _start("break_even_map", df, lang, size)
    grid = df[df["kind"] == "grid"]
    prices = np.sort(grid["price_yuan_per_kg"].unique())
    yields = np.sort(grid["yield_kg_per_segment"].unique())
    table = grid.pivot(index="yield_kg_per_segment", columns="price_yuan_per_kg")
    ax = fig.add_subplot()
    mesh = ax.pcolormesh(prices, yields, table["per_person_yuan"].to_numpy(), shading="nearest",
                         cmap=style.SEQUENTIAL_CMAP, rasterized=True)  # heat map as an image in SVG/PDF; text stays vector
    colourbar = fig.colorbar(mesh, ax=ax)
    colourbar.set_label(_wrap(fig, words["colour"], size.font_pt, 0.5))
    _thousands(colourbar.ax.yaxis)
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
                      label=words["base"].format(**_case_values(df, lang))),
               Line2D([], [], color="white", linestyle="--", linewidth=size.line_width_pt, label=words["range"])]
    legend = _legend_below(fig, ax, _legend_columns(fig, 3), handles=handles, facecolor=style.NEUTRAL_COLOUR,
                           frameon=True)
    legend.get_frame().set_linewidth(0)
    return fig


# === montecarlo_distribution ===============================================================
MC_DRAWS = 100_000
MC_BINS = 40
MC_INTERVAL = (0.05, 0.95)  # the quantiles q05 and q95 reported by scenarios.monte_carlo
TEXT_MONTECARLO = {
    "en": {
        "title": "How likely is a meaningful transfer? {draws} model draws",
        "subtitle": "{illustrative}; {drawing}; lines mark shares of the poverty line",
        "caption": "Monte Carlo distribution of the yearly transfer per registered poor person ({draws} draws, seed {seed}; {drawing}); median {median}, {interval} interval {q05} to {q95}. {probabilities}.",
        "alt": "Histogram of the transfer per registered poor person from {draws} model draws; median {median}, {interval} of draws between {q05} and {q95}; {probabilities}.",
        "x": "Transfer per registered poor person (yuan per year)", "y": "Share of draws",
        "threshold": "{share} of the poverty line ({yuan}): P = {probability}",
        "probability": "P(transfer ≥ {share} of the poverty line) = {probability}",
        "drawing_all": "each drawn from its assumed distribution, other inputs fixed at {the_case}",
        "drawing_some": "{fixed} held fixed at {the_case}, the others drawn from their assumed distributions",
        "drawing_none": "all held fixed at {the_case}, none drawn",
    },
    "zh": {
        "title": "补助达到一定水平的可能性有多大？{draws}次模型抽样",
        "subtitle": "{illustrative}；{drawing}；竖线为贫困线的若干比例",
        "caption": "每名建档立卡贫困人口年补助的蒙特卡洛分布（{draws}次抽样，种子{seed}；{drawing}）；中位数{median}，{interval}区间{q05}至{q95}。{probabilities}。",
        "alt": "直方图：{draws}次模型抽样中每名建档立卡贫困人口的补助；中位数{median}，{interval}的抽样在{q05}至{q95}之间；{probabilities}。",
        "x": "每名建档立卡贫困人口补助（元/年）", "y": "抽样占比",
        "threshold": "贫困线的{share}（{yuan}）：P = {probability}",
        "probability": "补助不低于贫困线{share}的概率为{probability}",
        "drawing_all": "各项均按假设分布抽样，其余输入固定于{case}",
        "drawing_some": "{fixed}固定于{case}，其余按假设分布抽样",
        "drawing_none": "均固定于{case}，未抽样",
    },
}


def prepare_montecarlo_distribution() -> pd.DataFrame:
    """Histogram of the per-person transfer (kind 'bin'), thresholds and quantiles of a seeded base run."""
    from analysis import scenarios

    p = _base_parameters()
    return montecarlo_frame(scenarios.monte_carlo(MC_DRAWS, scenarios.DEFAULT_SEED, p), p)


def montecarlo_frame(result, p=None) -> pd.DataFrame:
    """The plotted frame of ``montecarlo_distribution`` for any :class:`scenarios.MonteCarloResult`
    (a notebook's own run, with its parameters and the draws it holds fixed).

    *p* are the parameters the run took its fixed inputs from (``case`` column, :func:`find_case`;
    'custom' when not given); ``varied`` lists the inputs the run drew, comma-separated.
    """
    samples = result.samples["per_person_yuan"].to_numpy()
    counts, edges = np.histogram(samples, bins=MC_BINS)
    bins = pd.DataFrame({"kind": "bin", "start_yuan": edges[:-1], "end_yuan": edges[1:],
                         "share_of_draws": counts / counts.sum()})
    thresholds = result.threshold_probabilities.rename(columns={"threshold_yuan": "start_yuan"}).assign(kind="threshold")
    quantiles = result.quantiles.set_index("output").loc["per_person_yuan"]
    stats = pd.DataFrame({"kind": "quantile", "quantile": ["q05", "q50", "q95"],
                          "start_yuan": [quantiles["q05"], quantiles["q50"], quantiles["q95"]]})
    frame = pd.concat([bins, thresholds, stats], ignore_index=True)
    frame["draws"] = result.draws
    frame["seed"] = result.seed
    frame["varied"] = ",".join(result.varied)
    frame["case"] = "custom" if p is None else find_case(p)
    return frame[["kind", "start_yuan", "end_yuan", "share_of_draws", "threshold_share", "probability", "quantile",
                  "draws", "seed", "varied", "case"]]


def _drawing(df: pd.DataFrame, lang: str) -> str:
    """Which of the season's assumptions the run drew and which it held fixed, in words."""
    words = TEXT_MONTECARLO[lang]
    varied = [name for name in str(df["varied"].iloc[0]).split(",") if name] if "varied" in df.columns else \
        list(SEASON_ASSUMPTIONS)
    fixed = [name for name in SEASON_ASSUMPTIONS if name not in varied]
    key = "drawing_all" if not fixed else ("drawing_some" if varied else "drawing_none")
    return words[key].format(fixed=_join_labels(fixed, lang), **_case_values(df, lang))


def _values_montecarlo(df: pd.DataFrame, lang: str) -> dict:
    words = TEXT_MONTECARLO[lang]
    yuan = lambda v: format_quantity(v, "yuan", lang=lang, decimals=0)  # noqa: E731
    q = df[df["kind"] == "quantile"].set_index("quantile")["start_yuan"]
    thresholds = df[df["kind"] == "threshold"]
    sep = "; " if lang == "en" else "；"
    probabilities = sep.join(words["probability"].format(share=format_share(row["threshold_share"]),
                                                         probability=format_share(row["probability"], 1))
                             for _, row in thresholds.iterrows())
    return {"draws": format_number(df["draws"].iloc[0]), "seed": str(int(df["seed"].iloc[0])),
            "interval": format_share(MC_INTERVAL[1] - MC_INTERVAL[0]),
            "median": yuan(q["q50"]), "q05": yuan(q["q05"]), "q95": yuan(q["q95"]), "probabilities": probabilities,
            "illustrative": _illustrative(SEASON_ASSUMPTIONS, lang), "drawing": _drawing(df, lang)}


@_register("montecarlo_distribution", TEXT_MONTECARLO, _values_montecarlo, facts=SEASON_FACTS,
           assumptions=SEASON_ASSUMPTIONS + ("poverty_line_yuan",))
@_styled
def draw_montecarlo_distribution(df: pd.DataFrame, lang: str = "en", size="web"):
    """Histogram of the per-person transfer with threshold lines and their probabilities."""
    fig, size, words = _start("montecarlo_distribution", df, lang, size)
    ax = fig.add_subplot()
    bins = df[df["kind"] == "bin"]
    ax.bar(bins["start_yuan"], bins["share_of_draws"], width=bins["end_yuan"] - bins["start_yuan"], align="edge",
           color=style.ASSUMED_COLOUR, edgecolor="white", linewidth=0.3)
    thresholds = df[df["kind"] == "threshold"]
    top = bins["share_of_draws"].max()
    styles = ("-", "--", ":")
    for i, (_, row) in enumerate(thresholds.iterrows()):
        ax.axvline(row["start_yuan"], color=style.TEXT_COLOUR, linestyle=styles[i % len(styles)],
                   linewidth=size.line_width_pt * 0.8,
                   label=words["threshold"].format(share=format_share(row["threshold_share"]),
                                                   yuan=format_quantity(row["start_yuan"], "yuan", lang=lang, decimals=0),
                                                   probability=format_share(row["probability"], 1)))
    ax.set_xlim(0, max(bins["end_yuan"].max(), thresholds["start_yuan"].max()) * 1.05)
    ax.set_ylim(0, top * 1.1)
    ax.set_xlabel(words["x"])
    ax.set_ylabel(words["y"])
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    _thousands(ax.xaxis)
    _legend_below(fig, ax, 1)
    return fig


# === contract_paths_fan ====================================================================
TEXT_FAN = {
    "en": {
        "title": "Over the {years}-year contract: cumulative transfers to registered poor households",
        "subtitle": "{illustrative}; price and yield vary from year to year (assumed variability); bands hold {inner} and {outer} of simulated paths",
        "caption": "Cumulative subsidies to registered poor households over the {years} contract years ({draws} simulated paths, {case}): median {median} by year {years}, {outer} band {low} to {high}; the line shows the median of the villages' whole share.",
        "alt": "Fan chart over {years} years of cumulative transfers to registered poor households, in {unit}; the median reaches {median}, the {outer} band spans {low} to {high} by the last year.",
        "x": "Contract year", "y": "Cumulative amount ({unit})",
        "band90": "Poor-household subsidies: {outer} of paths", "band50": "{inner} of paths",
        "median": "Median", "villages": "Villages' whole share (median)",
    },
    "zh": {
        "title": "{years}年合同期内：建档立卡贫困户累计所获补助",
        "subtitle": "{illustrative}；价格与产量逐年波动（假设的变异程度）；色带包含{inner}和{outer}的模拟路径",
        "caption": "{years}年合同期内建档立卡贫困户累计补助（{draws}条模拟路径，{case}）：第{years}年中位数{median}，{outer}区间{low}至{high}；线条为各村所得利润总额的中位数。",
        "alt": "扇形图：{years}年间建档立卡贫困户累计补助（{unit}）；末年中位数{median}，{outer}区间{low}至{high}。",
        "x": "合同年份", "y": "累计金额（{unit}）",
        "band90": "贫困户补助：{outer}的路径", "band50": "{inner}的路径",
        "median": "中位数", "villages": "各村所得总额（中位数）",
    },
}
FAN_DRAWS = 2000
FAN_BANDS = ((0.05, 0.95), (0.25, 0.75))  # quantile pairs of the outer and inner band
FAN_MEDIAN = 0.5


def prepare_contract_paths_fan(p=None) -> pd.DataFrame:
    """Quantiles per contract year of the simulated contract paths (from scenarios.contract_paths) around the
    base case or *p*; ``case`` names the parameters (:func:`find_case`)."""
    from analysis import scenarios

    p = p or _base_parameters()
    paths_frame = scenarios.contract_paths(p, draws=FAN_DRAWS)
    return paths_frame[["year", "quantile", "households_yuan", "cumulative_households_yuan",
                        "cumulative_village_pool_yuan"]].assign(draws=FAN_DRAWS, case=find_case(p))


def _fan_quantile(df: pd.DataFrame, q: float, column: str) -> pd.Series:
    part = df[np.isclose(df["quantile"], q)].sort_values("year")
    return part.set_index("year")[column]


def _values_fan(df: pd.DataFrame, lang: str) -> dict:
    last = lambda q: _fan_quantile(df, q, "cumulative_households_yuan").iloc[-1]  # noqa: E731
    (outer_low, outer_high), _ = FAN_BANDS
    return {"years": format_number(df["year"].max()), "draws": format_number(df["draws"].iloc[0]),
            "median": _money(last(FAN_MEDIAN), lang), "low": _money(last(outer_low), lang),
            "high": _money(last(outer_high), lang),
            "unit": _money_axis(lang)[1], "inner": format_share(FAN_BANDS[1][1] - FAN_BANDS[1][0]),
            "outer": format_share(FAN_BANDS[0][1] - FAN_BANDS[0][0]),
            "illustrative": _illustrative(SEASON_ASSUMPTIONS, lang), **_case_values(df, lang)}


@_register("contract_paths_fan", TEXT_FAN, _values_fan, facts=SEASON_FACTS + ("tianfu_contract_years",),
           assumptions=SEASON_ASSUMPTIONS + ("price_cv", "yield_cv"))
@_styled
def draw_contract_paths_fan(df: pd.DataFrame, lang: str = "en", size="web"):
    """Fan chart of cumulative poor-household subsidies (5–95% and 25–75% bands, median) by contract year."""
    fig, size, words = _start("contract_paths_fan", df, lang, size)
    divisor, unit = _money_axis(lang)
    ax = fig.add_subplot()
    column = "cumulative_households_yuan"
    q = {k: _fan_quantile(df, k, column) / divisor for pair in FAN_BANDS for k in pair}
    q[FAN_MEDIAN] = _fan_quantile(df, FAN_MEDIAN, column) / divisor
    values = _values_fan(df, lang)
    (outer_low, outer_high), (inner_low, inner_high) = FAN_BANDS
    years = q[FAN_MEDIAN].index.to_numpy()
    ax.fill_between(years, q[outer_low], q[outer_high], color=style.ORANGE, alpha=0.35, linewidth=0,
                    label=words["band90"].format(**values))
    ax.fill_between(years, q[inner_low], q[inner_high], color=style.ORANGE, alpha=0.75, linewidth=0,
                    label=words["band50"].format(**values))
    ax.plot(years, q[FAN_MEDIAN], color=style.VERMILLION, label=words["median"])
    villages = _fan_quantile(df, FAN_MEDIAN, "cumulative_village_pool_yuan") / divisor
    ax.plot(years, villages, color=style.BLUE, linestyle="--", label=words["villages"])
    ax.set_xticks(years)
    ax.set_xlim(years.min() - 0.3, years.max() + 0.3)
    ax.set_ylim(0, None)
    ax.set_xlabel(words["x"])
    ax.set_ylabel(words["y"].format(unit=unit))
    ax.yaxis.grid(True)
    ax.set_axisbelow(True)
    ax.legend(loc="upper left")
    return fig


# === income_channels ========================================================================
TEXT_CHANNELS = {
    "en": {
        "title": "Income reaching registered poor households, by channel (one year)",
        "subtitle": "{illustrative}; averages over all {households_n} registered poor households; the cooperative job is one couple's case",
        "caption": "Yearly income per registered poor household by channel ({case}): {listing}. The cooperative job is an individual case from the article ({coop} per couple per year), shown apart and not spread across households. Wages are paid out of the production cost the enterprise advances, not on top of the profit.",
        "alt": "Bar chart of yearly income per registered poor household by channel: {listing}; a separate bar shows one cooperative job at {coop} per couple per year.",
        "x_households": "Yuan per registered poor household per year (average)",
        "x_case": "Yuan per job-holding couple per year",
        "case_note": "Individual case, not an average",
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
        "item": "{label}{amount}",
    },
}
CASE_CHANNEL = "cooperative_job"


def prepare_income_channels(p=None) -> pd.DataFrame:
    """Income by channel (model.income_channels at base, or *p*): per household, and the cooperative case per couple;
    ``case`` names the parameters (:func:`find_case`)."""
    from analysis import model

    p = p or _base_parameters()
    return model.income_channels(p).reset_index(drop=True).assign(case=find_case(p))


def _basis_names(df: pd.DataFrame) -> list[str]:
    return [re.sub(r"\(.*?\)", "", token).strip() for text in df["basis"] for token in re.split(r"[,;]", text)]


def _channel_facts(df: pd.DataFrame) -> tuple[str, ...]:
    known = set(_facts_module().load_facts()["fact_id"])
    return tuple(name for name in _basis_names(df) if name in known)


def _channel_assumptions(df: pd.DataFrame) -> tuple[str, ...]:
    return tuple(name for name in _basis_names(df) if name in _assumptions().index)


def _values_channels(df: pd.DataFrame, lang: str) -> dict:
    words = TEXT_CHANNELS[lang]
    averaged = df[df["channel"] != CASE_CHANNEL]
    case = df[df["channel"] == CASE_CHANNEL]
    sep = "; " if lang == "en" else "；"
    listing = sep.join(words["item"].format(label=row[f"label_{lang}"],
                                            amount=format_quantity(row["per_household_yuan"], "yuan", lang=lang, decimals=0))
                       for _, row in averaged.iterrows())
    coop = format_quantity(case["total_yuan"].iloc[0], "yuan", lang=lang, decimals=0) if len(case) else ""
    return {"listing": listing, "coop": coop, "households": _fact_text("poor_households_registered", lang),
            "households_n": format_number(_fact_number("poor_households_registered")),
            "illustrative": _illustrative(("daily_wage_yuan", "long_term_wage_yuan_per_year", "subsidy_fraction"), lang),
            **_case_values(df, lang)}


@_register("income_channels", TEXT_CHANNELS, _values_channels, facts=_channel_facts, assumptions=_channel_assumptions)
@_styled
def draw_income_channels(df: pd.DataFrame, lang: str = "en", size="web"):
    """Bars of income per registered poor household by channel; the cooperative case in its own panel."""
    fig, size, words = _start("income_channels", df, lang, size)
    averaged = df[df["channel"] != CASE_CHANNEL].iloc[::-1]
    case = df[df["channel"] == CASE_CHANNEL]
    axes = fig.subplots(2, 1, gridspec_kw={"height_ratios": [len(averaged), max(len(case), 1) * 1.2]})
    for ax, part, column, axis_label, colour, hatch in (
        (axes[0], averaged, "per_household_yuan", words["x_households"], style.ASSUMED_COLOUR, style.ASSUMED_HATCH),
        (axes[1], case, "total_yuan", words["x_case"], style.NEUTRAL_COLOUR, ""),
    ):
        positions = np.arange(len(part))
        ax.barh(positions, part[column], height=0.6, color=colour, hatch=hatch, edgecolor="white", linewidth=0)
        ax.set_yticks(positions, [_wrap(fig, label, size.small_pt, 0.3) for label in part[f"label_{lang}"]],
                      fontsize=size.small_pt)
        top = part[column].max() if len(part) else 1.0
        for y, value in zip(positions, part[column]):
            ax.text(value + top * 0.015, y, format_quantity(value, "yuan", lang=lang, decimals=0), va="center",
                    fontsize=size.small_pt)
        ax.set_xlim(0, top * 1.3)
        ax.set_xlabel(axis_label)
        ax.tick_params(axis="y", length=0)
        _thousands(ax.xaxis)
    axes[1].text(1, 1.02, words["case_note"], transform=axes[1].transAxes, ha="right", va="bottom",
                 fontsize=size.small_pt, color="#555555")
    return fig


# === villages_industries ======================================================================
CONTRACT_INDUSTRY = "tianfu_contract"
TEXT_VILLAGES = {
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


def prepare_villages_industries() -> pd.DataFrame:
    """Village × industry cells: 'stated' where the article names it; the unnamed villages as one column."""
    data = _facts_module()
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


def _values_villages(df: pd.DataFrame, lang: str) -> dict:
    named = df[df["is_named"]].drop_duplicates("village_id")
    unnamed_n = int(df.loc[~df["is_named"], "villages"].iloc[0])
    sep = ", " if lang == "en" else "、"
    names = sep.join(TEXT_VILLAGES[lang]["village"].format(en=r.village_en, zh=r.village_zh) for r in named.itertuples())
    stated = df[(df["status"] == "stated") & df["is_named"] & (df["industry_id"] != CONTRACT_INDUSTRY)]
    listing = ("; " if lang == "en" else "；").join(
        TEXT_VILLAGES[lang]["village"].format(en=v, zh=z) + (": " if lang == "en" else "：") +
        sep.join(stated.loc[stated["village_id"] == vid, f"industry_{lang}"])
        for vid, v, z in named[["village_id", "village_en", "village_zh"]].itertuples(index=False))
    return {"villages_n": format_number(_fact_number("villages_total")), "named_n": format_number(len(named)),
            "unnamed_n": format_number(unnamed_n), "named": names, "listing": listing,
            "share": format_share(_fact_number("profit_share_villages"))}


@_register("villages_industries", TEXT_VILLAGES, _values_villages,
           facts=lambda df: tuple(f for f in df["fact_id"] if f) + ("villages_total", "profit_share_villages"))
@_styled
def draw_villages_industries(df: pd.DataFrame, lang: str = "en", size="web"):
    """Dot matrix: industries (rows) × villages (columns); the unnamed villages marked 'not stated'."""
    from matplotlib.lines import Line2D

    fig, size, words = _start("villages_industries", df, lang, size, height_scale=1.1)
    values = _values_villages(df, lang)
    villages = df.drop_duplicates("village_id")
    industries = df.drop_duplicates("industry_id")
    ax = fig.add_subplot()
    col = {v: i for i, v in enumerate(villages["village_id"])}
    row = {k: -i for i, k in enumerate(industries["industry_id"])}
    marker_size = (size.font_pt * 1.3) ** 2
    for status, face, edge, marker in (("stated", style.BLUE, style.BLUE, "o"),
                                       ("unknown", "white", style.NEUTRAL_COLOUR, "o")):
        cells = df[df["status"] == status]
        ax.scatter(cells["village_id"].map(col), cells["industry_id"].map(row), s=marker_size, c=face,
                   edgecolors=edge, linewidths=size.line_width_pt, marker=marker, zorder=3)
    for cell in df[df["status"] == "unknown"].itertuples():
        ax.text(col[cell.village_id], row[cell.industry_id], "?", ha="center", va="center",
                fontsize=size.small_pt, color=style.NEUTRAL_COLOUR, zorder=4)
    column_labels = []
    for v in villages.itertuples():
        label = words["village"].format(en=v.village_en, zh=v.village_zh) if v.is_named else \
            words["unnamed"].format(**values)
        column_labels.append(_wrap(fig, label, size.small_pt, 0.5 / len(villages)))
    ax.set_xticks(range(len(villages)), column_labels, fontsize=size.small_pt)
    ax.xaxis.tick_top()
    row_labels = [words["contract"].format(**values) if k == CONTRACT_INDUSTRY else
                  (f"{e} {z}" if lang == "en" else z)
                  for k, e, z in industries[["industry_id", "industry_en", "industry_zh"]].itertuples(index=False)]
    ax.set_yticks([row[k] for k in industries["industry_id"]],
                  [_wrap(fig, label, size.small_pt, 0.3) for label in row_labels], fontsize=size.small_pt)
    ax.tick_params(length=0)
    ax.set_xlim(-0.6, len(villages) - 0.4)
    ax.set_ylim(-len(industries) + 0.5, 0.5)
    for x in range(len(villages)):
        ax.axvline(x, color=style.LIGHT_COLOUR, linewidth=0.5, zorder=1)
    ax.axvspan(len(villages) - 1.5, len(villages) - 0.5, color="#F4F4F4", zorder=0)
    for side in ("left", "bottom", "top", "right"):
        ax.spines[side].set_visible(False)
    handles = [Line2D([], [], marker="o", linestyle="none", color=style.BLUE, label=words["stated"]),
               Line2D([], [], marker="o", linestyle="none", markerfacecolor="white",
                      markeredgecolor=style.NEUTRAL_COLOUR, label=words["unknown"])]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 0), ncols=_legend_columns(fig, 2))
    return fig


# === governance =================================================================================
TEXT_GOVERNANCE = {
    "en": {
        "title": "How Dasuhe Township organised its poverty campaign",
        "subtitle": "Bodies the article names; solid links are stated, dashed links are implied by the text",
        "caption": "The township's campaign structure from the article: {summary}. The other {unnamed_n} villages are not named in the source.",
        "alt": "Tree diagram of {n} bodies: {summary}; {unnamed_n} further villages are shown as one box, not named in the source.",
        "township": "Dasuhe Township 大苏河乡", "villages": "{villages_n} administrative villages",
        "unnamed": "{unnamed_n} further villages (not named in the source)",
        "stated": "Link stated in the article", "implied": "Link implied by the text",
        "summary": "{n_wg} working groups (placed under the leading group by inference; the article does not say), {n_pg} Party groups under the industry Party branch, {villages_n} villages, {n_coop} cooperatives and the enterprise Tianfu with its {n_unit} units",
        "village_label": "{en} {zh}",
        "village_branch": "",
    },
    "zh": {
        "title": "大苏河乡脱贫攻坚的组织结构",
        "subtitle": "文章提及的机构；实线为原文明确的隶属关系，虚线为文意推断",
        "caption": "文章所述乡脱贫攻坚组织结构：{summary}。其余{unnamed_n}个村文章未点名。",
        "alt": "树状图，共{n}个机构：{summary}；另外{unnamed_n}个村（原文未点名）合并为一个方框。",
        "township": "大苏河乡", "villages": "{villages_n}个行政村",
        "unnamed": "另外{unnamed_n}个村（原文未点名）",
        "stated": "原文明确的关系", "implied": "文意推断的关系",
        "summary": "{n_wg}个工作组（归属领导小组系推断，原文未明示），产业扶贫党支部下设{n_pg}个党小组，{villages_n}个村，{n_coop}个合作社，以及天福菌业及其下属{n_unit}个单位",
        "village_label": "{zh}",
        "village_branch": "{village}支部",
    },
}
GOVERNANCE_HEIGHT = {"web": 1.35, "single-column": 2.1, "double-column": 1.45, "slide": 1.0}
KIND_COLOURS = {
    "party_committee": style.VERMILLION, "party_branch": style.VERMILLION, "party_group": style.VERMILLION,
    "village_party_branch": style.VERMILLION, "leading_group": style.BLUE, "working_group": style.BLUE,
    "government": style.BLUE, "township": style.TEXT_COLOUR, "villages": style.GREEN, "village": style.GREEN,
    "villager_group": style.GREEN, "cooperative": style.GREEN, "enterprise": style.ORANGE,
    "enterprise_unit": style.ORANGE,
}


def prepare_governance() -> pd.DataFrame:
    """Nodes and links of the campaign structure: the organisations table plus the township, villages
    (named ones and one node for the unnamed) as parents of the bodies that have none."""
    data = _facts_module()
    orgs = data.load_table("organisations")
    villages = data.load_table("villages")
    nodes = [{"node_id": "township", "parent_id": "", "kind": "township", "name_en": "", "name_zh": "",
              "link_basis": "", "fact_id": "township_name"},
             {"node_id": "villages", "parent_id": "township", "kind": "villages", "name_en": "", "name_zh": "",
              "link_basis": "stated", "fact_id": "villages_total"}]
    for v in villages.itertuples():
        nodes.append({"node_id": f"village_{v.village_id}", "parent_id": "villages", "kind": "village",
                      "name_en": v.name_en, "name_zh": v.name_zh, "link_basis": "stated", "fact_id": v.fact_id})
    for o in orgs.itertuples():
        if isinstance(o.parent_org_id, str) and o.parent_org_id:
            parent, basis = o.parent_org_id, o.parent_basis
        elif isinstance(o.village_id, str) and o.village_id:
            parent, basis = f"village_{o.village_id}", "stated"
        else:
            parent, basis = "township", "implied"
        nodes.append({"node_id": o.org_id, "parent_id": parent, "kind": o.kind, "name_en": o.name_en,
                      "name_zh": o.name_zh if isinstance(o.name_zh, str) else "", "link_basis": basis,
                      "fact_id": o.fact_id})
    nodes.append({"node_id": "village_unnamed", "parent_id": "villages", "kind": "village", "name_en": "",
                  "name_zh": "", "link_basis": "stated", "fact_id": "villages_total",
                  "villages": data.count_unnamed_villages()})
    frame = pd.DataFrame(nodes)
    frame["villages"] = frame["villages"].fillna(0)
    return frame


def _values_governance(df: pd.DataFrame, lang: str) -> dict:
    count = lambda kind: format_number((df["kind"] == kind).sum())  # noqa: E731
    values = {"villages_n": format_number(_fact_number("villages_total")),
              "unnamed_n": format_number(df.loc[df["node_id"] == "village_unnamed", "villages"].iloc[0]),
              "n_wg": count("working_group"), "n_pg": count("party_group"), "n_coop": count("cooperative"),
              "n_unit": count("enterprise_unit"),
              "n": format_number(len(df))}
    values["summary"] = TEXT_GOVERNANCE[lang]["summary"].format(**values)
    return values


def _governance_label(node, words: dict, values: dict, lang: str) -> str:
    if node.node_id == "township":
        return words["township"]
    if node.node_id == "villages":
        return words["villages"].format(**values)
    if node.node_id == "village_unnamed":
        return words["unnamed"].format(**values)
    if node.kind == "village":
        return words["village_label"].format(en=node.name_en, zh=node.name_zh)
    if lang == "zh" and node.name_zh:
        return node.name_zh
    if lang == "zh" and node.kind == "village_party_branch" and words["village_branch"]:
        village = values["village_zh"].get(node.parent_id, "")
        return words["village_branch"].format(village=village) if village else node.name_en
    return node.name_en


def _tree_layout(df: pd.DataFrame, heights: dict[str, float] | None = None) -> dict[str, tuple[int, float]]:
    """(depth, row) per node: leaves stacked (each as tall as *heights* says, default 1),
    parents centred on their children."""
    children: dict[str, list[str]] = {}
    for node in df.itertuples():
        children.setdefault(node.parent_id, []).append(node.node_id)
    position: dict[str, tuple[int, float]] = {}
    next_row = [0.0]

    def place(node_id: str, depth: int) -> float:
        kids = children.get(node_id, [])
        if not kids:
            height = (heights or {}).get(node_id, 1.0)
            row = next_row[0] + height / 2
            next_row[0] += height
        else:
            rows = [place(kid, depth + 1) for kid in kids]
            row = (rows[0] + rows[-1]) / 2
        position[node_id] = (depth, row)
        return row

    for root in children.get("", []):
        place(root, 0)
    return position


@_register("governance", TEXT_GOVERNANCE, _values_governance, facts=lambda df: tuple(df["fact_id"]))
@_styled
def draw_governance(df: pd.DataFrame, lang: str = "en", size="web"):
    """Left-to-right tree of the campaign's bodies, coloured by kind; dashed links are implied."""
    from matplotlib.lines import Line2D

    preset = size if isinstance(size, style.SizePreset) else style.get_size(size)
    fig, size, words = _start("governance", df, lang, preset, height_scale=GOVERNANCE_HEIGHT.get(preset.name, 1.35))
    values = _values_governance(df, lang)
    values["village_zh"] = {n.node_id: n.name_zh for n in df.itertuples() if n.kind == "village"}
    depths = _tree_layout(df)
    depth_max = max(d for d, _ in depths.values())
    column_width = 1.0 / (depth_max + 1)
    font = size.small_pt * 0.9
    labels = {node.node_id: _wrap(fig, _governance_label(node, words, values, lang), font, column_width * 0.88)
              for node in df.itertuples()}
    layout = _tree_layout(df, {k: label.count("\n") + 1.6 for k, label in labels.items()})
    rows = max(r for _, r in layout.values()) + 1
    ax = fig.add_subplot()
    for node in df.itertuples():
        depth, row = layout[node.node_id]
        x, y = depth * column_width, -row
        if node.parent_id:
            pdepth, prow = layout[node.parent_id]
            px = pdepth * column_width
            ax.plot([px + column_width * 0.9, x + column_width * 0.02], [-prow, y], color=style.NEUTRAL_COLOUR,
                    linestyle="--" if node.link_basis == "implied" else "-", linewidth=size.line_width_pt * 0.6,
                    zorder=1)
        label = labels[node.node_id]
        colour = KIND_COLOURS.get(node.kind, style.NEUTRAL_COLOUR)
        ax.text(x + column_width * 0.02, y, label, ha="left", va="center", fontsize=font, zorder=2,
                color=style.TEXT_COLOUR, linespacing=1.1,
                bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": colour,
                      "linewidth": size.line_width_pt * 0.9})
    ax.set_xlim(0, 1)
    ax.set_ylim(-rows + 0.6, 0.2)
    ax.axis("off")
    handles = [Line2D([], [], color=style.NEUTRAL_COLOUR, label=words["stated"]),
               Line2D([], [], color=style.NEUTRAL_COLOUR, linestyle="--", label=words["implied"])]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 0), ncols=2)
    return fig


# === export, manifest, command line ===============================================================
def figure_filename(figure_id: str, lang: str, size: str, fmt: str) -> str:
    """``<id>/<id>_<lang>_<size>.<ext>`` relative to the output folder."""
    return f"{figure_id}/{figure_id}_{lang}_{size}.{fmt}"


def data_filename(figure_id: str) -> str:
    """``<id>/<id>.csv`` relative to the output folder: the data the figure plots."""
    return f"{figure_id}/{figure_id}.csv"


def _split_list(values, check, name: str, choices) -> list[str]:
    items: list[str] = []
    for value in values or []:
        for item in str(value).split(","):
            item = item.strip()
            if item == "all":
                items.extend(choices)
            elif item:
                items.append(check(item))
    if not items:
        raise ParameterError(f"{name}: give at least one value, choose from {', '.join(choices)}")
    return list(dict.fromkeys(items))


@functools.cache
def prepared(figure_id: str, p=None) -> pd.DataFrame:
    """The prepared frame of a figure (cached per process; treat as read-only).

    *p* (:class:`analysis.parameters.Parameters`) draws a model figure for those parameters
    instead of the base case; a figure that does not use the model's parameters refuses it.
    """
    prepare = FIGURES[check_figure_id(figure_id)].prepare
    if p is None:
        return prepare()
    if figure_id not in PARAMETRISED:
        raise ParameterError(f"figure {figure_id!r}: does not take model parameters, "
                             f"only {', '.join(PARAMETRISED)} do")
    return prepare(p)


# Figures whose prepare_<id> takes model parameters (the others show facts, presets or a seeded run).
PARAMETRISED = tuple(figure_id for figure_id, spec in FIGURES.items() if inspect.signature(spec.prepare).parameters)


def manifest_entry(figure_id: str, out_dir: Path) -> dict:
    """The manifest record of one figure: words in both languages, facts, assumptions, function, files."""
    spec = FIGURES[figure_id]
    df = prepared(figure_id)
    entry = {"id": figure_id, "function": f"{__name__}.{spec.draw.__name__}",
             "prepare": f"{__name__}.prepare_{figure_id}", "facts": spec.fact_ids(df),
             "assumptions": spec.assumption_names(df), "data_csv": data_filename(figure_id)}
    for lang in style.LANGUAGES:
        text = figure_text(figure_id, df, lang)
        entry.update({f"title_{lang}": text["title"], f"subtitle_{lang}": text["subtitle"],
                      f"caption_{lang}": text["caption"], f"alt_{lang}": text["alt"],
                      f"source_{lang}": figure_source(figure_id, df, lang)})
    pattern = re.compile(rf"^{re.escape(figure_id)}_({'|'.join(style.LANGUAGES)})_({'|'.join(map(re.escape, style.SIZES))})\.({'|'.join(style.FORMATS)})$")
    folder = out_dir / figure_id
    found = sorted(p.name for p in folder.iterdir() if pattern.match(p.name)) if folder.is_dir() else []
    entry["files"] = [f"{figure_id}/{name}" for name in found]
    return entry


def write_manifest(out_dir: Path) -> Path:
    """Write ``manifest.json`` for every registered figure (files as found in *out_dir*), atomically."""
    target = out_dir / paths.FIGURE_MANIFEST.name
    entries = [manifest_entry(figure_id, out_dir) for figure_id in FIGURES]
    manifest = {"figures": entries, "layout": "<id>/<id>_<lang>_<size>.<ext>; data: <id>/<id>.csv",
                "languages": list(style.LANGUAGES), "sizes": list(style.SIZES), "formats": list(style.FORMATS),
                "png_dpi": {name: preset.png_dpi for name, preset in style.SIZES.items()}}
    write_text(target, json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return target


def check_export_arguments(ids=None, formats=None, sizes=None, langs=None) -> tuple[list, list, list, list]:
    """Validate every argument before anything is drawn; ParameterError (one line) on the first bad one."""
    ids = _split_list(ids or ["all"], check_figure_id, "--only", list(FIGURES))
    formats = _split_list(formats or ["all"], style.check_format, "--format", list(style.FORMATS))
    sizes = _split_list(sizes or [style.DEFAULT_SIZE], lambda s: style.get_size(s).name, "--size", list(style.SIZES))
    langs = _split_list(langs or [style.DEFAULT_LANG], style.check_lang, "--lang", list(style.LANGUAGES))
    return ids, formats, sizes, langs


def render_one(figure_id: str, lang: str, size: str, formats: list[str]) -> dict[str, bytes]:
    """Draw one figure once and render it in each format (laid out once): ``{fmt: bytes}``."""
    fig = make_figure(figure_id, lang, size, df=prepared(figure_id))
    with style.figure_style(size):
        try:
            return style.render_formats(fig, formats)
        except AnalysisError as exc:  # e.g. a missing glyph: say which figure
            raise AnalysisError(f"figure {figure_id!r} ({lang}, {size}): {exc}") from None


def _render_job(job):
    figure_id, lang, size, formats = job
    return job, render_one(figure_id, lang, size, formats)


def export_figures(ids=None, formats=None, sizes=None, langs=None, out_dir: Path | str | None = None,
                   jobs: int = 1) -> list[Path]:
    """Write figures, their CSVs and the manifest into *out_dir* (default ``figures/``); return the paths.

    Every argument is checked first (ParameterError, nothing written). Figures are rendered in
    memory and each file is written atomically; *jobs* > 1 renders in that many processes.
    """
    ids, formats, sizes, langs = check_export_arguments(ids, formats, sizes, langs)
    out = Path(out_dir) if out_dir is not None else paths.FIGURES_DIR
    written: list[Path] = []
    for figure_id in ids:
        written.append(write_text(out / data_filename(figure_id), frame_to_csv(prepared(figure_id))))
    work = [(figure_id, lang, size, tuple(formats)) for figure_id in ids for lang in langs for size in sizes]
    style.prepare_rendering(formats)  # fonts and backends once, before render processes start (forked ones inherit them)
    if jobs > 1 and len(work) > 1:
        import concurrent.futures
        import multiprocessing
        import threading

        # fork shares the prepared frames for free, but is unsafe when other threads run
        # (e.g. when the site builder calls this in-process): then start fresh processes.
        method = "fork" if threading.active_count() == 1 else "spawn"
        with concurrent.futures.ProcessPoolExecutor(min(jobs, len(work)),
                                                    mp_context=multiprocessing.get_context(method)) as pool:
            results = list(pool.map(_render_job, work))
    else:
        results = [_render_job(job) for job in work]
    from analysis.io import write_bytes

    for (figure_id, lang, size, _), rendered in results:
        for fmt, data in rendered.items():
            written.append(write_bytes(out / figure_filename(figure_id, lang, size, fmt), data))
    written.append(write_manifest(out))
    return written


def configure_figures(parser) -> None:
    """Options of ``python -m analysis figures``."""
    parser.add_argument("--format", action="append", metavar="FMT",
                        help=f"file formats, comma-separated ({', '.join(style.FORMATS)} or all; default all)")
    parser.add_argument("--size", action="append", metavar="PRESET",
                        help=f"size presets ({', '.join(style.SIZES)} or all; default {style.DEFAULT_SIZE})")
    parser.add_argument("--lang", action="append", metavar="LANG",
                        help=f"languages ({', '.join(style.LANGUAGES)} or all; default {style.DEFAULT_LANG})")
    parser.add_argument("--only", nargs="+", metavar="ID", help="figure ids (default: every figure)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default figures/)")
    parser.add_argument("-j", "--jobs", type=int, default=DEFAULT_JOBS,
                        help=f"processes to render with (default {DEFAULT_JOBS}, the CPU count)")


def run_figures(args) -> int:
    """Export the figures; print one line per figure written and the manifest path."""
    if args.jobs < 1:
        raise ParameterError(f"--jobs={args.jobs}: must be >= 1")
    ids, formats, sizes, langs = check_export_arguments(args.only, args.format, args.size, args.lang)
    written = export_figures(ids, formats, sizes, langs, args.out, jobs=args.jobs)
    print(f"wrote {len(written)} files ({len(ids)} figures × {len(langs)} languages × {len(sizes)} sizes × "
          f"{len(formats)} formats, CSVs and the manifest) into {written[-1].parent}")
    return 0
