"""Tests of analysis/site.py: the Quarto configuration, the build's caches, and the real site.

The slow tests build the real site once per session with the real Quarto (`python -m analysis
site --out <tmp>`, with the article deliberately missing, as in the publish job), then read its
HTML and PDFs, open every page in headless Chromium, and check that a bare `quarto render` is
refused without touching anything. Without Quarto (no kit, nothing on PATH) they skip, unless
DASUHE_REQUIRE_QUARTO=1 (CI), where they fail; likewise the browser test without Chromium and
DASUHE_REQUIRE_BROWSER=1.
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
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
import yaml

from analysis import fonts, paths, quarto, site, tables
from analysis.errors import AnalysisError

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MAX_PAGE_BYTES = 2 * 1024 * 1024
CJK = re.compile(r"[\u4e00-\u9fff]")
SHARED_CHECKER = paths.SHARED_DIR / "quarto" / "check_quarto_keys.py"


# ---------------------------------------------------------------------------------------------
# _quarto.yml, its profiles and the publish workflow
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


def test_the_table_pages_icon_is_the_sites_favicon(quarto_config):
    assert quarto_config["website"]["favicon"] == paths.SITE_FAVICON.as_posix()
    assert (paths.ROOT / paths.SITE_FAVICON).is_file()


def test_every_file_quarto_yml_names_exists(quarto_config):
    html, typst = quarto_config["format"]["html"], quarto_config["format"]["typst"]
    named = list(quarto_config["project"]["render"]) + [quarto_config["bibliography"], html["css"],
                                                        quarto_config["website"]["favicon"],
                                                        *typst["include-in-header"], *typst["filters"]]
    for lang in site.EDITIONS:  # each profile adds its PDF fonts to the list (Quarto concatenates lists)
        profile = yaml.safe_load(site.profile_path(lang).read_text(encoding="utf-8"))
        named += profile["format"]["typst"]["include-in-header"]
    assert [name for name in named if not (paths.ROOT / name).is_file()] == []
    assert [Path(name).name for name in named if name.endswith(".typ")] == [
        "typst-header.typ", "typst-fonts-en.typ", "typst-fonts-zh.typ"]


def test_each_page_links_its_pdf_and_its_counterpart_in_the_other_edition():
    pages = {page.source: page for page in site.read_pages()}
    governance, index = pages["notebooks/02-governance.ipynb"], pages["index.ipynb"]
    assert site.front_matter(governance, "en") == {"other-links": [
        {"text": "PDF", "href": "02-governance.pdf", "icon": "file-pdf"},
        # notebooks/ is one folder below the root; the Chinese edition is under zh/
        {"text": "中文版", "href": "../zh/notebooks/02-governance.html", "icon": "translate"}]}
    assert site.front_matter(index, "zh") == {"other-links": [
        {"text": "PDF 版", "href": "index.pdf", "icon": "file-pdf"},
        {"text": "English version", "href": "../index.html", "icon": "translate"}]}  # zh/ is one folder down


def test_quarto_resources_are_project_rooted_and_exist(quarto_config):
    resources = quarto_config["project"]["resources"]
    assert all(entry.startswith("/") for entry in resources)  # else Quarto matches **/entry, .venv included
    for entry in resources:
        matches = list(paths.ROOT.glob(entry.lstrip("/").rstrip("/"))) if "*" in entry else [paths.ROOT / entry.strip("/")]
        assert matches and all(m.exists() or m.name in {"figures", "tables"} for m in matches), entry
    assert {entry.strip("/").split("/")[0] for entry in resources} == {
        "data", "figures", "tables", "references.bib", "references-zh.bib", "CITATION.cff"} == set(site.DOWNLOADS)


def test_the_pages_quarto_renders_are_the_pages_of_the_sidebar(quarto_config):
    assert [page.source for page in site.read_pages()] == quarto_config["project"]["render"]
    for lang in site.EDITIONS:
        profile = yaml.safe_load(site.profile_path(lang).read_text(encoding="utf-8"))
        assert profile["lang"] == lang
        assert [p.source for p in site.read_pages(lang=lang)] == quarto_config["project"]["render"]
        navbar = _nav_hrefs(profile["website"]["navbar"]["left"])
        assert set(navbar) <= set(quarto_config["project"]["render"])


def test_quarto_yml_executes_nothing_hides_warnings_and_folds_code(quarto_config):
    assert quarto_config["execute"] == {"enabled": False, "warning": False}
    assert quarto_config["format"]["html"]["code-fold"] is True
    assert quarto_config["format"]["html"]["code-overflow"] == "wrap"
    assert quarto_config["format"]["typst"]["echo"] is False
    assert "font-paths" not in quarto_config["format"]["typst"]  # given by the build (TYPST_FONT_PATHS)
    assert quarto_config["profile"] == {"default": site.EDITIONS[0]}
    assert quarto_config["website"]["search"] == {"location": "navbar", "type": "overlay"}


def test_the_pre_render_step_refuses_a_bare_render_in_one_line(quarto_config):
    assert quarto_config["project"]["pre-render"] == ".venv/bin/python -m analysis site --refuse-bare-render"
    env = {k: v for k, v in os.environ.items() if k != site.STAGE_ENV}
    refused = subprocess.run([sys.executable, "-m", "analysis", "site", "--refuse-bare-render"],
                             capture_output=True, text=True, env=env, cwd=paths.ROOT)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == f"error: {site.BARE_RENDER_MESSAGE}\n"
    passed = subprocess.run([sys.executable, "-m", "analysis", "site", "--refuse-bare-render"],
                            capture_output=True, text=True, env=env | {site.STAGE_ENV: "1"}, cwd=paths.ROOT)
    assert (passed.returncode, passed.stdout, passed.stderr) == (0, "", "")


def test_the_staging_copy_of_quarto_yml_drops_only_the_guard(quarto_config):
    staged = yaml.safe_load(site.stage_config("en"))
    expected = json.loads(json.dumps(quarto_config))
    del expected["project"]["pre-render"]
    assert staged == expected


def test_quarto_schema_checker_finds_nothing():
    if not SHARED_CHECKER.is_file():
        pytest.skip(f"{SHARED_CHECKER} not found: Quarto's schema check was not run")
    result = subprocess.run([sys.executable, str(SHARED_CHECKER), str(paths.ROOT)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("OK")


def test_publish_workflow_builds_with_the_tested_quarto_and_publishes_what_it_built():
    workflow = yaml.safe_load((paths.ROOT / ".github/workflows/publish.yml").read_text(encoding="utf-8"))
    text = (paths.ROOT / ".github/workflows/publish.yml").read_text(encoding="utf-8")
    assert "_publish.yml" not in yaml.safe_dump(workflow["jobs"])  # no guard on a file gh-pages never writes
    assert workflow["concurrency"] == {"group": "pages-${{ github.ref }}", "cancel-in-progress": False}
    test_steps, publish_steps = workflow["jobs"]["test"]["steps"], workflow["jobs"]["publish"]["steps"]
    assert f"quarto-{quarto.QUARTO_VERSION}-linux-amd64.deb" in json.dumps(test_steps)
    setup = [s for s in publish_steps if s.get("uses", "").startswith("quarto-dev/quarto-actions/setup")]
    assert setup[0]["with"] == {"version": quarto.QUARTO_VERSION}
    runs = [s.get("run", "") for s in publish_steps]
    assert "make site" in runs and ".ci/run" in [s.get("run", "") for s in test_steps]
    publish = [s for s in publish_steps if s.get("uses", "").startswith("quarto-dev/quarto-actions/publish")]
    assert publish[0]["with"] == {"target": "gh-pages", "render": "false"}  # _site/ as `make site` built it
    assert workflow["jobs"]["publish"]["needs"] == "test"
    assert "git checkout --orphan gh-pages" in text  # the one-time step the README gives too


# ---------------------------------------------------------------------------------------------
# caches
# ---------------------------------------------------------------------------------------------
def test_hash_files_changes_with_content_and_name(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x\n1\n")
    b.write_text("x\n1\n")
    first = site.hash_files([a])
    assert site.hash_files([a]) == first
    a.write_text("x\n2\n")
    assert site.hash_files([a]) != first
    c = tmp_path / "c.csv"
    c.write_text(b.read_text())
    assert site.hash_files([b]) != site.hash_files([c])
    assert site.hash_files([b], extra="p") != site.hash_files([b])
    assert site.hash_files([b], root=tmp_path) == site.hash_files([b], root=tmp_path)


@pytest.fixture
def outputs_dirs(tmp_path, monkeypatch):
    figures, tables = tmp_path / "figures", tmp_path / "tables"
    (figures / "tornado").mkdir(parents=True)
    (figures / "tornado" / "tornado_en_web.png").write_bytes(b"png")
    (figures / "manifest.json").write_text("{}")
    tables.mkdir()
    (tables / "facts.csv").write_text("a\n")
    monkeypatch.setattr(paths, "FIGURES_DIR", figures)
    monkeypatch.setattr(paths, "TABLES_DIR", tables)
    site._write_stamp(tmp_path / site.OUTPUTS_STAMP, {"inputs": "deps", "outputs": site.outputs_hash()})
    return tmp_path


def test_outputs_are_current_only_while_they_hold_what_was_written(outputs_dirs):
    cache = outputs_dirs
    assert site.outputs_current("deps", cache)
    assert not site.outputs_current("other inputs", cache)
    (cache / "figures" / "tornado" / "tornado_en_web.png").unlink()  # a deleted figure
    assert not site.outputs_current("deps", cache)


def test_a_figure_exported_by_hand_into_figures_makes_the_outputs_stale(outputs_dirs):
    (outputs_dirs / "figures" / "tornado" / "tornado_en_slide.png").write_bytes(b"other size")
    assert not site.outputs_current("deps", outputs_dirs)


def test_a_changed_table_makes_the_outputs_stale(outputs_dirs):
    (outputs_dirs / "tables" / "facts.csv").write_text("b\n")
    assert not site.outputs_current("deps", outputs_dirs)


def test_the_site_is_current_only_while_its_files_are_as_built(tmp_path):
    out = tmp_path / "_site"
    (out / "notebooks").mkdir(parents=True)
    (out / "index.html").write_text("<html>")
    (out / "notebooks" / "a.html").write_text("<html>")
    files = [p for p in out.rglob("*") if p.is_file()]
    site._write_stamp(out / site.SITE_STAMP, {"key": "k", "files": site.hash_files(files, root=out)})
    (out / ".dasuhe-output").write_text("marker")  # the output marker is not part of what is compared
    assert site.site_current("k", out)
    assert not site.site_current("other", out)
    (out / "notebooks" / "a.html").unlink()
    assert not site.site_current("k", out)


def test_shown_text_collects_the_text_and_attributes_of_every_page(tmp_path):
    (tmp_path / "zh").mkdir()
    (tmp_path / "index.html").write_text('<p title="标题">Hello &amp; 你好</p><script>var x="隐";</script>',
                                         encoding="utf-8")
    (tmp_path / "zh" / "search.json").write_text('[{"text": "搜索"}]', encoding="utf-8")
    text = site.shown_text(tmp_path)
    assert set("标题你好&搜索") <= set(text)


@pytest.mark.slow
def test_a_failing_quarto_leaves_the_previous_site_whole(tmp_path, monkeypatch):
    """Every step runs for real (pages cached from earlier runs), up to a Quarto that fails."""
    if not _quarto_available():
        pytest.skip("no Quarto here: the build stops before the step this test breaks")
    fake = tmp_path / "bin" / "quarto"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n[ \"$1\" = --version ] && { echo 1.7.34; exit 0; }\necho 'ERROR: broken on purpose' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    out = tmp_path / "_site"
    out.mkdir()
    (out / "index.html").write_text("the previous site")
    with pytest.raises(AnalysisError) as info:
        site.build_site(out_dir=out, log=lambda *_: None)
    assert "exited with status 1: ERROR: broken on purpose" in str(info.value)
    assert [p.name for p in out.iterdir()] == ["index.html"]
    assert (out / "index.html").read_text() == "the previous site"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("._site.")]  # no temporary sibling left


# ---------------------------------------------------------------------------------------------
# the real site, rendered once per session with the real Quarto
# ---------------------------------------------------------------------------------------------
def _quarto_available() -> bool:
    return bool(shutil.which("quarto") or quarto.kit_quarto().is_file() or (paths.QUARTO_KIT / "install.sh").is_file())


def _require_quarto():
    if not _quarto_available():
        reason = f"no Quarto: nothing on PATH, no kit at {paths.QUARTO_KIT}; the real site was not rendered"
        if os.environ.get("DASUHE_REQUIRE_QUARTO") == "1":
            pytest.fail(reason + " (DASUHE_REQUIRE_QUARTO=1)")
        pytest.skip(reason)


def _tracked_state() -> dict[str, bytes]:
    """Bytes of every tracked file, and the list of untracked files, of the checkout."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=paths.ROOT, capture_output=True, check=True).stdout
    state = {name: (paths.ROOT / name).read_bytes() for name in names.decode().split("\0") if name
             and (paths.ROOT / name).is_file()}
    others = subprocess.run(["git", "ls-files", "-z", "--others", "--exclude-standard"], cwd=paths.ROOT,
                            capture_output=True, check=True).stdout
    state["<untracked>"] = others
    return state


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The real site built by the real command, article missing; (folder, stdout, stderr, state before/after)."""
    _require_quarto()
    root = tmp_path_factory.mktemp("real")
    out = root / "_site"
    before = _tracked_state()
    env = dict(os.environ, DASUHE_ARTICLE=str(root / "no-such-article.txt"),
               MPLCONFIGDIR=str(paths.CACHE_DIR / "matplotlib"))
    result = subprocess.run([sys.executable, "-m", "analysis", "site", "--out", str(out)], cwd=paths.ROOT,
                            capture_output=True, text=True, env=env, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    return {"out": out, "stdout": result.stdout, "stderr": result.stderr, "before": before,
            "after": _tracked_state(), "article": root / "no-such-article.txt"}


def _pages(lang: str = "en") -> list[site.Page]:
    return site.read_pages(lang=lang)


def _html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


@pytest.mark.slow
def test_the_build_leaves_tracked_files_alone_and_writes_no_stray_file(built_site):
    changed = [name for name, data in built_site["before"].items() if built_site["after"].get(name) != data]
    assert changed == []  # notebooks untouched, no untracked file outside the ignored folders


@pytest.mark.slow
def test_a_missing_article_is_said_once_by_the_build_and_never_on_a_page(built_site):
    assert built_site["stderr"] == f"site: provenance not checked: article not found at {built_site['article']}\n"
    for path in _html_files(built_site["out"]):
        text = path.read_text(encoding="utf-8")
        for marker in ("UserWarning", "Traceback", "provenance not checked", "SKIPPED", "Warning:", str(paths.ROOT)):
            assert marker not in text, (path, marker)


@pytest.mark.slow
def test_every_page_of_every_edition_has_its_html_and_its_pdf(built_site):
    for lang in site.EDITIONS:
        folder = built_site["out"] / site.edition_root(lang)
        for page in _pages(lang):
            assert (folder / page.html_path).is_file(), page.html_path
            assert (folder / page.pdf_path).is_file(), page.pdf_path


@pytest.mark.slow
def test_no_page_loads_anything_from_outside_the_site_and_none_has_math(built_site):
    for path in _html_files(built_site["out"]):
        text = path.read_text(encoding="utf-8")
        external = re.findall(r'<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)="((?:https?:)?//[^"]+)"', text)
        assert external == [], (path, external)
        assert "mathjax" not in text.lower() and "katex" not in text.lower(), path


@pytest.mark.slow
def test_every_html_file_the_site_serves_declares_utf8(built_site):
    for path in _html_files(built_site["out"]):
        head = path.read_text(encoding="utf-8")[:2000].lower()
        assert re.search(r'<meta charset="utf-8"\s*/?>', head), path


@pytest.mark.slow
def test_citations_resolve_and_every_citing_page_has_its_references(built_site):
    for lang in site.EDITIONS:
        for page in _pages(lang):
            text = (built_site["out"] / site.edition_root(lang) / page.html_path).read_text(encoding="utf-8")
            assert "[@" not in text, page.html_path
            if 'class="citation"' in text:
                assert 'id="refs"' in text, page.html_path
    index = (built_site["out"] / "index.html").read_text(encoding="utf-8")
    entry = re.search(r'<div id="ref-dasuhe_article_2018"[^>]*>(.*?)</div>', index, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", entry).strip().startswith("共产党员网. 2018.")  # the organisation is the author


@pytest.mark.slow
def test_code_is_folded_or_hidden_on_every_page(built_site):
    for path in _html_files(built_site["out"] / "notebooks") + [built_site["out"] / "index.html"]:
        text = path.read_text(encoding="utf-8")
        blocks = len(re.findall(r'<div class="sourceCode cell-code"', text))
        folded = len(re.findall(r'<details class="code-fold">\s*<summary>[^<]*</summary>\s*<div class="sourceCode cell-code"', text))
        assert blocks == folded, path
    assert "<summary>Parameters of this page</summary>" in (built_site["out"] / "notebooks/05-income-scenarios.html").read_text()


@pytest.mark.slow
def test_tables_align_text_left_and_numbers_right(built_site):
    text = (built_site["out"] / "index.html").read_text(encoding="utf-8")
    table = re.search(r'<table[^>]*>.*?</table>', text, re.S).group(0)
    first_row = re.search(r"<tbody>\s*<tr[^>]*>(.*?)</tr>", table, re.S).group(1)
    styles = re.findall(r'<td style="text-align: (\w+);"', first_row)
    assert styles == ["left", "right", "left", "right"]  # what, value, words, paragraph


@pytest.mark.slow
def test_the_data_dictionary_renders_patterns_as_written(built_site):
    text = (built_site["out"] / "notebooks/data.html").read_text(encoding="utf-8")
    assert "^[a-z][a-z0-9_]*$" in text.replace("&amp;", "&")  # the snake_case pattern, not a footnote
    assert 'class="footnote' not in text and 'class="math' not in text


@pytest.mark.slow
def test_the_gallery_shows_each_alt_text_once_as_alt(built_site):
    from analysis.report import read_manifest

    text = (built_site["out"] / "notebooks/gallery.html").read_text(encoding="utf-8")
    import html as html_module

    shown = html_module.unescape(re.sub(r"<[^>]+>", " ", text))  # the visible text, without attributes
    alts = [html_module.unescape(a) for a in re.findall(r'<img [^>]*alt="([^"]*)"', text)]
    for entry in read_manifest()["figures"]:
        alt = " ".join(entry["alt_en"].split())
        assert alts.count(alt) == 1, entry["id"]
        assert alt not in " ".join(shown.split()), entry["id"]


def _pdf_text_and_links(path: Path) -> tuple[str, list[str]]:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    links = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action and "/URI" in action:
                links.append(str(action["/URI"]))
    return "".join(page.extract_text() or "" for page in reader.pages), links


@pytest.mark.slow
def test_pdfs_use_the_shipped_fonts_with_bold_and_link_to_published_pages(built_site, tmp_path):
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) not found")
    for lang in site.EDITIONS:
        for page in _pages(lang):
            pdf = built_site["out"] / site.edition_root(lang) / page.pdf_path
            fonts_used = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
            names = {line.split()[0].split("+")[-1] for line in fonts_used.splitlines()[2:] if line.strip()}
            assert names <= {"NotoSans-Regular", "NotoSans-Bold", "NotoSans-Italic", "NotoSans-BoldItalic",
                             "NotoSansSC-Regular", "NotoSansSC-Bold", "DejaVuSansMono"}, (pdf, names)
            bold = "NotoSans-Bold" if lang == "en" else "NotoSansSC-Bold"  # the edition's first font
            assert bold in names, pdf  # headings in the bold face, not a faked one
            _, links = _pdf_text_and_links(pdf)
            assert [link for link in links if ".ipynb" in link] == [], pdf
            png = tmp_path / pdf.stem
            subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(pdf), str(png)], check=True)
    links = _pdf_text_and_links(built_site["out"] / "index.pdf")[1]
    assert "notebooks/05-income-scenarios.html" in links


# Punctuation at a word's ends: CJK fonts draw full-width punctuation into its neighbour's box
# (Typst squeezes "）。" together), which is how Chinese is set, not two words on top of each other.
_EDGE_PUNCTUATION = "“”‘’（）《》「」『』、。，；：！？·…—()[]{},.;:!?'\""
LINE_BOX_INSET = 0.2  # of a word box's height, off its top and bottom: tight lines' boxes touch
_PDF_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_PDF_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def pdf_word_collisions(pdf: Path) -> list[str]:
    """Words of a page's PDF (Typst's) that lie on another word or outside their page (poppler's
    ``pdftotext -bbox``: each word's box in points); a word's box is narrowed by the punctuation at
    its ends, and by LINE_BOX_INSET of its height at the top and bottom. Not for the figures: their
    rotated two-line axis labels give boxes this cannot read (tests/test_figure_layout.py checks
    them with matplotlib's own extents)."""
    import html

    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    found = []
    for number, page in enumerate(_PDF_PAGE.finditer(out), 1):
        width, height = float(page.group(1)), float(page.group(2))
        words = []
        for *box, text in _PDF_WORD.findall(page.group(3)):
            text = html.unescape(text)
            x0, y0, x1, y1 = map(float, box)
            if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
                found.append(f"page {number}: {text!r} outside the page")
            each = (x1 - x0) / len(text)
            lead, trail = len(text) - len(text.lstrip(_EDGE_PUNCTUATION)), len(text) - len(text.rstrip(_EDGE_PUNCTUATION))
            inset = (y1 - y0) * LINE_BOX_INSET  # a box spans the font's ascent to descent, more than a line
            if lead + trail < len(text):
                words.append((x0 + lead * each, y0 + inset, x1 - trail * each, y1 - inset, text))
        for i, a in enumerate(words):
            for b in words[i + 1:]:
                if min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5:
                    found.append(f"page {number}: {a[4]!r} on {b[4]!r}")
    return found


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not found")
def test_pdf_word_collisions_finds_words_on_words_and_off_the_page(tmp_path):
    # a PDF drawn by hand: "over" set on "lap" (both at x 100, y 100), and "edge" from x 190 of a
    # 200 pt wide page (pdftotext keeps what lies on the page: "ed", its box past the edge)
    fig = pytest.importorskip("matplotlib.figure").Figure(figsize=(200 / 72, 200 / 72))
    fig.text(100 / 200, 0.5, "over", fontsize=12)
    fig.text(100 / 200, 0.5, "lap", fontsize=12)
    fig.text(190 / 200, 0.2, "edge", fontsize=12)
    pdf = tmp_path / "drawn.pdf"
    fig.savefig(pdf)
    assert sorted(pdf_word_collisions(pdf)) == ["page 1: 'ed' outside the page", "page 1: 'lap' on 'over'"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not found")
def test_no_word_of_a_pdf_lies_on_another_or_off_its_page(built_site):
    """Long tables break across pages (typst-header.typ), identifiers wrap in their cells."""
    found = {}
    for lang in site.EDITIONS:
        for page in _pages(lang):
            pdf = built_site["out"] / site.edition_root(lang) / page.pdf_path
            if collisions := pdf_word_collisions(pdf):
                found[f"{lang}: {page.pdf_path}"] = collisions[:5]
    assert found == {}


@pytest.mark.slow
def test_a_bare_quarto_render_is_refused_and_changes_nothing(built_site, tmp_path):
    """In a copy of the tracked files, `quarto render` stops at its pre-render step."""
    copy = tmp_path / "copy"
    for name, data in built_site["before"].items():
        if name != "<untracked>":
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            (copy / name).write_bytes(data)
    (copy / ".venv").symlink_to(paths.ROOT / ".venv")
    def files() -> dict:  # .quarto/ is Quarto's own cache (git-ignored), made before any pre-render step
        return {p: p.read_bytes() for p in copy.rglob("*") if p.is_file() and not {".venv", ".quarto"} & set(p.parts)}

    before = files()
    quarto_cmd = quarto.find_quarto(log=lambda *_: None)
    env = {k: v for k, v in os.environ.items() if k != site.STAGE_ENV}
    result = subprocess.run([quarto_cmd, "render"], cwd=copy, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode != 0
    assert site.BARE_RENDER_MESSAGE in result.stdout + result.stderr
    assert files() == before  # no output, no executed notebook, no stray file
    assert not (copy / "_site").exists()


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

_CLIPPED_TABLES = """() => Array.from(document.querySelectorAll('main table')).filter(
  t => t.scrollWidth > t.clientWidth + 1 || t.getBoundingClientRect().right > document.documentElement.clientWidth + 1
).map(t => t.textContent.trim().slice(0, 40))"""


def check_site_in_browser(base_url: str, pages: list[str]) -> dict:
    """Open every page at 1280 px; return the problems found and facts about the pages (sizes, fonts)."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    links: set[str] = set()
    cjk_pages: dict[str, list[dict]] = {}
    weights: dict[str, int] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for name in pages:
            context = browser.new_context(viewport={"width": 1280, "height": 900})  # fresh cache: full weight
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
                "() => Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
            problems += [f"{name}: image not loaded: {src}" for src in broken]
            problems += [f"{name}: table clipped at 1280 px: {t}" for t in page.evaluate(_CLIPPED_TABLES)]
            hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
            links.update(urldefrag(h)[0] for h in hrefs if urlparse(h).hostname == "127.0.0.1")
            probes = page.evaluate(_MARK_CJK_PROBES)
            if probes:
                cdp = context.new_cdp_session(page)
                cdp.send("DOM.enable")
                cdp.send("CSS.enable")
                root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
                for where in sorted(probes):
                    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": f'[data-cjk-probe="{where}"]'})["nodeId"]
                    cjk_pages[f"{name} ({where}: {probes[where]})"] = cdp.send("CSS.getPlatformFontsForNode",
                                                                              {"nodeId": node})["fonts"]
                cdp.detach()
            weights[name] = page.evaluate(
                "() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
                ".reduce((sum, e) => sum + e.encodedBodySize, 0)")
            context.close()
        context = browser.new_context()
        for link in sorted(links):
            response = context.request.get(link)
            if response.status != 200:
                problems.append(f"link {link}: HTTP {response.status}")
        context.close()
        browser.close()
    return {"problems": problems, "cjk_fonts": cjk_pages, "weights": weights, "links": links}


def assert_site_is_sound(result: dict, pages: list[str]) -> None:
    """No problem, every page weighed and <= 2 MB, every page linked, Chinese in the shipped web font."""
    assert result["problems"] == []
    assert set(result["weights"]) == set(pages)
    assert {name: size for name, size in result["weights"].items() if size > MAX_PAGE_BYTES} == {}
    assert result["cjk_fonts"], "no page has Chinese text outside code"
    for probe, fonts_used in result["cjk_fonts"].items():
        cjk = [(f["familyName"], f["isCustomFont"]) for f in fonts_used if f["glyphCount"] and f["familyName"] != "Noto Sans"]
        assert cjk == [(fonts.CJK_FAMILY, True)], (probe, fonts_used)  # the web subset, not a system font
    internal = {urlparse(link).path.lstrip("/") for link in result["links"]}
    assert set(pages) <= internal  # every page reachable by a link


@pytest.mark.slow
def test_the_quarto_site_in_a_real_browser(built_site, serve):
    _require_browser()
    pages = [site.edition_root(lang) + page.html_path for lang in site.EDITIONS for page in _pages(lang)]
    # and the publication tables each edition's pages link, in the edition's language (tables/facts_zh.html)
    pages += [f"{site.edition_root(lang)}tables/{tables.html_name(name, lang)}" for lang in site.EDITIONS
              for name in tables.TABLES]
    result = check_site_in_browser(serve(built_site["out"]), pages)
    assert_site_is_sound(result, pages)


# ---------------------------------------------------------------------------------------------
# faults: the real build stopped while its pages run and while Quarto renders (tests/faults.py)
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def site_copy(built_site, tmp_path):
    """A copy of the built site, where a stopped build must leave it whole; its file hashes."""
    from faults import hash_tree

    out = tmp_path / "_site"
    shutil.copytree(built_site["out"], out)
    return out, hash_tree(out), dict(DASUHE_ARTICLE=str(built_site["article"]))


# every signal at one of the two moments, and SIGKILL (the parent gone without a word) at both
FAULTS = [("pages", signal.SIGTERM), ("pages", signal.SIGKILL), ("quarto", signal.SIGINT), ("quarto", signal.SIGKILL)]


@pytest.mark.slow
@pytest.mark.parametrize("moment, signum", FAULTS, ids=[f"{m}-{s.name}" for m, s in FAULTS])
def test_a_build_stopped_at_any_moment_leaves_the_site_whole_and_no_process(site_copy, signum, moment):
    from faults import Moment, assert_stopped_cleanly, hash_tree, leftovers, run_and_signal

    if not paths.ARTICLE.is_file():
        pytest.skip(f"article not found at {paths.ARTICLE}: the build would say so on stderr, besides the stop")
    out, hashes, _ = site_copy  # (with the article present, the build has nothing to say on stderr)
    args = ["site", "--out", str(out)] + (["--no-cache"] if moment == "pages" else [])
    when = Moment(line="site: executing") if moment == "pages" else Moment(line="site: rendering", after_seconds=3)
    outcome = run_and_signal(args, signum, when, timeout=600)
    assert_stopped_cleanly(outcome, signum)  # status, one line, within 2 s, no kernel/worker/Quarto left
    assert hash_tree(out) == hashes  # the previous site, every file as it was
    if signum != signal.SIGKILL:
        assert leftovers(out) == []
    else:  # the next run cleans what a kill left, and builds the whole site
        done = subprocess.run([sys.executable, "-m", "analysis", "site", "--out", str(out)], cwd=paths.ROOT,
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr
        assert leftovers(out) == [] and (out / "index.html").is_file() and (out / "zh" / "index.html").is_file()


@pytest.mark.slow
def test_data_edited_while_the_site_is_built_is_not_recorded_as_built(tmp_path, monkeypatch, capsys):
    """An input that changes under a build (and is changed back) must not leave a site that says
    "up to date": nothing the build made is recorded, so the next build makes it again."""
    _require_quarto()
    data = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, data)
    monkeypatch.setattr(paths, "DATA_DIR", data)  # what the build hashes (the pages read the project's)
    real = site.execute_pages
    notes = data / "villages.csv"
    original = notes.read_bytes()

    def edit_while_running(*args, **kwargs):
        result = real(*args, **kwargs)
        notes.write_bytes(original + b"\n")  # an edit between reading the inputs and finishing
        return result

    monkeypatch.setattr(site, "execute_pages", edit_while_running)
    out = tmp_path / "_site"
    first = site.build_site(out_dir=out, log=lambda *_: None)
    assert first.rebuilt
    assert "site: data or code changed while the site was built" in capsys.readouterr().err
    assert not (out / site.SITE_STAMP).exists()
    notes.write_bytes(original)  # edited back
    monkeypatch.setattr(site, "execute_pages", real)
    assert site.build_site(out_dir=out, log=lambda *_: None).rebuilt  # not "up to date"
    assert (out / site.SITE_STAMP).exists()
    assert not site.build_site(out_dir=out, log=lambda *_: None).rebuilt  # now it is
