"""Every figure of the report, one module per figure, and their export.

- ``analysis/figures/<id>.py``: one figure: its words ``TEXT`` (English and Chinese),
  ``prepare()`` (reads the data package and the model and returns the tidy frame the figure
  plots; written as ``<id>.csv`` next to the figure), ``text_values(df, lang)`` (the numbers
  its words are filled with) and ``draw(df, lang="en", size="web")`` (only plots that frame and
  returns a :class:`matplotlib.figure.Figure`); every string it shows comes from ``TEXT`` or
  from the data.
- :mod:`analysis.figures.common`: the registry and what the figures share (words, data access,
  drawing helpers, :func:`~analysis.figures.common.fit`, proper names that never break).
- :mod:`analysis.figures.check`: layout checks (collisions, type sizes, legend coverage).
- :mod:`analysis.figures.render`: rendering to bytes, one figure or many (in processes).
- :mod:`analysis.figures.export`: files, captions, manifest and ``python -m analysis figures``.
- :mod:`analysis.figures.contact`: the contact sheet (``--contact-sheet PATH.pdf``).

A notebook's own Monte Carlo run or subsidy-share curve is drawn through
:func:`montecarlo_frame` (give the run :func:`recipient_thresholds`) and
:func:`subsidy_share_frame`: ``make_figure("subsidy_share", df=subsidy_share_frame(curve, p))``.

:data:`FIGURES` is the registry (id → :class:`~analysis.figures.common.FigureSpec`), in the
order below; :func:`make_figure` prepares and draws one figure; :func:`export_figures` writes
files, CSVs and the manifest.
"""
from __future__ import annotations

from analysis.figures import common
from analysis.figures.common import (  # the public interface (__all__)
    CASE_WORDS, CASES, CHROMES, FIGURES, FigureSpec, caption_text, check_chrome, check_figure_id, figure_caption,
    figure_source, figure_text, find_case, make_figure, prepared,
)

# the figure modules, in the order of the registry (each registers itself on import)
from analysis.figures import quantities_to_scale  # noqa: E402,F401  isort: skip
from analysis.figures import poverty_outcomes  # noqa: E402,F401  isort: skip
from analysis.figures import contract_money_flow  # noqa: E402,F401  isort: skip
from analysis.figures import scenarios_poverty_line  # noqa: E402,F401  isort: skip
from analysis.figures import tornado  # noqa: E402,F401  isort: skip
from analysis.figures import break_even_map  # noqa: E402,F401  isort: skip
from analysis.figures import montecarlo_distribution  # noqa: E402,F401  isort: skip
from analysis.figures import subsidy_share  # noqa: E402,F401  isort: skip
from analysis.figures import poverty_gap  # noqa: E402,F401  isort: skip
from analysis.figures import contract_paths_fan  # noqa: E402,F401  isort: skip
from analysis.figures import income_channels  # noqa: E402,F401  isort: skip
from analysis.figures import villages_industries  # noqa: E402,F401  isort: skip
from analysis.figures import governance  # noqa: E402,F401  isort: skip

from analysis.figures.export import (  # noqa: E402,F401
    DEFAULT_JOBS, caption_filename, check_export_arguments, configure_figures, data_filename, export_figures,
    figure_filename,
    manifest_entry, run_figures, write_manifest,
)
from analysis.figures.render import iter_rendered, render_many, render_one  # noqa: E402,F401
from analysis.figures.montecarlo_distribution import MC_DRAWS, montecarlo_frame, recipient_thresholds  # noqa: E402,F401
from analysis.figures.subsidy_share import subsidy_share_frame  # noqa: E402,F401
from analysis.figures import contact  # noqa: E402,F401  (the contact sheet; pypdf is imported when one is made)

PARAMETRISED = common.parametrised()  # figures whose prepare takes model parameters

__all__ = [
    "CASES", "CASE_WORDS", "CHROMES", "DEFAULT_JOBS", "caption_filename", "caption_text", "check_chrome", "FIGURES", "FigureSpec", "MC_DRAWS", "PARAMETRISED", "check_export_arguments",
    "check_figure_id", "configure_figures", "data_filename", "export_figures", "figure_caption", "figure_filename",
    "figure_source", "figure_text", "find_case", "make_figure", "manifest_entry", "montecarlo_frame", "prepared",
    "recipient_thresholds", "subsidy_share_frame",
    "iter_rendered", "render_many", "render_one", "run_figures", "write_manifest",
]
