"""Tests of analysis/style.py: presets, palette, fonts, wrapping, the source line, deterministic export."""
from __future__ import annotations

import io
import warnings

import matplotlib
import pytest

from analysis import style
from analysis.errors import AnalysisError, ParameterError
from conftest import embedded_font_families, svg_font

pytestmark = pytest.mark.filterwarnings("error:Glyph.*missing")


def test_size_presets_have_the_column_widths_and_slide_shape():
    assert list(style.SIZES) == ["web", "single-column", "double-column", "slide"]
    assert style.SIZES["single-column"].width_in == 3.5
    assert style.SIZES["double-column"].width_in == 7.2
    slide = style.SIZES["slide"]
    assert round(slide.width_in / slide.height_in, 3) == round(16 / 9, 3)  # 13.333 / 7.5 = 1.7777
    for preset in style.SIZES.values():
        assert preset.source_pt >= style.MIN_SOURCE_PT  # the source line: 6 pt at least
        assert preset.source_pt <= preset.small_pt < preset.font_pt < preset.title_pt
    for name in style.PRINT_SIZES:  # in print no text below 7 pt but the source line
        assert style.SIZES[name].small_pt >= style.MIN_PRINT_PT == 7.0


@pytest.mark.parametrize(("size", "pixels"), [
    ("web", (8.0 * 200, 5.0 * 200)),                     # 1600 x 1000 px: 2x an 800 CSS px column
    ("single-column", (3.5 * 300, 3.0 * 300)),           # 1050 x 900 px: print
    ("double-column", (7.2 * 300, 4.5 * 300)),           # 2160 x 1350 px: print
    ("slide", (1999, 7.5 * 150)),                        # 13.333 x 150 = 1999.95, whole pixels: 1999 x 1125
])
def test_png_pixel_size_is_width_times_the_presets_dpi(size, pixels):
    from PIL import Image

    with style.figure_style(size) as preset:
        fig = style.new_figure(preset)
        fig.add_subplot().plot([0, 1], [0, 1])
        png = style.render_figure(fig, "png")
    assert Image.open(io.BytesIO(png)).size == tuple(int(n) for n in pixels)
    assert preset.png_dpi == {"web": 200, "single-column": 300, "double-column": 300, "slide": 150}[size]


def test_encode_png_drops_alpha_only_when_every_pixel_is_opaque():
    from PIL import Image

    with style.figure_style("web"):  # 200 dpi: 0.01 in x 200 = 2 px wide, 0.005 in x 200 = 1 px high
        opaque = style.encode_png(bytes([255, 0, 0, 255, 0, 0, 255, 255]), (0.01, 0.005))
        see_through = style.encode_png(bytes([255, 0, 0, 255, 0, 0, 255, 128]), (0.01, 0.005))
    a, b = Image.open(io.BytesIO(opaque)), Image.open(io.BytesIO(see_through))
    assert (a.mode, a.size, a.tobytes()) == ("RGB", (2, 1), bytes([255, 0, 0, 0, 0, 255]))
    assert (b.mode, b.size, b.tobytes()) == ("RGBA", (2, 1), bytes([255, 0, 0, 255, 0, 0, 255, 128]))
    assert round(a.info["dpi"][0]) == 200 and "Software" not in a.info


def test_figure_png_is_opaque_rgb_with_the_pixels_matplotlib_draws():
    from PIL import Image

    fig = _figure("大苏河乡 Dasuhe")
    with style.figure_style("single-column"):
        ours = Image.open(io.BytesIO(style.render_figure(fig, "png")))
        plain = io.BytesIO()
        fig.savefig(plain, format="png")  # matplotlib's own RGBA PNG of the same (already laid out) figure
    theirs = Image.open(plain)
    assert (ours.mode, theirs.mode) == ("RGB", "RGBA")
    assert ours.tobytes() == theirs.convert("RGB").tobytes()


def test_prepare_rendering_names_a_bad_format():
    with pytest.raises(ParameterError) as caught:
        style.prepare_rendering(["png", "gif"])
    assert str(caught.value) == "format 'gif': unknown format, choose one of png, svg, pdf"
    assert set(style.RENDER_MODULES) == set(style.FORMATS)


def test_default_png_dpi_is_the_web_presets():
    assert style.DEFAULT_SIZE == "web" and style.PNG_DPI == style.SIZES["web"].png_dpi == 200


def _luma(colour: str) -> float:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.299 * red + 0.587 * green + 0.114 * blue


def test_first_three_palette_colours_differ_in_grey():
    # BLUE #0072B2: 0.299*0 + 0.587*114 + 0.114*178 = 87.2; VERMILLION #D55E00: 0.299*213 + 0.587*94 = 118.9;
    # ORANGE #E69F00: 0.299*230 + 0.587*159 = 162.1
    lumas = [round(_luma(c), 1) for c in style.PALETTE[:3]]
    assert lumas == [87.2, 118.9, 162.1]
    assert min(b - a for a, b in zip(lumas, lumas[1:])) >= 30


def test_style_context_leaves_global_rcparams_alone():
    before = dict(matplotlib.rcParams)
    with style.figure_style("slide") as size:
        assert matplotlib.rcParams["font.size"] == size.font_pt == 16.0
        assert matplotlib.rcParams["pdf.fonttype"] == 42
        assert matplotlib.rcParams["svg.fonttype"] == "none"
        assert matplotlib.rcParams["axes.unicode_minus"] is False
        assert matplotlib.rcParams["font.family"] == ["Noto Sans SC Figures", "Noto Sans SC", "DejaVu Sans"]
    assert dict(matplotlib.rcParams) == before


@pytest.mark.parametrize(("call", "message"), [
    (lambda: style.get_size("huge"), "size 'huge': unknown size preset, choose one of web, single-column, double-column, slide"),
    (lambda: style.check_lang("fr"), "lang 'fr': unknown language, choose one of en, zh"),
    (lambda: style.check_format("gif"), "format 'gif': unknown format, choose one of png, svg, pdf"),
])
def test_bad_choices_name_the_choices(call, message):
    with pytest.raises(ParameterError) as caught:
        call()
    assert str(caught.value) == message


def test_source_line_is_built_from_metadata():
    assert style.source_line("共产党员网", "2018-06-04", [], "en") == \
        "Source: 共产党员网, 2018-06-04 (facts stated in the article)"
    assert style.source_line("共产党员网", "2018-06-04", ["Price", "Yield"], "en") == (
        "Source: 共产党员网, 2018-06-04 (facts stated in the article); model assumptions: Price, Yield "
        "(see the assumptions table)")
    # six labels: four shown, 6 - 4 = 2 more
    assert style.source_line("共产党员网", "2018-06-04", list("ABCDEF"), "en", uses_facts=False) == (
        "Source: 共产党员网, 2018-06-04; model assumptions: A, B, C, D and 2 more (see the assumptions table)")
    assert style.source_line("共产党员网", "2018-06-04", list("甲乙丙丁戊"), "zh") == (
        "资料来源：共产党员网，2018-06-04（文章所述事实）；模型假设：甲、乙、丙、丁等5项（见假设表）")


def _figure(text: str, size: str = "single-column", subtitle: str = "副标题 subtitle", source: str = "资料来源：测试"):
    with style.figure_style(size) as preset:
        fig = style.new_figure(preset)
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, -1])
        style.frame_figure(fig, preset, text, subtitle, source)
    return fig


def test_wrap_text_keeps_every_line_inside_the_width():
    fig = _figure("t")
    text = "大苏河乡坚持把脱贫攻坚作为最大的政治任务，找准党建定位，进一步夯实责任、建强组织、明析产业项目"
    lines = style.wrap_text(fig, text, 9, 2.0)
    assert len(lines) > 1
    assert "".join(lines) == text  # Chinese breaks between words, nothing lost
    assert not any(line.startswith(("，", "、")) for line in lines)
    english = style.wrap_text(fig, "one two three four five six seven eight nine ten eleven twelve", 9, 1.0)
    assert " ".join(english) == "one two three four five six seven eight nine ten eleven twelve"
    for line in lines + english:
        assert style._token_width_px(line, 9, fig.dpi) <= 2.0 * fig.dpi


WIDTHS = [w / 100 for w in range(20, 260, 5)]  # 0.2 to 2.55 in: every break a wrap can choose


@pytest.mark.parametrize(("text", "word"), [
    ("Sanshidaohe 三十道河村", "三十道河村"),      # a village name (from data/villages.csv, unbreakable)
    ("field-grown ginseng 平地参", "平地参"),      # a product (data/village_industries.csv)
    ("另外6个村（原文未点名）", "原文"),            # a word: jieba's dictionary
    ("大苏河乡产业扶贫党支部下设3个党小组", "大苏河乡产业扶贫党支部"),  # an organisation
])
def test_chinese_breaks_between_words_never_inside_a_name(text, word):
    from analysis.figures.common import proper_names

    fig = _figure("t")
    for width in WIDTHS:
        lines = style.wrap_text(fig, text, 7, width, keep=proper_names())
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        assert any(word in line for line in lines), (width, lines)


def test_wrap_breaks_chinese_at_word_boundaries_and_keeps_brackets_and_units_attached():
    fig = _figure("t")
    text = "另外6个村（原文未点名）"
    assert style._tokens(text) == ["另外", "6个村", "（原文", "未", "点名", "）"]  # HMM joins 个村; 6 keeps its unit
    assert style._tokens("截至2017年底，243户") == ["截至", "2017年底", "，", "243户"]
    seen = set()
    for width in WIDTHS:
        lines = style.wrap_text(fig, text, 7, width)
        seen.add(tuple(lines))
        assert not any(line.endswith("（") or line.startswith(("）", "，")) for line in lines)
    # the breaks it can choose: between words only (原/文, 点/名, 6/个 never)
    breaks = {tuple(len("".join(lines[:i + 1])) for i in range(len(lines) - 1)) for lines in seen}
    assert {cut for found in breaks for cut in found} <= {2, 5, 8, 9, 11}
    assert style.wrap_text(fig, "平地参", 7, 0.01, keep=("平地参",)) == ["平地参"]  # too wide: a line of its own


def test_missing_glyph_is_an_error_not_tofu():
    fig = _figure("title")
    fig.text(0.5, 0.5, "\U0001f344 mushroom")  # an emoji neither font has
    with style.figure_style("single-column"), pytest.raises(AnalysisError) as caught:
        style.render_figure(fig, "png")
    assert str(caught.value).startswith("figure text: Glyph 127812")


def test_render_is_deterministic_within_a_process():
    fig = _figure("大苏河乡 Dasuhe −1")
    with style.figure_style("single-column"):
        for fmt in style.FORMATS:
            assert style.render_figure(fig, fmt) == style.render_figure(fig, fmt)


def test_render_formats_lays_out_once_at_png_resolution_whatever_the_formats():
    fig = _figure("大苏河乡 Dasuhe")
    with style.figure_style("single-column"):
        alone = style.render_figure(_figure("大苏河乡 Dasuhe"), "png")  # a twin, laid out by its own PNG render
        rendered = style.render_formats(fig, ["svg", "pdf", "png"])
        position = fig.axes[0].get_position().bounds
        again = style.render_figure(fig, "png")
        svg_alone = style.render_formats(_figure("大苏河乡 Dasuhe"), ["svg"])["svg"]
    assert list(rendered) == ["svg", "pdf", "png"]
    assert rendered["png"] == alone == again  # laid out as a PNG render lays out, and kept
    assert rendered["svg"] == svg_alone  # an SVG does not depend on the other formats asked for
    assert fig.get_layout_engine() is None  # no layout engine: savefig draws the figure once
    assert fig.axes[0].get_position().bounds == position
    assert fig.dpi == 100  # the screen resolution is restored after the layout


def test_render_formats_says_which_glyph_is_missing():
    fig = _figure("title")
    fig.text(0.5, 0.5, "\U0001f344 mushroom")
    with style.figure_style("single-column"), pytest.raises(AnalysisError) as caught:
        style.render_formats(fig, ["svg"])
    assert str(caught.value).startswith("figure text: Glyph 127812")


def test_pdf_embeds_the_cjk_font_as_cid_not_type3():
    from pypdf import PdfReader

    fig = _figure("大苏河乡 Dasuhe")
    with style.figure_style("single-column"):
        pdf = style.render_figure(fig, "pdf")
    fonts = _pdf_fonts(PdfReader(io.BytesIO(pdf)))
    assert fonts, "no fonts in the PDF"
    assert all(subtype != "/Type3" for _, subtype, _ in fonts)
    assert all(embedded for _, _, embedded in fonts)
    assert any("NotoSansSC" in name for name, _, _ in fonts)


def _pdf_fonts(reader) -> list[tuple[str, str, bool]]:
    """(base font, subtype, has an embedded font file) for every font of every page."""
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptors = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for d in descriptors:
                fd = d.get("/FontDescriptor")
                fd = fd.get_object() if fd is not None else {}
                embedded = any(key in fd for key in ("/FontFile", "/FontFile2", "/FontFile3"))
                found.append((str(font["/BaseFont"]), str(font["/Subtype"]), embedded))
    return found


def test_svg_keeps_text_and_carries_the_font_subset():
    fig = _figure("大苏河乡 Dasuhe")
    with style.figure_style("single-column"):
        svg = style.render_figure(fig, "svg").decode("utf-8")
    assert "<text" in svg and "大苏河乡" in svg
    assert "@font-face" in svg and "data:font/woff;base64," in svg
    assert style.SVG_FONT_STACK in svg
    assert "<dc:date>" not in svg


def test_working_font_covers_the_data_and_code_characters():
    from fontTools.ttLib import TTFont

    with TTFont(str(style.working_font_path()), lazy=True) as font:
        cmap = font.getBestCmap()
    wanted = {ch for ch in style.working_font_characters() if not ch.isspace()}
    missing = sorted(ch for ch in wanted if ord(ch) not in cmap)
    # whatever the font lacks falls back to DejaVu Sans or is a render error; letters and hanzi must be there
    assert not [ch for ch in missing if "\u4e00" <= ch <= "\u9fff" or ch.isalnum() and ord(ch) < 0x80]


def test_figure_font_is_the_working_font_cut_to_the_figures_characters():
    from fontTools.ttLib import TTFont

    with TTFont(str(style.working_font_path())) as working, TTFont(str(style.figure_font_path())) as small:
        working_cmap, small_cmap = working.getBestCmap(), small.getBestCmap()
        glyphs = (len(small.getGlyphOrder()), len(working.getGlyphOrder()))
        names = {record.nameID: record.toUnicode() for record in small["name"].names}
        vertical = ("vmtx" in small, "vmtx" in working)
    wanted = {ord(ch) for ch in style.figure_font_characters()} & set(working_cmap)
    assert set(small_cmap) == wanted  # every character of data and code the working font has, nothing else
    assert "鑫" not in style.figure_font_characters() and ord("鑫") in working_cmap  # GB 2312, in no label
    assert glyphs[0] * 4 < glyphs[1]
    assert (names[1], names[4], names[6]) == ("Noto Sans SC Figures", "Noto Sans SC Figures", "NotoSansSC-Regular")
    assert vertical == (False, True)  # horizontal text only: no vertical metrics


def test_text_of_the_figures_embeds_only_the_small_figure_font():
    # words of the project only ("副", "测" and "试" of the default subtitle and source are not);
    # "fi" and Latin-context digits make matplotlib write a second subset of the same font
    fig = _figure("大苏河乡 Dasuhe: profit 2.5", subtitle="Source", source="资料来源：共产党员网")
    with style.figure_style("single-column"):
        rendered = style.render_formats(fig, ["svg", "pdf"])
    assert embedded_font_families(rendered["pdf"]) == ["Noto Sans SC Figures"] * 2
    woff = svg_font(rendered["svg"])
    assert woff["name"].getDebugName(1) == "Noto Sans SC Figures"
    assert {ord(ch) for ch in "大苏河乡Dasuhe:profit2.5Source资料来源：共产党员网"} <= set(woff.getBestCmap())


def test_a_character_outside_the_figure_font_falls_back_to_the_working_font():
    fig = _figure("鑫 Dasuhe", subtitle="Source", source="Source")  # 鑫: GB 2312 (working font), no label
    with warnings.catch_warnings(), style.figure_style("single-column"):
        warnings.simplefilter("error")
        rendered = style.render_formats(fig, ["png", "svg", "pdf"])
    assert embedded_font_families(rendered["pdf"]) == ["Noto Sans SC", "Noto Sans SC Figures"]
    woff = svg_font(rendered["svg"])  # one @font-face: cut from the working font, which has every character
    assert woff["name"].getDebugName(1) == "Noto Sans SC"
    assert ord("鑫") in woff.getBestCmap()


def test_save_figure_is_atomic_on_failure(tmp_path):
    fig = _figure("title")
    fig.text(0.5, 0.5, "\U0001f344")
    target = tmp_path / "out.png"
    with style.figure_style("single-column"), pytest.raises(AnalysisError):
        style.save_figure(fig, target, "png")
    assert list(tmp_path.iterdir()) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = _figure("ok 好")
        with style.figure_style("single-column"):
            style.save_figure(fig, target, "png")
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pdf_font_file_is_truetype_as_declared(tmp_path):
    """CIDFontType2 must carry TrueType outlines in FontFile2 (not CFF): the working font is converted."""
    import shutil
    import subprocess

    from pypdf import PdfReader

    fig = _figure("大苏河乡 Dasuhe")
    with style.figure_style("single-column"):
        pdf = style.render_figure(fig, "pdf")
    reader = PdfReader(io.BytesIO(pdf))
    descendants = [d.get_object() for page in reader.pages for f in page["/Resources"]["/Font"].values()
                   for d in f.get_object().get("/DescendantFonts", [])]
    assert descendants
    for d in descendants:
        assert d["/Subtype"] == "/CIDFontType2"
        font_file = d["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
        assert font_file[:4] == b"\x00\x01\x00\x00"  # sfnt version of TrueType outlines
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) not on PATH: checked with pypdf only")
    target = tmp_path / "f.pdf"
    target.write_bytes(pdf)
    result = subprocess.run(["pdffonts", str(target)], capture_output=True, text=True)
    rows = result.stdout.splitlines()[2:]
    assert rows and all("CID TrueType" in row and " yes yes yes " in row for row in rows)
    assert "Mismatch" not in result.stderr
