"""The report's pages: from a committed notebook to the executed notebook Quarto renders.

The committed notebooks (``index.ipynb``, ``notebooks/*.ipynb``) are the one source of every
page, in every edition (language) of the site. For an edition, :func:`edition_notebook` makes a
copy that

1. keeps the prose of its language: a markdown cell tagged ``lang-<code>`` belongs to that
   edition only, an untagged one to every edition (:func:`cell_language`);
2. writes the edition's values into the cell tagged ``parameters`` (``lang = "zh"``), after
   checking each name against that cell's own assignments (:func:`set_parameters`), and folds it
   on the HTML page under a summary ("Parameters of this page"; Quarto's ``code-summary`` option);
3. gives each code cell the edition's words for its Quarto cell options (``fig-cap``, ``tbl-cap``):
   a cell keeps them in its metadata, ``"translations": {"zh": {"fig-cap": "..."}}``;
4. puts the page's front matter (the link to the same page in the other edition) in a raw cell
   at the top, where Quarto reads a notebook's YAML;

and :func:`execute` runs it top to bottom in a fresh kernel (nbclient; the kernel's working
directory is the source notebook's folder, as when Quarto or Jupyter runs it), fails with one
line on an error, and takes out what a cell wrote to stderr (returned, for the build to report
once, never shown on a page).

A notebook run outside the build (papermill, Jupyter) checks its injected parameters itself:
the page's first code cell after the parameters calls :func:`check_parameters`.
"""
from __future__ import annotations

import ast
import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

from analysis import paths
from analysis.errors import AnalysisError, ParameterError

LANG_TAG_PREFIX = "lang-"
PARAMETERS_TAG = "parameters"
PAPERMILL_HEADER = "# Parameters"  # first line of the cell papermill injects after the parameters cell
NOTEBOOK_TIMEOUT_S = 600
PARAMETERS_SUMMARY = {"en": "Parameters of this page", "zh": "本页参数"}


# --- reading ---------------------------------------------------------------------------------------
def read_notebook(path: Path):
    """The notebook at *path* (nbformat v4); AnalysisError naming the file when it cannot be read."""
    import nbformat

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnalysisError(f"{path}: page not found") from None
    except UnicodeDecodeError as exc:
        raise AnalysisError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        return nbformat.reads(text, as_version=4)
    except (json.JSONDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AnalysisError(f"{path}: not a readable notebook ({first})") from None


def cell_language(cell) -> str | None:
    """The language code of a markdown cell tagged ``lang-<code>``, or None (every edition)."""
    langs = [tag[len(LANG_TAG_PREFIX):] for tag in cell.get("metadata", {}).get("tags", [])
             if tag.startswith(LANG_TAG_PREFIX)]
    if len(langs) > 1:
        raise AnalysisError(f"a cell carries {len(langs)} language tags ({', '.join(langs)}): give it one")
    return langs[0] if langs else None


def parameters_cell(nb):
    """The code cell tagged ``parameters``, or None."""
    return next((cell for cell in nb.cells if cell.cell_type == "code"
                 and PARAMETERS_TAG in cell.get("metadata", {}).get("tags", [])), None)


def assigned_names(source: str) -> dict[str, int]:
    """``{name: line}`` of the plain assignments (``name = value``) in *source*, in order."""
    names: dict[str, int] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            names[node.targets[0].id] = node.lineno
    return names


def page_parameters(nb) -> dict[str, object]:
    """``{name: default value}`` of the parameters cell (literals only), in order."""
    cell = parameters_cell(nb)
    if cell is None:
        return {}
    values = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                values[node.targets[0].id] = ast.get_source_segment(cell.source, node.value)
    return values


# --- the edition's copy ----------------------------------------------------------------------------
def _unknown(page: str, names, known) -> ParameterError:
    return ParameterError(
        f"{page}: unknown parameter {sorted(names)[0]!r}: the page's parameters are {', '.join(known) or 'none'}")


def set_parameters(nb, values: dict[str, object], page: str = "page") -> None:
    """Write *values* into the parameters cell of *nb*, in place (each assignment's line keeps its comment).

    Raises ParameterError ``<page>: unknown parameter 'x': the page's parameters are a, b`` for a name
    the cell does not assign, and for any value when the page has no parameters cell.
    """
    cell = parameters_cell(nb)
    known = assigned_names(cell.source) if cell is not None else {}
    unknown = set(values) - set(known)
    if unknown:
        raise _unknown(page, unknown, list(known))
    if not values:
        return
    lines = cell.source.split("\n")
    for name, value in values.items():
        line = lines[known[name] - 1]
        comment = line[line.index("#"):] if "#" in line else ""
        lines[known[name] - 1] = f"{name} = {value!r}" + (f"  {comment}" if comment else "")
    cell.source = "\n".join(lines)


def _with_cell_option(source: str, key: str, value: str) -> str:
    """*source* with the Quarto cell option ``#| key: value`` first (replacing one already there)."""
    lines = [line for line in source.split("\n") if not re.match(rf"#\|\s*{re.escape(key)}\s*:", line)]
    return "\n".join([f"#| {key}: {json.dumps(value, ensure_ascii=False)}"] + lines)


TRANSLATIONS_KEY = "translations"  # cell metadata: {lang: {Quarto cell option: text}}
TRANSLATED_OPTIONS = ("fig-cap", "tbl-cap", "fig-alt")


def _cell_options(source: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$", source, re.M)}


def edition_notebook(nb, lang: str, parameters: dict[str, object] | None = None, page: str = "page",
                     front_matter: dict | None = None):
    """A copy of *nb* for the edition in *lang* (see the module docstring); *nb* is not changed."""
    import yaml
    from nbformat.v4 import new_raw_cell

    out = copy.deepcopy(nb)
    kept = []
    for cell in out.cells:
        if cell.cell_type == "markdown":
            owner = cell_language(cell)
            if owner is not None and owner != lang:
                continue
        kept.append(cell)
    out.cells = kept
    set_parameters(out, dict(parameters or {}), page)
    cell = parameters_cell(out)
    if cell is not None:
        cell.source = _with_cell_option(cell.source, "code-summary", PARAMETERS_SUMMARY.get(lang, PARAMETERS_SUMMARY["en"]))
    for cell in out.cells:
        words = cell.get("metadata", {}).get(TRANSLATIONS_KEY, {}).get(lang, {})
        for option in TRANSLATED_OPTIONS:
            if option in words and option in _cell_options(cell.source):
                cell.source = _with_cell_option(cell.source, option, words[option])
    if front_matter:
        text = yaml.safe_dump(front_matter, allow_unicode=True, sort_keys=False)
        out.cells.insert(0, new_raw_cell(f"---\n{text}---"))
    return out


# --- translations -----------------------------------------------------------------------------------
_PROSE_CALLS = {"markdown", "fill"}  # report functions whose first argument is the page's prose


def untranslated(nb, langs: tuple[str, ...], page: str = "page") -> list[str]:
    """Every piece of prose of *nb* that lacks a version in one of *langs*, one line each.

    - a markdown cell must carry a language tag, and a ``lang-<first>`` cell must be followed by
      one cell of each other language;
    - a ``report.markdown``/``report.fill`` call must give its sentence as a dict with every language;
    - a code cell's ``fig-cap``/``tbl-cap``/``fig-alt`` must have a translation in its metadata.
    """
    problems = []
    cells = nb.cells
    for index, cell in enumerate(cells):
        where = f"{page}: cell {index + 1} ({cell.get('id', '-')})"
        if cell.cell_type == "markdown":
            lang = cell_language(cell)
            if lang is None:
                problems.append(f"{where}: markdown cell without a language tag (lang-{'/lang-'.join(langs)})")
            elif lang == langs[0]:
                following = [cell_language(c) for c in cells[index + 1:index + len(langs)] if c.cell_type == "markdown"]
                missing = [other for other in langs[1:] if other not in following]
                if missing:
                    problems.append(f"{where}: no {'/'.join(missing)} version follows this {lang} cell")
        elif cell.cell_type == "code":
            words = cell.get("metadata", {}).get(TRANSLATIONS_KEY, {})
            for option in TRANSLATED_OPTIONS:
                if option in _cell_options(cell.source):
                    missing = [other for other in langs[1:] if option not in words.get(other, {})]
                    if missing:
                        problems.append(f"{where}: {option} has no {'/'.join(missing)} version")
            source = "\n".join(line for line in cell.source.split("\n") if not line.lstrip().startswith(("%", "!")))
            for node in ast.walk(ast.parse(source)):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _PROSE_CALLS
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "report" and node.args):
                    first = node.args[0]
                    if isinstance(first, ast.Dict):
                        keys = {k.value for k in first.keys if isinstance(k, ast.Constant)}
                        missing = [lang for lang in langs if lang not in keys]
                        if missing:
                            problems.append(f"{where}: line {node.lineno}: report.{node.func.attr} has no "
                                            f"{'/'.join(missing)} text")
                    elif not isinstance(first, ast.Call):  # a literal sentence in one language
                        problems.append(f"{where}: line {node.lineno}: report.{node.func.attr} gives one text; "
                                        f"give {{{', '.join(repr(l) + ': ...' for l in langs)}}}")
    return problems


# --- execution -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Executed:
    """An executed page: the notebook JSON, and what its cells wrote to stderr (taken out of it)."""

    notebook: str
    stderr: tuple[str, ...]


def execute(nb, cwd: Path, page: str = "page", timeout: int = NOTEBOOK_TIMEOUT_S, env: dict | None = None) -> Executed:
    """Run *nb* top to bottom in a fresh ``python3`` kernel started in *cwd*.

    A cell that raises stops the run: AnalysisError ``<page>: cell <n> raised <Error>: <message>``
    (n counts every cell from 1). Stream output to stderr is removed from the notebook and
    returned (one string per cell that wrote any). No timestamps are recorded, so the same
    inputs give the same executed notebook.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = copy.deepcopy(nb)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}},
        record_timing=False, extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    # The kernel process writes its own log (not the cells' output, which comes over its channels)
    # to a file, not to the terminal: stopped, it would print an interrupt's traceback there after
    # the command's one line (jupyter_client interrupts a kernel before it shuts it down).
    log_path = paths.SITE_CACHE_DIR / "kernels" / (re.sub(r"[^\w.-]+", "_", page) + ".log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(log_path, "w", encoding="utf-8") as log:  # start_kernel passes them on to Popen
            client.execute(stdout=log, stderr=log, **({"env": env} if env else {}))  # env: the kernel's
    except CellExecutionError as exc:
        index = next((i for i, cell in enumerate(nb.cells) for out in cell.get("outputs", [])
                      if out.get("output_type") == "error"), None)
        where = f"cell {index + 1}" if index is not None else "a cell"
        message = f"{exc.ename}: {exc.evalue}".strip().splitlines()
        raise AnalysisError(f"{page}: {where} raised {message[0] if message else exc.ename}") from None
    except CellTimeoutError:
        raise AnalysisError(f"{page}: a cell ran longer than {timeout} s") from None
    except DeadKernelError:
        raise AnalysisError(f"{page}: its kernel died; its log is {log_path}") from None
    stderr = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                stderr.append(str(out.get("text", "")).strip())
            else:
                kept.append(out)
        cell["outputs"] = kept
    return Executed(nbformat.writes(nb) + "\n", tuple(text for text in stderr if text))


# --- a notebook run by hand (papermill, Jupyter) -------------------------------------------------------
def check_parameters(namespace: dict) -> None:
    """Stop a page given a parameter it does not have (papermill's ``-p pricee 50``).

    Call it from the first code cell after the parameters cell, with ``globals()``. Papermill puts
    the values it is given into a cell of their own right after the parameters cell, starting with
    ``# Parameters``; IPython keeps the source of every cell run, in order, in ``In``. Every name
    that cell assigns must be assigned by the parameters cell before it, else ParameterError
    ``unknown parameter 'pricee': the page's parameters are lang, preset, ...``. Without an
    injected cell (Jupyter, or the site build, which writes its values into the parameters cell
    itself) there is nothing to check.
    """
    inputs = [text for text in namespace.get("In", []) if text]
    for position, text in enumerate(inputs):
        if position and text.lstrip().startswith(PAPERMILL_HEADER):
            known = list(assigned_names(inputs[position - 1]))
            unknown = set(assigned_names(text)) - set(known)
            if unknown:
                name = sorted(unknown)[0]
                raise ParameterError(f"unknown parameter {name!r}: the page's parameters are {', '.join(known)}")
