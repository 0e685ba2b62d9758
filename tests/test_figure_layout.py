"""Layout of every figure at every size in both languages: nothing collides, nothing leaves the canvas.

The checker (analysis/figures/check.py) is tested first on figures broken on purpose, so a pass
below means something.
"""
from __future__ import annotations

import pytest

from analysis import figures, style
from analysis.figures import check

pytestmark = pytest.mark.filterwarnings("error:Glyph.*missing", "error:constrained_layout not applied")


def _plain_figure(size="single-column"):
    preset = style.get_size(size)
    with style.figure_style(preset):
        fig = style.new_figure(preset)
        ax = fig.add_subplot()
    return fig, ax, preset


# --- the checker finds what it should --------------------------------------------------------------
def test_checker_finds_overlapping_texts_a_text_on_a_bar_and_a_text_off_the_canvas():
    fig, ax, preset = _plain_figure()
    with style.figure_style(preset):
        bars = ax.barh([0, 1], [10, 5])
        ax.set_xlim(0, 12)
        ax.text(2, 0, "on the bar", va="center")           # a text over a bar it does not label
        check.labels(ax.text(1, 1, "its label", va="center"), bars[1])  # declared: may sit on its bar
        ax.text(11, 1.4, "first")
        ax.text(11, 1.4, "second")                           # same place as "first"
        fig.text(0.98, 0.5, "runs off the right edge")
    found = check.collisions(fig, preset)
    assert "text 'on the bar' overlaps patch Rectangle" in found
    assert "text 'first' overlaps text 'second'" in found
    assert [f for f in found if f.startswith("text 'runs off the right edge' falls outside the canvas (by ")]
    assert not [f for f in found if "'its label' overlaps patch" in f]


def test_checker_finds_a_legend_over_a_value_label_as_in_the_old_money_flow_figure():
    """Before this check the single-column money-flow figure had its legend inside the axes, lower
    right, over the value labels of the last two bars; put it back there and the check must fail."""
    from matplotlib.patches import Patch

    fig = figures.make_figure("contract_money_flow", "en", "single-column")
    assert check.collisions(fig, "single-column") == []
    fig = figures.make_figure("contract_money_flow", "en", "single-column")
    ax = fig.axes[0]
    with style.figure_style("single-column"):
        revenue_million = figures.prepared("contract_money_flow")["top_yuan"].max() / 1e6  # 2.16
        ax.set_xlim(0, revenue_million * 1.3)  # the old axis: 30% beyond the longest bar
        ax.get_legend().remove()
        handles = [Patch(facecolor=style.GREEN, label="Split stated in the article"),
                   Patch(facecolor=style.GREEN, hatch=style.ASSUMED_HATCH, label="Split assumed (subsidy share)")]
        ax.legend(handles=handles, loc="lower right")
    found = check.collisions(fig, "single-column")
    steps = figures.prepared("contract_money_flow").set_index("step")["amount_yuan"]
    label = figures.common.money(steps["households_pool_yuan"], "en")  # the subsidies' value label, one of the last two bars
    assert f"text '{label}' overlaps legend (Split stated in the art…, Split assumed (subsidy …)" in found


def test_checker_follows_a_line_not_its_box():
    """A diagonal line's box covers a corner text, the line itself does not touch it."""
    fig, ax, preset = _plain_figure()
    with style.figure_style(preset):
        ax.plot([0, 1], [0, 1])
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.text(0.95, 0.05, "corner", ha="right", va="bottom")
        ax.text(0.5, 0.5, "crossed", ha="center", va="center")
    found = check.collisions(fig, preset)
    assert found == ["text 'crossed' overlaps line"]


def test_checker_reads_a_secondary_axis_ticks_as_drawn():
    """A secondary axis (the subsidy-share figure's scale in shares of the poverty line) has tick labels
    beyond its limits that are never drawn: they must not count; the drawn ones must."""
    fig, ax, preset = _plain_figure("web")
    with style.figure_style(preset):
        ax.plot([0, 1], [0, 100])
        ax.set_ylim(0, 105)  # the scale ends at 2.1: its locator also places a 2.25 tick, beyond the limit
        scale = ax.secondary_yaxis("right", functions=(lambda v: v / 50, lambda s: s * 50))
        scale.set_ylabel("share")
    renderer = check.laid_out(fig, preset)
    texts = [t.get_text() for t in check.drawn_texts(fig) if t.get_window_extent(renderer).x0 > ax.bbox.x1]
    # the scale runs 0 to 105 / 50 = 2.1: ticks 0.00, 0.25, ..., 2.00 drawn, 2.25 (beyond its limit) not
    assert sorted(texts) == ["0.00", "0.25", "0.50", "0.75", "1.00", "1.25", "1.50", "1.75", "2.00", "share"]
    assert check.collisions(fig, preset) == []


def test_small_text_names_the_texts_below_the_minimum():
    fig, ax, preset = _plain_figure()
    with style.figure_style(preset):
        ax.axis("off")
        fig.text(0.1, 0.9, "tiny", fontsize=5)
        fig.frame_texts["source"] = fig.text(0.1, 0.8, "source", fontsize=6)
        fig.text(0.1, 0.7, "not the source", fontsize=6)
        fig.text(0.1, 0.6, "fine", fontsize=7)
        ax.legend(handles=ax.plot([], [], label="small legend"), fontsize=6.5)
    found = check.small_text(fig, 7.0, 6.0)
    assert found == ["text 'tiny' is 5.00 pt, below 7 pt", "text 'not the source' is 6.00 pt, below 7 pt",
                     "text 'small legend' is 6.50 pt, below 7 pt"]


# --- every figure, every size, both languages ----------------------------------------------------------
CASES = [(figure_id, size, lang) for figure_id in figures.FIGURES for size in style.SIZES for lang in style.LANGUAGES]


def _marks(figure_id):
    return []


@pytest.mark.parametrize(("figure_id", "size", "lang"),
                         [pytest.param(*case, marks=_marks(case[0]), id="-".join(case)) for case in CASES])
def test_nothing_collides(figure_id, size, lang):
    fig = figures.make_figure(figure_id, lang, size)
    assert check.collisions(fig, size) == []


@pytest.mark.parametrize(("figure_id", "size", "lang"),
                         [pytest.param(*case, marks=_marks(case[0]), id="-".join(case))
                          for case in CASES if case[1] in style.PRINT_SIZES])
def test_nothing_collides_without_chrome(figure_id, size, lang):
    fig = figures.make_figure(figure_id, lang, size, chrome="none")
    assert check.collisions(fig, size) == []


# model figures for parameters away from the base case: an override outside its assumed range (both ends
# of the tornado shown), another subsidy share, a shortfall beyond the assumed one, no disasters
CUSTOM = {
    "tornado-price-above": ("tornado", {"price_yuan_per_kg": 80}),
    "tornado-price-below": ("tornado", {"price_yuan_per_kg": 30}),
    "tornado-two-outside": ("tornado", {"price_yuan_per_kg": 80, "cost_yuan_per_segment": 3.2}),
    "subsidy-share-third": ("subsidy_share", {"subsidy_fraction": 0.33}),
    "poverty-gap-wide": ("poverty_gap", {"poverty_shortfall_yuan_per_person": 3000}),
    "fan-calm": ("contract_paths_fan", {"disaster_probability_per_year": 0}),
    "channels-fewer-recipients": ("income_channels", {"recipient_households": 60}),
}


@pytest.mark.parametrize(("case", "size", "lang"), [(c, s, lang) for c in CUSTOM for s in style.SIZES
                                                    for lang in style.LANGUAGES])
def test_model_figures_for_other_parameters_collide_nowhere(case, size, lang):
    from analysis.parameters import get_parameters

    figure_id, overrides = CUSTOM[case]
    fig = figures.make_figure(figure_id, lang, size, p=get_parameters("base", **overrides))
    assert check.collisions(fig, size) == []
    if size in style.PRINT_SIZES:
        assert check.small_text(fig, style.MIN_PRINT_PT, style.MIN_SOURCE_PT) == []
    assert check.unexplained_styles(fig) == []


@pytest.mark.parametrize(("figure_id", "size"), [(f, s) for f in figures.FIGURES for s in style.SIZES])
def test_no_proper_name_is_broken_across_lines(figure_id, size):
    from analysis.figures.common import proper_names

    fig = figures.make_figure(figure_id, "zh", size)
    check.laid_out(fig, size)
    for text in check.drawn_texts(fig):
        lines = text.get_text().split("\n")
        joined = "".join(lines)
        for name in proper_names():
            if name in joined:
                assert any(name in line for line in lines), (name, lines)


@pytest.mark.parametrize(("figure_id", "size", "lang"),
                         [case for case in CASES if case[1] in style.PRINT_SIZES])
def test_print_type_is_7_pt_at_least_and_the_source_line_6_pt(figure_id, size, lang):
    fig = figures.make_figure(figure_id, lang, size)
    assert fig.frame_texts["source"].get_fontsize() >= style.MIN_SOURCE_PT == 6.0
    assert check.small_text(fig, style.MIN_PRINT_PT, style.MIN_SOURCE_PT) == []


# --- grey-scale and legends ------------------------------------------------------------------------
@pytest.mark.parametrize(("figure_id", "lang"), [(f, lang) for f in figures.FIGURES for lang in style.LANGUAGES])
def test_every_hatch_and_line_style_has_a_legend_entry(figure_id, lang):
    fig = figures.make_figure(figure_id, lang, "web")
    assert check.unexplained_styles(fig) == []


def test_unexplained_styles_finds_a_hatch_without_legend():
    fig, ax, preset = _plain_figure("web")
    with style.figure_style(preset):
        ax.bar([0], [1], hatch="///")
        ax.plot([0, 1], [0, 1], linestyle=":", label="dotted, in the legend")
        ax.legend()
    assert check.unexplained_styles(fig) == ["hatch '///' has no legend entry"]
    fig = figures.make_figure("income_channels", "en", "web")  # as it was: hatched bars, no legend
    fig.axes[1].get_legend().remove()
    assert check.unexplained_styles(fig) == ["hatch '///' has no legend entry"]


def _luma(rgb) -> float:
    r, g, b = rgb[:3]
    return 0.299 * r + 0.587 * g + 0.114 * b  # ITU-R 601: what a grey-scale print keeps


def test_fan_chart_median_stands_out_from_its_band_in_grey_scale():
    from matplotlib.colors import to_rgba

    fig = figures.make_figure("contract_paths_fan", "en", "web")
    ax = fig.axes[0]
    (median,) = [line for line in ax.lines if line.get_label() == "Median"]
    outer, inner = ax.collections[:2]  # the 90% band, then the 50% band drawn over it
    white = (1.0, 1.0, 1.0)

    def over(colour, base):
        r, g, b, a = colour
        return tuple(a * c + (1 - a) * k for c, k in zip((r, g, b), base))

    band = over(tuple(inner.get_facecolor()[0]), over(tuple(outer.get_facecolor()[0]), white))
    # luma of the band ~0.69 (orange at 75% over orange at 35% over white); the median's must differ
    # by 0.4 at least: the old vermillion line (luma 0.47) did not, the dark line (0.13) does
    assert abs(_luma(to_rgba(median.get_color())) - _luma(band)) >= 0.4
    assert _luma(band) == pytest.approx(0.69, abs=0.02)


@pytest.mark.parametrize("figure_id", list(figures.FIGURES))
def test_chinese_figures_and_captions_use_full_width_brackets(figure_id):
    import re

    for size in style.SIZES:
        fig = figures.make_figure(figure_id, "zh", size)
        check.laid_out(fig, size)
        texts = [t.get_text() for t in check.drawn_texts(fig)]
        texts += [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
        assert [t for t in texts if re.search(r"[()]", t)] == [], size
    df = figures.prepared(figure_id)
    words = list(figures.figure_text(figure_id, df, "zh").values()) + [figures.caption_text(figure_id, df, "zh")]
    assert [w for w in words if re.search(r"[()]", w)] == []
