"""Rendering figures to bytes, one or many (in processes): what the export and the contact sheet share."""
from __future__ import annotations

from analysis import style
from analysis.errors import AnalysisError
from analysis.figures.common import make_figure, prepared


def render_one(figure_id: str, lang: str, size: str, formats: list[str], chrome: str = "full") -> dict[str, bytes]:
    """Draw one figure once and render it in each format (laid out once): ``{fmt: bytes}``."""
    fig = make_figure(figure_id, lang, size, df=prepared(figure_id), chrome=chrome)
    with style.figure_style(size):
        try:
            return style.render_formats(fig, formats)
        except AnalysisError as exc:  # e.g. a missing glyph: say which figure
            raise AnalysisError(f"figure {figure_id!r} ({lang}, {size}): {exc}") from None


def _render_job(job):
    figure_id, lang, size, formats, chrome = job
    return job, render_one(figure_id, lang, size, formats, chrome)


def render_many(work: list[tuple], jobs: int = 1) -> list[tuple[tuple, dict[str, bytes]]]:
    """Render each ``(figure id, lang, size, formats, chrome)`` of *work*, in *jobs* processes when
    more than one: ``[(job, {fmt: bytes})]`` in the order of *work*."""
    formats = sorted({fmt for job in work for fmt in job[3]})
    style.prepare_rendering(formats)  # fonts and backends once, before render processes start (forked ones inherit them)
    for figure_id in dict.fromkeys(job[0] for job in work):
        prepared(figure_id)  # forked processes inherit the prepared frames
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
    return results
