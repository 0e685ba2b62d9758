"""Figure style and export: the ONE place for rcParams, fonts, palette, sizes and saving.

Every figure of the project is drawn inside :func:`figure_style` (a
``matplotlib.rc_context``; nothing is changed globally at import) on a
:func:`new_figure`, framed by :func:`frame_figure` (title, subtitle and the
source footer) and rendered to bytes by :func:`render_figure` (the figure export writes them
atomically; :func:`save_figure` renders and writes one file).

Fonts
    Noto Sans SC (SIL Open Font Licence) from the ``pylopdf_fonts_zh_cn`` wheel
    is registered explicitly and used for *both* languages, so an English and a
    Chinese figure look alike: two cached subsets of it, a small figure font
    (the characters of data and code) first, the working font (GB 2312) behind
    it; DejaVu Sans (matplotlib's own) is the fallback for the odd symbol.  A
    glyph missing from all of them is an error
    (:class:`~analysis.errors.AnalysisError`), never silent tofu.

Export
    PNG at the size preset's ``png_dpi`` (web 200, print 300, slide 150), stored
    as RGB; :func:`render_formats` lays a figure out once for all its formats.

Determinism
    PNG without a software stamp, PDF without dates or producer, SVG
    without date and with a fixed ``svg.hashsalt``: identical inputs give
    identical bytes.  PDF embeds the font as CID TrueType (``pdf.fonttype`` 42); SVG
    keeps text as ``<text>`` (``svg.fonttype`` "none") and carries a subset of
    the font as a WOFF ``@font-face`` inside the file, so the text stays
    searchable and renders on machines without a CJK font.
"""
from __future__ import annotations

import base64
import functools
import importlib.resources
import io
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from xml.etree import ElementTree

from analysis.errors import AnalysisError, ParameterError
from analysis.io import atomic_path

FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_FILE = "NotoSansSC-Regular.otf"
FONT_FAMILY = "Noto Sans SC"
FALLBACK_FAMILY = "DejaVu Sans"
SVG_FONT_STACK = f"'{FONT_FAMILY}', 'Noto Sans CJK SC', 'Source Han Sans SC', '{FALLBACK_FAMILY}', sans-serif"

LANGUAGES = ("en", "zh")
FORMATS = ("png", "svg", "pdf")
SVG_HASHSALT = "dasuhe"

# Okabe & Ito (2008) colour-blind-safe colours. The first three differ in
# grey level (luma 87, 119, 162), so a greyscale print still tells them apart;
# figures needing more categories add hatches (HATCHES).
BLUE, VERMILLION, ORANGE = "#0072B2", "#D55E00", "#E69F00"
GREEN, PURPLE, SKY = "#009E73", "#CC79A7", "#56B4E9"
PALETTE = (BLUE, VERMILLION, ORANGE, GREEN, PURPLE, SKY)
# (Avoid dots, "...": matplotlib writes a dotted hatch into SVG as a tile of some 150 KB of circles.)
HATCHES = ("", "///", "...", "xx", "\\\\\\", "++")
FACT_COLOUR = BLUE        # a quantity the article states
ASSUMED_COLOUR = ORANGE   # a quantity that depends on model assumptions
ASSUMED_HATCH = "///"
NEUTRAL_COLOUR = "#9A9A9A"
LIGHT_COLOUR = "#DDDDDD"
TEXT_COLOUR = "#222222"
SEQUENTIAL_CMAP = "cividis"


@dataclass(frozen=True)
class SizePreset:
    """A figure size: width and height in inches, font sizes in points, PNG resolution in dots per inch.

    ``font_pt``: axis labels and body text; ``title_pt``: the title; ``small_pt``: tick labels,
    legends, value labels and the subtitle; ``source_pt``: the source line.
    """

    name: str
    width_in: float
    height_in: float
    font_pt: float
    title_pt: float
    small_pt: float
    line_width_pt: float
    png_dpi: float
    source_pt: float


# PNG resolution by medium (the PNG is width_in x png_dpi pixels wide; SVG and PDF are vector):
# - web: 200 dpi, 1600 x 1000 px for 8 x 5 in: sharp on a 2x (retina) screen at 800 CSS px wide,
#   and 2.25x fewer pixels to draw and encode than 300 dpi;
# - single-column, double-column: 300 dpi, the usual minimum for line art with text in print;
# - slide: 150 dpi, 1999 x 1125 px for 13.333 x 7.5 in: fills a 1920 px (full HD) screen.
SIZES: dict[str, SizePreset] = {
    preset.name: preset
    for preset in (
        SizePreset("web", 8.0, 5.0, 10.0, 13.0, 8.5, 1.4, png_dpi=200, source_pt=7.8),
        SizePreset("single-column", 3.5, 3.0, 7.5, 9.0, 7.0, 0.8, png_dpi=300, source_pt=6.0),
        SizePreset("double-column", 7.2, 4.5, 8.0, 10.0, 7.0, 1.0, png_dpi=300, source_pt=6.5),
        SizePreset("slide", 13.333, 7.5, 16.0, 22.0, 13.0, 2.2, png_dpi=150, source_pt=12.0),
    )
}
# In print (the column sizes) no text is smaller than MIN_PRINT_PT but the source line (MIN_SOURCE_PT).
PRINT_SIZES = ("single-column", "double-column")
MIN_PRINT_PT = 7.0
MIN_SOURCE_PT = 6.0
DEFAULT_SIZE = "web"
PNG_DPI = SIZES[DEFAULT_SIZE].png_dpi  # the PNG resolution of the default size (what the site shows)
DEFAULT_LANG = "en"


def get_size(name: str) -> SizePreset:
    """Return the size preset *name*; ParameterError naming the choices otherwise."""
    if name not in SIZES:
        raise ParameterError(f"size {name!r}: unknown size preset, choose one of {', '.join(SIZES)}")
    return SIZES[name]


def check_lang(lang: str) -> str:
    """Return *lang* if it is a supported language; ParameterError otherwise."""
    if lang not in LANGUAGES:
        raise ParameterError(f"lang {lang!r}: unknown language, choose one of {', '.join(LANGUAGES)}")
    return lang


def check_format(fmt: str) -> str:
    """Return *fmt* if it is a supported file format; ParameterError otherwise."""
    if fmt not in FORMATS:
        raise ParameterError(f"format {fmt!r}: unknown format, choose one of {', '.join(FORMATS)}")
    return fmt


# --- fonts ------------------------------------------------------------------
def font_path() -> Path:
    """Path of the bundled Noto Sans SC font file."""
    return Path(str(importlib.resources.files(FONT_PACKAGE) / FONT_FILE))


# The bundled font holds ~30,000 CJK glyphs; subsetting it for every PDF and SVG is slow.
# Figures therefore use a cached subset of it (same design and family name; the OFL allows
# modified versions, and Noto has no reserved font name): all of GB 2312, Latin, punctuation,
# symbols, and every character of the data package and of the analysis code (labels).
WORKING_FONT_RANGES = ((0x20, 0x250), (0x2000, 0x2BFF), (0x3000, 0x3040), (0xFF00, 0xFFF0))


def _gb2312_characters() -> set[str]:
    chars = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def _project_characters() -> set[str]:
    """Every character of the data package (CSV) and of the analysis code (its packages too: the
    figures' words live in ``analysis/figures/``)."""
    from analysis import paths

    chars: set[str] = set()
    for folder, pattern in ((paths.DATA_DIR, "*.csv"), (paths.ANALYSIS_DIR, "**/*.py")):
        for file in sorted(folder.glob(pattern)):
            chars.update(file.read_text(encoding="utf-8"))
    return chars


def working_font_characters() -> str:
    """Characters of the working font: GB 2312, the ranges above, and those used in data and code."""
    chars = _gb2312_characters() | _project_characters()
    for start, stop in WORKING_FONT_RANGES:
        chars.update(chr(code) for code in range(start, stop))
    return "".join(sorted(ch for ch in chars if ch.isprintable()))


WORKING_FONT_VERSION = "2"  # bump when the way the working font is built changes


@functools.cache
def working_font_path() -> Path:
    """The cached working font the figures use (built once into .cache/fonts/, a few seconds).

    A subset of Noto Sans SC (see :func:`working_font_characters`) with its cubic CFF outlines
    converted to quadratic TrueType ones: matplotlib then embeds it in PDFs as a true CID
    TrueType font (FontFile2), as the PDF format expects, and subsets it quickly.
    """
    import hashlib

    from analysis import paths

    characters = working_font_characters()
    seed = f"{WORKING_FONT_VERSION}:{font_path().stat().st_size}:{characters}"
    key = hashlib.sha256(seed.encode()).hexdigest()[:16]
    target = paths.FONTS_CACHE_DIR / f"NotoSansSC-Regular-subset-{key}.ttf"
    return _cached_subset(font_path(), characters, target, ["*"], transform=_convert_to_truetype)


def _cached_subset(source: Path, characters: str, target: Path, layout_features: list[str],
                   drop_tables: tuple[str, ...] = (), transform=None) -> Path:
    """*target*: the subset of font *source* holding *characters* (all name records, a drawn
    .notdef, the given OpenType *layout_features*, without *drop_tables*), passed through
    *transform* (a function changing the fontTools font in place) and saved atomically; made
    only if *target* does not exist yet (its name carries a hash of everything that shapes it)."""
    if not target.exists():
        from fontTools import subset

        options = subset.Options()
        options.name_IDs = ["*"]
        options.layout_features = layout_features
        options.notdef_outline = True
        options.drop_tables += list(drop_tables)
        font = subset.load_font(str(source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=characters)
        subsetter.subset(font)
        if transform is not None:
            transform(font)
        with atomic_path(target) as tmp:
            font.save(str(tmp))
    return target


def _convert_to_truetype(font) -> None:
    """Replace the CFF outlines of a fontTools TTFont by TrueType (glyf) outlines, in place."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    outlines = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(outlines)
        outlines[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    metrics = font["hmtx"]
    for name, glyph in glyphs.items():
        glyph.recalcBounds(glyf)
        metrics[name] = (metrics[name][0], getattr(glyph, "xMin", 0))
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 0)
    font["maxp"] = maxp
    font["post"].formatType = 3.0  # no glyph names
    font.sfntVersion = "\x00\x01\x00\x00"
    font.recalcBBoxes = True  # maxp and head bounds are computed from the new outlines on save


# The figure font: the working font cut down to what the project's figures show (every character
# of the data and the code, ASCII, Latin-1 and the common punctuation): ~1,100 glyphs instead of
# ~8,900, 0.2 MB instead of 2.3 MB. Matplotlib's PDF backend subsets the font file it draws with
# for every PDF, the SVG export subsets it for every WOFF; from the small file each subset costs
# about half. (English PDFs hold two subsets of the font: HarfBuzz gives digits in Latin text the
# font's Latin-context forms ("locl", 2% shorter) and sets "fi" as a ligature, and matplotlib
# writes a second glyph for a character, and every ligature, into a subset of its own. That is
# the font's typography, kept; the extra subset costs little from the small file.)
# It is registered under a family name of its own and comes first in the font list; a character
# it lacks falls back, glyph by glyph, to the working font (same design, GB 2312), then to DejaVu
# Sans; a glyph in none of them is an error. Its name table differs only in the family name
# (nameIDs 1 and 4): PDFs still name the font "NotoSansSC-Regular". PNG text is hinted from the
# small file, so it can differ from the working font's by a pixel here and there.
FIGURE_FONT_FAMILY = "Noto Sans SC Figures"
FIGURE_FONT_RANGES = ((0x20, 0x7F), (0xA0, 0x100), (0x2000, 0x2070), (0x3000, 0x3040), (0xFF00, 0xFFF0))
# the OpenType features HarfBuzz applies to horizontal text by default: shaping stays as with the
# working font (the vertical, width and alternate-glyph features would only add glyphs)
FIGURE_FONT_FEATURES = ("ccmp", "locl", "mark", "mkmk", "rlig", "calt", "clig", "curs", "dist", "kern", "liga",
                        "rclt")
FONT_FAMILIES = (FIGURE_FONT_FAMILY, FONT_FAMILY, FALLBACK_FAMILY)  # font.family of every figure, in order


def figure_font_characters() -> str:
    """Characters of the figure font: the ranges above and every character of data and code."""
    chars = _project_characters()
    for start, stop in FIGURE_FONT_RANGES:
        chars.update(chr(code) for code in range(start, stop))
    return "".join(sorted(ch for ch in chars if ch.isprintable()))


@functools.cache
def figure_font_path() -> Path:
    """The cached figure font (a subset of :func:`working_font_path`, built once into .cache/fonts/)."""
    import hashlib

    from analysis import paths

    source = working_font_path()
    characters = figure_font_characters()
    seed = f"{source.name}:{FIGURE_FONT_FAMILY}:{','.join(FIGURE_FONT_FEATURES)}:{characters}"
    key = hashlib.sha256(seed.encode()).hexdigest()[:16]
    target = paths.FONTS_CACHE_DIR / f"NotoSansSC-Regular-figures-{key}.ttf"
    vertical = ("vhea", "vmtx", "VORG", "BASE")  # vertical metrics: figures set text horizontally
    return _cached_subset(source, characters, target, list(FIGURE_FONT_FEATURES), vertical, _rename_figure_font)


def _rename_figure_font(font) -> None:
    """Give the figure font its own family name (name records 1, 4 and 16), in place."""
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = FIGURE_FONT_FAMILY


@functools.cache
def figure_font_codepoints() -> frozenset[int]:
    """The characters (code points) the figure font has a glyph for."""
    from fontTools.ttLib import TTFont

    with TTFont(str(figure_font_path()), lazy=True) as font:
        return frozenset(font.getBestCmap())


RENDER_MODULES = {  # what rendering each format imports on first use
    "png": ("matplotlib.backends.backend_agg", "PIL.PngImagePlugin"),
    "svg": ("matplotlib.backends.backend_svg", "fontTools.subset"),
    "pdf": ("matplotlib.backends.backend_pdf", "fontTools.subset"),
}


def prepare_rendering(formats) -> None:
    """Register the fonts (building the cached ones) and import what rendering *formats* needs.

    Call it once before forking render processes: they inherit both instead of each
    importing the backends (~0.6 CPU-s) and opening the fonts again.
    """
    import importlib

    register_fonts()
    importlib.import_module("rjieba")  # the word segmenter the line breaks of every figure use
    for fmt in formats:
        for module in RENDER_MODULES[check_format(fmt)]:
            importlib.import_module(module)


@functools.cache
def register_fonts() -> str:
    """Register the figure font and the working Noto Sans SC with matplotlib (once per process).

    Returns the family name of the working font.
    """
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(figure_font_path()))
    font_manager.fontManager.addfont(str(working_font_path()))
    return FONT_FAMILY


def rc_params(size: SizePreset) -> dict:
    """The rcParams of the house style at *size* (fonts, lines, export settings)."""
    register_fonts()
    from cycler import cycler

    return {
        "font.family": list(FONT_FAMILIES),
        "font.size": size.font_pt,
        "axes.titlesize": size.font_pt,
        "axes.labelsize": size.font_pt,
        "xtick.labelsize": size.small_pt,
        "ytick.labelsize": size.small_pt,
        "legend.fontsize": size.small_pt,
        "legend.frameon": False,
        "axes.unicode_minus": False,
        "text.parse_math": False,
        "text.color": TEXT_COLOUR,
        "axes.labelcolor": TEXT_COLOUR,
        "axes.edgecolor": "#555555",
        "xtick.color": "#444444",
        "ytick.color": "#444444",
        "axes.linewidth": size.line_width_pt * 0.6,
        "lines.linewidth": size.line_width_pt,
        "patch.linewidth": size.line_width_pt * 0.5,
        "hatch.linewidth": size.line_width_pt * 0.5,
        "hatch.color": "#FFFFFF",
        "xtick.major.width": size.line_width_pt * 0.6,
        "ytick.major.width": size.line_width_pt * 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": False,
        "grid.color": "#E4E4E4",
        "grid.linewidth": size.line_width_pt * 0.5,
        "axes.prop_cycle": cycler(color=list(PALETTE)),
        "image.cmap": SEQUENTIAL_CMAP,
        "figure.dpi": 100,
        "savefig.dpi": size.png_dpi,
        "savefig.facecolor": "white",
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "none",
        "svg.hashsalt": SVG_HASHSALT,
        "path.simplify": True,
    }


@contextmanager
def figure_style(size: str | SizePreset = DEFAULT_SIZE) -> Iterator[SizePreset]:
    """Context in which the house style is active; yields the size preset.

    >>> with figure_style("single-column") as size:
    ...     fig = new_figure(size)
    """
    import matplotlib

    preset = size if isinstance(size, SizePreset) else get_size(size)
    with matplotlib.rc_context(rc_params(preset)):
        yield preset


def new_figure(size: SizePreset, height_scale: float = 1.0):
    """A new :class:`HouseFigure` (no pyplot state) of *size*, constrained layout, Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _figure_class()(figsize=(size.width_in, size.height_in * height_scale), layout="constrained")
    fig.preset = size
    FigureCanvasAgg(fig)
    fig.set_layout_engine("constrained", h_pad=0.04, w_pad=0.04)
    return fig


@functools.cache
def _figure_class():
    """:class:`HouseFigure`, defined on first use (matplotlib is imported only when a figure is made)."""
    from matplotlib.figure import Figure

    class HouseFigure(Figure):
        """A Figure of the house style: it knows its size preset (``preset``) and the texts
        :func:`frame_figure` drew (``frame_texts``: "title", "subtitle", "source"); Jupyter and
        Quarto show it sharp (:func:`figure_mimebundle`)."""

        preset: SizePreset | None = None

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.frame_texts = {}

        def _repr_mimebundle_(self, include=None, exclude=None):
            data, metadata = figure_mimebundle(self)
            keep = [k for k in data if (include is None or k in include) and not (exclude and k in exclude)]
            return {k: data[k] for k in keep}, {k: v for k, v in metadata.items() if k in keep}

    HouseFigure.__module__ = __name__
    HouseFigure.__qualname__ = "HouseFigure"
    return HouseFigure


DISPLAY_DPI = 96  # CSS pixels per inch: an SVG of W inches shows W x 96 px wide; the PNG beside it the same
DISPLAY_PNG_SCALE = 2  # the PNG has twice the pixels it is shown with: sharp on high-density screens


def figure_mimebundle(fig) -> tuple[dict, dict]:
    """What a notebook shows for *fig*: an SVG with the font embedded (the export's bytes:
    :func:`render_formats`) and a PNG at twice its displayed size, both rendered in the figure's
    own size preset (``fig.preset``, the default size otherwise). Returns (data, metadata).

    Quarto takes text/html > text/markdown > image/svg+xml > image/png, for HTML and Typst
    alike: the pages get the SVG (text as text, sharp at any zoom); the PNG is the fallback.
    """
    import matplotlib

    preset = getattr(fig, "preset", None) or SIZES[DEFAULT_SIZE]
    with figure_style(preset):
        svg = render_formats(fig, ["svg"])["svg"]
        with matplotlib.rc_context({"savefig.dpi": DISPLAY_DPI * DISPLAY_PNG_SCALE}):
            png = render_figure(fig, "png")
    width_in, height_in = fig.get_size_inches()
    size = {"width": int(width_in * DISPLAY_DPI), "height": int(height_in * DISPLAY_DPI)}
    return ({"image/svg+xml": svg.decode("utf-8"), "image/png": base64.b64encode(png).decode("ascii")},
            {"image/png": size})


# --- text wrapping and the frame (title, subtitle, source footer) -----------
_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_PIECES = re.compile(rf"[{_CJK}]+|[^\s{_CJK}]+|\s+")
WRAP_SAFETY = 0.96  # measured widths at screen dpi run a little narrower than at the PNG dpi
_NO_LINE_START = set("，。、；：）》」』！？,.;:)%”’")
_NO_LINE_END = set("（《「『“‘([")


@functools.lru_cache(maxsize=4096)
def _words(run: str) -> tuple[str, ...]:
    """A run of Chinese text cut into words: jieba's dictionary and its HMM for words the dictionary
    lacks (每段, 干耳), through rjieba, the maintained Rust port; deterministic (a fixed model)."""
    import rjieba

    return tuple(rjieba.cut(run, hmm=True))


@functools.lru_cache(maxsize=4096)
def _token_width_px(token: str, size_pt: float, dpi: float) -> float:
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(family=list(FONT_FAMILIES), size=size_pt)
    width, _, _ = _measuring_renderer(dpi).get_text_width_height_descent(token, prop, ismath=False)
    return width


@functools.cache
def _measuring_renderer(dpi: float):
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, dpi)


def text_width_in(text: str, size_pt: float, dpi: float = 100.0) -> float:
    """Width of the widest line of *text* at *size_pt*, in inches (as :func:`wrap_text` measures it)."""
    return max(_token_width_px(line, size_pt, dpi) if line else 0.0 for line in text.split("\n")) / dpi


def _split(text: str) -> list[str]:
    return [word for piece in _PIECES.findall(text)
            for word in (_words(piece) if re.match(rf"[{_CJK}]", piece) else (piece,))]


@functools.lru_cache(maxsize=64)
def _keep_pattern(keep: tuple[str, ...]):
    return re.compile("|".join(re.escape(k) for k in sorted(set(keep), key=len, reverse=True) if k))


def _tokens(paragraph: str, keep=()) -> list[str]:
    """The pieces a line may break between: English words and spaces, Chinese words (:func:`_words`),
    joined where a break would fall inside one of *keep* (names); an opening bracket stays with what
    follows it, a number with the Chinese word (its unit) right after it."""
    raw = _split(paragraph)
    inside: set[int] = set()  # character positions a line may not break at
    if keep:
        for match in _keep_pattern(tuple(keep)).finditer(paragraph):
            inside.update(range(match.start() + 1, match.end()))
    tokens: list[str] = []
    position = 0
    for token in raw:
        if tokens and (position in inside or tokens[-1][-1] in _NO_LINE_END or
                       (re.search(r"[0-9]$", tokens[-1]) and re.match(rf"[{_CJK}]", token)
                        and token[0] not in _NO_LINE_END)):
            tokens[-1] += token
        else:
            tokens.append(token)
        position += len(token)
    return tokens


def wrap_text(fig, text: str, size_pt: float, width_in: float, keep=()) -> list[str]:
    """Split *text* into lines no wider than *width_in* at *size_pt*.

    Breaks at spaces in English and between words in Chinese (:func:`_tokens`; never before
    closing punctuation nor after an opening one), never inside one of the strings *keep* (names);
    explicit newlines are kept. Widths are the sum of the measured widths of the
    pieces (kerning across pieces ignored). A piece wider than *width_in* gets a line of its own.
    """
    max_px = width_in * fig.dpi * WRAP_SAFETY
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, width = "", 0.0
        for token in _tokens(paragraph, tuple(keep)):
            token_px = _token_width_px(token, size_pt, fig.dpi)
            fits = width + (0 if token.isspace() else token_px) <= max_px
            if fits or not line.strip() or token in _NO_LINE_START:
                line, width = line + token, width + token_px
            else:
                lines.append(line.rstrip())
                line = token.lstrip()
                width = _token_width_px(line, size_pt, fig.dpi) if line else 0.0
        lines.append(line.rstrip())
    return lines


def frame_margin_in(size: SizePreset) -> float:
    """The frame's left and right margin (inches): the title's, the source line's and a plot's edge."""
    return 0.06 + size.font_pt / 144


def _frame_layout(fig, size: SizePreset, title: str, subtitle: str, source: str, keep=()):
    """Where the frame's texts go: ([(role, lines, pt, colour, top inch or bottom inch)], top_in, bottom_in)."""
    margin_in = frame_margin_in(size)
    usable_in = fig.get_size_inches()[0] - 2 * margin_in
    placed = []
    top_in = margin_in * 0.8
    for role, text, pt, colour in (("title", title, size.title_pt, TEXT_COLOUR),
                                   ("subtitle", subtitle, size.small_pt, "#444444")):
        if text:
            lines = wrap_text(fig, text, pt, usable_in, keep)
            placed.append((role, lines, pt, colour, top_in))
            top_in += len(lines) * pt * 1.25 / 72 + pt * 0.35 / 72
    bottom_in = margin_in * 0.6
    if source:
        lines = wrap_text(fig, source, size.source_pt, usable_in, keep)
        placed.append(("source", lines, size.source_pt, "#555555", bottom_in))
        bottom_in += len(lines) * size.source_pt * 1.25 / 72 + size.small_pt * 0.4 / 72
    top_in += size.font_pt * 0.3 / 72
    return placed, top_in, bottom_in


def frame_extent_in(fig, size: SizePreset, title: str, subtitle: str = "", source: str = "",
                    keep=()) -> tuple[float, float]:
    """(top, bottom): the inches :func:`frame_figure` would take above and below the plot area of *fig*
    (they depend on its width, not its height): to size a figure to its content first."""
    _, top_in, bottom_in = _frame_layout(fig, size, title, subtitle, source, keep)
    return top_in, bottom_in


def frame_figure(fig, size: SizePreset, title: str, subtitle: str = "", source: str = "", keep=()) -> None:
    """Draw the title and subtitle above and the source line below the plot area.

    The constrained-layout area shrinks to leave room, so nothing overlaps.
    """
    width_in, height_in = fig.get_size_inches()
    x = frame_margin_in(size) / width_in
    placed, top_in, bottom_in = _frame_layout(fig, size, title, subtitle, source, keep)
    drawn = getattr(fig, "frame_texts", {})
    for role, lines, pt, colour, at_in in placed:
        top = role != "source"
        drawn[role] = fig.text(x, 1 - at_in / height_in if top else at_in / height_in, "\n".join(lines), ha="left",
                               va="top" if top else "bottom", fontsize=pt, color=colour, linespacing=1.25)
    fig.get_layout_engine().set(
        rect=(0, bottom_in / height_in, 1, 1 - (top_in + bottom_in) / height_in)
    )


SOURCE_TEXT = {
    "en": {
        "source": "Source: {publisher}, {date}",
        "facts": " (facts stated in the article)",
        "assumptions": "; model assumptions: {labels} (see the assumptions table)",
        "more": "{shown} and {more} more",
        "sep": ", ",
    },
    "zh": {
        "source": "资料来源：{publisher}，{date}",
        "facts": "（文章所述事实）",
        "assumptions": "；模型假设：{labels}（见假设表）",
        "more": "{shown}等{total}项",
        "sep": "、",
    },
}
SOURCE_MAX_LABELS = 4


def source_line(publisher: str, date: str, assumption_labels: list[str], lang: str,
                uses_facts: bool = True) -> str:
    """Build the footer from metadata: the article (publisher, date) and assumption labels.

    >>> source_line("共产党员网", "2018-06-04", ["Price", "Yield"], "en")
    'Source: 共产党员网, 2018-06-04 (facts stated in the article); model assumptions: Price, Yield (see the assumptions table)'
    """
    text = SOURCE_TEXT[check_lang(lang)]
    line = text["source"].format(publisher=publisher, date=date)
    if uses_facts:
        line += text["facts"]
    if assumption_labels:
        labels = list(assumption_labels)
        joined = text["sep"].join(labels[:SOURCE_MAX_LABELS])
        if len(labels) > SOURCE_MAX_LABELS:
            joined = text["more"].format(shown=joined, more=len(labels) - SOURCE_MAX_LABELS,
                                         total=len(labels))
        line += text["assumptions"].format(labels=joined)
    return line


# --- export -----------------------------------------------------------------
# zlib level of the PNGs: measured on the 22 web figures (RGB), level 3 deflates them in ~75% of
# the time of the default 6 and ~1.5% smaller (1 is larger, 9 is 3x slower for 2% less)
PNG_COMPRESS_LEVEL = 3
SAVE_METADATA = {  # PNG: encode_png writes no software stamp
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}
_SVG_NS = "http://www.w3.org/2000/svg"


@contextmanager
def _every_glyph_drawn() -> Iterator[None]:
    """Turn matplotlib's "Glyph ... missing" warning into an AnalysisError."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph .* missing from font")
        try:
            yield
        except UserWarning as exc:
            raise AnalysisError(f"figure text: {exc}") from None


def render_figure(fig, fmt: str) -> bytes:
    """Render *fig* to bytes in *fmt* (png/svg/pdf), deterministically.

    Call it inside :func:`figure_style`: a PNG (and the rasterised parts of SVG and PDF) is
    rendered at that size preset's ``png_dpi``. Raises AnalysisError when a glyph is missing
    from the fonts.
    """
    check_format(fmt)
    buffer = io.BytesIO()
    with _every_glyph_drawn():
        if fmt == "png":  # dpi: rcParams savefig.dpi
            fig.savefig(buffer, format="rgba")
        else:
            fig.savefig(buffer, format=fmt, metadata=SAVE_METADATA[fmt])
    data = buffer.getvalue()
    if fmt == "png":
        data = encode_png(data, fig.get_size_inches())
    elif fmt == "svg":
        data = embed_svg_font(data)
    return data


def encode_png(rgba: bytes, size_in) -> bytes:
    """PNG of a figure's raw RGBA pixels at rcParams ``savefig.dpi``, without a software stamp.

    An opaque figure (every figure of the house style: white background) is stored as RGB:
    the same pixels, a quarter fewer bytes to compress.
    """
    import matplotlib
    from PIL import Image

    dpi = matplotlib.rcParams["savefig.dpi"]
    width, height = (int(inches * dpi) for inches in size_in)  # as matplotlib's Agg canvas: whole pixels
    image = Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1)
    if image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format="png", dpi=(dpi, dpi), compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def render_formats(fig, formats) -> dict[str, bytes]:
    """Render *fig* in each of *formats*: ``{fmt: bytes}``; the layout is computed once.

    Every ``savefig`` of a figure with a layout engine draws it twice (once to lay it out).
    Instead, the figure is laid out once, at the PNG resolution (rcParams ``savefig.dpi``), as
    saving a PNG would, whichever *formats* are asked for (so no file depends on which others
    are rendered with it); then the engine is removed, the axes positions rounded
    (:data:`LAYOUT_DECIMALS`) and each format draws the figure once. *fig* keeps that fixed layout
    afterwards. Raises AnalysisError when a glyph is missing.
    """
    import matplotlib

    if fig.get_layout_engine() is not None:
        screen_dpi = fig.dpi
        fig.dpi = matplotlib.rcParams["savefig.dpi"]
        try:
            with _every_glyph_drawn():
                fig.draw_without_rendering()
        finally:
            fig.dpi = screen_dpi
        # None, not "none": "none" leaves a placeholder engine, and savefig still draws twice
        with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
            fig.set_layout_engine(None)
        _round_positions(fig)
    return {fmt: render_figure(fig, fmt) for fmt in formats}


# Axes positions (figure fractions) are rounded to this many decimals once laid out: with some layouts
# the constrained layout's solver (kiwisolver) lands on positions that differ in their last bits from
# one draw to the next, even in one process (measured: income_channels at double-column, two layouts
# in ten draws), and an SVG's clip-path ids, hashes of the exact clip box, differ with them. A
# billionth of the figure's width moves nothing visibly.
LAYOUT_DECIMALS = 9


def _round_positions(fig) -> None:
    """Round the original and the active position of every axes of *fig* to LAYOUT_DECIMALS."""
    for ax in fig.axes:
        for which, original in (("original", True), ("active", False)):
            bounds = [round(float(v), LAYOUT_DECIMALS) for v in ax.get_position(original=original).bounds]
            ax.set_position(bounds, which=which)


def save_figure(fig, target: Path | str, fmt: str) -> Path:
    """Write *fig* to *target* atomically in *fmt*; return the path."""
    data = render_figure(fig, fmt)
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def _svg_characters(svg: bytes) -> str:
    root = ElementTree.fromstring(svg)
    chars = {ch for element in root.iter(f"{{{_SVG_NS}}}text") for ch in "".join(element.itertext())}
    return "".join(sorted(chars))


def font_subset_woff(characters: str) -> bytes:
    """A WOFF subset of Noto Sans SC holding *characters* (deterministic bytes). WOFF (zlib), not
    WOFF2 (Brotli): measured a third of the time per SVG for files ~25% bigger (~8 KB), and every
    browser reads it.

    Cut from the small figure font when it has every one of *characters*, else from the working font.
    """
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["kern", "liga"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    covered = figure_font_codepoints().issuperset(map(ord, characters))
    source = figure_font_path() if covered else working_font_path()
    with subset.load_font(str(source), options, lazy=True) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=characters)
        subsetter.subset(font)
        out = io.BytesIO()
        subset.save_font(font, out, options)
    return out.getvalue()


def embed_svg_font(svg: bytes) -> bytes:
    """Insert a WOFF subset of the font as ``@font-face`` into matplotlib's SVG.

    The text stays ``<text>``; its font stack names Noto Sans SC first, then
    the usual system names of the same design.
    """
    characters = _svg_characters(svg)
    if not characters.strip():
        return svg
    woff = base64.b64encode(font_subset_woff(characters)).decode("ascii")
    style = (
        '<style type="text/css">@font-face{font-family:"' + FONT_FAMILY + '";'
        f'src:url(data:font/woff;base64,{woff}) format("woff");}}</style>\n'
    ).encode("ascii")
    svg = re.sub(rb"font-family: [^;\"]*", b"font-family: " + SVG_FONT_STACK.encode(), svg)
    match = re.search(rb"<svg[^>]*>\s*", svg)
    return svg[: match.end()] + style + svg[match.end():]
