"""Tests of analysis/figures/ (one module per figure, common, export): prepared data, drawing from tiny frames, texts, export, manifest, CLI."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pandas as pd
import pytest

from analysis import figures, style
from analysis.figures import check
from analysis.parameters import get_parameters
from conftest import embedded_font_families, svg_font

pytestmark = pytest.mark.filterwarnings("error:Glyph.*missing", "error:constrained_layout not applied")

FIGURE_IDS = ["quantities_to_scale", "poverty_outcomes", "contract_money_flow", "scenarios_poverty_line", "tornado",
              "break_even_map", "montecarlo_distribution", "subsidy_share", "poverty_gap", "contract_paths_fan",
              "income_channels", "villages_industries", "governance"]


def test_registry_has_every_figure_of_the_issue():
    assert list(figures.FIGURES) == FIGURE_IDS


# --- prepared data: real values -----------------------------------------------------------
def test_poverty_outcomes_splits_the_registered_households():
    df = figures.poverty_outcomes.prepare()
    assert list(df["category"]) == ["out_of_poverty", "remaining"]
    assert list(df["households"]) == [113, 243 - 113]  # = 130, computed, not stated
    assert list(df["basis"]) == ["fact", "computed"]


def test_quantities_to_scale_holds_the_articles_numbers():
    df = figures.quantities_to_scale.prepare()
    assert list(df["value"]) == [1500, 180, 150, 35, 2_000_000, 800_000]
    assert list(df["panel"]) == ["area"] * 4 + ["segments"] * 2
    assert set(df["qualifier"]) == {"exact"}


def test_money_flow_bars_follow_the_base_case():
    p = get_parameters("base")
    df = figures.contract_money_flow.prepare().set_index("step")
    revenue = p.segments * p.yield_kg_per_segment * p.price_yuan_per_kg  # 800,000 × 0.045 × 60 = 2,160,000
    cost = p.segments * p.cost_yuan_per_segment                          # 800,000 × 1.75 = 1,400,000
    profit = revenue - cost                                               # 760,000
    villages = p.village_share * profit                                   # 0.6 × 760,000 = 456,000
    households = p.subsidy_fraction * villages                            # 0.5 × 456,000 = 228,000
    assert df.loc["revenue_yuan", "amount_yuan"] == pytest.approx(revenue)
    assert df.loc["profit_yuan", "amount_yuan"] == pytest.approx(profit)
    assert df.loc["village_pool_yuan", "amount_yuan"] == pytest.approx(villages)
    assert df.loc["enterprise_yuan", "amount_yuan"] == pytest.approx(profit - villages)
    assert df.loc["households_pool_yuan", "amount_yuan"] == pytest.approx(households)
    # the cost bar hangs from revenue down to profit; the enterprise bar from profit down to the villages' pool
    assert (df.loc["cost_yuan", "bottom_yuan"], df.loc["cost_yuan", "top_yuan"]) == pytest.approx((profit, revenue))
    assert (df.loc["enterprise_yuan", "bottom_yuan"], df.loc["enterprise_yuan", "top_yuan"]) == \
        pytest.approx((villages, profit))
    assert list(df["share_basis"]) == ["", "", "", "fact", "fact", "assumption", "assumption"]


def test_villages_industries_never_names_the_unnamed_villages():
    df = figures.villages_industries.prepare()
    unnamed = df[~df["is_named"]]
    assert set(unnamed["village_en"]) == {""} and set(unnamed["village_zh"]) == {""}
    assert set(unnamed["villages"]) == {10 - 4}  # ten villages, four named
    assert set(unnamed.loc[unnamed["industry_id"] != figures.villages_industries.CONTRACT_INDUSTRY, "status"]) == {"unknown"}
    assert df["village_id"].nunique() == 4 + 1


def test_governance_tree_is_connected():
    df = figures.governance.prepare()
    ids = set(df["node_id"])
    assert df["node_id"].is_unique
    assert all(parent in ids for parent in df["parent_id"] if parent)
    assert list(df.loc[df["parent_id"] == "", "node_id"]) == ["township"]
    assert (df["kind"] == "working_group").sum() == 3 and (df["kind"] == "party_group").sum() == 3
    assert figures.governance._depths(df)["lusen_cooperative"] == 4  # township > villages > Dabao > branch > coop


# --- the organogram reads as a tree ----------------------------------------------------------------------
def _organogram(lang, size):
    """The drawn organogram: (figure, its layout, box patches, edge patches, box texts)."""
    from matplotlib.patches import FancyBboxPatch, PathPatch

    fig = figures.make_figure("governance", lang, size)
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    edges = [p for p in ax.patches if isinstance(p, PathPatch)]
    df = figures.prepared("governance")
    texts = figures.governance.box_texts(df, lang)
    with style.figure_style(size) as preset:
        tree = figures.governance.layout(fig, df, texts, preset,
                                         fig.get_size_inches()[0] - 2 * style.frame_margin_in(preset),
                                         keep=figures.governance.names(df))
    return fig, tree, boxes, edges, texts


@pytest.mark.parametrize(("lang", "size", "kind"), [("en", "double-column", "columns"), ("zh", "web", "columns"),
                                                    ("zh", "single-column", "outline"),
                                                    ("en", "single-column", "outline")])
def test_organogram_boxes_edges_and_names(lang, size, kind):
    fig, tree, boxes, edges, texts = _organogram(lang, size)
    df = figures.prepared("governance")
    assert tree.kind == kind  # the left-to-right tree where its names fit unbroken, else the outline
    assert len(boxes) == len(df) and len(edges) == len(df) - 1  # one box per body, one edge per link
    placed = list(tree.boxes.values())
    for i, a in enumerate(placed):  # no two boxes overlap
        for b in placed[i + 1:]:
            assert (a.x + a.width <= b.x or b.x + b.width <= a.x or a.y + a.height <= b.y
                    or b.y + b.height <= a.y), (a.node_id, b.node_id)
    parent = dict(zip(df["node_id"], df["parent_id"]))
    starts, ends = set(), set()
    for child, vertices, _ in tree.edges:  # every edge meets both its boxes, on their edges
        p, c = tree.boxes[parent[child]], tree.boxes[child]
        (x0, y0), (x1, y1) = vertices[0], vertices[-1]
        assert (x0 == pytest.approx(p.x + p.width) and p.y < y0 < p.y + p.height) or \
               (y0 == pytest.approx(p.y + p.height) and p.x < x0 < p.x + p.width), child
        assert x1 == pytest.approx(c.x) and y1 == pytest.approx(c.centre_y), child
        starts.add((round(x0, 6), round(y0, 6)))
        ends.add((round(x1, 6), round(y1, 6)))
    assert len(starts) == len(ends) == len(tree.edges)  # no two edges start or end at one point
    implied = set(df.loc[df["link_basis"] == "implied", "node_id"])
    dashed = {e for e in edges if e.get_linestyle() == "--"}
    assert len(dashed) == len(implied) == 10  # dashed = inferred, solid = stated in the article
    renderer = check.laid_out(fig, size)
    for box in boxes:  # text never leaves its box
        (text,) = [t for t in fig.axes[0].texts if getattr(t, "_dasuhe_labels", ()) == (box,)]
        outer, inner = box.get_window_extent(renderer), text.get_window_extent(renderer)
        assert outer.x0 <= inner.x0 and inner.x1 <= outer.x1 and outer.y0 <= inner.y0 and inner.y1 <= outer.y1, \
            text.get_text()
    lines = [line for box in tree.boxes.values() for line in box.lines]
    for name in figures.governance.names(df):  # a proper name is never broken across lines
        if any(name in texts[n] for n in texts):
            assert any(name in line for line in lines), name
    assert "三十道河村" in figures.governance.names(df) and "大苏河乡产业扶贫党支部" in figures.governance.names(df)


# --- drawing from tiny hand-made frames -------------------------------------------------------
def _tick_labels(ax, axis="y"):
    ticks = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in ticks]


def test_chinese_figures_count_segments_and_money_in_wan_as_the_article():
    import matplotlib.pyplot as plt

    fig = figures.make_figure("quantities_to_scale", lang="zh", size="single-column")
    fig.canvas.draw()
    segments = fig.axes[1]  # 2,000,000 and 800,000 segments: 200万段 and 80万段; ticks in 万 too
    assert [t.get_text() for t in segments.texts] == ["80万段", "200万段"]  # drawn bottom up
    assert segments.get_xlabel() == "菌段（万段）"
    assert [t.get_text() for t in segments.get_xticklabels()][:3] == ["0", "100", "200"]
    plt.close(fig)
    fig = figures.make_figure("contract_money_flow", lang="zh", size="single-column")
    labels = [t.get_text() for ax in fig.axes for t in ax.texts]
    # revenue 800,000 × 0.045 × 56 = 2,016,000 = 201.6万元 (four significant digits, as the prose), not 202万元
    assert "201.6万元" in labels and "16.64万元" in labels  # enterprise 0.4 × 416,000 = 166,400
    plt.close(fig)


def test_draw_quantities_from_a_tiny_frame_shows_qualifiers():
    df = pd.DataFrame([
        {"panel": "area", "fact_id": "dabao_fungus_area_mu", "value": 35.0, "unit": "mu", "qualifier": "exact",
         "label_en": "Dabao", "label_zh": "大堡"},
        {"panel": "segments", "fact_id": "tianfu_segments_for_poor", "value": 800000.0, "unit": "segments",
         "qualifier": "at_least", "label_en": "Poor", "label_zh": "贫困户"},
    ])
    fig = figures.quantities_to_scale.draw(df, lang="en", size="single-column")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts == ["35 mu", "≥ 800,000 segments"]
    assert _tick_labels(fig.axes[0]) == ["Dabao"]
    assert fig.get_size_inches()[0] == 3.5


def test_draw_tornado_from_a_tiny_frame_drops_flat_assumptions():
    df = pd.DataFrame([
        {"parameter": "price_yuan_per_kg", "label_en": "Price", "label_zh": "价格", "unit": "yuan_per_kg",
         "low": 50.0, "base": 60.0, "high": 70.0, "output_low": 100.0, "output_high": 300.0, "output_base": 200.0,
         "swing": 200.0},
        {"parameter": "subsidy_fraction", "label_en": "Subsidy", "label_zh": "补助", "unit": "share",
         "low": 0.3, "base": 0.5, "high": 0.7, "output_low": 150.0, "output_high": 250.0, "output_base": 200.0,
         "swing": 100.0},
        {"parameter": "discount_rate", "label_en": "Discount", "label_zh": "贴现", "unit": "rate_per_year",
         "low": 0.03, "base": 0.05, "high": 0.08, "output_low": 200.0, "output_high": 200.0, "output_base": 200.0,
         "swing": 0.0},
    ])
    fig = figures.tornado.draw(df, lang="en")
    assert _tick_labels(fig.axes[0]) == ["Subsidy\n30%–70%", "Price\n50–70 yuan per kg"]  # largest swing on top
    text = figures.figure_text("tornado", df, "en")
    assert "1 further assumptions do not change" in text["caption"]  # 3 rows, 2 move: 3 − 2 = 1
    assert "others held fixed (this run's parameters);" in text["caption"]  # no case column: not claimed a preset
    assert figures.FIGURES["tornado"].assumption_names(df) == ["price_yuan_per_kg", "subsidy_fraction"]


def test_draw_poverty_outcomes_draws_one_square_per_household():
    df = pd.DataFrame([{"category": "out_of_poverty", "households": 3.0, "basis": "fact", "fact_id": "x"},
                       {"category": "remaining", "households": 2.0, "basis": "computed", "fact_id": "y"}])
    fig = figures.poverty_outcomes.draw(df, lang="zh", size="web")
    collections = fig.axes[0].collections
    assert [len(c.get_paths()) for c in collections] == [3, 2]


# --- words: both languages, no typed numbers ----------------------------------------------------
def _strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def test_text_templates_hold_no_numbers():
    for figure_id, spec in figures.FIGURES.items():
        for lang in style.LANGUAGES:
            typed = [s for s in _strings(spec.text[lang]) if re.search(r"[0-9]", re.sub(r"\{[^}]*\}", "", s))]
            assert typed == [], f"{figure_id} {lang}: numbers typed into text: {typed}"
    assert [s for s in _strings(figures.CASE_WORDS) if re.search(r"[0-9]", s)] == []


# --- words follow the parameters a model figure is drawn for ---------------------------------------
def _price_high() -> float:
    return float(figures.common.assumption_table().loc["price_yuan_per_kg", "high"])


def test_find_case_names_a_preset_only_when_the_parameters_are_that_preset():
    assert [figures.find_case(get_parameters(preset)) for preset in ("base", "low", "high")] == ["base", "low", "high"]
    assert figures.find_case(get_parameters("base", price_yuan_per_kg=_price_high())) == "custom"
    assert figures.find_case(get_parameters("high", price_yuan_per_kg=_price_high())) == "high"  # same values
    base_price = get_parameters("base").price_yuan_per_kg
    assert figures.find_case(get_parameters("low", price_yuan_per_kg=base_price)) == "custom"


def test_model_figure_templates_never_say_base_case_themselves():
    for figure_id in figures.PARAMETRISED + ("montecarlo_distribution",):
        for lang, literal in (("en", "ase case"), ("zh", "基准情形")):
            said = [s for s in _strings(figures.FIGURES[figure_id].text[lang]) if literal in s]
            assert said == [], f"{figure_id} {lang}: {said}"


def test_break_even_map_words_follow_custom_parameters():
    p = get_parameters("base", price_yuan_per_kg=_price_high())
    df = figures.prepared("break_even_map", p)
    assert set(df["case"]) == {"custom"}
    en = figures.figure_text("break_even_map", df, "en")
    assert "(cost per segment and subsidy share as in this run's parameters); the line marks zero profit, " \
           "the cross this run's parameters (70 yuan per kg, 0.045 kg per segment: 748 yuan; averaged over all " \
           "registered poor persons 400 yuan)" in en["caption"]
    assert en["alt"].endswith("is 748 yuan at this run's parameters.")
    # 800,000 segments × (0.045 kg × 70 − 2.0) yuan = 920,000 profit; × 0.6 × 0.5 = 276,000 for the households;
    # ÷ 690 registered persons = 400; ÷ (130 recipient households × 690 / 243 = 369.14 persons) = 747.7
    zh = figures.figure_text("break_even_map", df, "zh")
    assert "（每段成本与补助比例取本次参数的值）；实线为利润为零，叉号为本次参数（70元/千克" in zh["caption"]
    grid = df[df["kind"] == "grid"]  # the colour: the same pool per recipient person, 690 / 369.14 times the average
    assert (grid["per_recipient_person_yuan"] / grid["per_person_yuan"]).dropna().to_numpy() == \
        pytest.approx(690 / (130 * 690 / 243))
    assert "基准" not in zh["caption"] + zh["alt"]
    fig = figures.make_figure("break_even_map", lang="en", size="single-column", p=p)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["Break-even (zero profit)", "This run's parameters", "Assumed low–high range"]


def test_break_even_map_base_still_says_base_case():
    df = figures.prepared("break_even_map")
    assert set(df["case"]) == {"base"}
    assert "the cross the base case (56 yuan per kg, 0.045 kg per segment: 338 yuan; averaged over all registered " \
           "poor persons 181 yuan)" in figures.figure_text("break_even_map", df, "en")["caption"]
    # 800,000 × (0.045 × 56 − 2.0) = 416,000 profit; × 0.6 × 0.5 = 124,800; ÷ 369.14 recipient persons ≈ 338,
    # ÷ 690 registered persons ≈ 181
    assert "叉号为基准情形（56元/千克，0.045千克/段：338元；全部建档立卡贫困人口平均181元）" in \
        figures.figure_text("break_even_map", df, "zh")["caption"]


@pytest.mark.parametrize("preset, en, zh", [
    ("low", "Yearly income of registered poor households by channel (low preset). ", "低值情形下建档立卡贫困户各渠道年收入。"),
    ("high", "Yearly income of registered poor households by channel (high preset). ", "高值情形下建档立卡贫困户各渠道年收入。"),
    ("base", "Yearly income of registered poor households by channel (base case). ", "基准情形下建档立卡贫困户各渠道年收入。"),
])
def test_income_channels_caption_names_the_preset(preset, en, zh):
    df = figures.prepared("income_channels", get_parameters(preset))
    assert set(df["case"]) == {preset}
    assert figures.figure_text("income_channels", df, "en")["caption"].startswith(en)
    assert figures.figure_text("income_channels", df, "zh")["caption"].startswith(zh)


def test_money_flow_tornado_and_fan_name_their_case():
    p = get_parameters("base", price_yuan_per_kg=_price_high())
    money = figures.figure_text("contract_money_flow", figures.prepared("contract_money_flow", get_parameters("high")), "en")
    assert "managed for registered poor households (high preset): revenue " in money["caption"]
    assert money["alt"].startswith("Waterfall chart in million yuan (high preset): ")
    money_zh = figures.figure_text("contract_money_flow", figures.prepared("contract_money_flow", p), "zh")
    assert "段一季（本次参数）：收入" in money_zh["caption"]
    tornado = figures.prepared("tornado", p)
    assert set(tornado["case"]) == {"custom"}
    text = figures.figure_text("tornado", tornado, "en")
    # the dividend per recipient person: 276,000 ÷ 369.14 persons = 747.7 (see the break-even map's test)
    assert text["subtitle"].endswith("the others held fixed (this run's parameters: 748 yuan per recipient person per year)")
    assert "其余固定于本次参数（每名受助人口每年748元）" in figures.figure_text("tornado", tornado, "zh")["subtitle"]
    assert "others held fixed (base case);" in figures.figure_text("tornado", figures.prepared("tornado"), "en")["caption"]
    fan = figures.figure_text("contract_paths_fan", figures.prepared("contract_paths_fan", p), "en")
    assert "(2,000 simulated paths, this run's parameters): median" in fan["caption"]


def test_montecarlo_words_say_which_assumptions_were_drawn():
    from analysis import scenarios

    base = figures.prepared("montecarlo_distribution")
    assert set(base["case"]) == {"base"}
    # the subsidy share is a policy lever: never drawn (model, second edition), so the words say it is held fixed
    assert set(base["varied"]) == {"yield_kg_per_segment,price_yuan_per_kg,cost_yuan_per_segment"}
    assert ("; share of village profit paid to poor households held fixed at the base case, the others drawn from "
            "their assumed distributions; lines mark") in figures.figure_text("montecarlo_distribution", base, "en")["subtitle"]
    p = get_parameters("base", price_yuan_per_kg=_price_high())
    df = figures.montecarlo_frame(scenarios.monte_carlo(1000, 1, p=p, fixed=("price_yuan_per_kg",)), p)
    assert set(df["varied"]) == {"yield_kg_per_segment,cost_yuan_per_segment"}
    en = figures.figure_text("montecarlo_distribution", df, "en")
    held = ("farm-gate price of dried wood-ear and share of village profit paid to poor households held fixed at "
            "this run's parameters, the others drawn from their assumed distributions")
    assert f"; {held}; lines mark" in en["subtitle"]
    assert f"(369 persons; 1,000 draws, seed 1; {held}): median" in en["caption"]
    assert "干木耳收购价、村收益中补助贫困户的比例固定于本次参数，其余按假设分布抽样" in \
        figures.figure_text("montecarlo_distribution", df, "zh")["caption"]
    unknown = figures.montecarlo_frame(scenarios.monte_carlo(1000, 1))  # no parameters given: not claimed a preset
    assert set(unknown["case"]) == {"custom"}


def test_figure_caption_is_the_figures_caption_in_italics():
    caption = figures.figure_text("poverty_outcomes", figures.prepared("poverty_outcomes"), "zh")["caption"]
    assert figures.figure_caption("poverty_outcomes", "zh")._repr_markdown_() == f"*{caption}*"
    p = get_parameters("high")
    high = figures.figure_text("income_channels", figures.prepared("income_channels", p), "en")["caption"]
    assert figures.figure_caption("income_channels", "en", p=p)._repr_markdown_() == f"*{high}*"
    assert high.startswith("Yearly income of registered poor households by channel (high preset). ")


@pytest.mark.parametrize("figure_id", FIGURE_IDS)
def test_texts_are_filled_in_both_languages(figure_id):
    df = figures.prepared(figure_id)
    for lang in style.LANGUAGES:
        text = figures.figure_text(figure_id, df, lang)
        assert all(text[key] and "{" not in text[key] for key in ("title", "caption", "alt"))
        source = figures.figure_source(figure_id, df, lang)
        assert source.startswith({"en": "Source: 共产党员网, 2018-06-04", "zh": "资料来源：共产党员网，2018-06-04"}[lang])
    assert re.search(r"[\u4e00-\u9fff]", figures.figure_text(figure_id, df, "zh")["title"])


def test_model_figures_say_they_are_illustrative():
    for figure_id in ("contract_money_flow", "scenarios_poverty_line", "break_even_map", "montecarlo_distribution",
                      "subsidy_share", "poverty_gap", "contract_paths_fan", "income_channels"):
        text = figures.figure_text(figure_id, figures.prepared(figure_id), "en")
        assert text["subtitle"].startswith("Illustrative: depends on assumed"), figure_id
        assert figures.FIGURES[figure_id].assumption_names(figures.prepared(figure_id)), figure_id


# --- rendering every figure, both languages, every format ----------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("lang", style.LANGUAGES)
@pytest.mark.parametrize("figure_id", FIGURE_IDS)
def test_every_figure_renders_in_every_format(figure_id, lang):
    from pypdf import PdfReader

    size = {"en": "web", "zh": "single-column"}[lang]  # one size per language keeps this fast
    rendered = figures.render_one(figure_id, lang, size, list(style.FORMATS))
    assert rendered["png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<text" in rendered["svg"] and b"@font-face" in rendered["svg"]
    fonts = _pdf_fonts(PdfReader(io.BytesIO(rendered["pdf"])))
    assert fonts and all(subtype != "/Type3" and embedded for subtype, embedded in fonts)
    # every character the figure shows is in the small figure font: no fallback to the 2.3 MB working font
    assert set(embedded_font_families(rendered["pdf"])) == {style.FIGURE_FONT_FAMILY}
    assert svg_font(rendered["svg"])["name"].getDebugName(1) == style.FIGURE_FONT_FAMILY


def _pdf_fonts(reader) -> list[tuple[str, bool]]:
    """(subtype, has an embedded font file) for every (descendant) font of every page."""
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for d in [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]:
                fd = d["/FontDescriptor"].get_object() if "/FontDescriptor" in d else {}
                found.append((str(font["/Subtype"]), any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3"))))
    return found


# --- export, manifest and command line ---------------------------------------------------------------
def _run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "analysis", "figures", *args], capture_output=True, text=True,
                          cwd=cwd)


def test_export_writes_files_csv_and_a_manifest_covering_every_figure(tmp_path):
    written = figures.export_figures(["poverty_outcomes"], ["png"], ["single-column"], ["zh"], tmp_path)
    names = sorted(str(p.relative_to(tmp_path)) for p in written)
    assert names == ["manifest.json", "poverty_outcomes/poverty_outcomes.csv",
                     "poverty_outcomes/poverty_outcomes_caption_en.txt", "poverty_outcomes/poverty_outcomes_caption_zh.txt",
                     "poverty_outcomes/poverty_outcomes_zh_single-column.png"]
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    entries = {entry["id"]: entry for entry in manifest["figures"]}
    assert list(entries) == FIGURE_IDS
    for entry in entries.values():
        assert entry["alt_en"] and entry["alt_zh"] and entry["title_zh"] and entry["caption_en"]
        assert entry["function"] == f"analysis.figures.{entry['id']}.draw"
        assert entry["prepare"] == f"analysis.figures.{entry['id']}.prepare"
        assert entry["data_csv"] == f"{entry['id']}/{entry['id']}.csv"
    assert entries["poverty_outcomes"]["files"] == ["poverty_outcomes/poverty_outcomes_zh_single-column.png"]
    assert entries["poverty_outcomes"]["files_nochrome"] == []
    assert entries["poverty_outcomes"]["caption_file_zh"] == "poverty_outcomes/poverty_outcomes_caption_zh.txt"
    caption_zh = (tmp_path / "poverty_outcomes" / "poverty_outcomes_caption_zh.txt").read_text(encoding="utf-8")
    assert caption_zh == entries["poverty_outcomes"]["caption_text_zh"] + "\n"
    assert entries["poverty_outcomes"]["facts"] == ["households_out_of_poverty_2017", "outcome_year",
                                                    "poor_households_registered", "poor_persons_registered"]
    assert entries["governance"]["files"] == []
    assert manifest["png_dpi"] == {"web": 200, "single-column": 300, "double-column": 300, "slide": 150}
    csv = (tmp_path / "poverty_outcomes" / "poverty_outcomes.csv").read_text(encoding="utf-8")
    assert csv.splitlines()[:3] == ["category,households,basis,fact_id",
                                    "out_of_poverty,113,fact,households_out_of_poverty_2017",
                                    "remaining,130,computed,poor_households_registered - households_out_of_poverty_2017"]


@pytest.mark.slow
def test_rendering_twice_in_separate_processes_gives_identical_bytes(tmp_path):
    outputs = []
    for run in ("a", "b"):
        result = _run("--only", "contract_money_flow", "--lang", "zh", "--size", "single-column", "--out",
                      str(tmp_path / run))
        assert result.returncode == 0, result.stderr
        outputs.append({p.relative_to(tmp_path / run): p.read_bytes() for p in (tmp_path / run).rglob("*")
                        if p.is_file()})
    assert sorted(map(str, outputs[0])) == [".dasuhe-output", "contract_money_flow/contract_money_flow.csv",
                                            "contract_money_flow/contract_money_flow_caption_en.txt",
                                            "contract_money_flow/contract_money_flow_caption_zh.txt",
                                            "contract_money_flow/contract_money_flow_zh_single-column.pdf",
                                            "contract_money_flow/contract_money_flow_zh_single-column.png",
                                            "contract_money_flow/contract_money_flow_zh_single-column.svg",
                                            "manifest.json"]
    assert outputs[0] == outputs[1]


CHOICES = ", ".join(FIGURE_IDS)


@pytest.mark.parametrize(("args", "message"), [
    (["--only", "nope"], f"error: figure 'nope': unknown figure id, choose one of {CHOICES}"),
    (["--format", "gif"], "error: format 'gif': unknown format, choose one of png, svg, pdf"),
    (["--format", "png,tiff"], "error: format 'tiff': unknown format, choose one of png, svg, pdf"),
    (["--size", "huge"], "error: size 'huge': unknown size preset, choose one of web, single-column, double-column, slide"),
    (["--lang", "fr"], "error: lang 'fr': unknown language, choose one of en, zh"),
    (["--jobs", "0"], "error: --jobs=0: must be >= 1"),
    (["--chrome", "some"], "error: chrome 'some': unknown chrome, choose one of full, none"),
    (["--colour"], "error: python -m analysis figures: unrecognized arguments: --colour"),
])
def test_bad_arguments_exit_2_with_one_line_and_write_nothing(tmp_path, args, message):
    out = tmp_path / "out"
    result = _run(*args, "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [message]
    assert not out.exists()


def test_caption_text_is_title_subtitle_caption_and_source_as_sentences():
    df = figures.prepared("poverty_outcomes")
    en = figures.figure_text("poverty_outcomes", df, "en")
    source = figures.figure_source("poverty_outcomes", df, "en")
    # the title and subtitle get a full stop, the caption has its own, the source line gets one
    assert figures.caption_text("poverty_outcomes", df, "en") == \
        f"{en['title']}. {en['subtitle']}. {en['caption']} {source}."
    assert figures.caption_text("poverty_outcomes", df, "en").startswith(
        "113 of 243 registered poor households were out of poverty by the end of 2017. One square per registered "
        "poor household (690 registered poor persons); ")
    zh = figures.figure_text("poverty_outcomes", df, "zh")
    assert figures.caption_text("poverty_outcomes", df, "zh") == \
        f"{zh['title']}。{zh['subtitle']}。{zh['caption']}{figures.figure_source('poverty_outcomes', df, 'zh')}。"


def test_chrome_none_leaves_title_subtitle_and_source_out_and_the_plot_grows():
    full = figures.make_figure("tornado", "en", "single-column")
    bare = figures.make_figure("tornado", "en", "single-column", chrome="none")
    assert set(full.frame_texts) == {"title", "subtitle", "source"} and bare.frame_texts == {}
    assert [t.get_text() for t in bare.texts] == []
    assert list(full.get_size_inches()) == list(bare.get_size_inches())
    with style.figure_style("single-column"):
        style.render_formats(full, [])
        style.render_formats(bare, [])
    assert bare.axes[0].get_position().height > full.axes[0].get_position().height * 1.3


def test_export_without_chrome_writes_nochrome_files_and_lists_them(tmp_path):
    written = figures.export_figures(["tornado"], ["svg"], ["double-column"], ["en"], tmp_path, chrome="none")
    names = sorted(str(p.relative_to(tmp_path)) for p in written)
    assert names == ["manifest.json", "tornado/tornado.csv", "tornado/tornado_caption_en.txt",
                     "tornado/tornado_caption_zh.txt", "tornado/tornado_en_double-column_nochrome.svg"]
    entry = next(e for e in json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["figures"]
                 if e["id"] == "tornado")
    assert entry["files"] == [] and entry["files_nochrome"] == ["tornado/tornado_en_double-column_nochrome.svg"]
    svg = (tmp_path / "tornado" / "tornado_en_double-column_nochrome.svg").read_text(encoding="utf-8")
    assert "Which assumptions move" not in svg and "Source:" not in svg and "Farm-gate price" in svg


@pytest.mark.parametrize(("size", "shown_px"), [("web", 8.0 * 96), ("single-column", 3.5 * 96)])
def test_a_figure_shows_in_notebooks_as_svg_with_its_font_and_a_png_at_twice_its_size(size, shown_px):
    import base64

    from PIL import Image

    fig = figures.make_figure("tornado", "zh", size)
    data, metadata = fig._repr_mimebundle_()
    assert sorted(data) == ["image/png", "image/svg+xml"]  # Quarto takes the SVG, the PNG is the fallback
    svg = data["image/svg+xml"]
    assert "@font-face" in svg and "<text" in svg  # text as text, the subset font embedded
    assert svg_font(svg.encode())["name"].getDebugName(1) == style.FIGURE_FONT_FAMILY
    png = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
    assert metadata["image/png"]["width"] == int(shown_px)  # shown as wide as the SVG (W in x 96 px)
    assert png.size[0] == 2 * int(shown_px)  # 8 in x 96 x 2 = 1536 px (web), 3.5 x 96 x 2 = 672 (column)
    # the same bytes as the export's SVG of this figure
    assert svg.encode() == figures.render_one("tornado", "zh", size, ["svg"])["svg"]


def test_ipython_displays_the_figure_through_its_bundle():
    from IPython.core.formatters import DisplayFormatter

    fig = figures.make_figure("poverty_outcomes", "en", "web")
    data, metadata = DisplayFormatter().format(fig, include={"image/svg+xml", "image/png"})
    assert sorted(data) == ["image/png", "image/svg+xml"] and metadata["image/png"]["width"] == 768
    only_svg, _ = fig._repr_mimebundle_(include={"image/svg+xml"})
    assert list(only_svg) == ["image/svg+xml"]


def test_contact_sheet_has_one_labelled_page_per_figure_and_the_same_bytes_twice(tmp_path):
    from pypdf import PdfReader

    ids = ["poverty_outcomes", "tornado"]
    one = figures.contact.write_contact_sheet(tmp_path / "a.pdf", ids, ["single-column"], ["en", "zh"], "none")
    two = figures.contact.write_contact_sheet(tmp_path / "b.pdf", ids, ["single-column"], ["en", "zh"], "none", jobs=2)
    assert one.read_bytes() == two.read_bytes()
    pages = PdfReader(one).pages
    assert len(pages) == 2 * 2  # 2 figures x 2 languages x 1 size
    texts = [" ".join(page.extract_text().split()) for page in pages]
    assert texts[0].startswith("1 / 4 poverty_outcomes en single-column (3.5 × ")
    assert texts[3].startswith("4 / 4 tornado zh single-column (3.5 × ")
    assert "Which assumptions move the dividend per recipient person most." in texts[1]  # the caption, without chrome
    assert float(pages[0].mediabox.width) == figures.contact.MIN_PAGE_WIDTH_IN * 72


def test_contact_sheet_from_the_command_line(tmp_path):
    result = _run("--contact-sheet", str(tmp_path / "sheet.pdf"), "--only", "governance", "--lang", "zh", "-j", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {tmp_path / 'sheet.pdf'}: 1 pages (1 figures")
    bad = _run("--contact-sheet", str(tmp_path / "sheet.png"))
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [f"error: --contact-sheet {tmp_path / 'sheet.png'}: must be a .pdf file"]
    assert not (tmp_path / "sheet.png").exists()
    from analysis import paths

    for given, rule in [(str(paths.DATA_DIR / "sheet.pdf"), f"is inside the data package ({paths.DATA_DIR}); choose a "
                                                           "file outside it"),
                        (f"{tmp_path}/x.pdf/", "names a folder (it ends with /); give a file name"),
                        (str(tmp_path), "is a folder, not a file")]:
        bad = _run("--contact-sheet", given, "--only", "governance")
        assert (bad.returncode, bad.stderr.splitlines()) == (2, [f"error: --contact-sheet {given}: {rule}"])
    assert not (paths.DATA_DIR / "sheet.pdf").exists() and not (tmp_path / "x.pdf").exists()


@pytest.mark.slow
def test_parallel_export_gives_the_same_files(tmp_path):
    one = figures.export_figures(["poverty_outcomes", "tornado"], ["png", "svg"], ["single-column"], ["en"],
                                 tmp_path / "one", jobs=1)
    two = figures.export_figures(["poverty_outcomes", "tornado"], ["png", "svg"], ["single-column"], ["en"],
                                 tmp_path / "two", jobs=2)
    assert [p.relative_to(tmp_path / "one") for p in one] == [p.relative_to(tmp_path / "two") for p in two]
    assert [p.read_bytes() for p in one] == [p.read_bytes() for p in two]


# --- the model's second edition (issue 10): per recipient, choices as axes, what 113 exits imply -------------
# Base case by hand: profit = 800,000 segments × (0.045 kg × 56 yuan − 2.0 yuan) = 416,000; villages' pool =
# 0.6 × 416,000 = 249,600; households' pool = 0.5 × 249,600 = 124,800. Recipients: 243 − 113 = 130 households,
# 130 × 690 / 243 = 369.14 persons (the registered average size, 690 / 243 = 2.8395 persons per household).
RECIPIENT_PERSONS = 130 * 690 / 243


def test_parametrised_figures_include_the_new_model_figures():
    assert figures.PARAMETRISED == ("contract_money_flow", "tornado", "break_even_map", "subsidy_share", "poverty_gap",
                                    "contract_paths_fan", "income_channels")


def test_subsidy_share_curve_by_hand():
    df = figures.prepared("subsidy_share")
    assert len(df) == 2 * 21  # two recipient rules × shares 0, 0.05, ..., 1 (0.5, the base share, among them)
    assert list(df["recipients"].unique()) == ["all_registered", "not_yet_exited"]
    run = df[df["is_run_share"]].set_index("recipients")
    assert list(run["subsidy_fraction"]) == [0.5, 0.5]
    assert run.at["not_yet_exited", "per_recipient_person_yuan"] == pytest.approx(124_800 / RECIPIENT_PERSONS)  # 338.09
    assert run.at["all_registered", "per_recipient_person_yuan"] == pytest.approx(124_800 / 690)  # 180.87
    full = df[df["subsidy_fraction"] == 1].set_index("recipients")  # the whole pool: 249,600 / 369.14 = 676.17
    assert full.at["not_yet_exited", "per_recipient_person_yuan"] == pytest.approx(249_600 / RECIPIENT_PERSONS)
    # the band scales with the share: its quantiles at share 1 are twice those at 0.5
    assert full.at["not_yet_exited", "q95"] == pytest.approx(2 * run.at["not_yet_exited", "q95"])
    assert set(df["varied"]) == {"yield_kg_per_segment,price_yuan_per_kg,cost_yuan_per_segment"}  # no policy lever
    assert set(df["case"]) == {"base"} and set(df["draws"]) == {figures.MC_DRAWS}
    en = figures.figure_text("subsidy_share", df, "en")
    assert "At the run's share of 50% it is 338 yuan per person in the 130 households not yet out of poverty " \
           "(11.5% of the poverty line; 90% of draws between " in en["caption"]  # 338.09 / 2,952 = 11.45%
    assert "or 181 yuan if spread over all 243 households registered as poor (6.1%)" in en["caption"]
    assert "would give 676 yuan and 362 yuan" in en["caption"]  # 249,600 / 369.14 and 249,600 / 690
    assert "右侧刻度为占贫困线（2,952元）的比例" in figures.figure_text("subsidy_share", df, "zh")["subtitle"]


def test_subsidy_share_for_custom_parameters_and_a_notebooks_own_curve():
    from analysis import scenarios

    p = get_parameters("base", subsidy_fraction=0.33)
    df = figures.prepared("subsidy_share", p)
    assert len(df) == 2 * 22 and set(df["case"]) == {"custom"}  # 0.33 added to the 21 shares
    run = df[df["is_run_share"]].set_index("recipients")
    assert run.at["not_yet_exited", "per_recipient_person_yuan"] == pytest.approx(0.33 * 249_600 / RECIPIENT_PERSONS)
    fig = figures.make_figure("subsidy_share", "en", "web", df=df)
    (legend,) = fig.legends  # one legend under both panels
    assert [t.get_text() for t in legend.get_texts()] == ["Model at this run's parameters", "50% of draws", "90% of draws",
                      "Share at this run's parameters: 33%"]
    own = figures.subsidy_share_frame(scenarios.subsidy_share_curve(p, draws=1000, seed=1), p)
    assert "Bands: 1,000 Monte Carlo draws (seed 1) of " in figures.figure_text("subsidy_share", own, "en")["caption"]


def test_subsidy_share_panels_and_the_poverty_line_scale():
    fig = figures.make_figure("subsidy_share", "en", "web")
    panels = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title(loc="left") for ax in panels] == ["Not yet out of poverty: 130 households",
                                                           "All registered: 243 households"]
    (scale,) = panels[1].child_axes  # the right-hand scale in shares of the 2,952 yuan line
    check.laid_out(fig, "web")
    assert scale.get_ylim() == pytest.approx(tuple(v / 2952 for v in panels[1].get_ylim()))
    narrow = figures.make_figure("subsidy_share", "zh", "single-column")  # stacked, each with its scale
    assert [len(ax.child_axes) for ax in narrow.axes] == [1, 1]


def test_poverty_gap_by_hand():
    df = figures.prepared("poverty_gap")
    points = df[df["assumption_point"] != ""].set_index("assumption_point")
    # gap per household = shortfall × 2.8395; households liftable = 124,800 / gap
    assert points.loc["base", "households_liftable"] == pytest.approx(124_800 / (500 * 690 / 243))  # 87.90
    assert points.loc["low", "households_liftable"] == pytest.approx(124_800 / (250 * 690 / 243))  # 175.81
    assert points.loc["high", "households_liftable"] == pytest.approx(124_800 / (1500 * 690 / 243))  # 29.30
    assert bool(points.loc["base", "is_run_value"])
    # the axis: from max(250 − 0.25 × 1,250, 250 / 2) = 125 to 1,500 + 0.25 × 1,250 = 1,812.5; 61 points + 3 named
    assert (df["shortfall_yuan_per_person"].min(), df["shortfall_yuan_per_person"].max()) == (125.0, 1812.5)
    assert len(df) == 61 + 3
    assert set(df["exits_households"]) == {113} and set(df["recipient_households"]) == {130}
    en = figures.figure_text("poverty_gap", df, "en")
    assert "(124,800 yuan, base case)" in en["caption"]
    assert "88 households at 500 yuan per person, from 29 to 176 over the assumed range 250 yuan to 1,500 yuan" \
        in en["caption"]
    # 87.90 / 113 = 77.8% of the exits at most, 22.2% at least from elsewhere; all 113 only if their shortfall
    # was at most 124,800 / (113 × 2.8395) = 388.95 yuan per person
    assert "could explain at most 78% of them, so at least 22% came from wages and other income; it could have " \
           "lifted all of them only if they started at most 389 yuan per person below the line" in en["caption"]
    assert "closes 338 yuan per person" in en["caption"]
    zh = figures.figure_text("poverty_gap", df, "zh")
    assert "（12.48万元，基准情形）" in zh["caption"] and "2017年底113户脱贫" in zh["caption"]


def test_poverty_gap_axis_holds_a_shortfall_outside_the_assumed_range():
    p = get_parameters("base", poverty_shortfall_yuan_per_person=3000)
    df = figures.prepared("poverty_gap", p)
    assert df["shortfall_yuan_per_person"].max() == 3000 and set(df["case"]) == {"custom"}
    run = df[df["is_run_value"]].iloc[0]
    assert run["households_liftable"] == pytest.approx(124_800 / (3000 * 690 / 243))  # 14.65
    fig = figures.make_figure("poverty_gap", "en", "web", df=df)
    legend = [" ".join(t.get_text().split()) for t in fig.axes[0].get_legend().get_texts()]  # wrapped to columns
    assert legend[-1] == "This run's parameters: 3,000 yuan per person, 15 households"


def test_presets_show_the_dividend_per_recipient_person_and_the_registered_average():
    df = figures.prepared("scenarios_poverty_line").set_index("preset")
    assert df.at["base", "per_recipient_person_yuan"] == pytest.approx(124_800 / RECIPIENT_PERSONS)
    assert df.at["base", "per_person_yuan"] == pytest.approx(124_800 / 690)
    # low: 800,000 × (0.04 × 40 − 1.5) × 0.6 × 0.3 = 14,400 → ÷ 369.14 = 39.0 and ÷ 690 = 20.9
    assert df.at["low", "per_recipient_person_yuan"] == pytest.approx(14_400 / RECIPIENT_PERSONS)
    en = figures.figure_text("scenarios_poverty_line", figures.prepared("scenarios_poverty_line"), "en")
    assert "Base preset 338 yuan (11.5% of a 2,952 yuan line)" in en["caption"]
    assert "it would be 21 yuan (low preset), 181 yuan (base preset), 852 yuan (high preset)." in en["caption"]
    fig = figures.make_figure("scenarios_poverty_line", "en", "web")
    ticks = [line for line in fig.axes[0].lines]  # one short line per preset at the registered average
    assert [line.get_ydata()[0] for line in ticks] == pytest.approx(list(df["per_person_yuan"]))


def test_montecarlo_histogram_is_per_recipient_person_with_round_thresholds():
    df = figures.prepared("montecarlo_distribution")
    thresholds = df[df["kind"] == "threshold"]
    assert list(thresholds["threshold_share"]) == pytest.approx([0.10, 0.25, 0.50])
    assert list(thresholds["start_yuan"]) == pytest.approx([295.2, 738.0, 1476.0])  # shares × 2,952
    q = df[df["kind"] == "quantile"].set_index("quantile")["start_yuan"]
    registered = df[df["kind"] == "registered_quantile"].set_index("quantile")["start_yuan"]
    # the same draws over 369.14 recipient persons instead of 690 registered ones
    assert q["q50"] == pytest.approx(registered["q50"] * 690 / RECIPIENT_PERSONS)
    assert figures.recipient_thresholds(get_parameters("base")) == pytest.approx(
        tuple(s * RECIPIENT_PERSONS / 690 for s in (0.10, 0.25, 0.50)))
    en = figures.figure_text("montecarlo_distribution", df, "en")
    assert en["caption"].startswith("Monte Carlo distribution of the yearly dividend per recipient person, in the 130 "
                                    "households not yet out of poverty (369 persons; 100,000 draws, seed 20180604; ")
    assert f"Averaged over all 243 households registered as poor (690 persons) instead, the median would be " \
           f"{figures.common.yuan(registered['q50'], 'en')}" in en["caption"]


def test_montecarlo_frame_of_a_run_with_default_thresholds_converts_them_to_recipients():
    from analysis import scenarios

    p = get_parameters("base")
    df = figures.montecarlo_frame(scenarios.monte_carlo(1000, 1, p=p), p)
    thresholds = df[df["kind"] == "threshold"]
    # 10% of the line per registered person is 10% × 690 / 369.14 = 18.7% of it per recipient person
    assert list(thresholds["threshold_share"]) == pytest.approx([s * 690 / RECIPIENT_PERSONS for s in (0.1, 0.25, 0.5)])
    assert "P(dividend ≥ 18.7% of the poverty line) = " in figures.figure_text("montecarlo_distribution", df, "en")["caption"]


def test_fan_chart_is_per_recipient_household_with_zero_dividend_years_and_disasters():
    from analysis import scenarios

    df = figures.prepared("contract_paths_fan")
    last = df[df["year"] == 13].set_index("quantile")
    # the same paths over 130 recipient households or over all 243: a constant ratio in every quantile
    assert (last["cumulative_per_recipient_household_yuan"] / last["cumulative_per_registered_household_yuan"]
            ).dropna().to_numpy() == pytest.approx(243 / 130)
    term = scenarios.contract_term_summary(get_parameters("base"), draws=2000)
    assert set(df["p_zero_dividend_year_any"]) == {term["p_zero_dividend_year_any"]}
    assert last.loc[0.5, "cumulative_per_recipient_household_yuan"] == pytest.approx(
        term["cumulative_per_recipient_household_yuan"]["q50"], rel=0.05)  # median of sums vs sum at the median path
    en = figures.figure_text("contract_paths_fan", df, "en")
    assert f"in {format_share_0(term['p_zero_dividend_year_any'])} of paths at least one year pays no dividend" \
        in en["caption"]
    assert "a disaster year (probability 5% a year) loses 60% of the yield" in en["subtitle"]
    calm = figures.prepared("contract_paths_fan", get_parameters("base", disaster_probability_per_year=0))
    assert set(calm["share_of_draws_disaster"]) == {0.0}
    assert "and 0% of paths have at least one disaster year" in figures.figure_text("contract_paths_fan", calm, "en")["caption"]


def format_share_0(value: float) -> str:
    from analysis.report import format_share

    return format_share(value, 0)


def test_income_channels_per_household_that_receives_it():
    df = figures.prepared("income_channels").set_index("channel")
    assert df.at["dividend", "per_receiving_household_yuan"] == pytest.approx(124_800 / 130)  # 960
    # 200 peak × 0.4 × 90 days × 70 yuan × 0.8 poor = 403,200 over 200 × 0.4 × 0.8 = 64 workers in 64 / 1.5 households
    assert df.at["temporary_wages", "per_receiving_household_yuan"] == pytest.approx(403_200 / (64 / 1.5))  # 9,450
    assert pd.isna(df.at["land_rent", "per_receiving_household_yuan"])
    en = figures.figure_text("income_channels", figures.prepared("income_channels"), "en")
    assert "Averaged over all 243 households registered as poor: Profit dividend (subsidy part) 514 yuan;" in en["caption"]
    assert "Per household that receives it: Profit dividend (subsidy part) 960 yuan (130 households); Temporary work " \
           "wages 9,450 yuan (43 households); " in en["caption"]
    zh = figures.figure_text("income_channels", figures.prepared("income_channels"), "zh")
    assert "合作社务工（一对夫妻）3.6万元" in zh["caption"]  # 36,000 yuan in 万元, not rounded to 4万元
    fig = figures.make_figure("income_channels", "zh", "web")
    assert "3.6万元" in [t.get_text() for t in fig.axes[1].texts]
    assert "workers_per_working_household" in figures.FIGURES["income_channels"].assumption_names(
        figures.prepared("income_channels"))


def test_tornado_shows_both_ends_of_an_assumption_set_outside_its_range_and_names_choices():
    p = get_parameters("base", price_yuan_per_kg=80)  # above the assumed 40–70
    df = figures.prepared("tornado", p)
    price = df.set_index("parameter").loc["price_yuan_per_kg"]
    assert bool(price["outside_range"])
    # at 80: 800,000 × (0.045 × 80 − 2.0) × 0.6 × 0.5 = 384,000 ÷ 369.14 = 1,040.3 per recipient person; at 70
    # (the high): 276,000 ÷ 369.14 = 747.7; both ends below the run's output
    assert (price["output_base"], price["output_high"]) == pytest.approx((384_000 / RECIPIENT_PERSONS,
                                                                          276_000 / RECIPIENT_PERSONS))
    fig = figures.make_figure("tornado", "en", "web", df=df)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "Share of village profit paid to poor households\n30%–70%\na choice, not an uncertainty"  # last
    (price_label,) = [label for label in labels if label.startswith("Farm-gate")]
    assert price_label.endswith("\nthis run: 80 yuan per kg, outside")
    row = labels.index(price_label)
    bars = [patch for patch in ax.patches if abs(patch.get_y() + patch.get_height() / 2 - row) < 0.5]
    assert sorted(round(patch.get_height(), 2) for patch in bars) == [0.3, 0.3]  # side by side, both visible
    assert sorted(round(patch.get_y() + patch.get_height() / 2 - row, 2) for patch in bars) == [-0.16, 0.16]
    (marker,) = [line for line in ax.lines if line.get_marker() == "D"]
    assert (marker.get_xdata()[0], marker.get_ydata()[0]) == pytest.approx((384_000 / RECIPIENT_PERSONS, row))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1] == "This run's value, outside the assumed range"
    caption = figures.figure_text("tornado", df, "en")["caption"]
    assert "Farm-gate price of dried wood-ear: this run's value lies outside the assumed range" in caption
    assert "Share of village profit paid to poor households, a choice of the villages rather than an uncertainty, " \
           "would move it from " in caption
    base = figures.prepared("tornado")
    assert not base["outside_range"].any()
    assert "outside" not in figures.figure_text("tornado", base, "en")["caption"]
    assert figures.figure_text("tornado", base, "en")["caption"].startswith(
        "Sensitivity of the yearly dividend per recipient person (130 households not yet out of poverty)")


@pytest.mark.parametrize(("figure_id", "size"), [("subsidy_share", "web"), ("income_channels", "double-column"),
                                                 ("income_channels", "slide"), ("contract_paths_fan", "web")])
def test_the_layout_is_the_same_every_time(figure_id, size):
    """Drawn again and again in one process, the axes land on exactly the same positions once rendered (the
    constrained layout alone does not always: income_channels at double-column moved by a last bit in two
    draws of ten, which changed the SVG's clip-path ids, so the export was not byte-identical; the render
    rounds the positions, style.LAYOUT_DECIMALS)."""
    df = figures.prepared(figure_id)
    positions, svgs = set(), set()
    for _ in range(8):
        fig = figures.make_figure(figure_id, "en", size, df=df)
        with style.figure_style(size):
            svgs.add(style.render_formats(fig, ["svg"])["svg"])
        positions.add(tuple(tuple(float(v) for v in ax.get_position().bounds) for ax in fig.axes))
    assert len(positions) == 1 and len(svgs) == 1
