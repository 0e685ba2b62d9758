"""Shared fixtures: the article's paragraphs, and a scratch copy of the data package to corrupt."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from analysis import paths


@pytest.fixture(scope="session")
def article_paragraphs() -> list[str]:
    """Non-empty lines of the article (title = 1, byline = 2); skips the test when the article is absent."""
    if not paths.ARTICLE.is_file():
        pytest.skip(f"article not found at {paths.ARTICLE} (set DASUHE_ARTICLE): provenance not checked")
    return [line for line in paths.ARTICLE.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A fresh copy of data/ in tmp_path, safe to corrupt."""
    target = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, target)
    return target


def _set_cell(data_dir: Path, file: str, key: str, column: str, value: str) -> int:
    """Set one cell of a CSV in *data_dir* (row found by its first column == key); return its CSV line number."""
    path = data_dir / file
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    line = next(i for i, row in enumerate(rows) if i > 0 and row[0] == key) + 1
    rows[line - 1][header.index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return line


@pytest.fixture
def set_cell():
    """``set_cell(data_dir, file, key, column, value) -> CSV line number``: corrupt one cell of a copy."""
    return _set_cell


def embedded_font_families(pdf: bytes) -> list[str]:
    """Family name (nameID 1) of every TrueType font file embedded in *pdf*, sorted."""
    import io

    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    families = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            for d in font.get_object()["/DescendantFonts"]:
                data = d.get_object()["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
                families.append(TTFont(io.BytesIO(data))["name"].getDebugName(1))
    return sorted(families)


def svg_font(svg: bytes):
    """The font of the first WOFF ``@font-face`` embedded in *svg* (a fontTools TTFont)."""
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    data = re.search(rb"data:font/woff;base64,([A-Za-z0-9+/=]+)", svg).group(1)
    return TTFont(io.BytesIO(base64.b64decode(data)))
