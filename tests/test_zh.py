"""The Chinese edition (issue 13, items 4 and 5): what a zh page prints is Chinese.

Slow tests execute EVERY page (``index.ipynb`` and ``notebooks/*.ipynb``) as the site build does,
``pages.edition_notebook(nb, lang, {"lang": lang})`` + ``pages.execute``, in both editions, with
this checkout's ``analysis`` on the kernels' ``PYTHONPATH``, and read what the reader sees: each
output's Markdown (else its plain text), the Chinese markdown cells, and the words the scenario
explorer shows (its configuration's labels, ranges, source titles and interface words).

- **No English on a zh page**: no run of three or more English words (:func:`english_runs`),
  outside code, URLs, file names, identifiers and the allow-list :data:`ALLOWED` (proper names,
  font and standard names, file formats, the figure sizes; units are written in Chinese: 元, 千克, 亩).
- **The glossary** (``data/glossary.csv``): where a page's English edition uses a glossary term
  (case-insensitive, whole words, plural allowed), its Chinese edition contains the term's Chinese.

Both checks read only the parts of a page already written in both languages (:func:`page_parts`).
The pages' own sentences are being translated in the notebooks; until that lands, these are left
out: a markdown cell without a language tag; a code cell whose ``report.markdown`` /
``report.fill`` sentence is a plain string (the rule of ``pages.untranslated``); and, while either
of those remains on the page, a code cell that calls a library function taking ``lang`` without
passing it (``report.citation_markdown()``, which the page must call with ``lang`` once its prose
is translated). Nothing is listed by hand: once a page's sentences are all ``{"en": ..., "zh": ...}``
dicts and its markdown cells all tagged, the checks cover the whole page, and a call still without
``lang`` fails them. The cells left out are reported as a warning.

Fast tests check the detector on hand-written text, and every display function of the library in
Chinese on the package's data.
"""
from __future__ import annotations

import ast
import functools
import importlib
import inspect
import json
import os
import re
import warnings

import nbformat
import pytest

from analysis import pages, paths

PAGES = ("index.ipynb",) + tuple(sorted(p.relative_to(paths.ROOT).as_posix()
                                        for p in paths.NOTEBOOKS_DIR.glob("*.ipynb")))

# Latin words a Chinese page may show: proper names (as the Chinese text writes them too), font
# and standard names, file formats, the figure downloads' resolution unit and sizes, licence names.
ALLOWED = frozenset(word.lower() for word in (
    "Tianfu", "Dasuhe", "Qingyuan", "Liaoning", "Fushun",
    "Noto", "Sans", "Serif", "CJK", "SC",
    "GB", "T",  # GB/T 7714
    "CSV", "JSON", "PDF", "SVG", "PNG", "HTML", "JavaScript", "EB", "OL", "R",  # GB/T 7714 [EB/OL], [R]
    "MIT", "dpi",
    "web", "slide", "single-column", "double-column",  # figure sizes (style.SIZES)
))

_FENCED = re.compile(r"^```.*?^```[ \t]*$", re.M | re.S)
_EXPLORER_CONFIG = re.compile(r'<script type="application/json" data-explorer-config>(.*?)</script>', re.S)
_NOSCRIPT = re.compile(r"<noscript>(.*?)</noscript>", re.S)
_NOT_WORDS = [
    re.compile(r"`[^`]*`"),  # inline code
    re.compile(r"\]\([^)]*\)"),  # link targets (the link text stays)
    re.compile(r"\[@[^\]]*\]|@(?:fig|tbl)-[\w-]+"),  # citations, cross-references
    re.compile(r"\{[^{}]*=\"[^\"]*\"\}"),  # attributes such as {fig-alt="..."}: read apart, below
    re.compile(r"<[^>]+>"),  # HTML tags
    re.compile(r"\b(?:https?://|www\.)\S+"),  # URLs
    re.compile(r"\b[\w.-]+\.(?:cn|com|org|net|gov)(?:/\S*)?"),  # addresses without a scheme
    re.compile(r"[\w./-]+\.(?:csv|json|ipynb|pdf|svg|png|txt|html|typ|cff|bib|py|yml|md)\b"),  # file names
    re.compile(r"\b\w*_\w*\b"),  # identifiers (snake_case)
]
_ALT = re.compile(r"\{[^{}]*?fig-alt=\"([^\"]*)\"[^{}]*\}")
_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
_GLUE = re.compile(r"[ \t\n,;:.!?()\[\]\"'“”‘’/&+*–—-]*")  # what may stand between two words of one run (not a table's |)
MIN_RUN = 3


def reader_text(markdown: str) -> str:
    """*markdown* as words a reader reads: code, URLs, link targets, citations, file names and
    identifiers taken out, backslash escapes undone; alt text kept."""
    text = markdown.replace("\\", "\0")  # escaped characters: keep the character, lose the backslash
    text = re.sub(r"\0(.)", r"\1", text).replace("\0", "")
    alts = _ALT.findall(text)
    text = _FENCED.sub(" ", text)
    for pattern in _NOT_WORDS:
        text = pattern.sub(" ", text)
    return "。".join([text, *alts])  # an alt text is read apart from the text around it


def english_runs(text: str, min_words: int = MIN_RUN) -> list[str]:
    """Runs of *min_words* or more English words in *text* (already :func:`reader_text`): words
    joined only by spaces and Latin punctuation; a word of :data:`ALLOWED`, a digit or a Chinese
    character ends a run."""
    runs, current, end = [], [], None
    for match in _WORD.finditer(text):
        word = match.group(0)
        joined = end is not None and _GLUE.fullmatch(text[end:match.start()]) is not None
        if word.lower() in ALLOWED:
            if len(current) >= min_words:
                runs.append(" ".join(current))
            current, end = [], None
            continue
        if current and not joined:
            if len(current) >= min_words:
                runs.append(" ".join(current))
            current = []
        current.append(word)
        end = match.end()
    if len(current) >= min_words:
        runs.append(" ".join(current))
    return runs


def explorer_words(markdown: str) -> tuple[str, list[str]]:
    """*markdown* without its raw HTML blocks, and the texts the explorer in them shows: its
    ``<noscript>`` and, from its configuration, every label, range, source title, confidence and
    interface word."""
    shown: list[str] = []
    for block in re.findall(r"^```\{=html\}\n(.*?)^```", markdown, re.M | re.S):
        shown += _NOSCRIPT.findall(block)
        for config in _EXPLORER_CONFIG.findall(block):
            shown += _config_texts(json.loads(config))
    return re.sub(r"^```\{=html\}\n.*?^```[ \t]*$", " ", markdown, flags=re.M | re.S), shown


_SHOWN_KEYS = {"label", "unit_label", "range_label", "range_text", "title", "confidence", "text"}


def _config_texts(config: dict) -> list[str]:
    texts = [str(v) for v in config["words"].values()]

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _SHOWN_KEYS and isinstance(value, str):
                    texts.append(value)
                elif key not in {"words", "scenario"}:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(config)
    return texts


def output_text(output) -> str:
    """What a reader sees of one output: its Markdown, else its plain text (stream text as is)."""
    if output.get("output_type") == "stream":
        return str(output.get("text", ""))
    data = output.get("data", {})
    return str(data.get("text/markdown") or data.get("text/plain") or "")


# --- which parts of a page are written in both languages ---------------------------------------------
_PROSE_CALLS = {"markdown", "fill"}
_MODULES = ("report", "tables", "explorer", "figures", "model", "scenarios")
ONE_TEXT, NO_LANG = "one text", "no lang"


@functools.cache
def _takes_lang(module: str, function: str) -> int | None:
    """The position of ``lang`` among the parameters of analysis.<module>.<function>, or None."""
    target = getattr(importlib.import_module(f"analysis.{module}"), function, None)
    if not callable(target):
        return None
    try:
        names = list(inspect.signature(target).parameters)
    except (TypeError, ValueError):
        return None
    return names.index("lang") if "lang" in names else None


def pending_reasons(source: str) -> list[tuple[str, str]]:
    """Why a code cell's prose may not be in both languages yet, as (kind, where) pairs:
    ONE_TEXT, a ``report.markdown``/``report.fill`` call whose sentence is neither a dict nor a
    call (the rule of ``pages.untranslated``); NO_LANG, a call of a library function that takes
    ``lang`` (other than those two, whose ``lang`` only formats placeholders) without being given it."""
    source = "\n".join(line for line in source.split("\n") if not line.lstrip().startswith(("%", "!")))
    reasons = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id in _MODULES):
            continue
        module, function = node.func.value.id, node.func.attr
        where = f"line {node.lineno}: {module}.{function}"
        if module == "report" and function in _PROSE_CALLS:
            if node.args and not isinstance(node.args[0], (ast.Dict, ast.Call)):
                reasons.append((ONE_TEXT, where))
            continue
        position = _takes_lang(module, function)
        if position is not None and len(node.args) <= position and not any(k.arg in {"lang", None}
                                                                           for k in node.keywords):
            reasons.append((NO_LANG, where))
    return reasons


def page_parts(nb) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``({part: text}, {part: why left out})`` of an executed edition, keyed by cell id (a zh
    cell by its English cell's id): every code cell's outputs and every markdown cell tagged with a
    language. Left out: a cell with a one-language sentence (ONE_TEXT), and while the page is not
    yet translated (such a cell, or a markdown cell without a language tag, remains) a cell calling
    a library function without ``lang`` (NO_LANG)."""
    parts, reasons = {}, {}
    for cell in nb.cells:
        key = str(cell.get("id", "")).removesuffix("-zh")
        if cell.cell_type == "markdown":
            if pages.cell_language(cell) is not None:
                parts[key] = cell.source
            else:
                reasons[key] = [("markdown", "no language tag")]
        elif cell.cell_type == "code":
            reasons[key] = pending_reasons(cell.source)
            parts[key] = "\n".join(output_text(out) for out in cell.get("outputs", []))
    unfinished = any(kind in {ONE_TEXT, "markdown"} for found in reasons.values() for kind, _ in found)
    pending = {}
    for key, found in reasons.items():
        shown = [f"{kind}: {where}" for kind, where in found if kind != NO_LANG or unfinished]
        if shown:
            pending[key] = shown
            parts.pop(key, None)
    return parts, pending


def shown_runs(text: str) -> list[str]:
    """The English runs a reader meets in one part: its Markdown and what an explorer in it shows."""
    markdown, shown = explorer_words(text)
    return [run for piece in [markdown, *shown] for run in english_runs(reader_text(piece))]


def shown_text(text: str) -> str:
    """One part as the words a reader reads (:func:`reader_text`, an explorer's words included)."""
    markdown, shown = explorer_words(text)
    return "\n".join(reader_text(piece) for piece in [markdown, *shown])


def load_glossary() -> list[tuple[str, str]]:
    """(en, zh) of every term of data/glossary.csv."""
    from analysis import data

    glossary = data.load_table("glossary")
    return list(zip(glossary["en"], glossary["zh"]))


def glossary_misses(english: str, chinese: str, glossary) -> list[tuple[str, str]]:
    """The glossary terms *english* uses (case-insensitive, whole words, a plural -s/-es allowed)
    whose Chinese term *chinese* lacks."""
    return [(en, zh) for en, zh in glossary
            if re.search(rf"(?<![\w-]){re.escape(en)}(?:e?s)?(?![\w-])", english, re.IGNORECASE) and zh not in chinese]


# --- executing every page in both editions -----------------------------------------------------------
def _kernel_env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(paths.ROOT), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "PYTHONPATH": path,
            "MPLCONFIGDIR": os.environ.get("MPLCONFIGDIR", str(paths.ROOT / ".cache" / "matplotlib"))}


def run_edition(page: str, lang: str, extra: dict) -> nbformat.NotebookNode:
    """*page* executed for the edition in *lang* as the site build does it (the kernel imports this
    checkout's ``analysis``)."""
    source = paths.ROOT / page
    nb = pages.read_notebook(source)
    known = pages.page_parameters(nb)
    values = {name: value for name, value in {**extra, "lang": lang}.items() if name in known}
    if lang == "en":
        values.pop("lang", None)
    edition = pages.edition_notebook(nb, lang, values, page)
    executed = pages.execute(edition, source.parent.resolve(), page, env=_kernel_env())
    return nbformat.reads(executed.notebook, as_version=4)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """``executed(page, lang)``: the page's edition, executed once per test module (the gallery
    reads a manifest of every registered figure, as tests/test_notebooks.py does)."""
    from analysis import figures

    manifest = figures.write_manifest(tmp_path_factory.mktemp("figures"))

    @functools.cache
    def run(page: str, lang: str) -> nbformat.NotebookNode:
        return run_edition(page, lang, {"manifest_path": str(manifest)})

    return run


def _left_out(page: str, pending: dict[str, list[str]]) -> None:
    if pending:
        warnings.warn(f"{page}: {len(pending)} cells not checked yet (prose in one language): "
                      + "; ".join(f"{key} ({', '.join(why)})" for key, why in pending.items()), stacklevel=2)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_a_chinese_page_shows_no_run_of_english_words(page, executed):
    parts, pending = page_parts(executed(page, "zh"))
    _left_out(page, pending)
    runs = {key: shown_runs(text) for key, text in parts.items()}
    assert {key: found for key, found in runs.items() if found} == {}


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_a_chinese_page_uses_the_glossary_terms_of_its_english_page(page, executed):
    english, _ = page_parts(executed(page, "en"))
    chinese, pending = page_parts(executed(page, "zh"))
    both = [key for key in english if key in chinese]
    assert both, f"{page}: no part is written in both languages"
    misses = glossary_misses("\n".join(shown_text(english[key]) for key in both),
                             "\n".join(shown_text(chinese[key]) for key in both), load_glossary())
    assert misses == []


# --- fast: the detector ---------------------------------------------------------------------------------
def test_english_runs_counts_three_words_or_more_joined_by_latin_punctuation():
    assert english_runs("每段干耳产量 Dry yield per segment（假设）") == ["Dry yield per segment"]
    assert english_runs("the rest, funds: public welfare") == ["the rest funds public welfare"]
    assert english_runs("两个 English words") == []
    assert english_runs("one two三four five six") == ["four five six"]  # a Chinese character ends a run
    assert english_runs("at 50 yuan per kg") == ["yuan per kg"]  # so does a digit
    assert english_runs("PNG (200 dpi) and SVG") == []
    # allowed words end a run too: proper names, fonts, formats, GB/T 7714 types
    assert english_runs("Noto Sans CJK SC; Tianfu Dasuhe Qingyuan; PDF SVG PNG CSV; [EB/OL]") == []
    assert english_runs("| title | string | yes |") == []  # table cells are not one run


def test_reader_text_drops_code_urls_files_and_identifiers_and_keeps_alt_text():
    text = reader_text("运行 `python -m analysis figures --lang zh`，见 https://example.org/a/b/c 与 "
                       "xndjw.gov.cn/website/contents/54/36630.html、data/facts.csv、poor\\_households\\_registered "
                       "[@dasuhe_article_2018] [link text](../data/file.csv)"
                       '![](x.svg){fig-alt="Bars for each village"}')
    assert english_runs(text) == ["Bars for each village"]  # the link text stays, the alt text is read apart
    assert "python" not in text and "example" not in text and "households" not in text


def test_explorer_words_reads_the_configuration_an_explorer_shows():
    config = {"words": {"title": "情景探索", "reset": "Reset this scenario now"}, "lang": "zh",
              "inputs": [{"name": "price_yuan_per_kg", "label": "价格", "unit": "yuan_per_kg",
                          "source": {"id": "cnfungus_dongning_2012", "title": "Report on Dongning output"}}],
              "scenario": {"outputs": ["revenue_yuan"]}}
    block = ('<div data-explorer><noscript>需要JavaScript。</noscript><script type="application/json" '
             f"data-explorer-config>{json.dumps(config, ensure_ascii=False)}</script></div>")
    markdown, shown = explorer_words(f"前文\n```{{=html}}\n{block}\n```\n后文")
    assert markdown.split() == ["前文", "后文"]
    assert sorted(shown) == sorted(["需要JavaScript。", "情景探索", "Reset this scenario now", "价格",
                                    "Report on Dongning output"])
    assert shown_runs(f"```{{=html}}\n{block}\n```") == ["Reset this scenario now", "Report on Dongning output"]


def test_pending_reasons_find_one_language_sentences_and_calls_without_lang():
    source = ('%matplotlib inline\n'
              'report.markdown("The township counts {villages_total}.")\n'
              'report.markdown({"en": "{n} households", "zh": "{n}户"}, lang, n=1)\n'
              'report.markdown(report.citation_markdown())\n'
              'report.fact_table(report.KEY_FACT_IDS, lang)\n'
              'report.data_dictionary_markdown(prefix, lang=lang)\n'
              'figures.make_figure("tornado", lang=lang)')
    assert pending_reasons(source) == [(ONE_TEXT, "line 1: report.markdown"), (NO_LANG, "line 3: report.citation_markdown")]


def test_page_parts_leave_out_calls_without_lang_only_while_the_page_is_unfinished():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    cite = new_code_cell("report.markdown(report.citation_markdown())", id="cite")
    zh = new_markdown_cell("中文", id="intro-zh", metadata={"tags": ["lang-zh"]})
    finished = new_notebook(cells=[zh, cite])
    parts, pending = page_parts(finished)
    assert sorted(parts) == ["cite", "intro"] and pending == {}
    unfinished = new_notebook(cells=[new_markdown_cell("English only", id="old"), zh, cite])
    parts, pending = page_parts(unfinished)
    assert sorted(parts) == ["intro"]
    assert pending == {"old": ["markdown: no language tag"], "cite": ["no lang: line 1: report.citation_markdown"]}


def test_glossary_misses_match_whole_words_and_plurals():
    glossary = [("segment", "菌段"), ("mu", "亩"), ("registered poor household", "建档立卡贫困户")]
    english = "Segments per mu for 243 registered poor households; a multiplier"
    assert glossary_misses(english, "每亩段数", glossary) == [("segment", "菌段"), ("registered poor household", "建档立卡贫困户")]
    assert glossary_misses(english, "每亩菌段，建档立卡贫困户", glossary) == []
    assert glossary_misses("multiplied", "", glossary) == []  # 'mu' is not inside another word


# --- fast: the library's words in Chinese ----------------------------------------------------------------
def _library_outputs_zh() -> dict[str, str]:
    """What each display function of the library prints on a zh page, from the package's data."""
    from analysis import data, explorer, model, parameters, report, scenarios, tables

    p = parameters.get_parameters("base")
    mc = scenarios.monte_carlo(200, scenarios.DEFAULT_SEED, p=p)
    shown = {
        "fact_table": report.fact_table(data.load_facts()["fact_id"], "zh"),
        "qualifier_table": report.qualifier_table(data.load_facts(), "zh"),
        "organisation_table": report.organisation_table(data.load_table("organisations"), "zh"),
        "village_industry_table": report.village_industry_table(data.load_table("villages"),
                                                                data.load_table("village_industries"), "zh"),
        "contract_terms_table": report.contract_terms_table(data.load_table("contract_terms"), "zh"),
        "parameter_run_table": report.parameter_run_table(p, "zh"),
        "first_order_table": report.first_order_table(mc.first_order, "zh"),
        "threshold_table": report.threshold_table(mc.threshold_probabilities, "zh"),
        "income_channel_table": report.income_channel_table(model.income_channels(p), "zh"),
        "recipient_channels_table": report.recipient_channels_table(model.income_channel_recipients(p), "zh"),
        "poverty_gap_table": report.poverty_gap_table(scenarios.poverty_gap_lift(p, n=6), "zh"),
        "cases_table": report.cases_table(data.load_table("cases"), "zh", data.load_table("case_facts")),
        "scenarios_display": tables.scenarios_display("zh"),
    }
    texts = {name: table._repr_markdown_() for name, table in shown.items()}
    texts["assumptions_markdown"] = report.assumptions_markdown(data.load_assumptions(),
                                                                data.load_table("assumption_sources"), "zh")
    texts["data_dictionary_markdown"] = report.data_dictionary_markdown("../", "zh")
    texts["citation_markdown"] = report.citation_markdown("zh")
    texts["explorer"] = explorer.explorer("zh")._repr_markdown_()
    texts["explorer_compact"] = explorer.explorer("zh", compact=True)._repr_markdown_()
    texts["explorer_plain"] = repr(explorer.explorer("zh", compact=True))
    return texts


def test_every_display_function_of_the_library_reads_chinese():
    runs = {name: shown_runs(text) for name, text in _library_outputs_zh().items()}
    assert {name: found for name, found in runs.items() if found} == {}


def test_the_explorer_names_its_sources_in_chinese():
    from analysis import explorer

    inputs = {entry["name"]: entry for entry in explorer.explorer_config("zh")["inputs"]}
    assert inputs["price_yuan_per_kg"]["source"] == {"id": "caass_wood_ear_market_report_2021",
                                                     "title": "我国黑木耳市场与产业调查分析报告"}
    assert inputs["yield_kg_per_segment"]["source"]["title"] == "东宁县2012年黑木耳产量报道"
    assert inputs["village_share"]["source"]["title"] == (
        "共产党员网《辽宁清原:“三方聚力”强化党建引领脱贫攻坚》（2018-06-04），第6段")  # 10个村占60%: paragraph 6
    assert repr(explorer.explorer("zh", compact=True)) == "<情景探索：请在网站上打开本页>"
    assert repr(explorer.explorer("en", compact=True)) == "<the scenario explorer: open the page on the website>"


def test_income_channels_carry_chinese_notes_and_receivers():
    from analysis import model, parameters

    p = parameters.get_parameters("base")
    channels = model.income_channels(p).set_index("channel")
    assert channels.at["cooperative_job", "label_zh"] == "合作社务工（一对夫妻）"
    assert channels.at["dividend", "note_zh"] == (
        "总额为一季利润中各村所得的部分；其中只有补助部分发给贫困户，其余用于村集体公益事业。")
    recipients = model.income_channel_recipients(p).set_index("channel")
    assert recipients.at["cooperative_job", "receiver_zh"] == "合作社中的一对夫妻"
    assert recipients.at["long_term_wages", "note_zh"] == "每名工人所得即年工资。"
    assert list(recipients.columns[-2:]) == ["note", "note_zh"]
