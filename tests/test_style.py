"""Tests of analysis/style.py: presets, palette, fonts, wrapping, the source line, deterministic export."""
from __future__ import annotations

import io
import warnings

import matplotlib
import pytest

from analysis import style
from analysis.errors import AnalysisError, ParameterError

pytestmark = pytest.mark.filterwarnings("error:Glyph.*missing")


def test_size_presets_have_the_column_widths_and_slide_shape():
    assert list(style.SIZES) == ["web", "single-column", "double-column", "slide"]
    assert style.SIZES["single-column"].width_in == 3.5
    assert style.SIZES["double-column"].width_in == 7.2
    slide = style.SIZES["slide"]
    assert round(slide.width_in / slide.height_in, 3) == round(16 / 9, 3)  # 13.333 / 7.5 = 1.7777
    for preset in style.SIZES.values():
        assert preset.small_pt >= 6  # nothing below 6 pt, legible in print
        assert preset.small_pt < preset.font_pt < preset.title_pt


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
        assert matplotlib.rcParams["font.family"] == [style.FONT_FAMILY, style.FALLBACK_FAMILY]
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


def _figure(text: str, size: str = "single-column"):
    with style.figure_style(size) as preset:
        fig = style.new_figure(preset)
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, -1])
        style.frame_figure(fig, preset, text, "副标题 subtitle", "资料来源：测试")
    return fig


def test_wrap_text_keeps_every_line_inside_the_width():
    fig = _figure("t")
    text = "大苏河乡坚持把脱贫攻坚作为最大的政治任务，找准党建定位，进一步夯实责任、建强组织、明析产业项目"
    lines = style.wrap_text(fig, text, 9, 2.0)
    assert len(lines) > 1
    assert "".join(lines) == text  # Chinese breaks between characters, nothing lost
    assert not any(line.startswith(("，", "、")) for line in lines)
    english = style.wrap_text(fig, "one two three four five six seven eight nine ten eleven twelve", 9, 1.0)
    assert " ".join(english) == "one two three four five six seven eight nine ten eleven twelve"
    for line in lines + english:
        assert style._token_width_px(line, 9, fig.dpi) <= 2.0 * fig.dpi


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


def test_render_formats_lays_out_once_and_keeps_that_layout():
    fig = _figure("大苏河乡 Dasuhe")
    with style.figure_style("single-column"):
        alone = style.render_figure(_figure("大苏河乡 Dasuhe"), "png")  # a twin figure, laid out by its own render
        rendered = style.render_formats(fig, ["png", "svg", "pdf"])
        position = fig.axes[0].get_position().bounds
        again = style.render_figure(fig, "png")
    assert list(rendered) == ["png", "svg", "pdf"]
    assert rendered["png"] == alone == again  # the frozen layout is the first render's
    assert type(fig.get_layout_engine()).__name__ == "PlaceHolderLayoutEngine"  # constrained layout is off
    assert fig.axes[0].get_position().bounds == position


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
    assert "@font-face" in svg and "data:font/woff2;base64," in svg
    assert style.SVG_FONT_STACK in svg
    assert "<dc:date>" not in svg


def test_working_font_covers_the_data_and_code_characters():
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(style.working_font_path()), lazy=True).getBestCmap()
    wanted = {ch for ch in style.working_font_characters() if not ch.isspace()}
    missing = sorted(ch for ch in wanted if ord(ch) not in cmap)
    # whatever the font lacks falls back to DejaVu Sans or is a render error; letters and hanzi must be there
    assert not [ch for ch in missing if "\u4e00" <= ch <= "\u9fff" or ch.isalnum() and ord(ch) < 0x80]


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
