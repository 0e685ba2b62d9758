"""Small helpers that turn computed numbers into report prose, in English or Chinese.

The notebooks never type a number into their prose: they compute it and format
it here, so the same value reads the same everywhere. Sections:

- numbers: :func:`format_number`, :func:`format_share`, :func:`format_unit`,
  :func:`format_quantity`, :func:`format_range`, :func:`format_wan`, :func:`explain_qualifier`,
  :func:`format_fact`, :func:`format_yuan`;
- prose: :func:`fill` / :func:`markdown` (``{name}`` placeholders for computed values
  and fact ids);
- pages: :func:`data_dictionary`, :func:`data_dictionary_markdown`, :func:`citation_markdown`,
  :func:`read_manifest`, :func:`gallery_markdown` (a figure's caption: ``figures.figure_caption``);
- display tables (:class:`Table`, shown as Markdown pipe tables): :func:`fact_table`,
  :func:`qualifier_table`, :func:`organisation_table`, :func:`village_industry_table`,
  :func:`contract_terms_table`, :func:`parameter_run_table`, :func:`threshold_table`,
  :func:`income_channel_table`, :func:`cases_table`, :func:`assumptions_markdown`.

Everything a page prints honours its ``lang`` ("en" or "zh"). The words of each function live in
one dict per function family, keyed by language: :data:`_WORDS` (display tables, with the Chinese
words of the data's categories: organisation kinds, sectors, distributions, confidence grades),
:data:`_DICTIONARY_WORDS` (the data page), :data:`_CITATION_WORDS` (the citation block, GB/T 7714
in Chinese), :data:`_GALLERY_WORDS`. What comes from data/ has its Chinese there: facts.note_zh,
cases.story_zh, contract_terms.term_zh, assumption_sources.title_zh, the schemas' description_zh.

>>> format_quantity(5_000_000, "yuan", "at_least")
'≥ 5,000,000 yuan'
>>> format_quantity(4000, "yuan", "approximately", lang="zh")
'近4,000元'
>>> format_quantity(0.4, "share")
'40%'
"""
from __future__ import annotations

import math
import numbers
import re
import unicodedata

from analysis.errors import ParameterError

LANGS = ("en", "zh")
QUALIFIERS = ("exact", "at_least", "approximately", "at_most")

# How a qualifier reads before a number (the article's 余/多, 近, 最高).
_QUALIFIER_PREFIX = {
    "en": {"exact": "", "at_least": "≥ ", "approximately": "≈ ", "at_most": "≤ "},
    "zh": {"exact": "", "at_least": "不少于", "approximately": "近", "at_most": "最高"},
}
# What a qualifier means, for the reader (the markers are the article's words).
_QUALIFIER_MEANING = {
    "en": {
        "exact": "the article states the number as is",
        "at_least": "at least: the article writes 余 or 多 (“more than”) after the number",
        "approximately": "approximately: the article writes 近 (“nearly”) before the number",
        "at_most": "at most: the article writes 最高 (“up to”) before the number",
    },
    "zh": {
        "exact": "原文给出确切数字",
        "at_least": "至少：原文在数字后写“余”或“多”",
        "approximately": "约数：原文在数字前写“近”",
        "at_most": "至多：原文在数字前写“最高”",
    },
}

# Unit words. Units not listed read as their snake_case name with "per" spelled out.
_UNIT_EN = {
    "person_days": "person-days",
    "coefficient_of_variation": "",
    "ratio": "",
}
_UNIT_ZH = {
    "yuan": "元",
    "mu": "亩",
    "kg": "千克",
    "jin": "斤",
    "households": "户",
    "persons": "人",
    "villages": "个村",
    "segments": "段",
    "years": "年",
    "groups": "个",
    "persons_per_day": "人/日",
    "person_days": "人日",
    "days": "天",
    "workers": "人",
    "items": "项",
    "committees": "个",
    "household": "户",
    "person": "人",
    "worker": "人",
    "segment": "段",
    "group": "组",
    "day": "日",
    "month": "月",
    "months": "个月",
    "year": "年",
    "rows": "行",
    "season": "季",
    "coefficient_of_variation": "",
    "ratio": "",
    # named as a word only in a unit column (a quantity reads as a percentage: format_quantity)
    "share": "比例",
    "rate_per_year": "年比率",
}
# Units whose values are not numbers: printed as they are.
TEXT_UNITS = frozenset({"text", "date", "month_day"})
# Count units whose English word is plural: one of them reads singular.
_SINGULAR_EN = {
    "households": "household",
    "persons": "person",
    "villages": "village",
    "segments": "segment",
    "years": "year",
    "groups": "group",
    "days": "day",
    "workers": "worker",
    "person_days": "person-day",
    "items": "item",
    "committees": "committee",
    "rows": "row",
}
_MINUS = "\u2212"
TEN_THOUSAND = 10_000  # 万: Chinese amounts of money of five digits or more read in 万元
# Units Chinese counts in 万 from TEN_THOUSAND up, as the article does (投资500余万元, 菌段200万段).
WAN_UNITS_ZH = {"yuan": "万元", "segments": "万段"}


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ParameterError(f"lang={lang!r}: choose one of {', '.join(LANGS)}")


def _check_qualifier(qualifier: str) -> None:
    if qualifier not in QUALIFIERS:
        raise ParameterError(f"qualifier={qualifier!r}: choose one of {', '.join(QUALIFIERS)}")


def format_number(value: float, decimals: int | None = None) -> str:
    """Format a number with thousands separators and a true minus sign.

    ``decimals=None`` chooses: whole numbers and anything of size 100 or more
    get no decimals, sizes from 1 to 100 get two, smaller ones three
    significant digits; trailing zeros are dropped in that automatic mode.

    >>> format_number(2_000_000)
    '2,000,000'
    >>> format_number(1234.567)
    '1,235'
    >>> format_number(2.8395)
    '2.84'
    >>> format_number(0.0475)
    '0.0475'
    >>> format_number(-1500)
    '−1,500'

    Raises ParameterError for NaN or infinite values.
    """
    value = float(value)
    if not math.isfinite(value):
        raise ParameterError(f"value={value}: must be a finite number")
    size = abs(value)
    automatic = decimals is None
    if automatic:
        if size >= 100 or size == round(size):
            decimals = 0
        elif size >= 1:
            decimals = 2
        else:
            decimals = max(0, 2 - math.floor(math.log10(size)))
    text = f"{size:,.{decimals}f}"
    if automatic and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.strip("0.,") == "":
        return text  # rounds to zero: no sign
    return (_MINUS if value < 0 else "") + text


def format_share(value: float, decimals: int | None = None) -> str:
    """Format a share (0–1) as a percentage: ``0.4`` → ``'40%'``, ``0.275`` → ``'27.5%'``.

    ``decimals=None`` gives no decimals for whole percentages and one otherwise.
    """
    percent = float(value) * 100
    if decimals is None:
        decimals = 0 if abs(percent - round(percent)) < 1e-9 else 1
    return f"{format_number(percent, decimals)}%"


def format_unit(unit: str, lang: str = "en", value: float | None = None) -> str:
    """The word for *unit* (``'yuan_per_kg'`` → ``'yuan per kg'``, ``'元/千克'`` in Chinese).

    With *value* equal to 1 an English count unit reads singular (``'household'``,
    ``'person per group'``). Unitless units (ratio, coefficient of variation) give ``''``.
    """
    _check_lang(lang)
    table = _UNIT_ZH if lang == "zh" else _UNIT_EN
    if "_per_" in unit and unit not in table:
        top, bottom = unit.split("_per_", 1)
        if lang == "zh":
            return f"{format_unit(top, 'zh')}/{format_unit(bottom, 'zh')}"
        return f"{format_unit(top, 'en', value)} per {format_unit(bottom, 'en', 1)}"
    if lang == "en" and value is not None and float(value) == 1 and unit in _SINGULAR_EN:
        return _SINGULAR_EN[unit]
    return table.get(unit, unit if lang == "zh" else unit.replace("_", " "))


def format_quantity(
    value: float,
    unit: str,
    qualifier: str = "exact",
    lang: str = "en",
    decimals: int | None = None,
) -> str:
    """A number with its qualifier and unit, as prose reads it.

    >>> format_quantity(40, "persons", "at_least")
    '≥ 40 persons'
    >>> format_quantity(200, "persons_per_day", "at_most", lang="zh")
    '最高200人/日'
    >>> format_quantity(500, "yuan_per_mu")
    '500 yuan per mu'

    Shares read as percentages, years without separators (``'2017年'`` in Chinese); text, date
    and month_day values are returned unchanged. In Chinese, amounts of yuan and counts of
    segments from 10,000 up read in 万 (``'201.6万元'``, ``'80万段'``), as the article writes them.
    Raises ParameterError for an unknown language or qualifier.
    """
    _check_lang(lang)
    _check_qualifier(qualifier)
    if unit in TEXT_UNITS:
        return str(value)
    prefix = _QUALIFIER_PREFIX[lang][qualifier]
    if unit == "year":
        return f"{prefix}{int(value)}年" if lang == "zh" else f"{prefix}{int(value)}"
    if unit == "share":
        return prefix + format_share(value, decimals)
    if unit == "rate_per_year":
        rate = format_share(value, decimals)
        return f"{prefix}每年{rate}" if lang == "zh" else f"{prefix}{rate} per year"
    if lang == "zh" and unit in WAN_UNITS_ZH and abs(float(value)) >= TEN_THOUSAND:
        return f"{prefix}{format_wan(value, decimals)}{WAN_UNITS_ZH[unit]}"
    number = format_number(value, decimals)
    word = format_unit(unit, lang, value)
    if lang == "zh" or not word:
        return f"{prefix}{number}{word}"
    return f"{prefix}{number} {word}"


def format_wan(value: float, decimals: int | None = None) -> str:
    """*value* counted in 万 (ten thousand), the number only: ``format_wan(2_016_000)`` → ``'201.6'``.

    ``decimals=None``: four significant digits at most, two decimals at most, trailing zeros
    dropped (``124_800`` → ``'12.48'``, ``5_000_000`` → ``'500'``).
    """
    wan = float(value) / TEN_THOUSAND
    if decimals is not None:
        return format_number(wan, decimals)
    if wan == 0:
        return "0"
    text = format_number(wan, min(2, max(0, 3 - math.floor(math.log10(abs(wan))))))
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_range(low: float, high: float, unit: str, lang: str = "en", decimals: int | None = None) -> str:
    """A low–high range with one unit: ``format_range(50, 70, 'yuan_per_kg')`` → ``'50–70 yuan per kg'``.

    Years read without separators: ``'2016–2017'``, in Chinese ``'2016–2017年'``.
    """
    _check_lang(lang)
    if unit == "year":
        return f"{int(low)}–{int(high)}" + ("年" if lang == "zh" else "")
    if unit in ("share", "rate_per_year"):
        span = f"{format_share(low, decimals)}–{format_share(high, decimals)}"
        if unit == "share":
            return span
        return f"每年{span}" if lang == "zh" else f"{span} per year"
    span = f"{format_number(low, decimals)}–{format_number(high, decimals)}"
    word = format_unit(unit, lang)
    sep = "" if lang == "zh" or not word else " "
    return f"{span}{sep}{word}"


_QUALIFIER_SHORT = {
    "en": {"exact": "exact", "at_least": "at least", "approximately": "approximately", "at_most": "at most"},
    "zh": {"exact": "确切", "at_least": "至少", "approximately": "约", "at_most": "至多"},
}


def qualifier_word(qualifier: str, lang: str = "en") -> str:
    """A qualifier in a word or two, as a table column shows it (``'at_least'`` → ``'至少'``)."""
    _check_lang(lang)
    _check_qualifier(qualifier)
    return _QUALIFIER_SHORT[lang][qualifier]


def explain_qualifier(qualifier: str, lang: str = "en") -> str:
    """What a qualifier means and which word of the article marks it."""
    _check_lang(lang)
    _check_qualifier(qualifier)
    return _QUALIFIER_MEANING[lang][qualifier]


def format_fact(fact_id: str, lang: str = "en", decimals: int | None = None) -> str:
    """A fact of data/facts.csv as prose: value, qualifier and unit (``'≥ 5,000,000 yuan'``)."""
    from analysis.data import fact  # imported here: report helpers stay importable alone

    f = fact(fact_id)
    return format_quantity(f.value, f.unit, f.qualifier, lang=lang, decimals=decimals)


def format_yuan(value: float, lang: str = "en", decimals: int | None = None) -> str:
    """An amount in yuan: ``format_yuan(2_400_000)`` → ``'2,400,000 yuan'``."""
    return format_quantity(value, "yuan", lang=lang, decimals=decimals)


# --- prose with computed numbers ------------------------------------------------
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_]+))?\}")
_FACT_SPECS = ("number", "quote", "paragraph", "unit", "qualifier")


def _fill_value(value, spec: str | None, lang: str) -> str:
    if isinstance(value, str):
        return value
    if not isinstance(value, numbers.Real):
        return str(value)
    if spec is None or spec == "number":
        return format_number(value)
    return format_quantity(value, spec, lang=lang)


def _fill_fact(fact_id: str, spec: str | None, lang: str) -> str:
    from analysis.data import fact

    f = fact(fact_id)
    if spec is None:
        return format_quantity(f.value, f.unit, f.qualifier, lang=lang)
    if spec == "number":
        return str(f.value) if f.unit in TEXT_UNITS else format_number(f.value)
    if spec == "quote":
        return f.source_quote
    if spec == "paragraph":
        return str(f.source_paragraph)
    if spec == "unit":
        return format_unit(f.unit, lang, f.value)
    if spec == "qualifier":
        return explain_qualifier(f.qualifier, lang)
    raise ParameterError(f"placeholder {{{fact_id}:{spec}}}: a fact takes one of {', '.join(_FACT_SPECS)}")


def fill(template: str | dict, lang: str = "en", **values) -> str:
    """Fill ``{name}`` placeholders of *template* with computed numbers, formatted.

    *template* is one text, or ``{"en": ..., "zh": ...}``: the sentence in each language the
    report is written in, of which *lang*'s is filled (ParameterError when it has none).

    A placeholder names a keyword argument or, failing that, a fact id of
    data/facts.csv. ``{name}`` formats a given number plainly and a fact with its
    qualifier and unit; ``{name:UNIT}`` formats a given number with a unit
    (``{pool:yuan}``, ``{share:share}``); a fact takes ``:number``, ``:quote``,
    ``:paragraph``, ``:unit`` or ``:qualifier``. ``{{`` and ``}}`` are literal braces.

    >>> fill("{n} of {total:households}", n=113, total=243)
    '113 of 243 households'

    Raises ParameterError naming a placeholder that is neither given nor a fact.
    """
    _check_lang(lang)
    from analysis.errors import AnalysisError

    if isinstance(template, dict):
        if lang not in template:
            first = " ".join(str(next(iter(template.values()), "")).split())[:60]
            raise ParameterError(f"lang={lang!r}: the sentence has no {lang} text ({first}...)")
        template = template[lang]

    def replace(match: re.Match) -> str:
        name, spec = match.group(1), match.group(2)
        if name in values:
            return _fill_value(values[name], spec, lang)
        try:
            return _fill_fact(name, spec, lang)
        except ParameterError:
            raise
        except AnalysisError:
            raise ParameterError(f"placeholder {{{name}}}: neither a given value nor a fact id") from None

    parts = template.replace("{{", "\0").replace("}}", "\1")
    return _PLACEHOLDER.sub(replace, parts).replace("\0", "{").replace("\1", "}")


def markdown(template: str | dict, lang: str = "en", **values):
    """:func:`fill` wrapped as an IPython Markdown object: notebooks show it as prose."""
    from IPython.display import Markdown

    return Markdown(fill(template, lang, **values))


# --- the data page ------------------------------------------------------------------
def _cell(text) -> str:
    """Text from data, safe inside Markdown (a pipe-table cell included): :func:`escape_markdown`."""
    return escape_markdown(text)


# The words of the data page (data_dictionary_markdown): the schemas' own words are their
# descriptions (description, description_zh); constraint names and types are Table Schema's.
_DICTIONARY_WORDS = {
    "en": {
        "download": "Download", "schema": "schema", "primary_key": "primary key", "colon": ": ",
        "headers": ("field", "type", "required", "constraints", "description"), "yes": "yes", "no": "no",
        "open": " (", "close": ")", "join": "; ", "enum_join": ", ",
        "constraints": {}, "types": {},
    },
    "zh": {
        "download": "下载", "schema": "表结构", "primary_key": "主键", "colon": "：",
        "headers": ("字段", "类型", "必填", "约束", "说明"), "yes": "是", "no": "否",
        "open": "（", "close": "）", "join": "；", "enum_join": "、",
        "constraints": {"enum": "取值", "pattern": "格式", "unique": "唯一", "minimum": "最小值",
                        "maximum": "最大值", "maxLength": "最大长度", "minLength": "最小长度"},
        "types": {"string": "文本", "integer": "整数", "number": "数值", "date": "日期", "year": "年份",
                  "boolean": "布尔值"},
    },
}


def _constraints(field: dict, lang: str = "en") -> str:
    words = _DICTIONARY_WORDS[lang]
    rules = []
    for key, rule in sorted(field.get("constraints", {}).items()):
        if key == "required":
            continue
        name = words["constraints"].get(key, key)
        if key == "enum":
            rule = words["enum_join"].join(str(item) for item in rule)
        rules.append(f"{name}{words['colon']}{rule}" if rule is not True else name)
    return words["join"].join(rules)


def data_dictionary(data_dir=None) -> "pd.DataFrame":
    """Every field of every resource of datapackage.json, from the Table Schemas.

    Columns: resource, file, field, type, required (bool), constraints (text), description,
    description_zh (the schema's ``description_zh``: the Chinese edition's words).
    """
    import pandas as pd

    from analysis import data

    rows = []
    for resource in data.read_resources(data_dir):
        schema = data.read_schema(resource["name"], data_dir)
        for field in schema["fields"]:
            rows.append({
                "resource": resource["name"],
                "file": resource["path"],
                "field": field["name"],
                "type": field.get("type", "string"),
                "required": bool(field.get("constraints", {}).get("required", False)),
                "constraints": _constraints(field),
                "description": field.get("description", ""),
                "description_zh": field.get("description_zh", ""),
            })
    return pd.DataFrame(rows)


def data_dictionary_markdown(prefix: str = "../", lang: str = "en", data_dir=None) -> str:
    """The data page: per resource a heading, its description, download links and a field table.

    *prefix* leads from the page to the site root (``"../"`` from notebooks/, ``""`` from
    the front page); files are linked as ``<prefix>data/<file>``. In Chinese the descriptions are
    the schemas' ``description_zh`` (a schema's and each field's), the headers, types and
    constraint names Chinese; field names, files and enum values stay the data's.
    """
    import pandas as pd

    from analysis import data

    _check_lang(lang)
    words = _DICTIONARY_WORDS[lang]
    described = "description" if lang == "en" else "description_zh"
    lines = []
    for resource in data.read_resources(data_dir):
        name, file = resource["name"], resource["path"]
        schema = data.read_schema(name, data_dir)
        rows = len(data.load_table(name, data_dir))
        key = ", ".join(schema.get("primaryKey", [])) if isinstance(schema.get("primaryKey"), list) else schema.get("primaryKey", "")
        lines += [
            f"### {name}",
            "",
            _cell(schema.get(described, "")),
            "",
            f"{words['download']}{words['colon']}[{file}]({prefix}data/{file})"
            f"{words['open']}{format_quantity(rows, 'rows', lang=lang)}{words['close']} · "
            f"{words['schema']} [{resource['schema']}]({prefix}data/{resource['schema']})"
            + (f" · {words['primary_key']}{words['colon']}`{key}`" if key else ""),
            "",
        ]
        fields = schema["fields"]
        headers = words["headers"]
        table = pd.DataFrame({
            headers[0]: [f["name"] for f in fields],
            headers[1]: [words["types"].get(f.get("type", "string"), f.get("type", "string")) for f in fields],
            headers[2]: [words["yes"] if f.get("constraints", {}).get("required", False) else words["no"]
                         for f in fields],
            headers[3]: [_constraints(f, lang) for f in fields],
            headers[4]: [f.get(described, "") for f in fields],
        })
        lines += [Table(table)._repr_markdown_(), ""]
    return "\n".join(lines)


# --- citation -------------------------------------------------------------
def _iso_date(value) -> str:
    import pandas as pd

    return pd.Timestamp(value).date().isoformat()


# The words of the citation block. The report's Chinese title and authors are the Chinese
# edition's (CITATION.cff holds the English ones; the Citation File Format has one title).
_CITATION_WORDS = {
    "en": {
        "source_intro": "**The primary source** (cite it for every fact):",
        "report_intro": "**This report** (cite it for the model, the assumptions and the figures):",
    },
    "zh": {
        "source_intro": "**原始资料**（引用任何事实时请引用；网址为标题、日期相同的转载页面）：",
        "report_intro": "**本报告**（引用模型、假设和图表时请引用）：",
        "report_title": "大苏河乡案例研究：辽宁省清原县党建引领脱贫攻坚的可复现报告",
        "report_authors": "大苏河乡案例研究报告作者",
        "version": "{version}版",
        "licence": "许可协议：{licence}",
    },
}


def citation_markdown(lang: str = "en", data_dir=None) -> str:
    """How to cite: the primary source (data/source.csv) and this report (CITATION.cff).

    In Chinese both entries follow GB/T 7714-2015: the article as an online electronic resource,
    ``主要责任者. 题名[EB/OL]. (发表日期)[引用日期]. 获取和访问路径.``, the report as a report
    ``[R]`` with its version and year.
    """
    import yaml

    from analysis import data, paths

    _check_lang(lang)
    words = _CITATION_WORDS[lang]
    source = data.load_table("source", data_dir).iloc[0]
    report_meta = yaml.safe_load(paths.CITATION_FILE.read_text(encoding="utf-8"))
    published, accessed = (_iso_date(source[column]) for column in ("date_published", "date_accessed"))
    released = str(report_meta["date-released"])
    if lang == "zh":
        article = (f"> {source['publisher_zh']}. {source['title_zh']}[EB/OL]. ({published})[{accessed}]. "
                   f"{source['repost_url']}.")
        report = (f"> {words['report_authors']}. {words['report_title']}[R]. "
                  f"{words['version'].format(version=report_meta['version'])}. {released[:4]}. "
                  f"{words['licence'].format(licence=report_meta['license'])}.")
    else:
        authors = "; ".join(author["name"] for author in report_meta["authors"])
        article = (f"> {source['publisher_zh']}, {source['publisher_en']}. {source['title_zh']}. "
                   f"{published}. Repost: {source['repost_url']} (accessed {accessed}).")
        report = (f"> {authors}. {report_meta['title']}. Version {report_meta['version']}, {released}. "
                  f"Licence {report_meta['license']}.")
    return "\n".join([words["source_intro"], "", article, "", words["report_intro"], "", report])


# --- small tables of facts -----------------------------------------------------------------
KEY_FACT_IDS = (
    "villages_total",
    "poor_households_registered",
    "poor_persons_registered",
    "tianfu_contract_years",
    "tianfu_investment_yuan",
    "tianfu_segments_produced",
    "tianfu_segments_for_poor",
    "profit_share_villages",
    "households_out_of_poverty_2017",
    "persons_income_increased_2017",
)
"""The front page's key numbers (fact ids of data/facts.csv)."""

_FACT_TABLE_COLUMNS = {
    "en": ("What the article states", "Value", "Article's words", "Paragraph"),
    "zh": ("原文所述", "数值", "原文", "段落"),
}


def fact_table(fact_ids=KEY_FACT_IDS, lang: str = "en"):
    """Facts with our gloss (facts.note_en / note_zh), their value (qualifier and unit), verbatim
    quote and paragraph, as a table.

    Returns a :class:`Table` (a Markdown table in notebooks and on the site).
    """
    import pandas as pd

    from analysis import data

    _check_lang(lang)
    what, value, words, paragraph = _FACT_TABLE_COLUMNS[lang]
    notes = _fact_notes(lang)
    rows = []
    for fact_id in fact_ids:
        f = data.fact(fact_id)
        rows.append({
            what: notes[fact_id],
            value: format_quantity(f.value, f.unit, f.qualifier, lang=lang),
            words: f.source_quote,
            paragraph: f.source_paragraph,
        })
    return _styled(pd.DataFrame(rows, columns=[what, value, words, paragraph]))


# --- display tables for the notebooks --------------------------------------------------------
MONTHS_PER_YEAR = 12  # calendar conversion: a monthly amount times twelve is a yearly amount

_WORDS = {
    "en": {
        "qualifier": "Qualifier", "meaning": "Meaning", "facts": "Facts", "example": "Example",
        "name": "Name", "kind": "Kind", "part_of": "Part of", "basis": "Link stated or implied",
        "village": "Village", "industry": "Industry", "sector": "Sector", "area": "Area",
        "term": "Term", "value": "Value", "words": "Article's words", "paragraph": "Paragraph",
        "parameter": "Parameter", "this_run": "Value", "range": "Range or qualifier", "source": "Source",
        "fact": "fact", "assumption": "assumption", "computed": "computed", "not_stated": "not stated",
        "outside_mark": " (this run: outside the range)", "variance_share": "Share of the variance explained alone",
        "to_poor": "To poor households", "receiving_households": "Households receiving it",
        "per_receiving_household": "Per household receiving it", "per_receiving_person": "Per person receiving it",
        "shortfall": "Shortfall below the line, per person", "liftable": "Households the pool alone could lift",
        "exits_explained": "Share of the exits it could explain at most",
        "threshold_share": "Share of the poverty line", "threshold_yuan": "Dividend per person",
        "threshold_yuan_recipient": "Dividend per recipient person",
        "probability": "Probability of reaching it",
        "channel": "Channel", "total": "Total", "poor_part": "Poor households' part",
        "per_household": "Per registered household", "per_person": "Per registered person", "note": "Note",
        "role": "Role", "story": "What the article tells", "numbers": "Numbers stated",
        "assumption_column": "Assumption", "low_high": "Low–high", "base": "Base", "distribution": "Distribution",
        "confidence": "Confidence", "verified": "Verified", "yes": "yes", "no": "no",
        "colon": ": ", "list": "; ", "village_branch": "{village} village Party branch",
        # category values of the data (enums of data/schemas): English shows the value itself
        "kinds": {"party_committee": "party committee", "government": "government", "leading_group": "leading group",
                  "working_group": "working group", "party_branch": "party branch", "party_group": "party group",
                  "village_party_branch": "village party branch", "villager_group": "villager group",
                  "cooperative": "cooperative", "enterprise": "enterprise", "enterprise_unit": "enterprise unit"},
        "bases": {"stated": "stated", "implied": "implied"},
        "sectors": {"fungus": "fungus", "herbs": "herbs", "tourism": "tourism"},
        "distributions": {"triangular": "triangular", "uniform": "uniform", "fixed": "fixed"},
        "confidences": {"high": "high", "medium_high": "medium_high", "medium": "medium", "medium_low": "medium_low",
                        "low": "low", "judgement": "judgement"},
    },
    "zh": {
        "qualifier": "限定", "meaning": "含义", "facts": "事实数", "example": "示例",
        "name": "名称", "kind": "类型", "part_of": "上级", "basis": "原文明示或隐含",
        "village": "村", "industry": "产业", "sector": "行业", "area": "面积",
        "term": "条款", "value": "数值", "words": "原文", "paragraph": "段落",
        "parameter": "参数", "this_run": "取值", "range": "范围或限定", "source": "来源",
        "fact": "事实", "assumption": "假设", "computed": "计算值", "not_stated": "未说明",
        "outside_mark": "（本次取值超出范围）", "variance_share": "单独解释的方差比例",
        "to_poor": "贫困户所得", "receiving_households": "受益户数",
        "per_receiving_household": "每个受益户", "per_receiving_person": "每名受益人",
        "shortfall": "人均距贫困线差额", "liftable": "仅凭补助可脱贫户数",
        "exits_explained": "至多可解释的脱贫比例",
        "threshold_share": "占贫困线比例", "threshold_yuan": "人均分红",
        "threshold_yuan_recipient": "受补助户人均分红",
        "probability": "达到的概率",
        "channel": "渠道", "total": "总额", "poor_part": "贫困户所得",
        "per_household": "户均", "per_person": "人均", "note": "说明",
        "role": "角色", "story": "原文所述", "numbers": "所述数字",
        "assumption_column": "假设", "low_high": "低值–高值", "base": "基准值", "distribution": "分布",
        "confidence": "可信度", "verified": "已核实", "yes": "是", "no": "否",
        "colon": "：", "list": "；", "village_branch": "{village}党支部",
        "kinds": {"party_committee": "党委", "government": "政府", "leading_group": "领导小组",
                  "working_group": "工作组", "party_branch": "党支部", "party_group": "党小组",
                  "village_party_branch": "村党支部", "villager_group": "村民小组",
                  "cooperative": "合作社", "enterprise": "企业", "enterprise_unit": "企业下属单位"},
        "bases": {"stated": "明示", "implied": "隐含"},
        "sectors": {"fungus": "木耳", "herbs": "中药材", "tourism": "旅游"},
        "distributions": {"triangular": "三角分布", "uniform": "均匀分布", "fixed": "固定值"},
        "confidences": {"high": "高", "medium_high": "中高", "medium": "中", "medium_low": "中低", "low": "低",
                        "judgement": "判断（无公开来源）"},
    },
}


def _words(lang: str) -> dict:
    _check_lang(lang)
    return _WORDS[lang]


def _category(words: dict, group: str, value) -> str:
    """A category value of the data (an enum of data/schemas) in the page's words: *group* is a
    key of :data:`_WORDS` ('kinds', 'sectors', ...); a value it does not list reads as itself."""
    if not isinstance(value, str) or not value:
        return ""
    return words[group].get(value, value)


def category_word(group: str, value, lang: str = "en") -> str:
    """A category value of the data in *lang*: *group* is 'kinds', 'bases', 'sectors',
    'distributions' or 'confidences' (``category_word('distributions', 'triangular', 'zh')`` →
    ``'三角分布'``)."""
    return _category(_words(lang), group, value)


def _fact_notes(lang: str) -> dict[str, str]:
    """{fact_id: our gloss of the fact} in *lang* (facts.note_en, facts.note_zh)."""
    from analysis import data

    facts = data.load_facts()
    return dict(zip(facts["fact_id"], facts[f"note_{lang}"]))


MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|$^~@])")


def escape_markdown(text) -> str:
    """*text* (from data: names, quotes, patterns, notes) safe inside Pandoc Markdown: every
    character Pandoc could read as markup (emphasis, links, math ``$``, footnotes ``^[``, citations
    ``@``, raw HTML ``<``, table pipes) is backslash-escaped, and line breaks become spaces.

    >>> print(escape_markdown("^[a-z][a-z0-9_]*$"))
    \\^\\[a-z\\]\\[a-z0-9\\_\\]\\*\\$
    """
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


_QUANTITY_CELL = re.compile(r"^[≥≤≈<>~+\-−]?\s?[\d,.]+(\s?%|\s\S.*)?$|^[\d,.]+%?$|^最高[\d,.]+|^近[\d,.]+|^不少于[\d,.]+"
                            r"|^[\d,.−]+(?:–[\d,.]+)?[%\u4e00-\u9fff/]*$")  # Chinese: 243户, 40–70元/千克, 12.48万元
MAX_WIDTH_WEIGHT = 40  # characters: a column's share of the width grows with its text up to this
TEXT_WIDTH_CHARS = 80  # characters of table text in a line of an A4 page (Typst: 0.9 of 11 pt, 160 mm)
CELL_PADDING_CHARS = 2  # a cell's inset on both sides, in characters
SHORT_TERM_CHARS = 8  # a Chinese cell this wide or narrower (four characters: 三角分布) is one word
HEADER_TERM_CHARS = 12  # a header this wide or narrower (可信度, 低值–高值) is one word
# Where a cell's text may break: spaces, between Chinese characters, and after an underscore (the
# PDFs break identifiers there: typst-header.typ; the site lets code in a cell wrap: site.css).
_BREAKS = re.compile(r"[\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+|(?<=_)")


class Table:
    """A display table: a pandas DataFrame shown as a Pandoc pipe table (``text/markdown``).

    Markdown, not HTML: Quarto reads it as a table of the document, for the page and for its
    Typst PDF alike (an HTML output would make Quarto load require.js and jQuery from a CDN:
    quarto-cli src/core/jupyter/widgets.ts, extractJupyterWidgetDependencies). Every cell is
    escaped (:func:`escape_markdown`); columns of numbers or quantities are right-aligned, the
    others left-aligned; the separator's dashes give each column a width share by the length of
    its longest cell (Pandoc uses them when a row is wider than the page). The plain-text form
    is the table as text. Columns named in *markdown* hold Markdown already (citations ``[@key]``,
    code): they are not escaped, and their widths are measured without the backticks.
    """

    def __init__(self, frame, markdown=()):
        self.data = frame.reset_index(drop=True)
        self.markdown = frozenset(markdown)

    def alignments(self) -> list[str]:
        """``"right"`` or ``"left"`` for each column."""
        import numbers as _numbers

        out = []
        for column in self.data.columns:
            cells = [v for v in self.data[column].tolist() if str(v).strip() not in {"", "—", "nan"}]
            numeric = bool(cells) and all(isinstance(v, _numbers.Number) or _QUANTITY_CELL.match(str(v).strip())
                                          for v in cells)
            out.append("right" if numeric else "left")
        return out

    @staticmethod
    def _widths(columns: list[list[str]]) -> list[int]:
        """Each column's width share (in characters, about TEXT_WIDTH_CHARS in all): at least its
        longest word, so that every word fits its cell, and the room left shared by how much
        longer each column's longest cell (up to MAX_WIDTH_WEIGHT) is. Wide (CJK) characters count
        twice. A word ends at a space, an underscore or a Chinese character (_BREAKS), except that
        a short header (HEADER_TERM_CHARS), a short Chinese cell (SHORT_TERM_CHARS) and a Chinese
        quantity (``200万段``) stay whole. The first cell of each column is its header."""
        def width(text: str) -> int:
            return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

        def words_of(cell: str, header: bool) -> list[str]:
            whole = width(cell) <= (HEADER_TERM_CHARS if header else SHORT_TERM_CHARS) or (
                width(cell) <= HEADER_TERM_CHARS and _QUANTITY_CELL.match(cell))
            return [cell] if whole and " " not in cell else _BREAKS.split(cell)

        need, want = [], []
        for cells in columns:
            words = [w for i, cell in enumerate(cells) for w in words_of(cell, i == 0)]
            need.append(max([width(w) for w in words] + [2]) + CELL_PADDING_CHARS)
            want.append(max(need[-1], min(max(width(cell) for cell in cells), MAX_WIDTH_WEIGHT)))
        if sum(want) <= TEXT_WIDTH_CHARS:
            return want
        room, spread = max(TEXT_WIDTH_CHARS - sum(need), 0), sum(w - n for w, n in zip(want, need)) or 1
        return [n + round(room * (w - n) / spread) for n, w in zip(need, want)]

    def _repr_markdown_(self) -> str:
        header = [escape_markdown(c) for c in self.data.columns]
        columns = list(self.data.columns)
        shown = self.data.astype(str)
        rows = [[v if column in self.markdown else escape_markdown(v) for column, v in zip(columns, row)]
                for row in shown.itertuples(index=False)]
        raw = [[str(c) for c in columns]] + [[v.replace("`", "") if column in self.markdown else v
                                             for column, v in zip(columns, row)]
                                            for row in shown.itertuples(index=False)]
        widths = self._widths([[" ".join(r[i].split()) for r in raw] for i in range(len(header))])
        rule = [("-" * max(w, 3) + ":") if a == "right" else (":" + "-" * max(w, 3))
                for w, a in zip(widths, self.alignments())]
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return self.data.to_string(index=False)


def _styled(frame) -> Table:
    """*frame* as a display :class:`Table`."""
    return Table(frame)


def _display(rows: list[dict]):
    """A list of row dicts as a display :class:`Table`."""
    import pandas as pd

    return _styled(pd.DataFrame(rows))


def quote_max_chars(data_dir=None) -> int:
    """The longest quote a fact may keep (the schema's maxLength of facts.source_quote)."""
    from analysis import data

    field = next(f for f in data.read_schema("facts", data_dir)["fields"] if f["name"] == "source_quote")
    return int(field["constraints"]["maxLength"])


def qualifier_table(facts, lang: str = "en"):
    """One row per qualifier: its meaning, how many facts carry it and an example fact."""
    w = _words(lang)
    rows = []
    for qualifier in QUALIFIERS:
        chosen = facts[facts["qualifier"] == qualifier]
        numeric = chosen[chosen["value_number"].notna()]
        example = numeric.iloc[0] if len(numeric) else None
        rows.append({
            w["qualifier"]: _QUALIFIER_SHORT[lang][qualifier],
            w["meaning"]: explain_qualifier(qualifier, lang),
            w["facts"]: len(chosen),
            w["example"]: "" if example is None else
            f"{format_quantity(example['value_number'], example['unit'], qualifier, lang)} — {example['source_quote']}",
        })
    return _display(rows)


def _organisation_name(org, lang: str, villages: dict[str, str]) -> str:
    """An organisation as the table names it: in English its English name (and the article's
    Chinese one); in Chinese the article's name, or for a village Party branch the article does not
    name, "<village>党支部" (*villages*: village_id -> Chinese name)."""
    chinese = org.name_zh if isinstance(org.name_zh, str) and org.name_zh else ""
    if lang == "en":
        return f"{org.name_en} {chinese}" if chinese else org.name_en
    village = getattr(org, "village_id", None)
    if not chinese and org.kind == "village_party_branch" and village in villages:
        return _WORDS[lang]["village_branch"].format(village=villages[village])
    return chinese or org.name_en


def organisation_table(organisations, lang: str = "en", villages=None):
    """Organisations with kind and parent (as the article states or implies it).

    *villages* (villages.csv, default the package's) names a village Party branch the article
    does not name in the Chinese edition ("大堡村党支部", as it names 长沙村党支部).
    """
    from analysis import data

    w = _words(lang)
    if villages is None and lang == "zh":
        villages = data.load_table("villages")
    chinese_villages = {} if villages is None else dict(zip(villages["village_id"], villages["name_zh"]))
    short = {org.org_id: _organisation_name(org, lang, chinese_villages) for org in organisations.itertuples()}
    if lang == "en":  # a parent by its English name alone
        short = dict(zip(organisations["org_id"], organisations["name_en"]))
    rows = []
    for org in organisations.itertuples():
        parent = org.parent_org_id if isinstance(org.parent_org_id, str) and org.parent_org_id else ""
        rows.append({
            w["name"]: _organisation_name(org, lang, chinese_villages),
            w["kind"]: _category(w, "kinds", org.kind),
            w["part_of"]: short.get(parent, "") if parent else "",
            w["basis"]: _category(w, "bases", org.parent_basis),
        })
    return _display(rows)


def _fact_or_blank(fact_id, lang: str, blank: str) -> str:
    if not isinstance(fact_id, str) or not fact_id:
        return blank
    return format_fact(fact_id, lang)


def village_industry_table(villages, industries, lang: str = "en"):
    """Named villages and their industries, with the area where the article gives one."""
    w = _words(lang)
    names = {row.village_id: (f"{row.name_en} {row.name_zh}" if lang == "en" else row.name_zh)
             for row in villages.itertuples()}
    rows = [{
        w["village"]: names[row.village_id],
        w["industry"]: f"{row.industry_en} {row.industry_zh}" if lang == "en" else row.industry_zh,
        w["sector"]: _category(w, "sectors", row.sector),
        w["area"]: _fact_or_blank(row.area_mu_fact_id, lang, w["not_stated"]),
    } for row in industries.itertuples()]
    return _display(rows)


def contract_terms_table(terms, lang: str = "en"):
    """The contract's terms (contract_terms.term_en / term_zh): value (qualified, with unit), the
    article's words and paragraph."""
    from analysis import data

    w = _words(lang)
    rows = []
    for row in terms.itertuples():
        f = data.fact(row.fact_id)
        rows.append({
            w["term"]: getattr(row, f"term_{lang}"),
            w["value"]: format_quantity(f.value, f.unit, f.qualifier, lang=lang),
            w["words"]: f.source_quote,
            w["paragraph"]: f.source_paragraph,
        })
    return _display(rows)


def parameter_run_table(p, lang: str = "en", names=None):
    """Model parameters (all, or those in *names*): this run's value, range or qualifier, kind, source.

    A value outside its assumption's low-high (or a fact set to another value than the article's)
    is marked in the range column (``parameters.outside_range``); a computed parameter shows its
    rule as its source.
    """
    from analysis.parameters import COMPUTED_RULES_ZH, parameter_table

    w = _words(lang)
    rows = []
    for row in parameter_table(p).itertuples():
        if names is not None and row.name not in names:
            continue
        if row.kind == "fact":
            span = _QUALIFIER_SHORT[lang][row.qualifier]
        elif row.kind == "computed":
            span = "—"
        else:
            span = format_range(row.low, row.high, row.unit, lang)
        if row.outside_range:
            span += w["outside_mark"]
        rows.append({
            w["parameter"]: getattr(row, f"label_{lang}"),
            w["this_run"]: format_quantity(row.value, row.unit, lang=lang),
            w["range"]: span,
            w["kind"]: w[row.kind],
            w["source"]: COMPUTED_RULES_ZH[row.name] if lang == "zh" and row.kind == "computed"
            else str(row.source).removeprefix("computed: "),
        })
    return _display(rows)


def join_labels(names, lang: str = "en") -> str:
    """Parameters by their labels as a list in prose: 'dry yield per segment, farm-gate price ... and
    production cost per segment' / '每段干耳产量、干木耳收购价和每段生产成本'."""
    from analysis.parameters import parameter_table

    _check_lang(lang)
    table = parameter_table().set_index("name")
    labels = [str(table.at[name, f"label_{lang}"]) for name in names]
    if lang == "en":
        labels = [label[0].lower() + label[1:] for label in labels]
        return (", ".join(labels[:-1]) + " and " + labels[-1]) if len(labels) > 1 else "".join(labels)
    return ("、".join(labels[:-1]) + "和" + labels[-1]) if len(labels) > 1 else "".join(labels)


_RECIPIENTS = {
    "en": {"rule": "the {n} not yet out of poverty", "other": "the {n} receiving it"},
    "zh": {"rule": "尚未脱贫的{n}", "other": "受补助的{n}"},
}


def recipients_phrase(p, lang: str = "en") -> str:
    """Who receives the subsidy, in words that stay true for any parameters: "the 130 households not
    yet out of poverty" when the recipients are the article's (the computed default), else "the 200
    households receiving it"."""
    from analysis.parameters import computed_value

    _check_lang(lang)
    rule = p.recipient_households == computed_value("recipient_households", p.as_dict())
    return _RECIPIENTS[lang]["rule" if rule else "other"].format(
        n=format_quantity(p.recipient_households, "households", lang=lang))


def first_order_table(first_order, lang: str = "en", output: str = "per_recipient_person_yuan"):
    """The Monte Carlo's first-order variance shares of *output*: the share of its variance each
    uncertain input explains alone, largest first."""
    w = _words(lang)
    part = first_order[first_order["output"] == output].sort_values("first_order_index", ascending=False,
                                                                     kind="stable")
    rows = [{w["parameter"]: getattr(row, f"label_{lang}"), w["variance_share"]: format_share(row.first_order_index, 1)}
            for row in part.itertuples()]
    return _display(rows)


def recipient_channels_table(channels, lang: str = "en"):
    """Income channels per household and person who receive them (model.income_channel_recipients)."""
    import math as _math

    w = _words(lang)

    def amount(value) -> str:
        return "—" if value is None or _math.isnan(value) else format_quantity(value, "yuan", lang=lang)

    def count(value, unit) -> str:
        return "—" if value is None or _math.isnan(value) else format_quantity(value, unit, lang=lang, decimals=0)

    rows = [{
        w["channel"]: getattr(row, f"label_{lang}"),
        w["to_poor"]: amount(row.amount_yuan),
        w["receiving_households"]: count(row.receiving_households, "households"),
        w["per_receiving_household"]: amount(row.per_receiving_household_yuan),
        w["per_receiving_person"]: amount(row.per_receiving_person_yuan),
    } for row in channels.itertuples()]
    return _display(rows)


def poverty_gap_table(gap, lang: str = "en"):
    """How many households the households' pool alone could lift over the line, by the assumed
    shortfall per person (scenarios.poverty_gap_lift), and the share of the exits it explains at most."""
    w = _words(lang)
    rows = [{
        w["shortfall"]: format_quantity(row.shortfall_yuan_per_person, "yuan_per_person", lang=lang),
        w["liftable"]: format_quantity(row.households_liftable, "households", lang=lang, decimals=0),
        w["exits_explained"]: format_share(row.share_of_exits_explained_max, 0),
    } for row in gap.itertuples()]
    return _display(rows)


def threshold_table(thresholds, lang: str = "en", p=None):
    """Monte Carlo threshold probabilities: share of the poverty line, amount, probability.

    The Monte Carlo tests the dividend per registered person; with the run's parameters *p* the
    thresholds are shown per recipient person (share x persons / recipient persons, the same draws:
    the recipients are never drawn), as ``figures.recipient_thresholds`` sets them.
    """
    w = _words(lang)
    scale = 1.0 if p is None else p.persons / p.recipient_persons
    rows = [{
        w["threshold_share"]: format_share(row.threshold_share * scale),
        w["threshold_yuan" if p is None else "threshold_yuan_recipient"]:
            format_quantity(row.threshold_yuan * scale, "yuan", lang=lang),
        w["probability"]: format_share(row.probability, 1),
    } for row in thresholds.itertuples()]
    return _display(rows)


def income_channel_table(channels, lang: str = "en"):
    """Income channels: totals, poor households' part, per registered household and person, and the
    note (model.income_channels: note, note_zh)."""
    import math as _math

    w = _words(lang)

    def amount(value) -> str:
        return "—" if value is None or _math.isnan(value) else format_quantity(value, "yuan", lang=lang)

    rows = [{
        w["channel"]: getattr(row, f"label_{lang}"),
        w["total"]: amount(row.total_yuan),
        w["poor_part"]: amount(row.poor_households_yuan),
        w["per_household"]: amount(row.per_household_yuan),
        w["per_person"]: amount(row.per_person_yuan),
        w["note"]: row.note if lang == "en" else row.note_zh,
    } for row in channels.itertuples()]
    return _display(rows)


def cases_table(cases, lang: str = "en", case_facts=None):
    """Individual cases by role; personal names appear only inside the verbatim quotes.

    The role is cases.role_en (English) or the article's own word for it, role_zh; the story
    story_en or story_zh. With *case_facts* (case_id, fact_id), a column lists each case's numeric
    facts as "our gloss: value" (facts.note_en / note_zh).
    """
    from analysis import data

    w = _words(lang)
    notes = _fact_notes(lang) if case_facts is not None else {}
    numbers: dict[str, list[str]] = {}
    for link in ([] if case_facts is None else case_facts.itertuples()):
        f = data.fact(link.fact_id)
        if f.unit not in TEXT_UNITS:
            value = format_quantity(f.value, f.unit, f.qualifier, lang=lang)
            numbers.setdefault(link.case_id, []).append(f"{notes[link.fact_id]}{w['colon']}{value}")
    rows = []
    for row in cases.itertuples():
        entry = {
            w["role"]: getattr(row, f"role_{lang}"),
            w["words"]: row.source_quote,
            w["paragraph"]: row.source_paragraph,
            w["story"]: getattr(row, f"story_{lang}"),
        }
        if case_facts is not None:
            entry[w["numbers"]] = w["list"].join(numbers.get(row.case_id, []))
        rows.append(entry)
    return _display(rows)


def assumption_range(assumptions, name: str, lang: str = "en") -> str:
    """An assumption's range and base as prose: ``'50–70 yuan per kg (base 60 yuan per kg)'``."""
    row = assumptions.set_index("name").loc[name] if "name" in assumptions.columns else assumptions.loc[name]
    span = format_range(row["low"], row["high"], row["unit"], lang)
    base = format_quantity(row["base"], row["unit"], lang=lang)
    return f"{span}（基准{base}）" if lang == "zh" else f"{span} (base {base})"


def assumptions_markdown(assumptions, sources, lang: str = "en") -> str:
    """The assumptions as a Markdown table citing each source with ``[@source_id]``.

    Columns: assumption (label_en / label_zh and its name), low–high (with unit), base,
    distribution, source (assumption_sources.title / title_zh), confidence, verified.
    """
    import pandas as pd

    w = _words(lang)
    titles = dict(zip(sources["source_id"], sources["title" if lang == "en" else "title_zh"]))
    frame = assumptions.reset_index() if "name" not in assumptions.columns else assumptions
    headers = [w[key] for key in ("assumption_column", "low_high", "base", "distribution", "source", "confidence",
                                  "verified")]
    open_, close = (" (", ")") if lang == "en" else ("（", "）")
    rows = []
    for row in frame.itertuples():
        base = (format_share(row.base) if row.unit in ("share", "rate_per_year")
                else str(int(row.base)) if row.unit == "year" else format_number(row.base))
        rows.append([f"{_cell(getattr(row, f'label_{lang}'))}{open_}`{row.name}`{close}",
                     format_range(row.low, row.high, row.unit, lang), base,
                     _category(w, "distributions", row.distribution),
                     f"{_cell(titles[row.source_id])} [@{row.source_id}]",
                     _category(w, "confidences", row.confidence), w["yes"] if row.verified else w["no"]])
    table = Table(pd.DataFrame(rows, columns=headers), markdown=(headers[0], headers[4]))
    return table._repr_markdown_().rstrip("\n")


# --- the figure gallery ---------------------------------------------------------------------------
_GALLERY_WORDS = {
    "en": {"lang_names": {"en": "English", "zh": "Chinese"}, "downloads": "Downloads", "data": "data (CSV)", "facts": "Facts used", "assumptions": "Assumptions",
           "none": "none", "colon": ": ", "stop": ".", "list": "; ", "join": ", ", "space": " ",
           "sizes": {"web": "web", "single-column": "single column", "double-column": "double column", "slide": "slide"},
           "no_image": "(not exported in this language yet: run `python -m analysis figures --lang {lang}`)"},
    "zh": {"lang_names": {"en": "英文", "zh": "中文"}, "downloads": "下载", "data": "数据（CSV）", "facts": "所用事实", "assumptions": "所用假设",
           "none": "无", "colon": "：", "stop": "。", "list": "；", "join": "、", "space": "",
           "sizes": {"web": "网页版", "single-column": "单栏", "double-column": "双栏", "slide": "幻灯片"},
           "no_image": "（尚未导出该语言版本：运行 `python -m analysis figures --lang {lang}`）"},
}


def read_manifest(path=None) -> dict:
    """figures/manifest.json (or *path*) as a dict; AnalysisError naming the file when it is missing."""
    import json
    from pathlib import Path

    from analysis import paths
    from analysis.errors import AnalysisError

    target = Path(path) if path is not None else paths.FIGURE_MANIFEST
    if not target.is_file():
        raise AnalysisError(f"{target}: missing, run 'python -m analysis figures' first")
    try:
        return json.loads(target.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AnalysisError(f"{target}: line {exc.lineno}: invalid JSON ({exc.msg}), "
                            "run 'python -m analysis figures' again") from None


def gallery_markdown(manifest: dict, lang: str = "en", prefix: str = "../") -> str:
    """The gallery: per figure its title, image, caption, downloads per language and size, facts and assumptions.

    Links are ``<prefix>figures/<file>`` as listed in the manifest (layout ``<id>/<id>_<lang>_<size>.<ext>``).
    The image shown is the ``web`` SVG in *lang* (vector, with its own font subset, so the page
    stays light), else a PNG; downloads list every language and size that was exported, the
    page's language first, in the page's words (网页版, 单栏 ...).
    """
    _check_lang(lang)
    words = _GALLERY_WORDS[lang]
    colon, stop = words["colon"], words["stop"]
    lines = []
    for entry in manifest["figures"]:
        figure_id = entry["id"]

        def exported(file_lang: str, size: str = "") -> list[str]:
            start = f"{figure_id}_{file_lang}_{size}"
            return sorted(f for f in entry["files"] if f.split("/")[-1].startswith(start)
                          and (not size or f.split("/")[-1][len(start)] == "."))

        mine = exported(lang)
        shown = ([f for f in mine if f.endswith("_web.svg")] or [f for f in mine if f.endswith("_web.png")]
                 or [f for f in mine if f.endswith((".svg", ".png"))])
        lines += [f"## {entry[f'title_{lang}']}", ""]
        if shown:
            # empty alt text in brackets: Pandoc makes no visible caption of it; the alt text is an
            # attribute (Quarto's fig-alt), read by screen readers, shown once in the caption below
            alt = " ".join(entry[f"alt_{lang}"].split()).replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'![]({prefix}figures/{shown[0]}){{fig-alt="{alt}"}}')
        else:
            lines.append(words["no_image"].format(lang=lang))
        lines += ["", entry[f"caption_{lang}"], ""]
        links = []
        for file_lang in (lang, *(other for other in LANGS if other != lang)):  # the page's language first
            for size in manifest.get("sizes", []):
                files = exported(file_lang, size)
                if files:
                    formats = " · ".join(f"[{f.rsplit('.', 1)[1].upper()}]({prefix}figures/{f})" for f in files)
                    size_word = words["sizes"].get(size, size)
                    links.append(f"{words['lang_names'][file_lang]}{words['space']}{size_word}{colon}{formats}")
        links.append(f"[{words['data']}]({prefix}figures/{entry['data_csv']})")
        lines.append(f"{words['downloads']}{colon}" + words["list"].join(links))
        join = words["join"]
        lines += [
            "",
            f"{words['facts']}{colon}" + (join.join(f"`{f}`" for f in entry["facts"]) or words["none"])
            + stop + words["space"]
            + f"{words['assumptions']}{colon}" + (join.join(f"`{a}`" for a in entry["assumptions"]) or words["none"])
            + stop,
            "",
        ]
    return "\n".join(lines)
