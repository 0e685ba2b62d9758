"""Tests of analysis/site.py: the Quarto configuration, references.bib, the offline preview
(built from tiny fixture notebooks) and the real-browser test of the built site.

Slow tests (marked ``slow``) execute notebooks; the browser test opens every page of the real
site in headless Chromium. Without /usr/bin/chromium the browser test skips, unless
DASUHE_REQUIRE_BROWSER=1 (CI), where it fails.
"""
from __future__ import annotations

import functools
import http.server
import io
import json
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from analysis import paths, site
from analysis.errors import AnalysisError

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MAX_PAGE_BYTES = 2 * 1024 * 1024
CJK = re.compile(r"[\u4e00-\u9fff]")


# ---------------------------------------------------------------------------------------------
# _quarto.yml
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def quarto_config() -> dict:
    return yaml.safe_load(paths.QUARTO_CONFIG.read_text(encoding="utf-8"))


def _nav_hrefs(items) -> list[str]:
    hrefs = []
    for item in items or []:
        if isinstance(item, str):
            hrefs.append(item)
        elif "href" in item:
            hrefs.append(item["href"])
        hrefs += _nav_hrefs(item.get("contents") if isinstance(item, dict) else None)
    return hrefs


def test_every_file_quarto_yml_names_exists(quarto_config):
    project = quarto_config["project"]
    named = list(project["render"]) + [quarto_config["bibliography"]]
    named += _nav_hrefs(quarto_config["website"]["sidebar"]["contents"])
    named += _nav_hrefs(quarto_config["website"]["navbar"]["left"])
    missing = sorted({name for name in named if not (paths.ROOT / name).is_file()})
    assert missing == []


def test_quarto_resources_are_project_rooted_and_exist(quarto_config):
    # Quarto prefixes a resources glob that does not start with "/" with "**/" (quarto-cli
    # src/core/path.ts, resolveGlobs): "data/*.csv" would also copy .venv/**/data/*.csv.
    resources = quarto_config["project"]["resources"]
    assert [entry for entry in resources if not entry.startswith("/")] == []
    # A trailing "/" means the whole directory. figures/ and tables/ are written by the
    # pre-render step (`python -m analysis figures|tables`), so only their parent must exist.
    generated = {paths.FIGURES_DIR, paths.TABLES_DIR}
    for entry in resources:
        target = entry[1:]
        if target.endswith("/"):
            directory = paths.ROOT / target
            assert directory in generated or directory.is_dir(), entry
        else:
            assert sorted(paths.ROOT.glob(target)), f"resources entry {entry!r} matches no file"
    assert {paths.ROOT / entry[1:] for entry in resources if entry.endswith("/")} >= generated


def test_quarto_pre_render_runs_the_prepare_step_of_the_venv_python(quarto_config):
    # Quarto runs a pre-render string split into words, without a shell, in the project
    # directory (https://quarto.org/docs/projects/scripts.html).
    argv = quarto_config["project"]["pre-render"].split()
    assert argv == [".venv/bin/python", "-m", "analysis", "site", "--prepare-only"]
    from analysis.cli import COMMANDS, OneLineParser

    assert COMMANDS["site"][0] == "analysis.site"  # `python -m analysis site` is this module
    parser = OneLineParser(prog="python -m analysis site")
    site.configure_site(parser)
    assert parser.parse_args(argv[4:]).prepare_only is True


def test_publish_workflow_renders_with_the_venv_python_it_builds(quarto_config):
    workflow = yaml.safe_load((paths.ROOT / ".github/workflows/publish.yml").read_text(encoding="utf-8"))
    job = workflow["jobs"]["publish"]
    interpreter = quarto_config["project"]["pre-render"].split()[0]
    assert job["env"]["QUARTO_PYTHON"] == "${{ github.workspace }}/" + interpreter
    steps = [step.get("uses") or step.get("run") for step in job["steps"]]
    assert steps.index("make venv") < steps.index("quarto-dev/quarto-actions/publish@v2")
    assert job["steps"][-1]["with"] == {"target": "gh-pages"}
    assert job["permissions"] == {"contents": "write"}


@pytest.mark.parametrize("status", [0, 3])
def test_render_quarto_runs_in_the_project_and_puts_the_pages_back(tmp_path, monkeypatch, status):
    # A stand-in for quarto: records how it was called and, like Quarto executing an .ipynb
    # (which writes the executed notebook back into its source), rewrites the page.
    (tmp_path / "notebooks").mkdir()
    page = tmp_path / "notebooks" / "one.ipynb"
    page.write_bytes(b'{"cells": []}\n')
    config = tmp_path / "_quarto.yml"
    config.write_text("website:\n  sidebar:\n    contents:\n      - notebooks/one.ipynb\n", encoding="utf-8")
    fake = tmp_path / "quarto"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import json, os, pathlib, sys\n"
        "pathlib.Path('called.json').write_text(json.dumps({'argv': sys.argv[1:], 'cwd': os.getcwd(),\n"
        "    'python': os.environ['QUARTO_PYTHON'], 'prepared': os.environ['DASUHE_SITE_PREPARED']}))\n"
        "pathlib.Path('notebooks/one.ipynb').write_text('executed by quarto')\n"
        f"sys.exit({status})\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "QUARTO_CONFIG", config)
    monkeypatch.setenv("QUARTO_PYTHON", "/venv/bin/python")
    if status:
        with pytest.raises(AnalysisError) as info:
            site.render_quarto(str(fake))
        assert str(info.value) == "quarto render exited with status 3"
    else:
        site.render_quarto(str(fake))
    called = json.loads((tmp_path / "called.json").read_text())
    assert called == {"argv": ["render"], "cwd": str(tmp_path), "python": "/venv/bin/python", "prepared": "1"}
    assert page.read_bytes() == b'{"cells": []}\n'


def test_typst_font_is_alone_in_the_typst_font_path(quarto_config, tmp_path, monkeypatch):
    from fontTools.ttLib import TTFont

    typst = quarto_config["format"]["typst"]
    # "/" = project root for font-paths (Quarto >= 1.8)
    assert typst["font-paths"] == ["/" + paths.TYPST_FONTS_DIR.relative_to(paths.ROOT).as_posix()]
    # Typst searches font-paths recursively: the figures' subset (same family) must stay outside.
    assert paths.TYPST_FONTS_DIR.parent == paths.FONTS_CACHE_DIR
    monkeypatch.setattr(paths, "TYPST_FONTS_DIR", tmp_path / "typst")
    copied = site.copy_typst_font()
    assert copied == tmp_path / "typst" / site.FONT_FILE
    assert copied.read_bytes() == site.font_source().read_bytes()
    assert TTFont(copied)["name"].getDebugName(1) == typst["mainfont"] == site.FONT_FAMILY
    assert sorted(path.name for path in (tmp_path / "typst").rglob("*")) == [site.FONT_FILE]


def test_every_page_is_reachable_from_the_navigation(quarto_config):
    render = quarto_config["project"]["render"]
    sidebar = _nav_hrefs(quarto_config["website"]["sidebar"]["contents"])
    navbar = _nav_hrefs(quarto_config["website"]["navbar"]["left"])
    assert sorted(sidebar) == sorted(render)  # every rendered page is in the sidebar, once
    assert len(sidebar) == len(set(sidebar))
    assert sidebar[0] == navbar[0] == "index.ipynb"  # front page first
    assert set(navbar) <= set(render)
    assert [page.source for page in site.read_pages()] == sidebar


def test_quarto_yml_site_options(quarto_config):
    assert quarto_config["project"]["type"] == "website"
    assert quarto_config["project"]["output-dir"] == "_site"
    assert quarto_config["execute"] == {"enabled": True, "freeze": False}
    assert quarto_config["website"]["search"] == {"location": "navbar", "type": "overlay"}
    typst = quarto_config["format"]["typst"]
    assert typst["mainfont"] == site.FONT_FAMILY
    assert quarto_config["format"]["html"]["format-links"] == ["typst"]


def test_read_pages_walks_sections_in_order(tmp_path):
    config = tmp_path / "_quarto.yml"
    config.write_text(
        "website:\n  sidebar:\n    contents:\n"
        "      - text: Home\n        href: index.ipynb\n"
        "      - section: Report\n        contents:\n"
        "          - text: One\n            href: notebooks/one.ipynb\n"
        "          - notebooks/two.ipynb\n",
        encoding="utf-8",
    )
    assert site.read_pages(config) == [
        site.Page("index.ipynb", "Home", None),
        site.Page("notebooks/one.ipynb", "One", "Report"),
        site.Page("notebooks/two.ipynb", "two", "Report"),
    ]
    assert site.Page("notebooks/one.ipynb", "One").html_path == "notebooks/one.html"
    assert site.Page("notebooks/one.ipynb", "One").depth == 1


def test_read_pages_without_pages_is_one_clear_error(tmp_path):
    config = tmp_path / "_quarto.yml"
    config.write_text("website:\n  title: x\n", encoding="utf-8")
    with pytest.raises(AnalysisError) as info:
        site.read_pages(config)
    assert str(info.value) == f"{config}: website.sidebar.contents lists no page"


# ---------------------------------------------------------------------------------------------
# references.bib
# ---------------------------------------------------------------------------------------------
def test_references_bib_is_up_to_date():
    assert paths.REFERENCES_BIB.read_text(encoding="utf-8") == site.render_references_bib(), (
        "references.bib is stale: run `python -m analysis site --write-bib`"
    )


def test_references_bib_has_the_article_and_every_assumption_source():
    import csv

    keys = re.findall(r"^@online\{([^,]+),", paths.REFERENCES_BIB.read_text(encoding="utf-8"), re.M)
    with paths.data_file("assumption_sources.csv").open(encoding="utf-8") as handle:
        source_ids = [row["source_id"] for row in csv.DictReader(handle)]
    assert keys[1:] == source_ids
    assert len(keys) == len(source_ids) + 1  # + the article


def _write_bib_fixture(folder: Path, assumption_rows: str) -> Path:
    folder.mkdir()
    (folder / "source.csv").write_text(
        "source_id,title,publisher,date,url,accessed,language,licence_note\n"
        "art_2018,标题:“三方”,共产党员网,2018-06-04,example.org/a,2026-11-28,zh,cited & quoted\n",
        encoding="utf-8",
    )
    (folder / "assumption_sources.csv").write_text(
        "source_id,author,title,publisher,date,url,accessed,confidence,note\n" + assumption_rows,
        encoding="utf-8",
    )
    return folder


def test_render_references_bib_exact_text(tmp_path):
    data_dir = _write_bib_fixture(tmp_path / "data", "judge,Project authors,Our judgement,,,,2026-11-28,judgement,50% of {x}\n")
    assert site.render_references_bib(data_dir) == (
        "% Generated by `python -m analysis site --write-bib` from data/source.csv and\n"
        "% data/assumption_sources.csv. Do not edit by hand: tests check it is up to date.\n\n"
        "@online{art_2018,\n"
        "  author = {{共产党员网}},\n"
        "  title = {{标题:“三方”}},\n"
        "  date = {2018-06-04},\n"
        "  url = {http://example.org/a},\n"
        "  urldate = {2026-11-28},\n"
        "  langid = {zh},\n"
        "  note = {cited \\& quoted}\n"
        "}\n"
        "\n"
        "@online{judge,\n"
        "  author = {{Project authors}},\n"
        "  title = {{Our judgement}},\n"
        "  urldate = {2026-11-28},\n"
        "  note = {confidence: judgement; 50\\% of \\{x\\}}\n"
        "}\n"
    )


def test_render_references_bib_rejects_a_duplicate_key(tmp_path):
    data_dir = _write_bib_fixture(tmp_path / "data", "art_2018,,T,,,,,low,\n")
    with pytest.raises(AnalysisError) as info:
        site.render_references_bib(data_dir)
    assert str(info.value) == f"{data_dir / 'assumption_sources.csv'}: row 2, column source_id: duplicate key 'art_2018'"


def test_render_references_bib_rejects_an_unusable_key(tmp_path):
    data_dir = _write_bib_fixture(tmp_path / "data", "bad key,,T,,,,,low,\n")
    with pytest.raises(AnalysisError) as info:
        site.render_references_bib(data_dir)
    assert str(info.value) == (
        f"{data_dir / 'assumption_sources.csv'}: row 2, column source_id: 'bad key' is not a usable BibTeX key"
    )


# ---------------------------------------------------------------------------------------------
# building blocks of the preview
# ---------------------------------------------------------------------------------------------
def test_hash_files_changes_with_content_and_name(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x\n1\n")
    b.write_text("x\n1\n")
    first = site.hash_files([a])
    assert site.hash_files([a]) == first  # same input, same key
    a.write_text("x\n2\n")
    assert site.hash_files([a]) != first  # one changed byte in data -> new key
    c = tmp_path / "c.csv"
    c.write_text(b.read_text())
    assert site.hash_files([b]) != site.hash_files([c])  # same bytes, other file name
    assert site.hash_files([b], extra="p") != site.hash_files([b])


def test_hash_page_depends_on_notebook_dependencies_and_parameters(tmp_path):
    notebook = tmp_path / "n.ipynb"
    notebook.write_text("{}")
    base = site.hash_page(notebook, "d1")
    assert site.hash_page(notebook, "d1") == base
    assert site.hash_page(notebook, "d2") != base
    assert site.hash_page(notebook, "d1", {"price_yuan_per_kg": 60.0}) != base
    notebook.write_text("{ }")
    assert site.hash_page(notebook, "d1") != base


def test_dependency_files_cover_data_analysis_and_requirements():
    files = set(site.list_dependency_files())
    assert paths.DATAPACKAGE in files
    assert paths.ANALYSIS_DIR / "site.py" in files
    assert paths.SITE_ASSETS_DIR / "page.html" in files
    assert paths.REQUIREMENTS in files


def test_apply_cell_options_follows_quarto_echo_output_include():
    nb = new_notebook(cells=[
        new_code_cell("#| echo: false\n#| label: fig-a\n#| fig-cap: \"Profit, 大堡\"\nx = 1"),
        new_code_cell("#| include: false\nsecret = 2"),
        new_code_cell("#| output: false\ny = 3"),
        new_markdown_cell("#| echo: false is prose here"),
        new_code_cell("z = 4  #| not an option"),
    ])
    site._apply_cell_options(nb)
    assert [cell.source for cell in nb.cells] == ["x = 1", "y = 3", "#| echo: false is prose here", "z = 4  #| not an option"]
    assert [cell.metadata.get("tags") for cell in nb.cells] == [
        ["preview-remove-input"], ["preview-remove-output"], None, [],
    ]
    assert nb.cells[0].metadata["alt"] == "Profit, 大堡"  # fig-cap as alt text (no fig-alt given)
    alt_cell = new_notebook(cells=[new_code_cell("#| fig-cap: Caption\n#| fig-alt: 'Bars of profit'\nx")])
    site._apply_cell_options(alt_cell)
    assert alt_cell.cells[0].metadata["alt"] == "Bars of profit"


def test_rewrite_notebook_links_to_html():
    fragment = ('<a href="notebooks/02-governance.ipynb">a</a> <a href="../index.ipynb#key">b</a> '
                '<a href="page.qmd">c</a> <a href="https://example.org/x.ipynb">d</a> <a href="../data/facts.csv">e</a>')
    assert site.rewrite_notebook_links(fragment) == (
        '<a href="notebooks/02-governance.html">a</a> <a href="../index.html#key">b</a> '
        '<a href="page.html">c</a> <a href="https://example.org/x.ipynb">d</a> <a href="../data/facts.csv">e</a>'
    )


def test_render_nav_links_every_page_relative_to_the_current_one():
    pages = [site.Page("index.ipynb", "Home"), site.Page("notebooks/a.ipynb", "A & B", "Report")]
    assert site.render_nav(pages, pages[1]) == (
        '<ul><li><a href="../index.html">Home</a></li>'
        '<li class="nav-section"><span>Report</span><ul>'
        '<li><a href="../notebooks/a.html" class="current" aria-current="page">A &amp; B</a></li>'
        "</ul></li></ul>"
    )


def test_banner_says_preview_and_how_to_get_the_site():
    assert site.banner_html() == (
        'Offline preview — not the Quarto site; to build the full site install Quarto '
        '(<a href="https://quarto.org">https://quarto.org</a>) and run <code>make site</code>'
    )
    assert re.sub(r"<[^>]+>", "", site.banner_html()) == site.PREVIEW_BANNER


def test_subset_font_keeps_only_used_characters_and_is_deterministic(tmp_path):
    from fontTools.ttLib import TTFont

    first = site.subset_font("大苏河乡 Dasuhe", tmp_path / "one")
    second = site.subset_font("大苏河乡 Dasuhe", tmp_path / "two")  # fresh cache: rebuilt
    assert first == second
    font = TTFont(io.BytesIO(first))
    cmap = font.getBestCmap()
    assert font.flavor == "woff2"
    assert font["name"].getDebugName(1) == site.FONT_FAMILY
    assert {ord(ch) for ch in "大苏河乡"} <= set(cmap)
    assert ord("村") not in cmap  # not used, not shipped
    assert set(range(0x20, 0x7F)) <= set(cmap)  # printable ASCII always
    assert len(first) < 40_000


def test_site_cli_rejects_bad_jobs_with_one_line():
    result = subprocess.run([sys.executable, "-m", "analysis", "site", "-j", "0"],
                            capture_output=True, text=True, cwd=paths.ROOT)
    assert result.returncode == 2
    assert result.stderr == "error: --jobs=0: must be >= 1\n"


def test_site_cli_rejects_unknown_option_with_one_line():
    result = subprocess.run([sys.executable, "-m", "analysis", "site", "--bogus"],
                            capture_output=True, text=True, cwd=paths.ROOT)
    assert result.returncode == 2
    assert result.stderr == "error: python -m analysis site: unrecognized arguments: --bogus\n"


def test_site_cli_stops_on_invalid_data_before_writing_anything(tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, data_dir)
    facts = data_dir / "facts.csv"
    lines = facts.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    row = lines[1].split(",")
    row[header.index("qualifier")] = "roughly"  # not in the qualifier enum
    lines[1] = ",".join(row)
    facts.write_text("".join(lines), encoding="utf-8")
    stamp = paths.SITE_DIR / site.PREVIEW_STAMP
    before = stamp.stat().st_mtime_ns if stamp.exists() else None
    result = subprocess.run([sys.executable, "-m", "analysis", "site", "--preview"], capture_output=True, text=True,
                            cwd=paths.ROOT, env=dict(os.environ, DASUHE_DATA_DIR=str(data_dir)))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "facts.csv" in result.stderr and "qualifier" in result.stderr
    assert (stamp.stat().st_mtime_ns if stamp.exists() else None) == before


# ---------------------------------------------------------------------------------------------
# the preview from fixture notebooks
# ---------------------------------------------------------------------------------------------
def _notebook(path: Path, cells) -> None:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


FIXTURE_PAGES = [
    site.Page("index.ipynb", "Home"),
    site.Page("notebooks/one.ipynb", "One 第一", "Report"),
]


def _fixture_project(root: Path) -> tuple[Path, Path, Path]:
    _notebook(root / "index.ipynb", [
        new_code_cell('lang = "en"', metadata={"tags": ["parameters"]}),
        new_markdown_cell("# Home 大苏河乡\n\nRead [page one](notebooks/one.ipynb) or get [facts](data/facts.csv)."),
        new_code_cell("#| echo: false\nfrom IPython.display import Markdown\nMarkdown(f'**{6 * 7}** households 户')"),
    ])
    _notebook(root / "notebooks" / "one.ipynb", [
        new_markdown_cell("# One\n\nBack [home](../index.ipynb)."),
        new_code_cell("#| label: fig-line\n#| fig-alt: A rising line\nimport matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(2, 1))\nax.plot([0, 1])\nplt.show()"),
    ])
    data, figures, tables = root / "data", root / "figures", root / "tables"
    (data / "schemas").mkdir(parents=True)
    (data / "facts.csv").write_text("fact_id,value\nx,1\n")
    (data / "datapackage.json").write_text("{}\n")
    (data / "schemas" / "facts.json").write_text("{}\n")
    figures.mkdir()
    (figures / "manifest.json").write_text("{}\n")
    tables.mkdir()
    (tables / "facts.html").write_text("<table></table>\n")
    return data, figures, tables


def _build_fixture(root: Path, out: Path, cache: Path, downloads):
    return site.build_preview(FIXTURE_PAGES, root=root, out_dir=out, cache_dir=cache, jobs=2,
                              site_title="Fixture site", dependencies_hash="deps", downloads=downloads)


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    downloads = _fixture_project(root)
    out, cache = root / "_site", root / ".cache" / "site"
    first = _build_fixture(root, out, cache, downloads)
    return root, out, cache, downloads, first


def _internal_refs(page_html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page_html)


@pytest.mark.slow
def test_preview_has_every_page_nav_banner_and_downloads(fixture_site):
    root, out, _, _, first = fixture_site
    assert first.rebuilt and first.pages == ("index.html", "notebooks/one.html")
    assert first.font_foreseen  # every character shown (户, 第一, ...) is in the pages' sources
    for page in FIXTURE_PAGES:
        text = (out / page.html_path).read_text(encoding="utf-8")
        assert site.banner_html() in text
        assert text.count('<nav class="site-nav"') == 1
        prefix = "../" * page.depth
        for other in FIXTURE_PAGES:
            assert f'href="{prefix}{other.html_path}"' in text
    for name in ("data/facts.csv", "data/datapackage.json", "data/schemas/facts.json",
                 "figures/manifest.json", "tables/facts.html", "site_libs/preview.css",
                 f"site_libs/fonts/{site.FONT_SUBSET_NAME}"):
        assert (out / name).is_file(), name


@pytest.mark.slow
def test_preview_renders_markdown_outputs_links_and_images(fixture_site):
    _, out, _, _, _ = fixture_site
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<strong>42</strong> households 户" in index  # IPython Markdown rendered, 6 * 7 = 42
    assert "Markdown(f" not in index  # echo: false hides the code
    assert 'href="notebooks/one.html"' in index and 'href="data/facts.csv"' in index
    one = (out / "notebooks" / "one.html").read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]+src="([^"]+)"', one)
    assert images == ["one_files/output_1_0.png"]
    assert re.findall(r'<img alt="([^"]+)"', one) == ["A rising line"]
    assert (out / "notebooks" / images[0]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "#| label" not in one


@pytest.mark.slow
def test_preview_has_no_external_reference_and_small_pages(fixture_site):
    _, out, _, _, _ = fixture_site
    for path in out.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        external = [ref for ref in _internal_refs(text) if re.match(r"(?i)(https?:)?//", ref)]
        is_page = path.relative_to(out).as_posix() in {p.html_path for p in FIXTURE_PAGES}
        assert external == (["https://quarto.org"] if is_page else []), path  # banner's plain <a> only
        assert not re.search(r"(?i)<(script|link|img|iframe)[^>]+(src|href)=\"(https?:)?//", text)
        assert path.stat().st_size <= MAX_PAGE_BYTES
    css = (out / "site_libs" / "preview.css").read_text(encoding="utf-8")
    assert "http" not in css and "@import" not in css


@pytest.mark.slow
def test_preview_second_build_is_a_no_op_and_a_change_rebuilds(fixture_site, tmp_path):
    root, out, cache, downloads, _ = fixture_site
    again = _build_fixture(root, out, cache, downloads)
    assert not again.rebuilt and again.seconds < 1.0
    # a copy of the project with one changed page rebuilds, re-executing only that page
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("_site"))
    nb = nbformat.read(str(copy / "notebooks" / "one.ipynb"), as_version=4)
    nb.cells[0].source = "# One, changed"
    nbformat.write(nb, str(copy / "notebooks" / "one.ipynb"))
    executed_before = set((cache / "executed").iterdir())
    rebuilt = _build_fixture(copy, copy / "_site", cache, downloads)
    assert rebuilt.rebuilt
    assert len(set((cache / "executed").iterdir()) - executed_before) == 1
    assert "One, changed" in (copy / "_site" / "notebooks" / "one.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_preview_is_byte_identical_when_rebuilt_from_scratch(fixture_site, tmp_path):
    root, out, _, downloads, _ = fixture_site
    again = site.build_preview(FIXTURE_PAGES, root=root, out_dir=tmp_path / "_site", cache_dir=tmp_path / "cache",
                               jobs=2, site_title="Fixture site", dependencies_hash="deps", downloads=downloads,
                               use_cache=False)
    assert again.rebuilt
    first_files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    second_files = sorted(p.relative_to(again.out_dir) for p in again.out_dir.rglob("*") if p.is_file())
    assert first_files == second_files
    assert [n for n in first_files if (out / n).read_bytes() != (again.out_dir / n).read_bytes()] == []


@pytest.mark.slow
def test_preview_failing_notebook_is_one_clear_error_and_keeps_the_old_site(fixture_site, tmp_path):
    root, out, cache, downloads, _ = fixture_site
    copy = tmp_path / "broken"
    shutil.copytree(root, copy)
    _notebook(copy / "notebooks" / "one.ipynb", [new_code_cell("1 / 0")])
    before = (copy / "_site" / "notebooks" / "one.html").read_bytes()
    with pytest.raises(AnalysisError) as info:
        _build_fixture(copy, copy / "_site", cache, downloads)
    assert str(info.value) == "notebooks/one.ipynb: cell 1 raised ZeroDivisionError: division by zero"
    assert (copy / "_site" / "notebooks" / "one.html").read_bytes() == before
    assert [p.name for p in copy.iterdir() if p.name.startswith("._site")] == []


def write_manifest_later(path: str, text: str) -> None:
    """A stand-in for `figures` + `tables`: writes a file the dependent page reads."""
    import time

    time.sleep(1.0)
    Path(path).write_text(text, encoding="utf-8")


def test_page_reads_outputs_detects_figures_and_tables(tmp_path):
    reads, plain, links = tmp_path / "reads.ipynb", tmp_path / "plain.ipynb", tmp_path / "links.ipynb"
    _notebook(reads, [new_code_cell("from analysis import figures\nfigures.load_manifest()")])
    _notebook(plain, [new_code_cell("from analysis import model\nmodel.season")])
    _notebook(links, [new_markdown_cell("Download [the table](../tables/facts.csv)."), new_code_cell("1 + 1")])
    assert site.page_reads_outputs(reads) is True
    assert site.page_reads_outputs(plain) is False
    assert site.page_reads_outputs(links) is False  # a link only needs the file in the finished site


@pytest.mark.slow
def test_preview_uses_plain_kernels_when_the_kernel_pool_cannot_start(tmp_path, monkeypatch, capsys):
    from analysis import kernelpool

    def broken_start(self):
        raise AnalysisError("kernel pool: the fork server did not start: test")

    monkeypatch.setattr(kernelpool.ForkServer, "start", broken_start)
    _notebook(tmp_path / "index.ipynb", [new_code_cell("print(6 * 7)")])
    site.build_preview([site.Page("index.ipynb", "Home")], root=tmp_path, out_dir=tmp_path / "_site",
                       cache_dir=tmp_path / "cache", jobs=2, site_title="S", dependencies_hash="d",
                       downloads=(tmp_path / "data", tmp_path / "figures", tmp_path / "tables"))
    assert "kernel pool: the fork server did not start: test; using plain python3 kernels" in capsys.readouterr().out
    assert "42" in (tmp_path / "_site" / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_preview_font_is_made_again_for_a_character_no_source_holds(tmp_path):
    from fontTools.ttLib import TTFont

    _notebook(tmp_path / "index.ipynb", [new_code_cell("print(chr(0x946B) + chr(0x7126))")])  # 鑫焦, computed
    pages = [site.Page("index.ipynb", "Home")]
    result = site.build_preview(pages, root=tmp_path, out_dir=tmp_path / "_site", cache_dir=tmp_path / "cache",
                                jobs=2, site_title="S", dependencies_hash="d",
                                downloads=(tmp_path / "data", tmp_path / "figures", tmp_path / "tables"))
    assert chr(0x946B) in (tmp_path / "_site" / "index.html").read_text(encoding="utf-8")
    assert not result.font_foreseen
    font = TTFont(tmp_path / "_site" / site.SITE_LIBS / "fonts" / site.FONT_SUBSET_NAME)
    assert {0x946B, 0x7126} <= set(font.getBestCmap())


@pytest.mark.slow
def test_pages_reading_outputs_run_after_the_outputs_task(tmp_path):
    manifest = tmp_path / "figures" / "manifest.json"
    manifest.parent.mkdir()
    _notebook(tmp_path / "index.ipynb", [new_markdown_cell("# Home")])
    _notebook(tmp_path / "gallery.ipynb", [
        new_code_cell(f"from pathlib import Path\nprint(Path({str(manifest)!r}).read_text())")
    ])
    pages = [site.Page("index.ipynb", "Home"), site.Page("gallery.ipynb", "Gallery")]
    result = site.build_preview(
        pages, root=tmp_path, out_dir=tmp_path / "_site", cache_dir=tmp_path / "cache", jobs=3,
        site_title="S", dependencies_hash="d", downloads=(tmp_path / "data", manifest.parent, tmp_path / "tables"),
        before=(write_manifest_later, (str(manifest), "written-by-the-outputs-task")),
    )
    assert result.rebuilt
    assert "written-by-the-outputs-task" in (tmp_path / "_site" / "gallery.html").read_text(encoding="utf-8")
    assert (tmp_path / "_site" / "figures" / "manifest.json").read_text() == "written-by-the-outputs-task"


# ---------------------------------------------------------------------------------------------
# the real site in a real browser
# ---------------------------------------------------------------------------------------------
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D102 - keep pytest output clean
        pass


@pytest.fixture
def serve():
    servers = []

    def start(directory: Path) -> str:
        mimetypes.add_type("font/woff2", ".woff2")
        handler = functools.partial(_QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _require_browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: the real-browser test needs Debian's chromium"
        if os.environ.get("DASUHE_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (DASUHE_REQUIRE_BROWSER=1)")
        pytest.skip(reason)


_MARK_CJK_PROBES = """() => {
  // Mark the first element with Chinese text (outside code) in each context: tables, the rest.
  const re = /[\\u4e00-\\u9fff]/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const marked = {};
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!re.test(node.textContent) || el.closest('pre, code, svg, script, style')) continue;
    const context = el.closest('table') ? 'table' : (el.closest('nav') ? 'nav' : 'text');
    if (context in marked) continue;
    const span = document.createElement('span');  // only this text node's glyphs are measured
    span.setAttribute('data-cjk-probe', context);
    node.replaceWith(span);
    span.appendChild(node);
    marked[context] = node.textContent.trim().slice(0, 40);
  }
  return marked;
}"""


def check_site_in_browser(base_url: str, pages: list[str]) -> dict:
    """Open every page; return the problems found and facts about the pages (sizes, fonts)."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    links: set[str] = set()
    cjk_pages: dict[str, list[dict]] = {}
    weights: dict[str, int] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for name in pages:
            context = browser.new_context()  # fresh cache: the page's full weight is counted
            page = context.new_page()
            url = urljoin(base_url, name)
            page.on("console", lambda msg, n=name: msg.type == "error" and problems.append(f"{n}: console error: {msg.text}"))
            page.on("pageerror", lambda exc, n=name: problems.append(f"{n}: page error: {exc}"))
            page.on("requestfailed", lambda req, n=name: problems.append(f"{n}: request failed: {req.url} {req.failure}"))

            def on_request(req, n=name):
                host = urlparse(req.url).hostname
                if req.url.startswith(("http:", "https:")) and host != "127.0.0.1":
                    problems.append(f"{n}: request to an external host: {req.url}")

            def on_response(resp, n=name):
                if resp.status >= 400:
                    problems.append(f"{n}: HTTP {resp.status} for {resp.url}")

            page.on("request", on_request)
            page.on("response", on_response)
            page.goto(url, wait_until="networkidle")
            page.evaluate("document.fonts.ready.then(() => true)")
            broken = page.evaluate(
                "() => Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
            )
            problems += [f"{name}: image not loaded: {src}" for src in broken]
            hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
            links.update(urldefrag(h)[0] for h in hrefs if urlparse(h).hostname == "127.0.0.1")
            probes = page.evaluate(_MARK_CJK_PROBES)
            if probes:
                cdp = context.new_cdp_session(page)
                cdp.send("DOM.enable")
                cdp.send("CSS.enable")
                root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
                for where in sorted(probes):
                    selector = f'[data-cjk-probe="{where}"]'
                    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
                    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
                    cjk_pages[f"{name} ({where}: {probes[where]})"] = fonts
                cdp.detach()
            # bytes the page loaded: the document and every resource (Resource Timing API)
            weights[name] = page.evaluate(
                "() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
                ".reduce((sum, e) => sum + e.encodedBodySize, 0)"
            )
            context.close()
        context = browser.new_context()
        for link in sorted(links):
            response = context.request.get(link)
            if response.status != 200:
                problems.append(f"link {link}: HTTP {response.status}")
        context.close()
        browser.close()
    return {"problems": problems, "cjk_fonts": cjk_pages, "weights": weights, "links": links}


@pytest.fixture(scope="session")
def built_preview(tmp_path_factory) -> Path:
    """The real site's offline preview, built once per session (cached notebooks reused)."""
    out = tmp_path_factory.mktemp("real") / "_site"
    site.prepare_site()
    result = site.build_preview(out_dir=out)
    assert result.font_foreseen  # the font subset made alongside the pages served them all
    return out


CJK_FAMILY = re.compile(r"Noto Sans (CJK )?SC|Noto Serif (CJK )?SC|Source Han|PingFang|YaHei|WenQuanYi|Hei|Song")


def assert_site_is_sound(result: dict, pages: list[str], cjk_family: re.Pattern | None) -> None:
    """No problem, every page weighed and <= 2 MB, every page linked, Chinese in a CJK font.

    *cjk_family* None: the family must be the shipped Noto Sans SC subset (a web font).
    """
    assert result["problems"] == []
    assert set(result["weights"]) == set(pages)
    assert {name: size for name, size in result["weights"].items() if size > MAX_PAGE_BYTES} == {}
    assert result["cjk_fonts"], "no page has Chinese text outside code"
    for probe, fonts in result["cjk_fonts"].items():
        used = [(f["familyName"], f["isCustomFont"]) for f in fonts]
        if cjk_family is None:
            assert used == [(site.FONT_FAMILY, True)], probe
        else:
            assert used and all(cjk_family.search(name) for name, _ in used), (probe, used)
    internal = {urlparse(link).path.lstrip("/") for link in result["links"]}
    assert set(pages) <= internal  # every page reachable by a link


@pytest.mark.slow
def test_real_preview_in_a_real_browser(built_preview, serve):
    _require_browser()
    pages = [page.html_path for page in site.read_pages()]
    result = check_site_in_browser(serve(built_preview), pages)
    assert_site_is_sound(result, pages, cjk_family=None)


@pytest.mark.slow
def test_quarto_site_in_a_real_browser(serve):
    quarto = site.find_quarto(try_install=False)
    if not quarto:
        pytest.skip("quarto is not on PATH: the Quarto-site variant of the browser test was skipped "
                    "(the offline-preview variant ran instead)")
    _require_browser()
    site.prepare_site()
    site.copy_typst_font()
    site.render_quarto(quarto)
    pages = [page.html_path for page in site.read_pages()]
    result = check_site_in_browser(serve(paths.SITE_DIR), pages)
    # The Quarto site ships no CJK web font: Chinese needs a CJK font on the reader's machine.
    assert_site_is_sound(result, pages, cjk_family=CJK_FAMILY)
