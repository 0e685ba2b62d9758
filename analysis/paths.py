"""Every path the project uses, in one place.

Nothing else in the project builds paths from strings: import the constant from
here. This module imports nothing from the rest of the project.

Environment overrides (for tests and for CI, which keeps ``shared/`` beside the
clone):

- ``DASUHE_ARTICLE``: the article text (default ``../shared/sources/...``).
- ``DASUHE_DATA_DIR``: the data package folder (default ``data/``).
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# --- data package --------------------------------------------------------
DATA_DIR = Path(os.environ.get("DASUHE_DATA_DIR", ROOT / "data"))
DATAPACKAGE = DATA_DIR / "datapackage.json"
SCHEMAS_DIR = DATA_DIR / "schemas"


def data_file(name: str, data_dir: Path | None = None) -> Path:
    """Path of a file of the data package (``facts.csv``, ``schemas/facts.json`` ...)."""
    return Path(data_dir or DATA_DIR) / name


# --- the primary source --------------------------------------------------
SHARED_DIR = ROOT.parent / "shared"
ARTICLE_NAME = "dasuhe-article-2018-06-04.txt"
ARTICLE = Path(os.environ.get("DASUHE_ARTICLE", SHARED_DIR / "sources" / ARTICLE_NAME))

# --- outputs ---------------------------------------------------------------
FIGURES_DIR = ROOT / "figures"
FIGURE_MANIFEST = FIGURES_DIR / "manifest.json"
TABLES_DIR = ROOT / "tables"
NOTEBOOKS_DIR = ROOT / "notebooks"
SITE_DIR = ROOT / "_site"
QUARTO_CONFIG = ROOT / "_quarto.yml"
QUARTO_PROFILE = "_quarto-{profile}.yml"  # a profile of it (one per edition of the site), beside it
REFERENCES_BIB = ROOT / "references.bib"
CITATION_FILE = ROOT / "CITATION.cff"
BENCHMARKS_DIR = ROOT / "benchmarks"
ANALYSIS_DIR = ROOT / "analysis"
SITE_ASSETS_DIR = ANALYSIS_DIR / "site_assets"  # the site's stylesheet, Typst header, Lua filter, explorer
EXPLORER_JS = SITE_ASSETS_DIR / "explorer.js"  # the scenario explorer (analysis.explorer inlines both)
EXPLORER_CSS = SITE_ASSETS_DIR / "explorer.css"
# In each edition of the built site (relative to its root): the web-font subsets and their
# @font-face rules, next to site.css; the table pages of tables/ link the rules too.
SITE_WEB_FONTS_DIR = Path("analysis/site_assets/fonts")
SITE_WEB_FONTS_CSS = SITE_WEB_FONTS_DIR / "fonts.css"
SITE_FAVICON = Path("analysis/site_assets/favicon.svg")  # website.favicon of _quarto.yml, copied by Quarto
REQUIREMENTS = ROOT / "requirements.txt"
PYPROJECT = ROOT / "pyproject.toml"

# --- caches (kept inside the project, never in $HOME) ----------------------
CACHE_DIR = ROOT / ".cache"
SITE_CACHE_DIR = CACHE_DIR / "site"  # the site build: stamps, executed pages, staging projects, logs
FONTS_CACHE_DIR = CACHE_DIR / "fonts"  # CJK fonts: the figures' working subset (style.py)
NUMBA_CACHE_DIR = CACHE_DIR / "numba"  # the Monte Carlo kernel compiled once per machine (kernel.py)
QUARTO_DIR = CACHE_DIR / "quarto"  # Quarto installed from the kit (analysis/quarto.py)
QUARTO_KIT = SHARED_DIR / "quarto-kit"  # Quarto 1.7.34 from package registries, beside the checkout
