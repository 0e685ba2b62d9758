"""Publication tables (great_tables): facts with provenance, assumptions with sources, scenarios.

Each ``*_frame()`` returns the tidy DataFrame a table shows (also written as CSV);
each ``*_table()`` returns a :class:`great_tables.GT` built from it. :func:`write_tables`
validates the whole data package, then writes ``<name>.html`` and ``<name>_zh.html`` (English and
Chinese: ``GT.as_raw_html()`` in a page that declares UTF-8 and its ``lang``, no external requests)
and ``<name>.csv`` (one set: its column names are the data's) for every table into ``tables/``
(or the folder given) as one set: an error or an interrupt leaves the previous set whole;
``python -m analysis tables [--out DIR]`` is its command line.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.io import atomic_directory, check_output_dir, frame_to_csv, write_text
from analysis.report import LANGS, _check_lang, format_number, format_quantity, format_share, format_unit

# The words of the HTML tables in each language: titles, column labels, topics of the facts, and
# verified (the categories of the assumptions read as report.category_word gives them).
TABLE_WORDS = {
    "en": {
        "facts_title": "Facts stated in the article",
        "facts_subtitle": "Each value with its qualifier, paragraph of the article and a short verbatim quote",
        "value": "Value", "qualifier": "Qualifier", "paragraph": "Paragraph", "quote": "Quote (原文)", "note": "Note",
        "source_note": "Source: {publisher}, {date}; paragraphs are the non-empty lines of the article.",
        "topics": {},
        "assumptions_title": "Model assumptions",
        "assumptions_subtitle": "Numbers the article does not give: ranges, sources and how sure we are",
        "range": "Range", "low": "Low", "base": "Base", "high": "High", "label": "Assumption", "unit": "Unit",
        "distribution": "Distribution", "source": "Source", "confidence": "Confidence", "verified": "Verified",
        "yes": "yes", "no": "no",
        "assumptions_note": "Verified = no: our judgement, or a figure the research notes mark unverified.",
        "scenarios_title": "One season of the Tianfu contract under three presets",
        "scenarios_subtitle": "Illustrative: every assumption at its low, base or high value",
        "scenarios_note": ("Model results from the facts of the article and the assumptions table; not reported "
                           "figures. The subsidy goes to the poor households not yet out of poverty (recipients); "
                           "the averages divide it among every registered poor household."),
    },
    "zh": {
        "facts_title": "报道所述事实",
        "facts_subtitle": "每个数值附其限定、所在段落及原文摘引",
        "value": "数值", "qualifier": "限定", "paragraph": "段落", "quote": "原文", "note": "说明",
        "source_note": "来源：{publisher}，{date}；段落指原文的非空行。",
        "topics": {"source": "来源", "governance": "组织领导", "organisation": "党组织与机构", "village": "村与产业",
                   "enterprise": "龙头企业", "contract": "代理经营合同", "poverty": "脱贫成效", "case": "案例"},
        "assumptions_title": "模型假设",
        "assumptions_subtitle": "报道未给出的数字：取值范围、来源与可信程度",
        "range": "取值范围", "low": "低值", "base": "基准值", "high": "高值", "label": "假设", "unit": "单位",
        "distribution": "分布", "source": "来源", "confidence": "可信度", "verified": "已核实",
        "yes": "是", "no": "否",
        "assumptions_note": "已核实为“否”：为本报告的判断，或研究笔记标为未核实的数字。",
        "scenarios_title": "天福菌业代理经营一季：三组预设",
        "scenarios_subtitle": "示意：各项假设分别取低值、基准值、高值",
        "scenarios_note": ("模型结果，依据报道所述事实与假设表计算，并非报道数字。补助发给尚未脱贫的建档立卡贫困户"
                           "（受补助户）；平均值按全部建档立卡贫困户分摊。"),
    },
}
KIND = "tables"  # the command writing the output folder, as its marker records it (analysis.io)


# --- facts ------------------------------------------------------------------------
def _values_as_stated(facts: pd.DataFrame, lang: str = "en") -> pd.Series:
    """Each fact's value with its qualifier and unit in *lang* (text, dates and years as written)."""
    from analysis.data import NON_NUMERIC_UNITS

    as_stated = NON_NUMERIC_UNITS | {"year"}  # printed as written in the data
    return facts.apply(
        lambda row: format_quantity(row["value_number"], row["unit"], row["qualifier"], lang=lang)
        if pd.notna(row["value_number"]) and row["unit"] not in as_stated
        else str(row["value"]), axis=1)


def facts_frame() -> pd.DataFrame:
    """Numeric and text facts with their provenance: value as stated, unit, qualifier, paragraph, quote."""
    from analysis.data import load_facts

    facts = load_facts()
    shown = _values_as_stated(facts)
    return pd.DataFrame({
        "fact_id": facts["fact_id"], "topic": facts["topic"], "value_as_stated": shown,
        "value": facts["value"], "unit": facts["unit"], "qualifier": facts["qualifier"],
        "source_paragraph": facts["source_paragraph"], "source_quote": facts["source_quote"],
        "note_en": facts["note_en"],
    })


def facts_table(lang: str = "en"):
    """GT table of every fact with its quote and paragraph, grouped by topic, in *lang*
    (Chinese: values in Chinese conventions, the topics, qualifiers and notes in Chinese)."""
    from great_tables import GT

    from analysis.data import load_facts
    from analysis.report import qualifier_word

    _check_lang(lang)
    words = TABLE_WORDS[lang]
    facts = load_facts()
    frame = pd.DataFrame({
        "topic": facts["topic"].map(lambda topic: words["topics"].get(topic, topic)), "fact_id": facts["fact_id"],
        "value_as_stated": _values_as_stated(facts, lang),
        "qualifier": facts["qualifier"] if lang == "en" else facts["qualifier"].map(
            lambda qualifier: qualifier_word(qualifier, lang)),
        "source_paragraph": facts["source_paragraph"], "source_quote": facts["source_quote"],
        "note": facts[f"note_{lang}"],
    })
    return (
        GT(frame, rowname_col="fact_id", groupname_col="topic", id="facts")
        .tab_header(title=words["facts_title"], subtitle=words["facts_subtitle"])
        .cols_label(value_as_stated=words["value"], qualifier=words["qualifier"], source_paragraph=words["paragraph"],
                    source_quote=words["quote"], note=words["note"])
        .tab_source_note(_source_note(lang))
    )


# --- assumptions ------------------------------------------------------------------------
def assumptions_frame() -> pd.DataFrame:
    """Every model assumption with its range, unit, distribution, source and verified flag."""
    from analysis.data import load_assumptions, load_table

    table = load_assumptions()  # indexed by name, name kept as a column
    sources = load_table("assumption_sources").set_index("source_id")
    frame = table[["name", "label_en", "label_zh", "unit", "low", "base", "high", "distribution", "source_id",
                   "confidence", "verified", "note"]].copy()
    frame["unit_en"] = frame["unit"].map(format_unit)
    frame["source"] = frame["source_id"].map(lambda sid: _source_text(sources, sid))
    return frame.reset_index(drop=True)


def _source_text(sources: pd.DataFrame, source_id: str, lang: str = "en") -> str:
    """A source as one line: author, title, publisher, date (in Chinese author_zh and title_zh, where
    the data gives them)."""
    if source_id not in sources.index:
        return source_id
    row = sources.loc[source_id]
    def given(key: str) -> bool:
        return key in row.index and pd.notna(row[key]) and bool(str(row[key]))

    author = "author_zh" if lang == "zh" and given("author_zh") else "author"
    title = "title_zh" if lang == "zh" and given("title_zh") else "title"
    parts = [str(row[key]) for key in (author, title, "publisher", "date") if given(key)]
    return ("，" if lang == "zh" else ", ").join(parts)


def assumptions_table(lang: str = "en"):
    """GT table of the assumptions: low/base/high with unit, source, confidence and verified flag, in
    *lang* (English shows both labels, Chinese the Chinese label, unit and categories)."""
    from great_tables import GT

    from analysis.data import load_table
    from analysis.report import category_word

    _check_lang(lang)
    words = TABLE_WORDS[lang]
    frame = assumptions_frame()
    frame["verified"] = frame["verified"].map(lambda v: words["yes"] if bool(v) else words["no"])
    if lang == "zh":
        sources = load_table("assumption_sources").set_index("source_id")
        frame["unit_en"] = frame["unit"].map(lambda unit: format_unit(unit, "zh"))
        frame["source"] = frame["source_id"].map(lambda sid: _source_text(sources, sid, "zh"))
        for column, group in (("distribution", "distributions"), ("confidence", "confidences")):
            frame[column] = frame[column].map(lambda value, group=group: category_word(group, value, "zh"))
    labels = ["label_en", "label_zh"] if lang == "en" else ["label_zh"]
    frame = frame[["name", *labels, "low", "base", "high", "unit_en", "distribution", "source",
                   "confidence", "verified"]]
    return (
        GT(frame, rowname_col="name", id="assumptions")
        .tab_header(title=words["assumptions_title"], subtitle=words["assumptions_subtitle"])
        .tab_spanner(label=words["range"], columns=["low", "base", "high"])
        .fmt_number(columns=["low", "base", "high"], decimals=3, drop_trailing_zeros=True)
        .cols_label(**{"label_en": "Assumption", "label_zh": "假设"} if lang == "en" else {"label_zh": words["label"]},
                    unit_en=words["unit"], distribution=words["distribution"], source=words["source"],
                    confidence=words["confidence"], verified=words["verified"], low=words["low"], base=words["base"],
                    high=words["high"])
        .tab_source_note(words["assumptions_note"])
    )


# --- scenarios ----------------------------------------------------------------------------
SCENARIO_OUTPUTS = ("revenue_yuan", "cost_yuan", "profit_yuan", "enterprise_yuan", "village_pool_yuan",
                    "households_pool_yuan", "welfare_pool_yuan", "per_recipient_household_yuan",
                    "per_recipient_person_yuan", "recipient_share_of_poverty_line", "per_household_yuan",
                    "per_person_yuan", "share_of_poverty_line", "break_even_price_yuan_per_kg")
# The words of the presets table in each language: the label of each output and the headers.
# In Chinese the season's totals read in 万元 (WAN_OUTPUTS), as the article counts money.
SCENARIO_WORDS = {
    "en": {
        "labels": {
            "revenue_yuan": "Revenue (yuan)", "cost_yuan": "Cost (yuan)", "profit_yuan": "Profit (yuan)",
            "enterprise_yuan": "Enterprise's share (yuan)", "village_pool_yuan": "Villages' share (yuan)",
            "households_pool_yuan": "Subsidies to poor households (yuan)", "welfare_pool_yuan": "Public welfare (yuan)",
            "per_recipient_household_yuan": "Per household receiving the subsidy (yuan)",
            "per_recipient_person_yuan": "Per person in a household receiving the subsidy (yuan)",
            "recipient_share_of_poverty_line": "Per recipient person, share of the poverty line",
            "per_household_yuan": "Average over every registered poor household (yuan)",
            "per_person_yuan": "Average over every registered poor person (yuan)",
            "share_of_poverty_line": "Average per registered person, share of the poverty line",
            "break_even_price_yuan_per_kg": "Break-even price (yuan per kg)",
        },
        "headers": ("Output", "Low", "Base", "High"),
    },
    "zh": {
        "labels": {
            "revenue_yuan": "收入（万元）", "cost_yuan": "成本（万元）", "profit_yuan": "利润（万元）",
            "enterprise_yuan": "企业所得（万元）", "village_pool_yuan": "各村所得（万元）",
            "households_pool_yuan": "贫困户补助（万元）", "welfare_pool_yuan": "村集体公益事业（万元）",
            "per_recipient_household_yuan": "受补助户户均（元）", "per_recipient_person_yuan": "受补助户人均（元）",
            "recipient_share_of_poverty_line": "受补助户人均占贫困线比例",
            "per_household_yuan": "全部建档立卡贫困户户均（元）", "per_person_yuan": "全部建档立卡贫困人口人均（元）",
            "share_of_poverty_line": "全部建档立卡贫困人口人均占贫困线比例",
            "break_even_price_yuan_per_kg": "盈亏平衡价格（元/千克）",
        },
        "headers": ("结果", "低值", "基准值", "高值"),
    },
}
SCENARIO_LABELS = SCENARIO_WORDS["en"]["labels"]  # the label_en column of scenarios_frame
WAN_OUTPUTS = {"zh": frozenset({"revenue_yuan", "cost_yuan", "profit_yuan", "enterprise_yuan", "village_pool_yuan",
                                "households_pool_yuan", "welfare_pool_yuan"}), "en": frozenset()}
SHARE_OUTPUTS = frozenset({"share_of_poverty_line", "recipient_share_of_poverty_line"})


def scenarios_frame() -> pd.DataFrame:
    """One season under the low, base and high presets: one row per output, one column per preset."""
    from analysis import scenarios

    presets = scenarios.presets_table().set_index("preset")
    frame = presets[list(SCENARIO_OUTPUTS)].T
    frame.index.name = "output"
    frame = frame.reset_index()
    frame.insert(1, "label_en", frame["output"].map(SCENARIO_LABELS))
    frame.columns.name = None
    return frame


def _scenario_cells(frame: pd.DataFrame, column: str, lang: str) -> list[str]:
    """The preset *column* of :func:`scenarios_frame` as text: shares in percent, and in Chinese
    the season's totals in 万元 (WAN_OUTPUTS)."""
    from analysis.report import format_wan

    return [format_share(v, 1) if out in SHARE_OUTPUTS
            else format_wan(v) if out in WAN_OUTPUTS[lang] else format_number(v)
            for out, v in zip(frame["output"], frame[column])]


def scenarios_table(lang: str = "en"):
    """GT table of the preset results (illustrative: every row depends on assumed price, yield and
    cost), in *lang* (SCENARIO_WORDS for the rows)."""
    from great_tables import GT

    _check_lang(lang)
    words = TABLE_WORDS[lang]
    frame = scenarios_frame()
    shown = pd.DataFrame({"label": frame["output"].map(SCENARIO_WORDS[lang]["labels"])})
    for column in ("low", "base", "high"):
        shown[column] = _scenario_cells(frame, column, lang)
    return (
        GT(shown, rowname_col="label", id="scenarios")
        .tab_header(title=words["scenarios_title"], subtitle=words["scenarios_subtitle"])
        .cols_label(low=words["low"], base=words["base"], high=words["high"])
        .tab_source_note(words["scenarios_note"])
    )


def scenarios_display(lang: str = "en"):
    """The presets table for a page: :func:`scenarios_frame` as a display table (Markdown), in *lang*
    (SCENARIO_WORDS; in Chinese the season's totals in 万元)."""
    from analysis.report import Table

    _check_lang(lang)
    words = SCENARIO_WORDS[lang]
    frame = scenarios_frame()
    output, low, base, high = words["headers"]
    shown = {output: frame["output"].map(words["labels"])}
    for column, header in (("low", low), ("base", base), ("high", high)):
        shown[header] = _scenario_cells(frame, column, lang)
    return Table(pd.DataFrame(shown))


def _source_note(lang: str = "en") -> str:
    from analysis.data import fact

    return TABLE_WORDS[lang]["source_note"].format(publisher=fact("source_publisher").value,
                                                   date=fact("source_date").value)


# --- export ------------------------------------------------------------------------------
TABLES = {"facts": (facts_frame, facts_table), "assumptions": (assumptions_frame, assumptions_table),
          "scenarios": (scenarios_frame, scenarios_table)}


def html_page(fragment: str, title: str, lang: str = "en") -> str:
    """A complete HTML page around a table fragment, declaring its encoding (UTF-8), so that no
    server's default charset garbles the Chinese, and its language (``zh-CN`` for Chinese)."""
    import html

    from analysis.fonts import CJK_FAMILY, LATIN_FAMILY, WEB_FAMILY_PREFIX

    tag = {"en": "en", "zh": "zh-CN"}[lang]
    families = (CJK_FAMILY, LATIN_FAMILY) if lang == "zh" else (LATIN_FAMILY, CJK_FAMILY)
    stack = ", ".join(f"'{WEB_FAMILY_PREFIX}{family}'" for family in families)
    # the site's web fonts, one level up from tables/ (the site ships no font to rely on the reader's)
    css = html.escape(f"../{paths.SITE_WEB_FONTS_CSS.as_posix()}")
    icon = html.escape(f"../{paths.SITE_FAVICON.as_posix()}")  # else the browser asks for /favicon.ico
    return (f'<!DOCTYPE html>\n<html lang="{tag}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n"
            f'<link rel="icon" href="{icon}">\n'
            f'<link rel="stylesheet" href="{css}">\n'
            f"<style>body, body table {{ font-family: {stack}, system-ui, sans-serif !important; }}</style>\n"
            f"</head>\n<body>\n{fragment.strip()}\n</body>\n</html>\n")


def html_name(name: str, lang: str) -> str:
    """The file of table *name* in *lang*: ``facts.html`` (English), ``facts_zh.html`` (Chinese)."""
    return f"{name}.html" if lang == "en" else f"{name}_{lang}.html"


def write_tables(out_dir: Path | str | None = None, *, option: str = "--out") -> list[Path]:
    """Write ``<name>.html``, ``<name>_zh.html`` (:func:`html_name`) and ``<name>.csv`` for every table
    as one set; return the paths.

    First the output folder is checked (:func:`analysis.io.check_output_dir`, errors name *option*)
    and the whole data package validated; then every file is written into a temporary sibling
    folder that replaces *out_dir* (default ``tables/``) only when all are written
    (:func:`analysis.io.atomic_directory`).
    """
    from analysis.validation import validate_all

    out = Path(out_dir) if out_dir is not None else paths.TABLES_DIR
    check_output_dir(out, option, kind=KIND)
    validate_all()
    names = []
    with atomic_directory(out, option=option, kind=KIND) as folder:
        for name, (make_frame, make_table) in TABLES.items():
            frame = make_frame()
            write_text(folder / f"{name}.csv", frame_to_csv(frame))
            names.append(f"{name}.csv")
            for lang in LANGS:
                write_text(folder / html_name(name, lang), html_page(make_table(lang).as_raw_html(), name, lang))
                names.append(html_name(name, lang))
    return [out / name for name in names]


def configure_tables(parser) -> None:
    """Options of ``python -m analysis tables``."""
    parser.add_argument("--out", type=Path, default=None, help="output folder (default tables/), replaced as a whole")


def run_tables(args) -> int:
    """Write the tables and print where."""
    written = write_tables(args.out)
    print(f"wrote {len(written)} files ({len(TABLES)} tables as CSV and as HTML in {len(LANGS)} languages) "
          f"into {written[0].parent}")
    return 0
