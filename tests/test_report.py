"""Tests for analysis/report.py: exact strings for every formatting rule."""
from __future__ import annotations

import pytest

from analysis import report
from analysis.errors import ParameterError


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (2_000_000, None, "2,000,000"),  # whole number: no decimals
        (1234.567, None, "1,235"),  # size >= 100: rounded to a whole number
        (690 / 243, None, "2.84"),  # 690 / 243 = 2.8395...: two decimals between 1 and 100
        (1.5, None, "1.5"),  # 1.50 with the trailing zero dropped
        (0.0475, None, "0.0475"),  # below 1: three significant digits
        (0.05, None, "0.05"),  # 0.0500 with trailing zeros dropped
        (-1500, None, "\u22121,500"),  # true minus sign
        (-0.0001, 0, "0"),  # rounds to zero: no sign
        (2952.0, 1, "2,952.0"),  # explicit decimals keep their zeros
    ],
)
def test_format_number(value, decimals, expected):
    assert report.format_number(value, decimals) == expected


def test_format_number_rejects_nan():
    with pytest.raises(ParameterError, match=r"^value=nan: must be a finite number$"):
        report.format_number(float("nan"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.4, "40%"),  # 0.4 * 100 = 40
        (0.6, "60%"),  # 0.6 * 100 = 60.000000000000001 -> whole
        (0.275, "27.5%"),  # 0.275 * 100 = 27.5
        (113 / 243, "46.5%"),  # 113 / 243 = 0.46502... -> 46.5
    ],
)
def test_format_share(value, expected):
    assert report.format_share(value) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((5_000_000, "yuan", "at_least"), "≥ 5,000,000 yuan"),
        ((4000, "yuan", "approximately"), "≈ 4,000 yuan"),
        ((200, "persons_per_day", "at_most"), "≤ 200 persons per day"),
        ((500, "yuan_per_mu"), "500 yuan per mu"),
        ((243, "households"), "243 households"),
        ((1, "households"), "1 household"),
        ((0.048, "kg_per_segment"), "0.048 kg per segment"),
        ((60, "yuan_per_kg"), "60 yuan per kg"),
        ((0.4, "share"), "40%"),
        ((0.4, "share", "approximately"), "≈ 40%"),
        (("大堡村", "text"), "大堡村"),
        ((13, "years"), "13 years"),
    ],
)
def test_format_quantity_en(args, expected):
    assert report.format_quantity(*args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((5_000_000, "yuan", "at_least"), "不少于500万元"),  # 5,000,000 / 10,000 = 500 万 (the article's 500余万元)
        ((4000, "yuan", "approximately"), "近4,000元"),
        ((200, "persons_per_day", "at_most"), "最高200人/日"),
        ((500, "yuan_per_mu"), "500元/亩"),
        ((243, "households"), "243户"),
        ((60, "yuan_per_kg"), "60元/千克"),
        ((10, "villages"), "10个村"),
        ((2017, "year"), "2017年"),  # a year reads with 年 (the article's 2017年底)
        ((800_000, "segments"), "80万段"),  # 800,000 / 10,000 = 80 万 (the article's 80万段)
        ((9_999, "segments"), "9,999段"),  # below 1万: as is
        ((131, "rows"), "131行"),
        ((9, "months_per_year"), "9个月/年"),
    ],
)
def test_format_quantity_zh(args, expected):
    assert report.format_quantity(*args, lang="zh") == expected


def test_format_unit_unknown_reads_its_name():
    assert report.format_unit("person_days_per_season") == "person-days per season"
    assert report.format_unit("widgets", lang="zh") == "widgets"


def test_format_range():
    assert report.format_range(50, 70, "yuan_per_kg") == "50–70 yuan per kg"
    assert report.format_range(0.3, 0.7, "share") == "30%–70%"
    assert report.format_range(2952, 3335, "yuan", lang="zh") == "2,952–3,335元"
    assert report.format_range(2016, 2017, "year") == "2016–2017"  # years: no thousands separator
    assert report.format_range(2016, 2017, "year", lang="zh") == "2016–2017年"
    assert report.format_range(1, 13, "years", lang="zh") == "1–13年"


def test_format_wan():
    assert report.format_wan(2_016_000) == "201.6"  # 2,016,000 / 10,000 = 201.6
    assert report.format_wan(124_800) == "12.48"  # 12.48: four significant digits
    assert report.format_wan(5_000_000) == "500"
    assert report.format_wan(14_400) == "1.44"
    assert report.format_wan(80_000, decimals=1) == "8.0"


def test_explain_qualifier():
    assert report.explain_qualifier("approximately") == (
        "approximately: the article writes 近 (“nearly”) before the number"
    )
    assert report.explain_qualifier("at_most", lang="zh") == "至多：原文在数字前写“最高”"


def test_bad_language_and_qualifier_are_one_line_errors():
    with pytest.raises(ParameterError, match=r"^lang='fr': choose one of en, zh$"):
        report.format_quantity(1, "yuan", lang="fr")
    with pytest.raises(
        ParameterError, match=r"^qualifier='about': choose one of exact, at_least, approximately, at_most$"
    ):
        report.format_quantity(1, "yuan", "about")


def test_format_yuan():
    assert report.format_yuan(2_400_000) == "2,400,000 yuan"  # 800,000 * 0.05 * 60
    assert report.format_yuan(2_400_000, lang="zh") == "240万元"  # 2,400,000 / 10,000
    assert report.format_yuan(2_016_000, lang="zh") == "201.6万元"  # four significant digits
    assert report.format_yuan(9_999, lang="zh") == "9,999元"  # below 1万: yuan


# --- prose with computed numbers ------------------------------------------------------------
def test_fill_formats_given_values_and_units():
    text = report.fill("{n} of {total:households} ({share:share}); {name}", n=113, total=243, share=113 / 243, name="Dabao")
    assert text == "113 of 243 households (46.5%); Dabao"  # 113 / 243 = 0.46502 -> 46.5%


def test_fill_reads_facts_with_qualifier_unit_quote_and_paragraph():
    text = report.fill(
        "{tianfu_investment_yuan}; {tianfu_investment_yuan:number}; {tianfu_investment_yuan:quote}, "
        "paragraph {tianfu_investment_yuan:paragraph}"
    )
    # The article: 该龙头企业投资500余万元 -> 500 * 10,000 = 5,000,000 yuan, at least (余).
    assert text == "≥ 5,000,000 yuan; 5,000,000; 该龙头企业投资500余万元, paragraph 6"


def test_fill_keeps_doubled_braces_and_rejects_unknown_placeholders():
    assert report.fill("{{literal}} {x}", x=2.5) == "{literal} 2.5"
    with pytest.raises(ParameterError, match=r"^placeholder \{nope\}: neither a given value nor a fact id$"):
        report.fill("{nope}")
    with pytest.raises(ParameterError, match=r"^placeholder \{villages_total:colour\}: a fact takes one of "):
        report.fill("{villages_total:colour}")


def test_markdown_wraps_fill():
    assert report.markdown("{n:yuan}", n=938.27)._repr_markdown_() == "938 yuan"


# --- display tables -------------------------------------------------------------------------------
def test_fact_table_rows():
    frame = report.fact_table(["villages_total", "cooperative_monthly_income_yuan"]).data
    assert frame.to_dict("list") == {
        "What the article states": ["Villages in the township", "Monthly income from the cooperative"],
        "Value": ["10 villages", "≈ 4,000 yuan per month"],  # 近四千元 -> 4 * 1,000, approximately
        "Article's words": ["指导全乡10个村全部制定了脱贫方案", "每月收入近四千元"],
        "Paragraph": [4, 5],
    }


def test_qualifier_table_counts_and_examples():
    import pandas as pd

    facts = pd.DataFrame({
        "qualifier": ["exact", "at_least", "at_least"],
        "value_number": [10.0, 40.0, None],
        "unit": ["villages", "persons", "text"],
        "source_quote": ["全乡10个村", "长期工40余人", "副科级以上"],
    })
    frame = report.qualifier_table(facts).data
    assert frame["Facts"].tolist() == [1, 2, 0, 0]
    assert frame["Example"].tolist() == ["10 villages — 全乡10个村", "≥ 40 persons — 长期工40余人", "", ""]


def test_assumption_range_and_markdown_table():
    import pandas as pd

    assumptions = pd.DataFrame({
        "name": ["price_yuan_per_kg", "subsidy_fraction"], "label_en": ["Price", "Subsidy | share"],
        "unit": ["yuan_per_kg", "share"], "low": [50.0, 0.3], "base": [60.0, 0.5], "high": [70.0, 0.7],
        "distribution": ["triangular", "uniform"], "source_id": ["market", "judgement"],
        "confidence": ["medium", "judgement"], "verified": [True, False],
    })
    sources = pd.DataFrame({"source_id": ["market", "judgement"], "title": ["Market report", "Our judgement"]})
    assert report.assumption_range(assumptions, "price_yuan_per_kg") == "50–70 yuan per kg (base 60 yuan per kg)"
    assert report.assumption_range(assumptions, "subsidy_fraction", lang="zh") == "30%–70%（基准50%）"
    # A display table (report.Table), its citation and code columns left as Markdown. Widths: the
    # wanted widths (longest cell) sum to 35+17+6+14+26+12+10 = 120 > 80 characters; the needed
    # ones (longest word + 2; an identifier breaks after "_", a short header stays whole):
    # "Assumption" 10+2, "Low–high" 8+2, "Base" 4+2, "Distribution" 12+2, "[@judgement]" 12+2,
    # "Confidence" 10+2, "Verified" 8+2 = 78. The 2 left go by wanted − needed (23, 7, 0, 0, 12,
    # 0, 0; 42 in all): 12+round(1.1) = 13, 10+round(0.33) = 10, 6, 14, 14+round(0.57) = 15, 12, 10.
    # Base is right-aligned (numbers).
    assert report.assumptions_markdown(assumptions, sources).splitlines() == [
        "| Assumption | Low–high | Base | Distribution | Source | Confidence | Verified |",
        "|:" + "-" * 13 + "|:" + "-" * 10 + "|" + "-" * 6 + ":|:" + "-" * 14 + "|:" + "-" * 15 + "|:" + "-" * 12
        + "|:" + "-" * 10 + "|",
        "| Price (`price_yuan_per_kg`) | 50–70 yuan per kg | 60 | triangular | Market report [@market] | medium | yes |",
        "| Subsidy \\| share (`subsidy_fraction`) | 30%–70% | 50% | uniform | Our judgement [@judgement] | judgement | no |",
    ]


def test_threshold_and_income_channel_tables():
    import pandas as pd

    thresholds = pd.DataFrame({"threshold_share": [0.1], "threshold_yuan": [295.2], "probability": [0.5723]})
    assert report.threshold_table(thresholds).data.to_dict("list") == {
        "Share of the poverty line": ["10%"],
        "Dividend per person": ["295 yuan"],  # 0.1 * 2,952 = 295.2
        "Probability of reaching it": ["57.2%"],
    }
    channels = pd.DataFrame({
        "channel": ["cooperative_job"], "label_en": ["Cooperative job"], "label_zh": ["合作社务工"],
        "total_yuan": [36000.0], "poor_households_yuan": [float("nan")], "per_household_yuan": [float("nan")],
        "per_person_yuan": [float("nan")], "note": ["one couple"], "note_zh": ["一对夫妻"],
    })
    row = report.income_channel_table(channels, lang="zh").data.iloc[0].tolist()
    assert row == ["合作社务工", "3.6万元", "—", "—", "—", "一对夫妻"]  # 4,000 * 9 months = 36,000 = 3.6万
    assert report.income_channel_table(channels).data["Note"].tolist() == ["one couple"]


# --- gallery, data dictionary, citation ------------------------------------------------------------
MANIFEST = {
    "sizes": ["web", "slide"],
    "figures": [{
        "id": "tornado", "title_en": "Sensitivity", "title_zh": "敏感性", "caption_en": "Price moves it most.",
        "caption_zh": "价格影响最大。", "alt_en": "Bars | per assumption", "alt_zh": "条形图",
        "facts": ["poor_persons_registered"], "assumptions": [], "data_csv": "tornado/tornado.csv",
        "files": ["tornado/tornado_en_web.png", "tornado/tornado_en_web.svg", "tornado/tornado_zh_slide.pdf"],
    }],
}


def test_gallery_markdown_english():
    assert report.gallery_markdown(MANIFEST, "en", "../").splitlines() == [
        "## Sensitivity",
        "",
        '![](../figures/tornado/tornado_en_web.svg){fig-alt="Bars | per assumption"}',  # alt once, as alt
        "",
        "Price moves it most.",
        "",
        # the SVG is shown (lighter than a 300-dpi PNG); downloads list every language and size exported
        "Downloads: English web: [PNG](../figures/tornado/tornado_en_web.png) · [SVG](../figures/tornado/tornado_en_web.svg); "
        "Chinese slide: [PDF](../figures/tornado/tornado_zh_slide.pdf); [data (CSV)](../figures/tornado/tornado.csv)",
        "",
        "Facts used: `poor_persons_registered`. Assumptions: none.",
    ]


def test_gallery_markdown_chinese_without_png():
    lines = report.gallery_markdown(MANIFEST, "zh", "").splitlines()
    assert lines[2] == "（尚未导出该语言版本：运行 `python -m analysis figures --lang zh`）"
    # the page's language first, sizes and punctuation in Chinese
    assert lines[6] == ("下载：中文幻灯片：[PDF](figures/tornado/tornado_zh_slide.pdf)；英文网页版：[PNG](figures/tornado/tornado_en_web.png) · "
                        "[SVG](figures/tornado/tornado_en_web.svg)；[数据（CSV）](figures/tornado/tornado.csv)")
    assert lines[8] == "所用事实：`poor_persons_registered`。所用假设：无。"


def test_read_manifest_missing_names_the_file(tmp_path):
    from analysis.errors import AnalysisError

    missing = tmp_path / "manifest.json"
    with pytest.raises(AnalysisError, match=r"manifest\.json: missing, run 'python -m analysis figures' first$"):
        report.read_manifest(missing)
    missing.write_text('{"figures": [\n', encoding="utf-8")  # cut off mid-write
    with pytest.raises(AnalysisError) as info:
        report.read_manifest(missing)
    assert str(info.value) == (
        f"{missing}: line 2: invalid JSON (Expecting value), run 'python -m analysis figures' again"
    )


def test_data_dictionary_lists_every_field_of_every_resource():
    import json

    from analysis import paths

    frame = report.data_dictionary()
    package = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    assert frame["resource"].unique().tolist() == [r["name"] for r in package["resources"]]
    facts = frame[frame["resource"] == "facts"].set_index("field")
    assert facts.at["source_quote", "constraints"] == "maxLength: 30"
    assert bool(facts.at["fact_id", "required"]) is True
    assert report.quote_max_chars() == 30


def test_data_dictionary_markdown_links_downloads():
    text = report.data_dictionary_markdown(prefix="")
    assert "Download: [facts.csv](data/facts.csv) (" in text
    assert "schema [schemas/facts.json](data/schemas/facts.json) · primary key: `fact_id`" in text
    assert "| source\\_quote | string | yes | maxLength: 30 |" in text  # escaped: Pandoc reads no markup in data
    assert "| ^[a-z]" not in text and "\\^\\[a-z\\]\\[a-z0-9\\_\\]\\*\\$" in text  # a pattern is no footnote or math


def test_citation_markdown_names_source_and_report():
    text = report.citation_markdown()
    assert "> 共产党员网, 12371.cn (Communist Party Member Network). 辽宁清原:“三方聚力”强化党建引领脱贫攻坚. 2018-06-04. " in text
    assert "Version 0.1.0" in text


def test_organisation_and_village_industry_tables():
    import pandas as pd

    organisations = pd.DataFrame({
        "org_id": ["group", "wg"], "name_zh": ["领导小组", "防汛组"], "name_en": ["Leading group", "Flood group"],
        "kind": ["leading_group", "working_group"], "parent_org_id": [None, "group"], "parent_basis": [None, "stated"],
    })
    assert report.organisation_table(organisations).data.to_dict("list") == {
        "Name": ["Leading group 领导小组", "Flood group 防汛组"],
        "Kind": ["leading group", "working group"],
        "Part of": ["", "Leading group"],
        "Link stated or implied": ["", "stated"],
    }
    villages = pd.DataFrame({"village_id": ["dabao"], "name_zh": ["大堡村"], "name_en": ["Dabao"]})
    industries = pd.DataFrame({
        "village_id": ["dabao", "dabao"], "industry_zh": ["黑木耳", "旅游"], "industry_en": ["black fungus", "tourism"],
        "sector": ["fungus", "tourism"], "area_mu_fact_id": ["dabao_fungus_area_mu", None],
    })
    assert report.village_industry_table(villages, industries, lang="zh").data.to_dict("list") == {
        "村": ["大堡村", "大堡村"], "产业": ["黑木耳", "旅游"], "行业": ["木耳", "旅游"],  # the Party groups' words
        "面积": ["35亩", "未说明"],  # 发展木耳35亩
    }


def test_contract_terms_cases_and_parameter_tables():
    import pandas as pd

    from analysis.parameters import get_parameters

    terms = pd.DataFrame({"term_id": ["rent"], "term_en": ["Rent"], "fact_id": ["tianfu_land_rent_yuan_per_mu"]})
    assert report.contract_terms_table(terms).data.iloc[0].tolist() == ["Rent", "500 yuan per mu", "以每亩500元价格", 6]
    cases = pd.DataFrame({"role_en": ["Party member"], "role_zh": ["党员"], "source_quote": ["大堡村党员李伟"],
                          "source_paragraph": [5], "story_en": ["Paired with poor households"]})
    assert report.cases_table(cases).data.columns.tolist() == ["Role", "Article's words", "Paragraph", "What the article tells"]
    table = report.parameter_run_table(get_parameters("base", price_yuan_per_kg=75), names={"price_yuan_per_kg", "households"}).data
    assert table["Parameter"].tolist() == ["Registered poor households", "Farm-gate price of dried wood-ear"]
    assert table["Value"].tolist() == ["243 households", "75 yuan per kg"]
    assert table["Kind"].tolist() == ["fact", "assumption"]


def test_format_fact():
    assert report.format_fact("tianfu_temporary_workers_max_per_day") == "≤ 200 persons per day"  # 最高达到200人/日
    assert report.format_fact("profit_share_villages", lang="zh") == "60%"  # 10个村占60%


def test_cases_table_lists_each_cases_numbers():
    import pandas as pd

    cases = pd.DataFrame({"case_id": ["couple"], "role_en": ["Villager couple"], "role_zh": ["村民"],
                          "source_quote": ["村民孙叶梅原是村里养鸡大户"], "source_paragraph": [5], "story_en": ["Flood"]})
    links = pd.DataFrame({"case_id": ["couple", "couple"], "fact_id": ["case_debt_yuan", "poultry_farmer_former_role"]})
    table = report.cases_table(cases, "en", links).data
    # 十多万元的债务 -> 10 * 10,000 = 100,000 yuan, at least (多); the text fact is left out
    assert table["Numbers stated"].tolist() == ["Debt left after the flood: ≥ 100,000 yuan"]


def test_docstring_examples():
    import doctest

    result = doctest.testmod(report)
    assert (result.failed, result.attempted) == (0, 13)  # every example runs, none fails


def test_display_tables_are_aligned_escaped_markdown_and_deterministic():
    import pandas as pd

    table = report.Table(pd.DataFrame({"Name": ["a*b", "长 name"], "Value": ["10 villages", "≥ 5,000,000 yuan"],
                                       "Paragraph": [4, 6]}))
    assert table.alignments() == ["left", "right", "right"]
    assert table._repr_markdown_() == (
        "| Name | Value | Paragraph |\n"
        "|:-------|----------------:|-----------:|\n"  # dashes: longest cell (CJK twice), at least longest word + 2
        "| a\\*b | 10 villages | 4 |\n"
        "| 长 name | ≥ 5,000,000 yuan | 6 |\n"
    )
    assert report.fact_table(["villages_total"])._repr_markdown_() == report.fact_table(["villages_total"])._repr_markdown_()
    assert not hasattr(table, "_repr_html_")  # an HTML output would make Quarto load require.js from a CDN
    chinese = report.Table(pd.DataFrame({"数值": ["243户", "12.48万元", "40–70元/千克", "不少于500万元"],
                                         "原文": ["2017年底,113户贫困户", "建档立卡贫困户243户690人", "x", "y"]}))
    assert chinese.alignments() == ["right", "left"]  # Chinese quantities right, the article's words left


def test_table_widths_give_every_word_room_on_a_page():
    # need = longest word + 2 (cell inset); the 80 characters of a line go first to what each column needs
    widths = report.Table._widths([["Kind", "assumption"], ["Source", "poor_households_registered"],
                                   ["Text", "x " * 60]])
    # an identifier breaks after its underscores: its longest word is "households_" (11 characters)
    assert widths[0] >= len("assumption") + 2 and widths[1] >= len("households_") + 2
    assert sum(widths) <= report.TEXT_WIDTH_CHARS + 2  # rounding
    # CJK counts twice. A short Chinese cell stays whole: 长城 is 2 × 2 = 4 wide (≤ 8), so it needs
    # 4 + 2 = 6, and wants its length, 4: the width is 6
    assert report.Table._widths([["短", "长城"]]) == [6]
    # a longer one breaks between any two characters: its words are the Latin runs only ("x", 1),
    # so it needs max(1, 2) + 2 = 4 and wants its width, 7 × 2 + 1 = 15 (under 80: all of it)
    assert report.Table._widths([["短", "万里长城永不倒x"]]) == [2 * 7 + 1]
    # a short header stays whole (可信度: 6 ≤ 12), and so does a Chinese quantity (200万段: 3 + 4 = 7)
    assert report.Table._widths([["可信度", "中"], ["数值", "200万段"]]) == [6 + 2, 7 + 2]




# --- the Chinese edition: every display table in Chinese ------------------------------------------
def test_fact_table_chinese_gives_our_chinese_gloss_value_quote_and_paragraph():
    frame = report.fact_table(["villages_total", "outcome_year", "tianfu_segments_for_poor"], "zh").data
    assert frame.to_dict("list") == {
        "原文所述": ["全乡村数", "成效的统计时点为当年年底", "企业拿出、为贫困户代理集中经营的木耳菌段"],
        "数值": ["10个村", "2017年", "80万段"],  # 80万段 = 800,000 segments, as the article writes it
        "原文": ["指导全乡10个村全部制定了脱贫方案", "2017年底,113户贫困户", "企业拿出80万段木耳份额"],
        "段落": [4, 6, 6],
    }


def test_qualifier_table_chinese_names_each_qualifier():
    import pandas as pd

    facts = pd.DataFrame({"qualifier": ["exact", "at_least"], "value_number": [10.0, 40.0],
                          "unit": ["villages", "persons"], "source_quote": ["全乡10个村", "长期工40余人"]})
    frame = report.qualifier_table(facts, "zh").data
    assert frame.columns.tolist() == ["限定", "含义", "事实数", "示例"]
    assert frame["限定"].tolist() == ["确切", "至少", "约", "至多"]
    assert frame["示例"].tolist() == ["10个村 — 全乡10个村", "不少于40人 — 长期工40余人", "", ""]
    assert report.qualifier_table(facts).data["Qualifier"].tolist() == ["exact", "at least", "approximately", "at most"]


def test_organisation_table_chinese_names_kinds_links_and_an_unnamed_village_branch():
    import pandas as pd

    organisations = pd.DataFrame({
        "org_id": ["branch", "coop", "unit"], "name_zh": [None, "绿森木椴木耳合作社", "菌包厂"],
        "name_en": ["Dabao village Party branch", "Lüsen cooperative", "Spawn-bag plant"],
        "kind": ["village_party_branch", "cooperative", "enterprise_unit"], "parent_org_id": [None, "branch", None],
        "parent_basis": [None, "implied", None], "village_id": ["dabao", "dabao", None],
    })
    villages = pd.DataFrame({"village_id": ["dabao"], "name_zh": ["大堡村"]})
    assert report.organisation_table(organisations, "zh", villages).data.to_dict("list") == {
        "名称": ["大堡村党支部", "绿森木椴木耳合作社", "菌包厂"],  # the article: 长沙村党支部, and for Dabao only 支部
        "类型": ["村党支部", "合作社", "企业下属单位"],
        "上级": ["", "大堡村党支部", ""],  # the parent by its Chinese name (no 'nan')
        "原文明示或隐含": ["", "隐含", ""],
    }
    english = report.organisation_table(organisations, "en").data
    assert english["Name"].tolist() == ["Dabao village Party branch", "Lüsen cooperative 绿森木椴木耳合作社",
                                        "Spawn-bag plant 菌包厂"]
    assert english["Part of"].tolist() == ["", "Dabao village Party branch", ""]


def test_contract_terms_table_chinese():
    import pandas as pd

    terms = pd.DataFrame({"term_id": ["rent"], "term_en": ["Rent"], "term_zh": ["每亩土地流转价格"],
                          "fact_id": ["tianfu_land_rent_yuan_per_mu"]})
    frame = report.contract_terms_table(terms, "zh").data
    assert frame.columns.tolist() == ["条款", "数值", "原文", "段落"]
    assert frame.iloc[0].tolist() == ["每亩土地流转价格", "500元/亩", "以每亩500元价格", 6]


def test_parameter_run_table_chinese_states_the_rule_of_a_computed_parameter():
    from analysis.parameters import get_parameters

    frame = report.parameter_run_table(get_parameters("base"), "zh",
                                       names={"investment_stated_yuan", "price_yuan_per_kg", "recipient_households"}).data
    assert frame.to_dict("list") == {
        "参数": ["企业投资（下限）", "干木耳收购价", "领取补助的贫困户"],
        "取值": ["500万元", "56元/千克", "130户"],  # 500余万元; 243 - 113 = 130
        "范围或限定": ["至少", "40–70元/千克", "—"],
        "类型": ["事实", "假设", "计算值"],
        "来源": ["tianfu_investment_yuan", "caass_wood_ear_market_report_2021",
               "poor_households_registered − households_out_of_poverty_2017（截至2017年底尚未脱贫的建档立卡贫困户，"
               "即原文“补助脱贫没有达标的贫困户”的对象）"],
    }


def test_cases_table_chinese_tells_the_story_and_the_numbers_in_chinese():
    import pandas as pd

    cases = pd.DataFrame({"case_id": ["couple"], "role_en": ["Villager couple"], "role_zh": ["养鸡大户"],
                          "source_quote": ["村民孙叶梅原是村里养鸡大户"], "source_paragraph": [5],
                          "story_en": ["Flood"], "story_zh": ["水灾"]})
    links = pd.DataFrame({"case_id": ["couple", "couple", "couple"],
                          "fact_id": ["case_debt_yuan", "poultry_farmer_former_role", "cooperative_monthly_income_yuan"]})
    assert report.cases_table(cases, "zh", links).data.to_dict("list") == {
        "角色": ["养鸡大户"], "原文": ["村民孙叶梅原是村里养鸡大户"], "段落": [5], "原文所述": ["水灾"],
        # 十多万元 -> 100,000 yuan at least = 不少于10万元; 近四千元 -> 近4,000元; the text fact is left out
        "所述数字": ["水灾后背负的债务：不少于10万元；在合作社的月收入：近4,000元/月"],
    }


def test_assumptions_markdown_chinese():
    import pandas as pd

    assumptions = pd.DataFrame({
        "name": ["price_yuan_per_kg", "first_season_year"], "label_en": ["Price", "First season"],
        "label_zh": ["干木耳收购价", "合作协议首个生产季"], "unit": ["yuan_per_kg", "year"], "low": [40.0, 2017.0],
        "base": [56.0, 2017.0], "high": [70.0, 2018.0], "distribution": ["triangular", "fixed"],
        "source_id": ["market", "judgement"], "confidence": ["medium", "judgement"], "verified": [False, False],
    })
    sources = pd.DataFrame({"source_id": ["market", "judgement"], "title": ["Market report", "Our judgement"],
                            "title_zh": ["行情报道", "项目作者的判断"]})
    # Widths (CJK counts twice; words end at spaces, "_" and Chinese characters, but short
    # headers, short Chinese cells and Chinese quantities stay whole): wanted 39+14+8+10+27+18+8 =
    # 124 > 80; needed ("first_season_" → "season_" 7, "40–70元/千克" 12, "2017" 4 under 基准值 6,
    # "三角分布" 8, "[@judgement]" 12, "可信度" 6, "已核实" 6; each + 2) 9+14+8+10+14+8+8 = 71.
    # The 9 left go by wanted − needed (30, 0, 0, 0, 13, 10, 0; 53): 9+round(5.09) = 14, 14, 8,
    # 10, 14+round(2.21) = 16, 8+round(1.70) = 10, 8. Ranges and the base right-aligned.
    assert report.assumptions_markdown(assumptions, sources, "zh").splitlines() == [
        "| 假设 | 低值–高值 | 基准值 | 分布 | 来源 | 可信度 | 已核实 |",
        "|:" + "-" * 14 + "|" + "-" * 14 + ":|" + "-" * 8 + ":|:" + "-" * 10 + "|:" + "-" * 16 + "|:" + "-" * 10
        + "|:" + "-" * 8 + "|",
        "| 干木耳收购价（`price_yuan_per_kg`） | 40–70元/千克 | 56 | 三角分布 | 行情报道 [@market] | 中 | 否 |",
        "| 合作协议首个生产季（`first_season_year`） | 2017–2018年 | 2017 | 固定值 | 项目作者的判断 [@judgement] | "
        "判断（无公开来源） | 否 |",
    ]
    # a year has no thousands separator in English either
    assert report.assumptions_markdown(assumptions, sources).splitlines()[3] == (
        "| First season (`first_season_year`) | 2017–2018 | 2017 | fixed | Our judgement [@judgement] | judgement | no |")


def test_data_dictionary_markdown_chinese_uses_the_schemas_chinese_descriptions():
    lines = report.data_dictionary_markdown("", "zh").splitlines()
    start = lines.index("### contract_terms")
    del lines[start + 7]  # the separator: column widths (test_display_tables_are_aligned_...)
    assert lines[start:start + 11] == [
        "### contract_terms",
        "",
        "天福菌业合作的各项条款（协议、投资、土地、菌段、用工、利润分成）；每项数值都是一条事实。",
        "",
        "下载：[contract_terms.csv](data/contract_terms.csv)（23行） · 表结构 "
        "[schemas/contract_terms.json](data/schemas/contract_terms.json) · 主键：`term_id`",
        "",
        "| 字段 | 类型 | 必填 | 约束 | 说明 |",
        "| term\\_id | 文本 | 是 | 格式：\\^\\[a-z\\]\\[a-z0-9\\_\\]\\*\\$；唯一 | 标识符。 |",
        "| term\\_en | 文本 | 是 |  | 条款（英文）。 |",
        "| term\\_zh | 文本 | 是 |  | 条款（中文）。 |",
        "| fact\\_id | 文本 | 是 |  | 给出数值的事实（facts.fact\\_id）。 |",
    ]
    assert "| qualifier | 文本 | 是 | 取值：exact、at\\_least、approximately、at\\_most |" in "\n".join(lines)


def test_every_schema_and_field_has_a_chinese_description():
    from analysis import data

    missing = [(resource["name"], field["name"]) for resource in data.read_resources()
               for field in [{"name": "-", **data.read_schema(resource["name"])}] + data.read_schema(resource["name"])["fields"]
               if not str(field.get("description_zh", "")).strip()]
    assert missing == []


def test_citation_markdown_chinese_follows_gb_t_7714():
    assert report.citation_markdown("zh").splitlines() == [
        "**原始资料**（引用任何事实时请引用；网址为标题、日期相同的转载页面）：",
        "",
        # 主要责任者. 题名[EB/OL]. (发表日期)[引用日期]. 获取和访问路径.
        "> 共产党员网. 辽宁清原:“三方聚力”强化党建引领脱贫攻坚[EB/OL]. (2018-06-04)[2026-11-28]. "
        "xndjw.gov.cn/website/contents/54/36630.html.",
        "",
        "**本报告**（引用模型、假设和图表时请引用）：",
        "",
        # 主要责任者. 题名[R]. 版本项. 出版年. (CITATION.cff: version 0.1.0, released 2026-11-28, MIT)
        "> 大苏河乡案例研究报告作者. 大苏河乡案例研究：辽宁省清原县党建引领脱贫攻坚的可复现报告[R]. 0.1.0版. 2026. "
        "许可协议：MIT.",
    ]
