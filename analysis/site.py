"""Build the website: Quarto where available, else an offline preview.

``python -m analysis site`` (``make site``) runs, in order:

1. validate the data package (invalid data stops everything, nothing is written);
2. write figures (``figures/``) and tables (``tables/``);
3. render the Quarto website into ``_site/`` when ``quarto`` is on PATH (or was installed once
   with ``pip install quarto-cli``; that attempt is made at most once per machine and
   remembered in ``.cache/quarto-cli-attempt.json``);
4. otherwise build the **offline preview** into ``_site/``: every page of ``_quarto.yml``
   executed (nbclient, a fresh kernel per page, forked from one process that has already
   imported what the pages import (:mod:`analysis.kernelpool`), pages in parallel, while
   figures and tables are written in a process of their own), converted to HTML with
   nbconvert's ``basic`` template, wrapped in one page template with a navigation and a
   banner that says it is a preview, plus the downloads (data, figures, tables) and a subset
   of Noto Sans SC as WOFF2 holding the characters the pages' sources use. No external reference.

Caching (``.cache/site/``): every step is keyed on a SHA-256 of its inputs: the files of
``data/``, of ``analysis/`` (code and site assets), ``requirements.txt``, ``pyproject.toml``
and the article, plus for a page its notebook bytes and parameters. Unchanged inputs reuse
the validation stamp, the figures/tables stamp, the executed notebooks and the built site,
so a run with nothing changed only hashes files.

The page list comes from ``website.sidebar.contents`` of ``_quarto.yml``.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Iterable

from analysis import paths
from analysis.errors import AnalysisError, ParameterError
from analysis.io import write_bytes, write_text
from analysis.style import FONT_FAMILY, FONT_FILE, font_path  # noqa: F401  (one font for figures and site)

PREVIEW_BANNER = (
    "Offline preview — not the Quarto site; to build the full site install Quarto "
    "(https://quarto.org) and run make site"
)
PREVIEW_STAMP = ".preview-stamp.json"
FONT_SUBSET_NAME = "NotoSansSC-subset.woff2"
SITE_LIBS = "site_libs"
QUARTO_ATTEMPT_NAME = "quarto-cli-attempt.json"
VALIDATED_STAMP = "validated.json"  # in the site cache: hash of the inputs last validated
OUTPUTS_STAMP = "outputs.json"  # in the site cache: hash of the inputs figures/ and tables/ were written from
PREPARED_ENV = "DASUHE_SITE_PREPARED"
NOTEBOOK_TIMEOUT_S = 600
DOWNLOAD_GLOBS = ("*.csv", "datapackage.json", "schemas/*.json")
ANCHOR_LINK_TEXT = "¶"  # nbconvert's heading anchor (its default), set here so the font subset can foresee it


# --------------------------------------------------------------------------------------------
# pages
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    """One page of the site: its source (relative to the project root) and nav text."""

    source: str
    title: str
    section: str | None = None

    @property
    def html_path(self) -> str:
        """Output path of the page, relative to the site root (``notebooks/01-x.html``)."""
        return str(Path(self.source).with_suffix(".html").as_posix())

    @property
    def depth(self) -> int:
        """Number of folders between the site root and the page."""
        return len(Path(self.source).parts) - 1


def read_quarto_config(config_path: Path | None = None) -> dict:
    """Parse ``_quarto.yml``; a missing or broken file is an AnalysisError."""
    import yaml

    config_path = Path(config_path or paths.QUARTO_CONFIG)
    try:
        config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnalysisError(f"{config_path}: file not found") from None
    except yaml.YAMLError as exc:
        raise AnalysisError(f"{config_path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(config, dict):
        raise AnalysisError(f"{config_path}: must be a YAML mapping")
    return config


def _walk_nav(items: Iterable, section: str | None, out: list[Page]) -> None:
    for item in items or []:
        if isinstance(item, str):
            out.append(Page(item, Path(item).stem, section))
        elif isinstance(item, dict) and "href" in item:
            out.append(Page(item["href"], str(item.get("text") or Path(item["href"]).stem), section))
        elif isinstance(item, dict) and "contents" in item:
            _walk_nav(item["contents"], item.get("section", section), out)


def read_pages(config_path: Path | None = None) -> list[Page]:
    """The site's pages in sidebar order (front page first), from ``_quarto.yml``."""
    config = read_quarto_config(config_path)
    sidebar = (config.get("website") or {}).get("sidebar") or {}
    if isinstance(sidebar, list):  # Quarto allows several sidebars
        contents = [entry for bar in sidebar for entry in (bar.get("contents") or [])]
    else:
        contents = sidebar.get("contents") or []
    pages: list[Page] = []
    _walk_nav(contents, None, pages)
    if not pages:
        raise AnalysisError(f"{config_path or paths.QUARTO_CONFIG}: website.sidebar.contents lists no page")
    return pages


# --------------------------------------------------------------------------------------------
# content hashing
# --------------------------------------------------------------------------------------------
def list_dependency_files(root: Path | None = None) -> list[Path]:
    """Every file whose change must re-execute the pages.

    data/, analysis/ (code and site assets), requirements.txt, pyproject.toml, the article,
    and CITATION.cff (the front page reads it). The navigation (_quarto.yml) is part of the
    site's key in build_preview, not of the pages'.
    """
    root = Path(root or paths.ROOT)
    files: list[Path] = []
    for folder in (paths.DATA_DIR, paths.ANALYSIS_DIR):
        files += [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    extra = (paths.REQUIREMENTS, paths.PYPROJECT, paths.ARTICLE, paths.CITATION_FILE)
    files += [p for p in extra if p.is_file()]
    return sorted(set(files))


def hash_files(files: Iterable[Path], extra: str = "") -> str:
    """SHA-256 over the names and bytes of *files* (sorted) and the string *extra*."""
    digest = hashlib.sha256(extra.encode("utf-8"))
    for path in sorted(Path(f) for f in files):
        digest.update(str(path.as_posix()).encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def hash_page(notebook: Path, dependencies_hash: str, parameters: dict | None = None) -> str:
    """Cache key of one executed page: its notebook bytes, parameters and the dependencies."""
    digest = hashlib.sha256()
    digest.update(dependencies_hash.encode("ascii"))
    digest.update(json.dumps(parameters or {}, sort_keys=True).encode("utf-8"))
    digest.update(f"{sys.version_info[:2]}".encode("ascii"))
    digest.update(Path(notebook).read_bytes())
    return digest.hexdigest()


def _read_stamp(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_stamp(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, sort_keys=True, indent=1) + "\n")


# --------------------------------------------------------------------------------------------
# step 1-2: validate, figures, tables (cached on the dependency hash)
# --------------------------------------------------------------------------------------------
def _run_command(name: str, argv: list[str]) -> int:
    """Run another ``python -m analysis`` command in-process (errors propagate as exceptions)."""
    import importlib

    from analysis.cli import COMMANDS, OneLineParser

    module = importlib.import_module(COMMANDS[name][0])
    parser = OneLineParser(prog=f"python -m analysis {name}")
    getattr(module, f"configure_{name}")(parser)
    return int(getattr(module, f"run_{name}")(parser.parse_args(argv)) or 0)


def validate_data(dependencies_hash: str, cache_dir: Path) -> bool:
    """Validate the data package unless this exact input set validated before; True if run."""
    stamp = cache_dir / VALIDATED_STAMP
    if _read_stamp(stamp).get("hash") == dependencies_hash:
        return False
    from analysis.validation import validate_all

    validate_all()
    _write_stamp(stamp, {"hash": dependencies_hash})
    return True


def outputs_current(dependencies_hash: str, cache_dir: Path) -> bool:
    """True if figures/ and tables/ were written from exactly these inputs."""
    return (
        _read_stamp(cache_dir / OUTPUTS_STAMP).get("hash") == dependencies_hash
        and paths.FIGURE_MANIFEST.is_file()
        and paths.TABLES_DIR.is_dir()
    )


# What the site publishes: every figure in both languages at the web size (other sizes on demand:
# `python -m analysis figures --size ...`), and the tables.
SITE_OUTPUT_COMMANDS = (("figures", ["--lang", "all"]), ("tables", []))


def write_outputs(dependencies_hash: str, cache_dir: Path) -> bool:
    """Write figures/ and tables/ unless they were written from these inputs; True if run."""
    stamp = cache_dir / OUTPUTS_STAMP
    if outputs_current(dependencies_hash, cache_dir):
        return False
    for name, argv in SITE_OUTPUT_COMMANDS:
        status = _run_command(name, argv)
        if status:
            raise AnalysisError(f"python -m analysis {name} exited with status {status}")
    _write_stamp(stamp, {"hash": dependencies_hash})
    return True


def prepare_site(dependencies_hash: str | None = None, cache_dir: Path | None = None) -> str:
    """Steps 1-2: validate the data package, then write figures/ and tables/ (both cached).

    Returns the dependency hash used. Invalid data raises before anything is written.
    """
    cache_dir = Path(cache_dir or paths.SITE_CACHE_DIR)
    dependencies_hash = dependencies_hash or hash_files(list_dependency_files())
    validate_data(dependencies_hash, cache_dir)
    write_outputs(dependencies_hash, cache_dir)
    return dependencies_hash


def font_source() -> Path:
    """Noto Sans SC (OFL) as shipped by the pylopdf-fonts-zh-cn wheel (:func:`analysis.style.font_path`)."""
    path = font_path()
    if not path.is_file():
        raise AnalysisError(f"{path}: font not found; reinstall requirements.txt (pylopdf-fonts-zh-cn)")
    return path


def copy_typst_font() -> Path:
    """Copy the CJK font into .cache/fonts/typst/ (``font-paths`` of the Typst format).

    A directory of its own: Typst searches font-paths recursively, and .cache/fonts/ also holds
    the figures' subset of the same family, which Typst could pick instead.
    """
    source = font_source()
    target = paths.TYPST_FONTS_DIR / FONT_FILE
    if not target.is_file() or target.stat().st_size != source.stat().st_size:
        write_bytes(target, source.read_bytes())
    return target


# --------------------------------------------------------------------------------------------
# step 3: Quarto
# --------------------------------------------------------------------------------------------
def find_quarto(try_install: bool = True) -> str | None:
    """Path of ``quarto``: on PATH, in the venv, or after one ``pip install quarto-cli``.

    The install attempt runs at most once per machine (remembered in
    ``.cache/quarto-cli-attempt.json``), with a short timeout; its failure is silent here.
    """
    found = shutil.which("quarto") or _venv_quarto()
    if found or not try_install:
        return found
    attempt = paths.CACHE_DIR / QUARTO_ATTEMPT_NAME
    if attempt.exists():
        return None
    print("site: quarto not found; trying `pip install quarto-cli` once (remembered in .cache/)")
    started = time.monotonic()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "quarto-cli"],
            capture_output=True, text=True, timeout=90,
        )
        outcome = "ok" if result.returncode == 0 else f"pip exit status {result.returncode}"
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        detail = lines[-1].strip() if lines else ""
    except (subprocess.TimeoutExpired, OSError) as exc:
        outcome, detail = type(exc).__name__, str(exc).splitlines()[0]
    _write_stamp(attempt, {"outcome": outcome, "detail": detail, "seconds": round(time.monotonic() - started, 1)})
    if outcome != "ok":
        print(f"site: `pip install quarto-cli` failed ({outcome}); not retried on this machine")
    return shutil.which("quarto") or _venv_quarto()


def _venv_quarto() -> str | None:
    candidate = Path(sys.executable).parent / "quarto"
    return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None


def render_quarto(quarto: str) -> None:
    """``quarto render`` the project into _site/ with the project's Python.

    Quarto executes an ``.ipynb`` page in place and writes the executed notebook back into the
    source file (quarto-cli ``src/resources/jupyter/notebook.py``: ``nb_write(client.nb, input)``);
    the pages are committed without outputs, so each page's bytes are put back afterwards,
    whatever the outcome.
    """
    env = dict(os.environ, QUARTO_PYTHON=os.environ.get("QUARTO_PYTHON", sys.executable))
    env[PREPARED_ENV] = "1"
    pages = [paths.ROOT / page.source for page in read_pages()]
    committed = {page: page.read_bytes() for page in pages if page.is_file()}
    try:
        result = subprocess.run([quarto, "render"], cwd=paths.ROOT, env=env)
    finally:
        for page, data in committed.items():
            if not page.is_file() or page.read_bytes() != data:
                write_bytes(page, data)
    if result.returncode:
        raise AnalysisError(f"quarto render exited with status {result.returncode}")


# --------------------------------------------------------------------------------------------
# step 4: offline preview
# --------------------------------------------------------------------------------------------
def default_jobs() -> int:
    """Notebooks run at once: twice the CPUs (kernel start-up waits on I/O; measured best)."""
    return 2 * (os.cpu_count() or 1)


def execute_notebook(
    source: str, target: str, cwd: str, timeout: int = NOTEBOOK_TIMEOUT_S, label: str | None = None,
    kernel_name: str = "python3",
) -> float:
    """Execute *source* top to bottom in a fresh kernel (*kernel_name*: ``python3``, or one forked
    from a :class:`analysis.kernelpool.ForkServer`); write it to *target*.

    Returns the seconds taken. A failing cell raises AnalysisError naming the notebook
    (*label*, default *source*), the 1-based cell and the exception.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    started = time.monotonic()
    nb = nbformat.read(source, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name=kernel_name, resources={"metadata": {"path": cwd}},
        record_timing=False,  # no timestamps: same inputs, same executed notebook
        extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no "running over TCP" notice per kernel
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        index = next(
            (i for i, cell in enumerate(nb.cells) for out in cell.get("outputs", []) if out.get("output_type") == "error"),
            None,
        )
        where = f"cell {index + 1}" if index is not None else "a cell"
        raise AnalysisError(f"{label or source}: {where} raised {exc.ename}: {exc.evalue}".splitlines()[0]) from None
    write_text(target, nbformat.writes(nb))
    return time.monotonic() - started


OUTPUT_MARKERS = ("manifest", "FIGURES_DIR", "TABLES_DIR", "figures/", "tables/", "figures_dir", "tables_dir")


def page_reads_outputs(notebook: Path) -> bool:
    """True if a code cell of the page may read figures/ or tables/ (it then runs after they are
    written); links in markdown cells only need the files in the finished site."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    code = "".join("".join(cell.get("source", "")) for cell in cells if cell.get("cell_type") == "code")
    return any(marker in code for marker in OUTPUT_MARKERS)


def build_page(source: str, target: str, page: Page, execute: bool, kernel_name: str = "python3",
               timeout: int = NOTEBOOK_TIMEOUT_S) -> tuple[float | None, str, dict[str, bytes]]:
    """Execute *source* into *target* if *execute* (else *target* is the cached run), then convert
    it: (seconds executing or None, HTML fragment, extracted output files). Runs in a worker."""
    seconds = (execute_notebook(source, target, str(Path(source).parent), timeout, page.source, kernel_name)
               if execute else None)
    body, outputs = notebook_to_html(Path(target), page)
    return seconds, body, outputs


def build_pages(
    pages: list[Page],
    root: Path,
    cache_dir: Path,
    dependencies_hash: str,
    jobs: int,
    use_cache: bool = True,
    before: tuple | None = None,
    font_text: str | None = None,
) -> tuple[dict[str, tuple[str, dict[str, bytes]]], bytes | None]:
    """Every page executed (cached in *cache_dir*/executed) and converted, in parallel workers.

    Returns ``({page source: (HTML fragment, output files)}, font)``. *before* is
    ``(function, args)``: a task (writing figures/ and tables/) started first, in a process of
    its own, so it runs while this process imports nbclient and nbconvert; pages that read its
    outputs (:func:`page_reads_outputs`) start once it has finished, the others at once.
    *font_text*: text for :func:`subset_font`, computed in a worker alongside (font None if not given).
    Each notebook's kernel is forked from one process that has already
    imported ipykernel and what the notebooks import (:mod:`analysis.kernelpool`: the same fresh
    state, without paying the imports for every notebook); if that server cannot start, plain ``python3``
    kernels are used.
    """
    executed_dir = cache_dir / "executed"
    jobs_list: list[tuple[Page, Path, bool]] = []
    for page in pages:
        source = root / page.source
        if not source.is_file():
            raise AnalysisError(f"{source}: page listed in _quarto.yml does not exist")
        target = executed_dir / f"{hash_page(source, dependencies_hash)}.ipynb"
        jobs_list.append((page, target, not (use_cache and target.is_file())))
    todo = sum(execute for _, _, execute in jobs_list)
    started = time.monotonic()
    outputs_pool = ProcessPoolExecutor(max_workers=1) if before else None  # forked before the imports below
    gate = outputs_pool.submit(before[0], *before[1]) if before else None
    workers = max(1, min(jobs, len(pages) + (font_text is not None)))
    print(f"site: executing {todo} notebook(s) and converting {len(pages)} page(s) with {workers} worker(s)"
          + (", writing figures and tables alongside" if before else ""))
    import nbclient  # noqa: F401  (imported once here; the forked workers share them)
    import nbformat  # noqa: F401

    warm_html_exporter()  # and the converter, templates compiled

    def submit(pool, page: Page, target: Path, execute: bool):
        return pool.submit(build_page, str(root / page.source), str(target), page, execute, kernel_name)

    with contextlib.ExitStack() as stack:
        if outputs_pool is not None:
            stack.callback(outputs_pool.shutdown, wait=True, cancel_futures=True)
        kernel_name = "python3"
        if todo:
            from analysis.kernelpool import ForkServer

            try:  # started before the workers fork: they inherit its kernelspec
                kernel_name = stack.enter_context(ForkServer()).kernel_name
            except AnalysisError as exc:
                print(f"site: {exc}; using plain python3 kernels")
        pool = ProcessPoolExecutor(max_workers=workers)
        try:
            font = pool.submit(subset_font, font_text, cache_dir) if font_text is not None else None
            waiting = [job for job in jobs_list if gate is not None and page_reads_outputs(root / job[0].source)]
            futures = {job[0].source: submit(pool, *job) for job in jobs_list if job not in waiting}
            if gate is not None:
                gate.result()
                print(f"site:   figures and tables ({time.monotonic() - started:.1f} s after start)")
                futures.update({job[0].source: submit(pool, *job) for job in waiting})
            result = {}
            for page in pages:
                seconds, body, outputs = futures[page.source].result()
                print(f"site:   {page.source} ({'cached' if seconds is None else f'{seconds:.1f} s'})")
                result[page.source] = (body, outputs)
            font_bytes = font.result() if font is not None else None
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
    print(f"site: pages done in {time.monotonic() - started:.1f} s")
    return result, font_bytes


_QUARTO_OPTION = re.compile(r"^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$")


def _apply_cell_options(nb) -> None:
    """Honour Quarto cell options in the preview.

    ``echo``/``output``/``include: false`` hide the code, the output or the whole cell;
    ``fig-alt`` (else ``fig-cap``) becomes the image's alt text; the ``#|`` lines are dropped.
    """
    kept = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            kept.append(cell)
            continue
        lines = cell.source.splitlines()
        options = {}
        for line in lines:
            match = _QUARTO_OPTION.match(line)
            if not match:
                break
            options[match.group(1)] = match.group(2).strip().strip("'\"")
        if options.get("include", "").lower() == "false":
            continue
        cell.source = "\n".join(lines[len(options):])
        tags = set(cell.metadata.get("tags", []))
        if options.get("echo", "").lower() == "false":
            tags.add("preview-remove-input")
        if options.get("output", "").lower() == "false":
            tags.add("preview-remove-output")
        cell.metadata["tags"] = sorted(tags)
        alt = options.get("fig-alt") or options.get("fig-cap")
        if alt:
            cell.metadata["alt"] = alt
        kept.append(cell)
    nb.cells = kept


_HREF_NOTEBOOK = re.compile(r'(href=")(?![a-z]+:|/|#)([^"#?]*)\.(?:ipynb|qmd)([#?][^"]*)?"')


def notebook_to_html(executed: Path, page: Page) -> tuple[str, dict[str, bytes]]:
    """HTML fragment of an executed notebook and its extracted output files.

    Output images are extracted to ``<stem>_files/`` next to the page; links to
    ``.ipynb``/``.qmd`` pages become ``.html`` links, as Quarto does.
    """
    import nbformat

    nb = nbformat.read(str(executed), as_version=4)
    _apply_cell_options(nb)
    stem = Path(page.source).stem
    body, resources = _html_exporter().from_notebook_node(
        nb, resources={"output_files_dir": f"{stem}_files", "unique_key": "output"}
    )
    return rewrite_notebook_links(body), dict(resources.get("outputs", {}))


@functools.cache
def _html_exporter():
    """The preview's nbconvert exporter, made once per process (as nbconvert's own command line
    reuses one for every notebook): its templates are compiled on first use, ~0.5 s."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.template_name = "basic"
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    config.HTMLExporter.anchor_link_text = ANCHOR_LINK_TEXT
    config.ExtractOutputPreprocessor.enabled = True
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_input_tags = {"preview-remove-input"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"preview-remove-output"}
    return HTMLExporter(config=config)


def warm_html_exporter() -> None:
    """Compile the exporter's templates in this process (before workers fork, they share them)."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# -"), nbformat.v4.new_code_cell("")])
    _html_exporter().from_notebook_node(nb, resources={"output_files_dir": "-", "unique_key": "-"})


def rewrite_notebook_links(fragment: str) -> str:
    """Relative links to ``.ipynb``/``.qmd`` pages point to their ``.html`` (as in Quarto)."""
    return _HREF_NOTEBOOK.sub(lambda m: f'{m.group(1)}{m.group(2)}.html{m.group(3) or ""}"', fragment)


def render_nav(pages: list[Page], current: Page) -> str:
    """The navigation: every page, front page first, links relative to *current*."""
    prefix = "../" * current.depth
    parts, section = ["<ul>"], None
    for page in pages:
        if page.section != section:
            if section is not None:
                parts.append("</ul></li>")
            if page.section is not None:
                parts.append(f'<li class="nav-section"><span>{html.escape(page.section)}</span><ul>')
            section = page.section
        attrs = ' class="current" aria-current="page"' if page == current else ""
        parts.append(f'<li><a href="{prefix}{page.html_path}"{attrs}>{html.escape(page.title)}</a></li>')
    if section is not None:
        parts.append("</ul></li>")
    parts.append("</ul>")
    return "".join(parts)


def banner_html() -> str:
    """The preview banner: PREVIEW_BANNER with the Quarto address as a plain link."""
    url = "https://quarto.org"
    before, after = PREVIEW_BANNER.split(f"({url})")
    command = "make site"
    after = after.replace(command, f"<code>{command}</code>")
    return f'{html.escape(before)}(<a href="{url}">{url}</a>){after}'


def render_page(body: str, page: Page, pages: list[Page], site_title: str) -> str:
    """One complete preview page around a notebook's HTML fragment."""
    template = Template(paths.SITE_PAGE_TEMPLATE.read_text(encoding="utf-8"))
    prefix = "../" * page.depth
    return template.substitute(
        lang="en",
        title=html.escape(page.title),
        site_title=html.escape(site_title),
        prefix=prefix,
        site_libs=f"{prefix}{SITE_LIBS}",
        banner=banner_html(),
        nav=render_nav(pages, page),
        body=body,
    )


def page_text_sources(pages: list[Page], root: Path, data_dir: Path) -> str:
    """The text of every file the pages' words come from: the page notebooks, the data package
    (*data_dir*), the analysis code and site assets, and CITATION.cff (not the article: pages
    quote it through data/). A superset of the characters the built pages show, known before
    the pages run; used to subset the site's font while they do."""
    files = [root / page.source for page in pages]
    files += sorted(p for p in Path(data_dir).rglob("*") if p.suffix in {".csv", ".json"})
    files += sorted(p for p in paths.ANALYSIS_DIR.rglob("*") if p.suffix in {".py", ".html", ".css"})
    files += [paths.CITATION_FILE]
    return "".join(sorted({ch for f in files if f.is_file() for ch in f.read_text(encoding="utf-8")}))


def subset_font(text: str, cache_dir: Path) -> bytes:
    """WOFF2 subset of Noto Sans SC holding the characters of *text* (cached, deterministic)."""
    codepoints = sorted({ord(ch) for ch in text if ord(ch) >= 0x20} | set(range(0x20, 0x7F)))
    key = hashlib.sha256((FONT_FILE + ",".join(map(str, codepoints))).encode("ascii")).hexdigest()
    cached = cache_dir / "fonts" / f"{key}.woff2"
    if cached.is_file():
        return cached.read_bytes()
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.desubroutinize = True
    font = TTFont(str(font_source()), recalcTimestamp=False, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    font.flavor = "woff2"
    buffer = io.BytesIO()
    font.save(buffer, reorderTables=True)
    data = buffer.getvalue()
    write_bytes(cached, data)
    return data


def preview_css() -> str:
    """Stylesheet of the preview: own CSS + Pygments classes for highlighted code."""
    from pygments.formatters import HtmlFormatter

    own = paths.PREVIEW_CSS.read_text(encoding="utf-8")
    return own + "\n/* code highlighting (Pygments, default style) */\n" + HtmlFormatter().get_style_defs(".highlight") + "\n"


def copy_downloads(out_dir: Path, data_dir: Path, figures_dir: Path, tables_dir: Path) -> list[Path]:
    """Copy data CSVs, datapackage.json, schemas, figures/ and tables/ into the site."""
    copied: list[Path] = []
    for pattern in DOWNLOAD_GLOBS:
        for source in sorted(data_dir.glob(pattern)):
            target = out_dir / "data" / source.relative_to(data_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied.append(target)
    for name, folder in (("figures", figures_dir), ("tables", tables_dir)):
        if folder.is_dir():
            shutil.copytree(folder, out_dir / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(".*", "__pycache__"))
            copied.append(out_dir / name)
    for extra in (paths.REFERENCES_BIB, paths.CITATION_FILE):
        if extra.is_file():
            shutil.copy2(extra, out_dir / extra.name)
    return copied


@dataclass(frozen=True)
class PreviewResult:
    """What a preview build did."""

    out_dir: Path
    pages: tuple[str, ...]
    rebuilt: bool
    seconds: float
    font_foreseen: bool = True  # the font subset made alongside the pages held every character shown


def build_preview(
    pages: list[Page] | None = None,
    *,
    root: Path | None = None,
    out_dir: Path | None = None,
    cache_dir: Path | None = None,
    jobs: int | None = None,
    use_cache: bool = True,
    site_title: str | None = None,
    dependencies_hash: str | None = None,
    downloads: tuple[Path, Path, Path] | None = None,
    before: tuple | None = None,
) -> PreviewResult:
    """Build the offline preview of *pages* (default: _quarto.yml's) into *out_dir* (_site/).

    Built in a temporary folder beside *out_dir*, then swapped in: an error leaves the old
    site untouched. With nothing changed since the last build it returns at once
    (``rebuilt=False``). *downloads* is ``(data_dir, figures_dir, tables_dir)``; *before*
    is a task writing them, run alongside the notebooks (see :func:`build_pages`). The font
    subset is made while the pages run, from the characters of the files the pages draw their
    text from (:func:`page_text_sources`); should a page show a character none of them holds,
    it is made again from the pages' own text.
    """
    started = time.monotonic()
    root = Path(root or paths.ROOT)
    out_dir = Path(out_dir or paths.SITE_DIR)
    cache_dir = Path(cache_dir or paths.SITE_CACHE_DIR)
    pages = pages or read_pages()
    if site_title is None:
        site_title = str((read_quarto_config().get("website") or {}).get("title", "Site"))
    jobs = jobs or default_jobs()
    if jobs < 1:
        raise ParameterError(f"jobs={jobs}: must be >= 1")
    dependencies_hash = dependencies_hash or hash_files(list_dependency_files(root))
    data_dir, figures_dir, tables_dir = downloads or (paths.DATA_DIR, paths.FIGURES_DIR, paths.TABLES_DIR)
    page_keys = [[p.source, p.title, p.section, hash_page(root / p.source, dependencies_hash)] for p in pages]

    def site_key() -> str:
        files = [p for folder in (figures_dir, tables_dir) if folder.is_dir() for p in folder.rglob("*") if p.is_file()]
        return hash_files(files, extra=dependencies_hash + json.dumps(page_keys) + site_title)

    stamp = out_dir / PREVIEW_STAMP
    if use_cache and before is None and _read_stamp(stamp).get("key") == site_key():
        return PreviewResult(out_dir, tuple(p.html_path for p in pages), False, time.monotonic() - started)

    fixed_text = [PREVIEW_BANNER, site_title, render_nav(pages, pages[0])]
    predicted = "".join(fixed_text + [page_text_sources(pages, root, data_dir)])
    built, font = build_pages(pages, root, cache_dir, dependencies_hash, jobs, use_cache, before, predicted)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    build_dir = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.build-", dir=out_dir.parent))
    os.chmod(build_dir, 0o755)  # mkdtemp makes it private; a site is read by a web server
    try:
        all_text = list(fixed_text)
        for page in pages:
            body, outputs = built[page.source]
            page_html = render_page(body, page, pages, site_title)
            all_text.append(page_html)
            target = build_dir / page.html_path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page_html, encoding="utf-8")
            for name, data in sorted(outputs.items()):
                (target.parent / name).parent.mkdir(parents=True, exist_ok=True)
                (target.parent / name).write_bytes(data)
        shown = {ch for ch in "".join(all_text) if ord(ch) > 0x7E}  # subset_font always keeps ASCII
        foreseen = shown <= set(predicted)
        if not foreseen:  # a character no source file holds: subset again
            font = subset_font("".join(all_text), cache_dir)
        libs = build_dir / SITE_LIBS
        (libs / "fonts").mkdir(parents=True)
        (libs / paths.PREVIEW_CSS.name).write_text(preview_css(), encoding="utf-8")
        (libs / "fonts" / FONT_SUBSET_NAME).write_bytes(font)
        copy_downloads(build_dir, data_dir, figures_dir, tables_dir)
        (build_dir / PREVIEW_STAMP).write_text(json.dumps({"key": site_key(), "kind": "offline-preview"}) + "\n")
        _swap_in(build_dir, out_dir)
    finally:
        if build_dir.exists():
            shutil.rmtree(build_dir, ignore_errors=True)
    return PreviewResult(out_dir, tuple(p.html_path for p in pages), True, time.monotonic() - started, foreseen)


def _swap_in(build_dir: Path, out_dir: Path) -> None:
    """Replace *out_dir* by *build_dir* with two renames (the old site is removed after)."""
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        os.rmdir(old)
        os.replace(out_dir, old)
    os.replace(build_dir, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# references.bib
# --------------------------------------------------------------------------------------------
_BIB_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
                "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _bib_escape(text: str) -> str:
    return "".join(_BIB_SPECIAL.get(ch, ch) for ch in str(text).strip())


def _first(row: dict, *names: str) -> str:
    for name in names:
        value = row.get(name)
        if value is not None and str(value).strip() not in {"", "nan", "None"}:
            return str(value).strip()
    return ""


def _bib_entry(key: str, row: dict, note_fields: tuple[str, ...]) -> str:
    fields: list[tuple[str, str]] = []
    publisher = _first(row, "publisher", "publisher_zh")
    author = _first(row, "author") or publisher  # an organisation as corporate author (braced)
    if author:
        fields.append(("author", "{" + _bib_escape(author) + "}"))
    title = _first(row, "title", "title_zh", "title_en")
    if title:
        fields.append(("title", "{" + _bib_escape(title) + "}"))
    title_en = _first(row, "title_en")
    if title_en and title_en != title:
        fields.append(("titleaddon", _bib_escape(title_en)))
    organization = _first(row, "publisher_en") or (publisher if publisher != author else "")
    if organization:
        fields.append(("organization", _bib_escape(organization)))
    date = _first(row, "date", "published", "date_published")
    if date:
        fields.append(("date", _bib_escape(date)))
    url = _first(row, "url", "repost_url")
    if url:
        fields.append(("url", url if re.match(r"[a-z]+://", url) else f"http://{url}"))
    accessed = _first(row, "accessed", "date_accessed")
    if accessed:
        fields.append(("urldate", _bib_escape(accessed)))
    language = _first(row, "language")
    if language:
        fields.append(("langid", _bib_escape(language)))
    notes = [_first(row, name) for name in note_fields]
    notes = [n for n in notes if n]
    if notes:
        fields.append(("note", _bib_escape("; ".join(notes))))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@online{{{key},\n{body}\n}}\n"


def render_references_bib(data_dir: Path | None = None) -> str:
    """BibLaTeX text of the article (data/source.csv) and every assumption source.

    Keys: ``source_id`` of each row (the article's row too, when its table has that column;
    otherwise ``dasuhe_article_2018``). Deterministic: rows in file order.
    """
    import csv

    data_dir = Path(data_dir or paths.DATA_DIR)
    header = ("% Generated by `python -m analysis site --write-bib` from data/source.csv and\n"
              "% data/assumption_sources.csv. Do not edit by hand: tests check it is up to date.\n\n")
    entries: list[str] = []
    seen: set[str] = set()
    for name, default_key, notes in (
        ("source.csv", "dasuhe_article_2018", ("licence_note", "license_note", "note")),
        ("assumption_sources.csv", None, ("confidence_note", "note")),
    ):
        path = paths.data_file(name, data_dir)
        if not path.is_file():
            raise AnalysisError(f"{path}: file not found (needed for references.bib)")
        with path.open(encoding="utf-8", newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                key = _first(row, "source_id", "id", "key") or default_key
                if not key or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_:-]*", key):
                    raise AnalysisError(f"{path}: row {line}, column source_id: {key!r} is not a usable BibTeX key")
                if key in seen:
                    raise AnalysisError(f"{path}: row {line}, column source_id: duplicate key {key!r}")
                seen.add(key)
                row = dict(row)
                if _first(row, "confidence") and name == "assumption_sources.csv":
                    row["confidence_note"] = f"confidence: {_first(row, 'confidence')}"
                entries.append(_bib_entry(key, row, notes))
    return header + "\n".join(entries)


def write_references_bib(data_dir: Path | None = None, target: Path | None = None) -> Path:
    """Write references.bib (atomically) from the data package."""
    return write_text(Path(target or paths.REFERENCES_BIB), render_references_bib(data_dir))


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------
def configure_site(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis site``."""
    parser.add_argument("--preview", action="store_true",
                        help="build the offline preview even when Quarto is available")
    parser.add_argument("--prepare-only", action="store_true",
                        help="validate data, write figures/tables and the Typst font, then stop "
                             "(Quarto's pre-render hook)")
    parser.add_argument("--write-bib", action="store_true",
                        help="regenerate references.bib from data/ and stop")
    parser.add_argument("-j", "--jobs", type=int, default=default_jobs(),
                        help="notebooks executed in parallel (default: twice the number of CPUs)")
    parser.add_argument("--no-cache", action="store_true",
                        help="re-execute every notebook and rebuild everything")
    parser.add_argument("--no-quarto-install", action="store_true",
                        help="do not try `pip install quarto-cli` when quarto is missing")


def run_site(args: argparse.Namespace) -> int:
    """Build the site (see the module docstring). Returns 0."""
    if args.jobs < 1:
        raise ParameterError(f"--jobs={args.jobs}: must be >= 1")
    if args.write_bib:
        print(f"site: wrote {write_references_bib().relative_to(paths.ROOT)}")
        return 0
    if args.prepare_only and os.environ.get(PREPARED_ENV) == "1":
        return 0
    started = time.monotonic()
    cache_dir = paths.SITE_CACHE_DIR
    dependencies_hash = hash_files(list_dependency_files())
    if args.no_cache:
        for stamp in (VALIDATED_STAMP, OUTPUTS_STAMP):
            (cache_dir / stamp).unlink(missing_ok=True)
    validate_data(dependencies_hash, cache_dir)
    quarto = None
    if not args.prepare_only and not args.preview:
        quarto = find_quarto(try_install=not args.no_quarto_install)
    if args.prepare_only or quarto:
        write_outputs(dependencies_hash, cache_dir)
        copy_typst_font()
    if args.prepare_only:
        return 0
    if quarto:
        render_quarto(quarto)
        print(f"site: Quarto website rendered into {paths.SITE_DIR.relative_to(paths.ROOT)}/ "
              f"({time.monotonic() - started:.1f} s)")
        return 0
    # nbformat validates with jsonschema, which imports the optional rfc3987_syntax when it is
    # installed (jupyter-events pulls it in): it builds an IRI grammar at import, ~1.5 s of one core
    # on this machine, for a format nbformat's schema never uses. jsonschema skips it on ImportError.
    sys.modules.setdefault("rfc3987_syntax", None)
    before = None if outputs_current(dependencies_hash, cache_dir) else (write_outputs, (dependencies_hash, cache_dir))
    result = build_preview(jobs=args.jobs, use_cache=not args.no_cache, dependencies_hash=dependencies_hash,
                           before=before)
    state = "built" if result.rebuilt else "up to date"
    print(f"site: OFFLINE PREVIEW {state} in {result.out_dir.relative_to(paths.ROOT)}/ "
          f"({len(result.pages)} pages, {time.monotonic() - started:.1f} s). "
          "This is not the Quarto site.")
    print("site: to build the full site (search, citations, cross-references, PDF), install Quarto "
          "(https://quarto.org) and run make site")
    return 0
