"""The report notebooks: clean, thin, and they run with default and overridden parameters.

Fast tests read the committed .ipynb files: no outputs, a first code cell tagged
``parameters``, no function or class definitions, no number typed into prose.
Slow tests (one per notebook, so pytest-xdist spreads them) execute each notebook
twice with papermill in fresh ``python3`` kernels — default parameters and one
override — and check that a tagged cell prints the value analysis computes for
each, and that the override changed it.
"""
from __future__ import annotations

import ast
import concurrent.futures
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
import pytest

from analysis import paths, report

# The site's pages (site layout agreed with the site builder), front page first.
PAGES = (
    "index.ipynb",
    "notebooks/01-source-and-facts.ipynb",
    "notebooks/02-governance.ipynb",
    "notebooks/03-villages-and-industries.ipynb",
    "notebooks/04-enterprise-contract.ipynb",
    "notebooks/05-income-scenarios.ipynb",
    "notebooks/06-outcomes-and-cases.ipynb",
    "notebooks/07-methods-and-limitations.ipynb",
    "notebooks/data.ipynb",
    "notebooks/gallery.ipynb",
)


def read(page: str) -> nbformat.NotebookNode:
    return nbformat.read(paths.ROOT / page, as_version=4)


def code_cells(nb) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def python_source(cell) -> str:
    """Cell source without IPython magics (``%matplotlib inline``), which are not Python."""
    return "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))


# --- fast: the committed files ----------------------------------------------------------
def test_every_page_exists_and_no_stray_notebook():
    missing = [page for page in PAGES if not (paths.ROOT / page).is_file()]
    assert missing == []
    found = sorted(p.relative_to(paths.ROOT).as_posix() for p in paths.NOTEBOOKS_DIR.glob("*.ipynb"))
    assert found == sorted(page for page in PAGES if page.startswith("notebooks/"))


@pytest.mark.parametrize("page", PAGES)
def test_notebook_is_clean(page):
    nb = read(page)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert "papermill" not in nb.metadata
    ids = [cell["id"] for cell in nb.cells]
    assert len(ids) == len(set(ids))
    for cell in code_cells(nb):
        assert cell.outputs == [], f"{page}: cell {cell['id']} has outputs"
        assert cell.execution_count is None, f"{page}: cell {cell['id']} has an execution count"
        assert "injected-parameters" not in cell.metadata.get("tags", [])


@pytest.mark.parametrize("page", PAGES)
def test_first_code_cell_is_tagged_parameters(page):
    cells = code_cells(read(page))
    assert cells[0].metadata.get("tags") == ["parameters"]
    assert all("parameters" not in cell.metadata.get("tags", []) for cell in cells[1:])
    assert "lang" in {node.id for node in ast.walk(ast.parse(cells[0].source)) if isinstance(node, ast.Name)}


@pytest.mark.parametrize("page", PAGES)
def test_no_function_or_class_definitions(page):
    for cell in code_cells(read(page)):
        tree = ast.parse(python_source(cell))
        defined = [type(node).__name__ for node in ast.walk(tree)
                   if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))]
        assert defined == [], f"{page}: cell {cell['id']} defines {defined}"


# Markdown that may carry digits: code spans, link targets, citations, cross-references, list markers.
_NOT_PROSE = re.compile(r"`[^`]*`|\]\([^)]*\)|\[@[^\]]*\]|@(?:fig|tbl)-[\w-]+|^\s*\d+\.\s", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def prose_digits(text: str) -> list[str]:
    """Digits standing in prose (after removing code, links, citations and cross-references)."""
    return re.findall(r"\S*\d\S*", _NOT_PROSE.sub(" ", text))


def test_prose_digits_finds_typed_numbers():
    assert prose_digits("The township has 10 villages [@dasuhe_article_2018].") == ["10"]
    assert prose_digits("See [page](notebooks/05-income-scenarios.ipynb) and `data/2017.csv`.") == []
    assert prose_digits("1. **Facts.** Each row...\n2. **Model.** In 2017 ...") == ["2017"]


@pytest.mark.parametrize("page", PAGES)
def test_no_number_typed_in_prose(page):
    nb = read(page)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert prose_digits(cell.source) == [], f"{page}: markdown cell {cell['id']}"
    for cell in code_cells(nb)[1:]:  # the parameters cell holds the defaults
        for node in ast.walk(ast.parse(python_source(cell))):
            if isinstance(node, ast.Constant) and isinstance(node.value, float):
                pytest.fail(f"{page}: cell {cell['id']} types the number {node.value}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value:
                typed = prose_digits(_PLACEHOLDER.sub(" ", node.value))
                assert typed == [], f"{page}: cell {cell['id']} types {typed} in prose"


# --- slow: executing the notebooks ---------------------------------------------------------
def tagged_text(nb, tag: str) -> str:
    """Every text output (markdown, html, plain, stream) of the cells tagged *tag*."""
    texts = []
    for cell in nb.cells:
        if tag not in cell.metadata.get("tags", []):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for mime in ("text/markdown", "text/html", "text/plain"):
                if mime in data:
                    texts.append(data[mime])
                    break
            else:
                texts.append(output.get("text", ""))
    assert texts, f"no output in a cell tagged {tag!r}"
    return "\n".join(texts)


def execute(page: str, out: Path, parameters: dict) -> nbformat.NotebookNode:
    """Run *page* top to bottom in a fresh python3 kernel (cwd = its folder) with papermill."""
    import papermill

    source = paths.ROOT / page
    papermill.execute_notebook(
        str(source), str(out), parameters=parameters, kernel_name="python3",
        cwd=str(source.parent), progress_bar=False, log_output=False,
    )
    return nbformat.read(out, as_version=4)


def _season(**kw):
    from analysis import model, parameters

    preset = kw.pop("preset", "base")
    return model.season(parameters.get_parameters(preset, **kw))


def _caption(figure_id: str) -> Callable[[dict], str]:
    def expect(params: dict) -> str:
        from analysis import figures

        return figures.figure_text(figure_id, figures.prepared(figure_id), params.get("lang", "en"))["caption"]

    return expect


def _base_price_doubled() -> float:
    from analysis import parameters

    return 2 * parameters.get_parameters("base").price_yuan_per_kg


def _expect_parameter_label(params: dict) -> str:
    from analysis import parameters

    table = parameters.parameter_table().set_index("name")
    return table.at["households", f"label_{params.get('lang', 'en')}"]


@dataclass(frozen=True)
class Run:
    """An override for a page, the tagged cell to read, and what it must print for given parameters."""

    override: Callable[[], dict]
    tag: str
    expect: Callable[[dict], str] | None  # None: the gallery, checked against the test manifest


RUNS = {
    "index.ipynb": Run(
        lambda: {"preset": "high"}, "check-key-finding",
        lambda p: f"{report.format_yuan(_season(preset=p.get('preset', 'base'))['per_person_yuan'])} per person",
    ),
    "notebooks/01-source-and-facts.ipynb": Run(
        lambda: {"lang": "zh"}, "check-qualifiers",
        lambda p: report.explain_qualifier("approximately", p.get("lang", "en")),
    ),
    "notebooks/02-governance.ipynb": Run(lambda: {"lang": "zh"}, "caption-governance", _caption("governance")),
    "notebooks/03-villages-and-industries.ipynb": Run(
        lambda: {"lang": "zh"}, "caption-villages_industries", _caption("villages_industries"),
    ),
    "notebooks/04-enterprise-contract.ipynb": Run(
        lambda: {"preset": "low"}, "check-money-flow",
        lambda p: f"**{report.format_yuan(_season(preset=p.get('preset', 'base'))['per_recipient_household_yuan'])} "
                  "for each of the 130 households not yet out of poverty**",  # 243 - 113 registered households
    ),
    # The brief's example: doubling the price changes the per-person transfer to the model's value.
    "notebooks/05-income-scenarios.ipynb": Run(
        lambda: {"price_yuan_per_kg": _base_price_doubled()}, "check-per-person",
        lambda p: f"{report.format_yuan(_season(**p)['per_recipient_person_yuan'])} per person**",
    ),
    "notebooks/06-outcomes-and-cases.ipynb": Run(
        lambda: {"lang": "zh"}, "caption-poverty_outcomes", _caption("poverty_outcomes"),
    ),
    "notebooks/07-methods-and-limitations.ipynb": Run(
        lambda: {"lang": "zh"}, "check-parameter-labels", _expect_parameter_label,
    ),
    "notebooks/data.ipynb": Run(
        lambda: {"prefix": ""}, "check-downloads",
        lambda p: f"]({p.get('prefix', '../')}data/datapackage.json)",
    ),
    "notebooks/gallery.ipynb": Run(
        lambda: {"lang": "zh"}, "check-gallery", None,
    ),
}


@pytest.fixture(scope="module")
def test_manifest(tmp_path_factory) -> Path:
    """A manifest of every registered figure (no image files: the gallery lists captions and links)."""
    from analysis import figures

    return figures.write_manifest(tmp_path_factory.mktemp("figures"))


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_notebook_runs_with_default_and_overridden_parameters(page, tmp_path, test_manifest):
    run = RUNS[page]
    shared = {"manifest_path": str(test_manifest)} if page.endswith("gallery.ipynb") else {}
    override = {**shared, **run.override()}
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        default_nb, override_nb = pool.map(
            lambda args: execute(page, *args),
            [(tmp_path / "default.ipynb", shared), (tmp_path / "override.ipynb", override)],
        )
    if page.endswith("gallery.ipynb"):
        entries = json.loads(test_manifest.read_text(encoding="utf-8"))["figures"]
        expected = {lang: f"## {entries[0][f'title_{lang}']}" for lang in ("en", "zh")}
        default_expected, override_expected = expected["en"], expected[override["lang"]]
    else:
        default_expected, override_expected = run.expect({}), run.expect(override)
    default_text, override_text = tagged_text(default_nb, run.tag), tagged_text(override_nb, run.tag)
    assert default_expected != override_expected
    assert default_expected in default_text
    assert override_expected in override_text
    assert default_text != override_text
    if page.endswith("05-income-scenarios.ipynb"):  # an analyst's price: the words stop saying "base case"
        assert [("base case" in tagged_text(nb, "caption-break_even_map"),
                 "this run's parameters" in tagged_text(nb, "caption-break_even_map"),
                 "farm-gate price of dried wood-ear and share of village profit paid to poor households held fixed "
                 "at this run's parameters" in tagged_text(nb, "caption-montecarlo_distribution"))
                for nb in (default_nb, override_nb)] == [(True, False, False), (False, True, True)]
