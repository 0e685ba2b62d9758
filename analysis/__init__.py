"""Dasuhe case study: data, model, figures and report helpers.

Modules (import what you need; nothing heavy is imported here):

- :mod:`analysis.paths`     every path
- :mod:`analysis.errors`    the exception types
- :mod:`analysis.data`      load and validate the data package (facts, entities, assumptions)
- :mod:`analysis.model`     the income model (pure, vectorised)
- :mod:`analysis.scenarios` presets, sensitivity, Monte Carlo, contract-year paths
- :mod:`analysis.kernel`    the Monte Carlo's compiled chunk kernel (numba; loaded for large runs only)
- :mod:`analysis.style`     figure style, fonts and export
- :mod:`analysis.figures`   one module per figure (figures/<id>.py), shared helpers (common), export and manifest (export)
- :mod:`analysis.tables`    publication tables
- :mod:`analysis.bib`       references.bib from the data package
- :mod:`analysis.pages`     a page notebook → the executed page of an edition
- :mod:`analysis.quarto`    finding, installing and running Quarto
- :mod:`analysis.fonts`     the site's and the PDFs' typefaces (npm registry), web subsets
- :mod:`analysis.processes` child processes that die with the build
- :mod:`analysis.site`      the site build: validate, outputs, pages, Quarto, swap into _site/
"""
__version__ = "0.1.0"
