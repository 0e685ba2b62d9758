"""What the figure modules share: the registry, data access, the words every figure uses, drawing helpers.

A figure module (``analysis/figures/<id>.py``) holds its words :data:`TEXT` (en/zh),
``prepare`` (the tidy frame it plots), ``text_values`` (the numbers its words are filled
with) and ``draw`` (the Figure from that frame), and registers them with :func:`register`
as a :class:`FigureSpec`. :func:`make_figure` and :func:`prepared` work on the registry.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from analysis import style
from analysis.errors import ParameterError
from analysis.report import TEN_THOUSAND, WAN_UNITS_ZH, format_fact, format_number, format_wan

MILLION = 1_000_000          # yuan → million yuan (English axis unit)


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
        order = list(assumption_table().index)
        return sorted(found, key=lambda name: (order.index(name) if name in order else len(order), name))


FIGURES: dict[str, FigureSpec] = {}


def register(spec: FigureSpec) -> FigureSpec:
    """Add *spec* to :data:`FIGURES` (in the order the figure modules are imported); return it."""
    if spec.figure_id in FIGURES:
        raise ValueError(f"figure {spec.figure_id!r} is registered twice")
    FIGURES[spec.figure_id] = spec
    return spec


def check_figure_id(figure_id: str) -> str:
    """Return *figure_id* if it is registered; ParameterError naming the choices otherwise."""
    if figure_id not in FIGURES:
        raise ParameterError(f"figure {figure_id!r}: unknown figure id, choose one of {', '.join(FIGURES)}")
    return figure_id


def parametrised() -> tuple[str, ...]:
    """Ids of the figures whose ``prepare`` takes model parameters (the others show facts, presets or a seeded run)."""
    return tuple(figure_id for figure_id, spec in FIGURES.items() if inspect.signature(spec.prepare).parameters)


@functools.cache
def prepared(figure_id: str, p=None) -> pd.DataFrame:
    """The prepared frame of a figure (cached per process; treat as read-only).

    *p* (:class:`analysis.parameters.Parameters`) draws a model figure for those parameters
    instead of the base case; a figure that does not use the model's parameters refuses it.
    """
    prepare = FIGURES[check_figure_id(figure_id)].prepare
    if p is None:
        return prepare()
    if figure_id not in parametrised():
        raise ParameterError(f"figure {figure_id!r}: does not take model parameters, "
                             f"only {', '.join(parametrised())} do")
    return prepare(p)


def make_figure(figure_id: str, lang: str = style.DEFAULT_LANG, size: str = style.DEFAULT_SIZE, df=None, p=None,
                chrome: str = "full"):
    """Prepare (unless *df* is given; for parameters *p* if given) and draw one figure in the
    house style; return the Figure. *chrome* "none" draws it without title, subtitle and source
    line (their text: :func:`caption_text`)."""
    spec = FIGURES[check_figure_id(figure_id)]
    style.check_lang(lang)
    check_chrome(chrome)
    preset = style.get_size(size)
    frame = prepared(figure_id, p) if df is None else df
    return spec.draw(frame, lang=lang, size=preset, chrome=chrome)  # every draw is @styled: it sets the house style


CHROMES = ("full", "none")  # with title, subtitle and source line in the figure, or without


def check_chrome(chrome: str) -> str:
    """Return *chrome* if it is one of :data:`CHROMES`; ParameterError otherwise."""
    if chrome not in CHROMES:
        raise ParameterError(f"chrome {chrome!r}: unknown chrome, choose one of {', '.join(CHROMES)}")
    return chrome


# --- shared data access -------------------------------------------------------------
def data_module():
    """:mod:`analysis.data`, imported when first needed."""
    from analysis import data

    return data


@functools.cache
def assumption_table() -> pd.DataFrame:
    """The assumptions table indexed by name."""
    table = data_module().load_assumptions()
    return table.set_index("name") if "name" in table.columns else table


def fact(fact_id: str):
    return data_module().fact(fact_id)


def fact_number(fact_id: str) -> float:
    return float(data_module().fact_value(fact_id))


def fact_text(fact_id: str, lang: str) -> str:
    """A fact as prose (value, qualifier, unit) in *lang*."""
    return format_fact(fact_id, lang)


def assumption_label(name: str, lang: str) -> str:
    """The short label of an assumption in *lang*."""
    row = assumption_table().loc[name]
    return str(row[f"label_{lang}"])


@functools.cache
def proper_names() -> tuple[str, ...]:
    """The Chinese proper names of the data package, never broken across lines: villages,
    organisations (and their short forms without 有限公司), products and industries, the township,
    county, city, province and the publisher."""
    data = data_module()
    found: set[str] = set()
    for table, columns in (("villages", ("name_zh",)), ("organisations", ("name_zh",)),
                           ("village_industries", ("industry_zh",)),
                           ("township", ("name_zh", "county_zh", "city_zh", "province_zh")),
                           ("source", ("publisher_zh",))):
        frame = data.load_table(table)
        for column in columns:
            found.update(str(v) for v in frame[column] if isinstance(v, str) and v)
    found.update(name.removesuffix(COMPANY_SUFFIX) for name in list(found) if name.endswith(COMPANY_SUFFIX))
    return tuple(sorted(found))


COMPANY_SUFFIX = "有限公司"
_FULL_WIDTH_BRACKETS = str.maketrans({"(": "（", ")": "）"})


def full_width_brackets(text: str) -> str:
    """Chinese text with full-width brackets （） for ASCII ones (labels that come from elsewhere)."""
    return text.translate(_FULL_WIDTH_BRACKETS)


def base_parameters():
    from analysis.parameters import get_parameters

    return get_parameters("base")


# --- which parameters a model figure shows --------------------------------------------
# A preset as it stands, or anything else ("custom").
CASES = ("base", "low", "high", "custom")
CASE_WORDS = {
    "en": {"base": "base case", "low": "low preset", "high": "high preset", "custom": "this run's parameters"},
    "zh": {"base": "基准情形", "low": "低值情形", "high": "高值情形", "custom": "本次参数"},
}


def find_case(p) -> str:
    """'base', 'low' or 'high' when *p* equals that preset (base first), else 'custom'."""
    from analysis.parameters import get_parameters

    return next((preset for preset in CASES[:-1] if p == get_parameters(preset)), "custom")


def case_values(df: pd.DataFrame, lang: str) -> dict[str, str]:
    """The case of a prepared frame in words: {case}, {the_case} (with an article) and {Case} (capitalised).

    A frame without a ``case`` column (a hand-made one) is not claimed to be a preset.
    """
    case = str(df["case"].iloc[0]) if "case" in df.columns and len(df) else "custom"
    words = CASE_WORDS[lang][case]
    if lang == "zh":
        return {"case": words, "the_case": words, "Case": words}
    the = words if case == "custom" else f"the {words}"
    return {"case": words, "the_case": the, "Case": words[0].upper() + words[1:]}


# --- the words of a figure ------------------------------------------------------------
def figure_text(figure_id: str, df: pd.DataFrame, lang: str) -> dict[str, str]:
    """Title, subtitle, caption and alt text of a figure in *lang*, filled from *df*.

    The templates of a figure's ``TEXT`` hold no numbers: every number comes from the
    figure's ``text_values`` function.
    """
    spec = FIGURES[check_figure_id(figure_id)]
    templates = spec.text[style.check_lang(lang)]
    values = spec.values(df, lang)
    return {key: templates[key].format(**values) for key in ("title", "subtitle", "caption", "alt")}


def figure_source(figure_id: str, df: pd.DataFrame, lang: str) -> str:
    """The footer: the article (publisher and date, from the facts) and the assumptions used."""
    spec = FIGURES[check_figure_id(figure_id)]
    labels = [assumption_label(name, lang) for name in spec.assumption_names(df)]
    return style.source_line(
        str(fact("source_publisher").value), str(fact("source_date").value), labels, lang,
        uses_facts=bool(spec.fact_ids(df)),
    )


_STOPS = {"en": (".?!", ". "), "zh": ("。？！", "。")}


def caption_text(figure_id: str, df: pd.DataFrame, lang: str) -> str:
    """The caption of a figure drawn without chrome, ready to paste: title, subtitle, caption and
    source line as sentences, e.g. "Title. Subtitle. Caption. Source: ...".
    """
    text = figure_text(figure_id, df, lang)
    stops, stop = _STOPS[style.check_lang(lang)]
    parts = [text["title"], text["subtitle"], text["caption"], figure_source(figure_id, df, lang)]
    sentences = [part.strip() if part.strip()[-1] in stops else part.strip() + stop.strip()
                 for part in parts if part.strip()]
    return (" " if lang == "en" else "").join(sentences)


def figure_caption(figure_id: str, lang: str = "en", df=None, p=None):
    """A figure's caption with its numbers filled from the figure's data, as Markdown.

    *df* is the figure's prepared frame (``figures.prepared(figure_id, p)``, cached, when None).
    """
    from IPython.display import Markdown

    frame = prepared(check_figure_id(figure_id), p) if df is None else df
    return Markdown(f"*{figure_text(figure_id, frame, lang)['caption']}*")


# --- drawing helpers --------------------------------------------------------------------
def start_figure(figure_id: str, df: pd.DataFrame, lang: str, size, height_scale: float | dict[str, float] = 1.0,
                 chrome: str = "full", content_height_in=None):
    """Open a framed figure: returns (fig, size preset, words of the figure in *lang*).

    *height_scale* makes the figure taller than its size preset (a factor, or a factor per
    preset name, 1 for the presets not named): for figures whose labels need the room.
    *chrome* "none" leaves the title, subtitle and source line out (the plot takes their room):
    for a paper whose caption carries them (:func:`caption_text`). *content_height_in*, a function
    of the (unframed) figure, sizes the figure to its content instead: the figure is made as tall
    as the inches it returns plus the frame.
    """
    preset = size if isinstance(size, style.SizePreset) else style.get_size(size)
    scale = height_scale.get(preset.name, 1.0) if isinstance(height_scale, dict) else height_scale
    fig = style.new_figure(preset, scale)
    if check_chrome(chrome) == "full":
        text = figure_text(figure_id, df, lang)
        frame = (text["title"], text["subtitle"], figure_source(figure_id, df, lang))
    else:
        frame = ("", "", "")
    if content_height_in is not None:
        top_in, bottom_in = style.frame_extent_in(fig, preset, *frame, keep=proper_names())
        fig.set_size_inches(preset.width_in, content_height_in(fig) + top_in + bottom_in)
    style.frame_figure(fig, preset, *frame, keep=proper_names())
    words = dict(FIGURES[figure_id].text[lang])
    return fig, preset, words


def styled(draw):
    """Run a figure's ``draw`` inside the house style (so it can be called on its own), then :func:`fit` it."""

    @functools.wraps(draw)
    def wrapper(df: pd.DataFrame, lang: str = style.DEFAULT_LANG, size=style.DEFAULT_SIZE, chrome: str = "full"):
        style.check_lang(lang)
        check_chrome(chrome)
        with style.figure_style(size) as preset:
            return fit(draw(df, lang, preset, chrome))

    return wrapper


_INSIDE = "_dasuhe_keep_inside"  # attribute of a Text: the axis ("x" or "y") whose limit must hold it
_BELOW = "_dasuhe_legend_below"  # attribute of a Legend placed by legend_below: its axes and gap in points


def keep_inside(text, axis: str = "x"):
    """Mark a text of an axes (a value label at a bar's end) to be kept inside the axes along *axis*
    by :func:`fit`, which widens the axis limit as far as the text needs; returns *text*."""
    setattr(text, _INSIDE, axis)
    return text


def fit(fig):
    """Fit a drawn figure to its size: lay it out once (at the PNG resolution), then wrap each axis
    label to the length of its axes, widen axis limits so that the texts marked :func:`keep_inside`
    stay inside, and anchor the legends of :func:`legend_below` under the tick labels and axis label
    as measured. Returns *fig* (its layout engine stays: the export lays it out again)."""
    import matplotlib

    if fig.get_layout_engine() is None:
        return fig
    screen_dpi = fig.dpi
    fig.dpi = matplotlib.rcParams["savefig.dpi"]
    try:
        # the axes' lengths without their axis labels (a label longer than its axes would narrow them)
        labels = [label for ax in fig.axes for label in (ax.xaxis.label, ax.yaxis.label) if label.get_in_layout()]
        for label in labels:
            label.set_in_layout(False)
        fig.draw_without_rendering()
        for label in labels:
            label.set_in_layout(True)
        for ax in fig.axes:
            _wrap_axis_labels(fig, ax)
        for _ in range(FIT_PASSES):  # each change moves the layout a little: until nothing changes
            fig.draw_without_rendering()
            renderer = fig.canvas.get_renderer()
            changed = False
            for ax in fig.axes:
                legend = ax.get_legend()
                if legend is not None and getattr(legend, _BELOW, None) is not None:
                    changed |= _anchor_below(fig, ax, legend, renderer)
                changed |= _widen_for_texts(ax, renderer)
                changed |= _wrap_axis_labels(fig, ax)
            if not changed:
                break
    finally:
        fig.dpi = screen_dpi
    return fig


FIT_PASSES = 3


def _wrap_axis_labels(fig, ax) -> bool:
    """Wrap each axis label of *ax* that is longer than the axes (as laid out) to the axes' length;
    True if one was."""
    changed = False
    box = ax.get_position()
    width_in, height_in = fig.get_size_inches()
    for label, length_in in ((ax.xaxis.label, box.width * width_in), (ax.yaxis.label, box.height * height_in)):
        if label.get_visible() and label.get_text() and _too_long(fig, label, length_in):
            label.set_text("\n".join(style.wrap_text(fig, label.get_text(), label.get_fontsize(), length_in,
                                                      keep=proper_names())))
            changed = True
    return changed


def _too_long(fig, label, length_in: float) -> bool:
    extent = label.get_window_extent()
    along = extent.width if label.get_rotation() % 180 == 0 else extent.height
    return along / fig.dpi > length_in


def _widen_for_texts(ax, renderer) -> bool:
    """Raise the upper x (y) limit of *ax* so every text marked keep_inside ends inside the axes."""
    changed = False
    box = ax.get_window_extent(renderer)
    for axis in ("x", "y"):
        texts = [t for t in ax.texts if getattr(t, _INSIDE, None) == axis and t.get_visible()]
        if not texts:
            continue
        low, high = ax.get_xlim() if axis == "x" else ax.get_ylim()
        start, length = (box.x0, box.width) if axis == "x" else (box.y0, box.height)
        needed = high
        for text in texts:
            extent = text.get_window_extent(renderer)
            end = extent.x1 if axis == "x" else extent.y1
            if end <= start + length:
                continue
            size = extent.width if axis == "x" else extent.height
            anchor = (extent.x0 if axis == "x" else extent.y0) - start  # where the text starts, in pixels
            # the text's start stays at the same data value; the axis grows until start + size fits
            value_at_anchor = low + anchor / length * (high - low)
            needed = max(needed, low + (value_at_anchor - low) * length / max(length - size, 1.0) * 1.01)
        if needed > high:
            (ax.set_xlim if axis == "x" else ax.set_ylim)(low, needed)
            changed = True
    return changed


def money_axis(lang: str) -> tuple[float, str]:
    """Divisor and unit word for amounts in yuan on an axis: million yuan / 万元."""
    return (MILLION, "million yuan") if lang == "en" else (TEN_THOUSAND, WAN_UNITS_ZH["yuan"])  # 万元


def money(value: float, lang: str) -> str:
    """An amount in yuan in the axis unit of *lang*: '2.02 million yuan' / '201.6万元' (in 万 with
    up to four significant digits, as the Chinese prose writes it: report.format_wan)."""
    divisor, unit = money_axis(lang)
    if lang == "zh":
        return f"{format_wan(value)}{unit}"
    return f"{format_number(value / divisor)} {unit}"


def yuan(value: float, lang: str) -> str:
    """An amount in yuan as prose reads it, whole yuan: '338 yuan', '12,383 yuan' / '338元', '1.238万元'
    (Chinese amounts of five digits or more in 万元, with their significant digits)."""
    from analysis.report import format_quantity

    large = lang == "zh" and abs(float(value)) >= TEN_THOUSAND
    return format_quantity(value, "yuan", lang=lang, decimals=None if large else 0)


def wrap(fig, text: str, size_pt: float, fraction: float) -> str:
    """*text* wrapped to *fraction* of the figure width (between words; never inside a proper name)."""
    return "\n".join(style.wrap_text(fig, text, size_pt, fig.get_size_inches()[0] * fraction, keep=proper_names()))


def legend_columns(fig, wanted: int) -> int:
    """Legend columns: *wanted* on wide figures, one on narrow ones (single-column)."""
    return wanted if fig.get_size_inches()[0] >= 5 else 1


def legend_below(fig, ax, ncols: int, handles=None, **kwargs):
    """A legend under the x-axis label of *ax* (an axes legend, so constrained layout makes room)."""
    import matplotlib
    from matplotlib.transforms import offset_copy

    if handles is None:
        handles, _ = ax.get_legend_handles_labels()
    label_lines = ax.get_xlabel().count("\n") + 1 if ax.get_xlabel() else 0
    offset_pt = (float(matplotlib.rcParams["xtick.labelsize"]) * 1.3
                 + float(matplotlib.rcParams["axes.labelsize"]) * 1.3 * label_lines + 8)
    anchor = offset_copy(ax.transAxes, fig=fig, y=-offset_pt, units="points")
    legend = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 0), bbox_transform=anchor,
                       ncols=ncols, **kwargs)
    setattr(legend, _BELOW, LEGEND_GAP_PT)
    return legend


LEGEND_GAP_PT = 4.0  # between the axis label and a legend below it


def legend_under_all(fig, handles, ncols: int, **kwargs):
    """A figure legend centred under every axes, just above the source line: for panels side by side,
    whose legend is wider than one of them.

    It stays out of the constrained layout (a legend in an axes of its own made the layout vary in its
    last bits from run to run, so SVG ids differed): its height is measured and taken from the bottom of
    the layout rectangle, and it is anchored there.
    """
    engine = fig.get_layout_engine()
    left, bottom, width, height = engine.get()["rect"]
    legend = fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(left + width / 2, bottom),
                        bbox_transform=fig.transFigure, ncols=ncols, **kwargs)
    legend.set_in_layout(False)
    extent = legend.get_window_extent(fig.canvas.get_renderer())
    taken = (extent.height + LEGEND_GAP_PT * 2 * fig.dpi / 72) / (fig.get_size_inches()[1] * fig.dpi)
    engine.set(rect=(left, bottom + taken, width, height - taken))
    return legend


def _anchor_below(fig, ax, legend, renderer) -> bool:
    """Anchor *legend* (of :func:`legend_below`) under what *ax* draws below itself, as measured;
    True if it moved by more than a tenth of a point."""
    from matplotlib.transforms import offset_copy

    axes_box = ax.get_window_extent(renderer)
    below = ax.xaxis.get_tightbbox(renderer)
    bottom = min(axes_box.y0, below.y0) if below is not None else axes_box.y0
    offset_pt = round((axes_box.y0 - bottom) * 72 / fig.dpi + getattr(legend, _BELOW), 1)
    if abs(offset_pt - getattr(legend, "_dasuhe_offset_pt", -1.0)) < 0.1:
        return False
    legend._dasuhe_offset_pt = offset_pt
    legend.set_bbox_to_anchor((0, 0), transform=offset_copy(ax.transAxes, fig=fig, y=-offset_pt, units="points"))
    return True


def thousands(axis, nbins: int | None = None) -> None:
    """Tick numbers with thousands separators (*nbins* ticks at most: 5 on wide figures, 3 on narrow ones)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    if nbins is None:
        nbins = 5 if axis.axes.figure.get_size_inches()[0] >= 5 else 3
    axis.set_major_locator(MaxNLocator(nbins))
    axis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v, 0 if abs(v) >= 10 or v == round(v) else 1)))


# --- words of the model figures ---------------------------------------------------------------
SEASON_ASSUMPTIONS = ("yield_kg_per_segment", "price_yuan_per_kg", "cost_yuan_per_segment", "subsidy_fraction")
SEASON_FACTS = ("tianfu_segments_for_poor", "profit_share_enterprise", "profit_share_villages", "villages_sharing_profit",
                "poor_households_registered", "poor_persons_registered")
ILLUSTRATIVE = {
    "en": "Illustrative: depends on assumed {labels}",
    "zh": "示意：取决于假设的{labels}",
}


def join_labels(names, lang: str) -> str:
    """Assumption labels as a list in prose: 'price, yield and cost' / '价格、产量、成本'."""
    labels = [assumption_label(name, lang).lower() if lang == "en" else assumption_label(name, lang) for name in names]
    if lang == "zh":
        return "、".join(labels)
    return (", ".join(labels[:-1]) + " and " + labels[-1]) if len(labels) > 1 else "".join(labels)


def illustrative(names, lang: str) -> str:
    """'Illustrative: depends on assumed price, yield, ...' built from the assumption labels."""
    return ILLUSTRATIVE[lang].format(labels=join_labels(names, lang))


def season(p=None) -> dict:
    """One season of the model (:func:`analysis.model.season`) for *p* (the base case when None)."""
    from analysis import model

    return model.season(p or base_parameters())
