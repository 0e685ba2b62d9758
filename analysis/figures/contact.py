"""A contact sheet: every figure at a chosen size and language, one labelled page each, in one PDF.

``python -m analysis figures --contact-sheet PATH.pdf [--size S] [--lang L] [--chrome C] [--only ...]``
writes it, so a person can review all figures at once. Each page holds the figure's own PDF
(vector, fonts embedded, exactly as the export renders it) under a header naming the figure, its
language, size, chrome and page number; without chrome the caption to paste follows the figure.
The same inputs give the same bytes.
"""
from __future__ import annotations

import io
from pathlib import Path

from analysis import style
from analysis.figures.common import caption_text, prepared
from analysis.io import write_bytes

MARGIN_IN = 0.4
MIN_PAGE_WIDTH_IN = 6.5
HEADER_PT = 9.0
CAPTION_PT = 8.0
POINTS_PER_INCH = 72


def _page(width_in: float, height_in: float, header: str, caption: str, figure_width_in: float,
          figure_height_in: float) -> bytes:
    """The page around one figure (header, thin frame, caption) as PDF bytes."""
    preset = style.get_size("web")
    with style.figure_style(preset):
        fig = style.new_figure(preset)
        fig.set_layout_engine(None)
        fig.set_size_inches(width_in, height_in)
        fig.text(MARGIN_IN / width_in, 1 - MARGIN_IN * 0.6 / height_in, header, ha="left", va="top",
                 fontsize=HEADER_PT, color=style.TEXT_COLOUR)
        from matplotlib.patches import Rectangle

        top = 1 - (MARGIN_IN + _header_in()) / height_in
        fig.patches.append(Rectangle((MARGIN_IN / width_in - 0.002, top - figure_height_in / height_in - 0.002),
                                     figure_width_in / width_in + 0.004,
                                     figure_height_in / height_in + 0.004, transform=fig.transFigure, fill=False,
                                     edgecolor=style.LIGHT_COLOUR, linewidth=0.5))
        if caption:
            fig.text(MARGIN_IN / width_in, top - (figure_height_in + 0.15) / height_in, caption, ha="left", va="top",
                     fontsize=CAPTION_PT, color="#444444", linespacing=1.3)
        return style.render_figure(fig, "pdf")


def _header_in() -> float:
    return HEADER_PT * 2.2 / POINTS_PER_INCH


def write_contact_sheet(target: Path | str, ids, sizes, langs, chrome: str = "full", jobs: int = 1) -> Path:
    """Write the contact sheet of figures *ids* at each of *sizes* in each of *langs* to *target*
    (one page per figure, in that order); return the path. Arguments are checked by the caller."""
    from pypdf import PdfReader, PdfWriter

    from analysis.figures.render import render_many

    work = [(figure_id, lang, size, ("pdf",), chrome) for lang in langs for size in sizes for figure_id in ids]
    results = render_many(work, jobs)
    writer = PdfWriter()
    for number, ((figure_id, lang, size, _, _), rendered) in enumerate(results, start=1):
        figure_page = PdfReader(io.BytesIO(rendered["pdf"])).pages[0]
        fig_w, fig_h = (float(v) / POINTS_PER_INCH for v in (figure_page.mediabox.width, figure_page.mediabox.height))
        caption = ""
        width_in = max(fig_w + 2 * MARGIN_IN, MIN_PAGE_WIDTH_IN)  # room for the header beside a narrow figure
        if chrome == "none":
            preset = style.get_size("web")
            with style.figure_style(preset):
                probe = style.new_figure(preset)
            lines = style.wrap_text(probe, caption_text(figure_id, prepared(figure_id), lang), CAPTION_PT,
                                    width_in - 2 * MARGIN_IN)
            caption = "\n".join(lines)
        caption_in = (caption.count("\n") + 1) * CAPTION_PT * 1.3 / POINTS_PER_INCH + 0.3 if caption else 0.0
        height_in = fig_h + 2 * MARGIN_IN + _header_in() + caption_in
        preset = style.get_size(size)
        header = (f"{number} / {len(results)}   {figure_id}   {lang}   {size} ({preset.width_in:g} × {fig_h:.2f} in)"
                  f"   chrome {chrome}")
        page = writer.add_page(PdfReader(io.BytesIO(_page(width_in, height_in, header, caption, fig_w, fig_h))).pages[0])
        bottom_in = height_in - MARGIN_IN - _header_in() - fig_h
        page.merge_translated_page(figure_page, MARGIN_IN * POINTS_PER_INCH, bottom_in * POINTS_PER_INCH)
    writer.add_metadata({"/Title": "Dasuhe case study: figures contact sheet", "/Producer": "analysis.figures"})
    out = io.BytesIO()
    writer.write(out)
    return write_bytes(Path(target), out.getvalue())
