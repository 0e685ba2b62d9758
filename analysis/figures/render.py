"""Rendering figures to bytes, one or many (in processes): what the export and the contact sheet share.

Render processes come from :func:`analysis.processes.process_pool`: they die with the command
(even on SIGKILL), ignore the terminal's Ctrl-C (the command handles it) and are killed when the
rendering stops by an exception (Ctrl-C, SIGTERM, an error).
"""
from __future__ import annotations

from contextlib import closing
from typing import Iterator

from analysis import style
from analysis.errors import AnalysisError
from analysis.figures.common import make_figure, prepared


def raise_if_stopped() -> None:
    """Raise the stop (KeyboardInterrupt, :class:`analysis.processes.Terminated`) of a SIGINT/SIGTERM that
    was received but lost on its way (raised inside a finaliser or a callback, where Python drops it):
    called between steps, so the work stops there instead of running on until the watchdog ends it."""
    import signal

    from analysis.processes import Terminated, stop_signal_received

    received = stop_signal_received()
    if received == signal.SIGINT:
        raise KeyboardInterrupt
    if received is not None:
        raise Terminated(received)


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
    return render_one(figure_id, lang, size, formats, chrome)


def iter_rendered(work: list[tuple], jobs: int = 1) -> Iterator[tuple[tuple, dict[str, bytes]]]:
    """Render each ``(figure id, lang, size, formats, chrome)`` of *work*, in *jobs* processes when
    more than one; yield ``(job, {fmt: bytes})`` in the order of *work*, each as soon as it and
    those before it are done (so the caller can write while the rest renders).

    Close the iterator when stopping early (``contextlib.closing``): the render processes are
    then killed at once.
    """
    formats = sorted({fmt for job in work for fmt in job[3]})
    style.prepare_rendering(formats)  # fonts and backends once, before render processes start (forked ones inherit them)
    for figure_id in dict.fromkeys(job[0] for job in work):
        prepared(figure_id)  # forked processes inherit the prepared frames
    raise_if_stopped()  # (a stop's watchdog thread would also make the pool spawn instead of fork)
    if jobs > 1 and len(work) > 1:
        import multiprocessing
        import threading

        from analysis.processes import process_pool

        # fork shares the prepared frames for free, but is unsafe when other threads run
        # (e.g. when the site builder calls this in-process): then start fresh processes.
        method = "fork" if threading.active_count() == 1 else "spawn"
        with process_pool(min(jobs, len(work)), mp_context=multiprocessing.get_context(method)) as pool:
            for result in zip(work, pool.map(_render_job, work)):
                raise_if_stopped()
                yield result
    else:
        for job in work:
            raise_if_stopped()
            yield job, _render_job(job)


def render_many(work: list[tuple], jobs: int = 1) -> list[tuple[tuple, dict[str, bytes]]]:
    """Render each ``(figure id, lang, size, formats, chrome)`` of *work* (:func:`iter_rendered`):
    ``[(job, {fmt: bytes})]`` in the order of *work*."""
    with closing(iter_rendered(work, jobs)) as results:
        return list(results)
