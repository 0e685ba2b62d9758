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
- :mod:`analysis.site`      notebook execution and the offline preview
- :mod:`analysis.kernelpool` Jupyter kernels forked from one pre-imported process (for the preview)
"""
__version__ = "0.1.0"
