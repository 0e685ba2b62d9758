"""Tests of analysis/tables.py: the frames behind the publication tables, the GT tables, the files."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from analysis import tables
from analysis.data import load_assumptions, load_facts
from analysis.parameters import get_parameters


def test_facts_frame_shows_each_value_with_its_qualifier_and_provenance():
    frame = tables.facts_frame().set_index("fact_id")
    assert len(frame) == len(load_facts())
    assert frame.loc["tianfu_investment_yuan", "value_as_stated"] == "≥ 5,000,000 yuan"  # 500余万元
    assert frame.loc["tianfu_temporary_workers_max_per_day", "value_as_stated"] == "≤ 200 persons per day"  # 最高
    assert frame.loc["profit_share_villages", "value_as_stated"] == "60%"
    assert frame.loc["tianfu_segments_for_poor", "source_quote"] == "企业拿出80万段木耳份额"
    # paragraphs are the non-empty lines: title 1, byline 2, then 3, 4, 5 and the industry paragraph 6
    assert frame.loc["tianfu_segments_for_poor", "source_paragraph"] == 6


def test_assumptions_frame_has_sources_and_verified_flags():
    frame = tables.assumptions_frame()
    assert len(frame) == len(load_assumptions())
    assert {"low", "base", "high", "source", "confidence", "verified"} <= set(frame.columns)
    price = frame.set_index("name").loc["price_yuan_per_kg"]
    assert price["unit_en"] == "yuan per kg"
    assert price["low"] <= price["base"] <= price["high"]


def test_scenarios_frame_matches_the_model():
    frame = tables.scenarios_frame().set_index("output")
    assert list(frame.columns) == ["label_en", "low", "base", "high"]
    assert len(frame) == len(tables.SCENARIO_OUTPUTS)
    p = get_parameters("base")
    revenue = p.segments * p.yield_kg_per_segment * p.price_yuan_per_kg  # 800,000 × 0.045 × 60 = 2,160,000
    assert frame.loc["revenue_yuan", "base"] == pytest.approx(revenue)
    assert frame.loc["break_even_price_yuan_per_kg", "base"] == pytest.approx(
        p.cost_yuan_per_segment / p.yield_kg_per_segment)  # 1.75 / 0.045 = 38.89


def test_gt_tables_render_offline_html():
    for name, (_, make_table) in tables.TABLES.items():
        for lang in ("en", "zh"):
            html = make_table(lang).as_raw_html()
            assert f'id="{name}"' in html
            assert not re.search(r'(src|href)="https?://', html)


def _visible_text(page: str) -> str:
    import html

    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'-]+(?:\s+[A-Za-z][A-Za-z'-]+){2,}")


def test_chinese_tables_have_no_english_sentence(tmp_path):
    for path in tables.write_tables(tmp_path):
        if path.name.endswith("_zh.html"):
            text = _visible_text(path.read_text(encoding="utf-8"))
            assert ENGLISH_RUN.findall(text) == [], path.name
            assert re.search(r"[\u4e00-\u9fff]", text), path.name


def test_chinese_facts_table_reads_values_in_chinese_conventions():
    html = tables.facts_table("zh").as_raw_html()
    assert "报道所述事实" in html and "代理经营合同" in html  # title, and the topic 'contract'
    # tianfu_investment_yuan: 5,000,000 yuan at least (500余万元) = 500 万元, qualifier 至少
    assert '">不少于500万元</td>' in html and '">至少</td>' in html
    assert ">60%<" in html  # profit_share_villages
    # the notes are the data's note_zh, never note_en
    assert "标题口号“三方聚力”" in html and "'Three parties join forces'" not in html


def test_chinese_assumptions_table_names_units_categories_and_authors_in_chinese():
    html = tables.assumptions_table("zh").as_raw_html()
    assert ">元/千克<" in html  # price_yuan_per_kg
    assert ">比例<" in html and ">年比率<" in html and ">share<" not in html  # subsidy_fraction, poverty_line_growth_rate
    assert ">三角分布<" in html and ">判断（无公开来源）<" in html and ">否<" in html
    assert "本项目作者，无公开来源时项目作者的判断" in html  # authors_judgement: author_zh, title_zh
    assert "Project authors" not in html and "Assumption" not in html


def test_chinese_scenarios_table_counts_the_seasons_totals_in_wan_yuan():
    html = tables.scenarios_table("zh").as_raw_html()
    # revenue at base = 800,000 segments x 0.045 kg x 56 yuan/kg = 2,016,000 yuan = 201.6 万元
    assert ">收入（万元）<" in html and ">201.6<" in html


def test_table_pages_declare_their_language_and_use_the_sites_web_fonts(tmp_path):
    written = {p.name: p.read_text(encoding="utf-8") for p in tables.write_tables(tmp_path) if p.suffix == ".html"}
    assert '<html lang="zh-CN">' in written["facts_zh.html"] and '<html lang="en">' in written["facts.html"]
    # tables/ sits at an edition's root: the fonts' rules are one level up, where the site build puts them
    assert '<link rel="stylesheet" href="../analysis/site_assets/fonts/fonts.css">' in written["facts_zh.html"]
    assert '<link rel="icon" href="../analysis/site_assets/favicon.svg">' in written["facts.html"]  # no /favicon.ico
    assert "font-family: 'Dasuhe Noto Sans SC', 'Dasuhe Noto Sans'," in written["facts_zh.html"]
    assert "font-family: 'Dasuhe Noto Sans', 'Dasuhe Noto Sans SC'," in written["facts.html"]


def test_write_tables_is_deterministic(tmp_path):
    first = {p.name: p.read_bytes() for p in tables.write_tables(tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in tables.write_tables(tmp_path / "b")}
    assert sorted(first) == ["assumptions.csv", "assumptions.html", "assumptions_zh.html", "facts.csv", "facts.html",
                             "facts_zh.html", "scenarios.csv", "scenarios.html", "scenarios_zh.html"]
    assert first == second
    assert first["scenarios.csv"].decode().splitlines()[0] == "output,label_en,low,base,high"


def test_cli_writes_the_tables(tmp_path):
    result = subprocess.run([sys.executable, "-m", "analysis", "tables", "--out", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote 9 files (3 tables as CSV and as HTML in 2 languages) into {tmp_path}\n"
    bad = subprocess.run([sys.executable, "-m", "analysis", "tables", "--outt", str(tmp_path)],
                         capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == ["error: python -m analysis tables: unrecognized arguments: --outt "
                                       f"{tmp_path}"]


def test_scenarios_display_chinese_counts_the_seasons_totals_in_wan_yuan():
    table = tables.scenarios_display("zh").data
    assert table.columns.tolist() == ["结果", "低值", "基准值", "高值"]
    rows = table.set_index("结果")
    # revenue = 800,000 segments x yield x price: low 0.04 x 40 = 1,280,000 = 128万; base 0.045 x 56 = 2,016,000
    # = 201.6万; high 0.065 x 70 = 3,640,000 = 364万
    assert rows.loc["收入（万元）"].tolist() == ["128", "201.6", "364"]
    # base: profit 2,016,000 - 800,000 x 2 = 416,000; villages 60% = 249,600; poor households 50% = 124,800
    assert rows.loc["利润（万元）", "基准值"] == "41.6"
    assert rows.loc["各村所得（万元）", "基准值"] == "24.96"
    assert rows.loc["贫困户补助（万元）", "基准值"] == "12.48"
    assert rows.loc["受补助户户均（元）", "基准值"] == "960"  # 124,800 / (243 - 113) = 960 yuan
    assert rows.loc["全部建档立卡贫困人口人均占贫困线比例", "基准值"] == "6.1%"  # 124,800 / 690 / 2,952 = 0.0613
    assert list(rows.index) == [tables.SCENARIO_WORDS["zh"]["labels"][o] for o in tables.SCENARIO_OUTPUTS]
    english = tables.scenarios_display("en").data.set_index("Output")
    assert english.loc["Revenue (yuan)"].tolist() == ["1,280,000", "2,016,000", "3,640,000"]
