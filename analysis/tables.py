"""Publication tables (great_tables): facts with provenance, assumptions with sources, scenarios.

Each ``*_frame()`` returns the tidy DataFrame a table shows (also written as CSV);
each ``*_table()`` returns a :class:`great_tables.GT` built from it. :func:`write_tables`
validates the whole data package, then writes ``<name>.html`` (``GT.as_raw_html()`` in a page
that declares UTF-8, no external requests) and ``<name>.csv`` for every table into ``tables/``
(or the folder given) as one set: an error or an interrupt leaves the previous set whole;
``python -m analysis tables [--out DIR]`` is its command line.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.io import atomic_directory, check_output_dir, frame_to_csv, write_text
from analysis.report import format_number, format_quantity, format_share, format_unit



# --- facts ------------------------------------------------------------------------
def facts_frame() -> pd.DataFrame:
    """Numeric and text facts with their provenance: value as stated, unit, qualifier, paragraph, quote."""
    from analysis.data import NON_NUMERIC_UNITS, load_facts

    facts = load_facts()
    as_stated = NON_NUMERIC_UNITS | {"year"}  # printed as written in the data
    shown = facts.apply(
        lambda row: format_quantity(row["value_number"], row["unit"], row["qualifier"])
        if pd.notna(row["value_number"]) and row["unit"] not in as_stated
        else str(row["value"]), axis=1)
    return pd.DataFrame({
        "fact_id": facts["fact_id"], "topic": facts["topic"], "value_as_stated": shown,
        "value": facts["value"], "unit": facts["unit"], "qualifier": facts["qualifier"],
        "source_paragraph": facts["source_paragraph"], "source_quote": facts["source_quote"],
        "note_en": facts["note_en"],
    })


def facts_table():
    """GT table of every fact with its quote and paragraph, grouped by topic."""
    from great_tables import GT

    frame = facts_frame()[["topic", "fact_id", "value_as_stated", "qualifier", "source_paragraph",
                           "source_quote", "note_en"]]
    return (
        GT(frame, rowname_col="fact_id", groupname_col="topic", id="facts")
        .tab_header(title="Facts stated in the article",
                    subtitle="Each value with its qualifier, paragraph of the article and a short verbatim quote")
        .cols_label(value_as_stated="Value", qualifier="Qualifier", source_paragraph="Paragraph",
                    source_quote="Quote (原文)", note_en="Note")
        .tab_source_note(_source_note())
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


def _source_text(sources: pd.DataFrame, source_id: str) -> str:
    if source_id not in sources.index:
        return source_id
    row = sources.loc[source_id]
    parts = [str(row[key]) for key in ("author", "title", "publisher", "date") if pd.notna(row[key]) and str(row[key])]
    return ", ".join(parts)


def assumptions_table():
    """GT table of the assumptions: low/base/high with unit, source, confidence and verified flag."""
    from great_tables import GT

    frame = assumptions_frame()
    frame["verified"] = frame["verified"].map(lambda v: "yes" if bool(v) else "no")
    frame = frame[["name", "label_en", "label_zh", "low", "base", "high", "unit_en", "distribution", "source",
                   "confidence", "verified"]]
    return (
        GT(frame, rowname_col="name", id="assumptions")
        .tab_header(title="Model assumptions", subtitle="Numbers the article does not give: ranges, sources and how sure we are")
        .tab_spanner(label="Range", columns=["low", "base", "high"])
        .fmt_number(columns=["low", "base", "high"], decimals=3, drop_trailing_zeros=True)
        .cols_label(label_en="Assumption", label_zh="假设", unit_en="Unit", distribution="Distribution",
                    source="Source", confidence="Confidence", verified="Verified", low="Low", base="Base",
                    high="High")
        .tab_source_note("Verified = no: our judgement, or a figure the research notes mark unverified.")
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


def scenarios_table():
    """GT table of the preset results (illustrative: every row depends on assumed price, yield and cost)."""
    from great_tables import GT

    frame = scenarios_frame()
    shown = frame.copy()
    for column in ("low", "base", "high"):
        shown[column] = [format_share(v, 1) if out in SHARE_OUTPUTS else format_number(v)
                         for out, v in zip(frame["output"], frame[column])]
    return (
        GT(shown[["label_en", "low", "base", "high"]], rowname_col="label_en", id="scenarios")
        .tab_header(title="One season of the Tianfu contract under three presets",
                    subtitle="Illustrative: every assumption at its low, base or high value")
        .cols_label(low="Low", base="Base", high="High")
        .tab_source_note("Model results from the facts of the article and the assumptions table; not reported figures. "
                         "The subsidy goes to the poor households not yet out of poverty (recipients); the averages "
                         "divide it among every registered poor household.")
    )


def scenarios_display(lang: str = "en"):
    """The presets table for a page: :func:`scenarios_frame` as a display table (Markdown), in *lang*
    (SCENARIO_WORDS; in Chinese the season's totals in 万元)."""
    from analysis.report import Table, _check_lang, format_wan

    _check_lang(lang)
    words = SCENARIO_WORDS[lang]
    frame = scenarios_frame()
    output, low, base, high = words["headers"]
    shown = {output: frame["output"].map(words["labels"])}
    for column, header in (("low", low), ("base", base), ("high", high)):
        shown[header] = [format_share(v, 1) if out in SHARE_OUTPUTS
                         else format_wan(v) if out in WAN_OUTPUTS[lang] else format_number(v)
                         for out, v in zip(frame["output"], frame[column])]
    return Table(pd.DataFrame(shown))


def _source_note() -> str:
    from analysis.data import fact

    return f"Source: {fact('source_publisher').value}, {fact('source_date').value}; paragraphs are the non-empty lines of the article."


# --- export ------------------------------------------------------------------------------
TABLES = {"facts": (facts_frame, facts_table), "assumptions": (assumptions_frame, assumptions_table),
          "scenarios": (scenarios_frame, scenarios_table)}


def html_page(fragment: str, title: str) -> str:
    """A complete HTML page around a table fragment, declaring its encoding (UTF-8), so that no
    server's default charset garbles the Chinese."""
    import html

    return (f'<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
            f"</head>\n<body>\n{fragment.strip()}\n</body>\n</html>\n")


def write_tables(out_dir: Path | str | None = None, *, option: str = "--out") -> list[Path]:
    """Write ``<name>.html`` (GT fragment) and ``<name>.csv`` for every table as one set; return the paths.

    First the output folder is checked (:func:`analysis.io.check_output_dir`, errors name *option*)
    and the whole data package validated; then every file is written into a temporary sibling
    folder that replaces *out_dir* (default ``tables/``) only when all are written
    (:func:`analysis.io.atomic_directory`).
    """
    from analysis.validation import validate_all

    out = Path(out_dir) if out_dir is not None else paths.TABLES_DIR
    check_output_dir(out, option)
    validate_all()
    names = []
    with atomic_directory(out, option=option) as folder:
        for name, (make_frame, make_table) in TABLES.items():
            frame = make_frame()
            write_text(folder / f"{name}.csv", frame_to_csv(frame))
            write_text(folder / f"{name}.html", html_page(make_table().as_raw_html(), name))
            names += [f"{name}.csv", f"{name}.html"]
    return [out / name for name in names]


def configure_tables(parser) -> None:
    """Options of ``python -m analysis tables``."""
    parser.add_argument("--out", type=Path, default=None, help="output folder (default tables/), replaced as a whole")


def run_tables(args) -> int:
    """Write the tables and print where."""
    written = write_tables(args.out)
    print(f"wrote {len(written)} files ({len(TABLES)} tables as HTML and CSV) into {written[0].parent}")
    return 0
